import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  type BgNbdParams,
  type RfmObservation,
  expectedPurchases,
  fitBgNbd,
  logGamma,
  logHyp2f1,
  logLikelihood,
  pAlive,
  pAliveThresholdTime,
  rfmFromPurchaseDates,
} from '../../lib/model/bgnbd.ts';

const CDNOW = resolve(import.meta.dirname, '../../../shared/data/cdnow');
const SUMMARY = resolve(CDNOW, 'cdnow_customers_summary.csv');
const SAMPLE = resolve(CDNOW, 'CDNOW_sample.txt');

/** Fader, Hardie & Lee (2005), table/fig. on the CDNOW sample (weeks, calibration to 1997-09-30). */
const PAPER: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const PAPER_LL = -9582.4;

function expectPaperFit(fit: ReturnType<typeof fitBgNbd>): void {
  expect(fit.customers).toBe(2357);
  expect(fit.converged).toBe(true);
  expect(Math.abs(fit.r - PAPER.r)).toBeLessThan(0.01);
  expect(Math.abs(fit.alpha - PAPER.alpha)).toBeLessThan(0.01);
  expect(Math.abs(fit.a - PAPER.a)).toBeLessThan(0.01);
  expect(Math.abs(fit.b - PAPER.b)).toBeLessThan(0.01);
  expect(Math.abs(fit.logLikelihood - PAPER_LL)).toBeLessThan(1);
}

/** ID → (x, tx, T) from the published summary (frequency, recency, T in weeks, rounded to 2 decimals). */
function readSummary(): Map<number, RfmObservation> {
  const lines = readFileSync(SUMMARY, 'utf8').trim().split(/\r?\n/);
  expect(lines[0]).toBe('ID,frequency,recency,T');
  const out = new Map<number, RfmObservation>();
  for (const line of lines.slice(1)) {
    const [id, x, tx, T] = line.split(',').map(Number);
    out.set(id!, { x: x!, tx: tx!, T: T! });
  }
  return out;
}

/** sample_id → sorted distinct purchase days (YYYY-MM-DD) from the raw CDNOW transactions. */
function readSampleDays(): Map<number, string[]> {
  const days = new Map<number, Set<string>>();
  for (const line of readFileSync(SAMPLE, 'utf8').split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5) continue;
    const sampleId = Number(fields[1]);
    const d = fields[2]!;
    const date = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
    let set = days.get(sampleId);
    if (!set) days.set(sampleId, (set = new Set()));
    set.add(date);
  }
  return new Map([...days].map(([id, set]) => [id, [...set].sort()]));
}

describe.skipIf(!existsSync(SUMMARY))('BG/NBD on CDNOW (Fader, Hardie & Lee 2005)', () => {
  it('log-likelihood at the published parameters is −9582.4', () => {
    const data = [...readSummary().values()];
    expect(data).toHaveLength(2357);
    expect(Math.abs(logLikelihood(PAPER, data) - PAPER_LL)).toBeLessThan(1);
  });

  it('fits the summary file to the published parameters', () => {
    const data = [...readSummary().values()];
    const fit = fitBgNbd(data);
    expectPaperFit(fit);
    // Deterministic.
    expect(fitBgNbd(data)).toEqual(fit);
  });

  it.skipIf(!existsSync(SAMPLE))('fits the raw transactions up to 1997-09-30 to the same parameters', () => {
    const summary = readSummary();
    const days = readSampleDays();
    expect(days.size).toBe(2357);
    const data: RfmObservation[] = [];
    for (const [id, dates] of days) {
      const obs = rfmFromPurchaseDates(dates, '1997-09-30');
      expect(obs).toBeDefined();
      const ref = summary.get(id);
      expect(ref).toBeDefined();
      // The summary file rounds tx and T to 2 decimals: x must match exactly and tx, T after the same rounding.
      expect(obs!.x).toBe(ref!.x);
      expect(Math.abs(Math.round(obs!.tx * 100) / 100 - ref!.tx)).toBeLessThan(1e-9);
      expect(Math.abs(Math.round(obs!.T * 100) / 100 - ref!.T)).toBeLessThan(1e-9);
      expect(Math.abs(obs!.tx - ref!.tx)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(Math.abs(obs!.T - ref!.T)).toBeLessThanOrEqual(0.005 + 1e-9);
      data.push(obs!);
    }
    expectPaperFit(fitBgNbd(data));
  });
});

describe('BG/NBD customer-level quantities', () => {
  it('pAlive is 1 without repeat purchases, whatever T', () => {
    for (const T of [0, 1, 38.86, 1000]) expect(pAlive(PAPER, { x: 0, tx: 0, T })).toBe(1);
    expect(pAliveThresholdTime(PAPER, { x: 0, tx: 0, T: 10 }, 0.5)).toBeUndefined();
  });

  it('pAlive decreases in T and is 1/(1 + a/(b+x−1)) right after the last purchase', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 0.01, max: 50, noNaN: true }),
        (x, tx, d1, d2) => {
          const early = pAlive(PAPER, { x, tx, T: tx + d1 });
          const late = pAlive(PAPER, { x, tx, T: tx + d1 + d2 });
          expect(late).toBeLessThan(early);
          expect(late).toBeGreaterThanOrEqual(0);
          expect(early).toBeLessThanOrEqual(1);
        },
      ),
    );
    const x = 3;
    expect(pAlive(PAPER, { x, tx: 20, T: 20 })).toBeCloseTo(1 / (1 + PAPER.a / (PAPER.b + x - 1)), 14);
    // lifetimes: conditional_probability_alive(2, 30.43, 38.86) at the fitted CDNOW parameters ≈ 0.7266.
    expect(pAlive(PAPER, { x: 2, tx: 30.43, T: 38.86 })).toBeCloseTo(0.7266, 3);
  });

  it('pAliveThresholdTime round-trips through pAlive', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        (x, tx, frac) => {
          const max = pAlive(PAPER, { x, tx, T: tx });
          const p = frac * max; // strictly below the value right after the last purchase
          const T = pAliveThresholdTime(PAPER, { x, tx, T: tx }, p);
          expect(T).toBeDefined();
          expect(T!).toBeGreaterThanOrEqual(tx);
          expect(pAlive(PAPER, { x, tx, T: T! })).toBeCloseTo(p, 9);
        },
      ),
    );
    // At or above the post-purchase maximum the threshold is already reached at tx; p <= 0 is never reached.
    expect(pAliveThresholdTime(PAPER, { x: 2, tx: 5, T: 9 }, 0.99)).toBe(5);
    expect(pAliveThresholdTime(PAPER, { x: 2, tx: 5, T: 9 }, 0)).toBeUndefined();
  });

  it('expectedPurchases matches the published value (x=2, tx=30.43, T=38.86, next 39 weeks ≈ 1.226)', () => {
    const obs = { x: 2, tx: 30.43, T: 38.86 };
    expect(expectedPurchases(PAPER, obs, 39)).toBeCloseTo(1.226, 3);
    // lifetimes at its fitted parameters: conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86).
    const lifetimesFit = { r: 0.242593, alpha: 4.413532, a: 0.792886, b: 2.425752 };
    expect(expectedPurchases(lifetimesFit, obs, 39)).toBeCloseTo(1.2259, 4);
    expect(expectedPurchases(PAPER, obs, 0)).toBe(0);
  });

  it('expectedPurchases is increasing in t and, for a customer certainly alive, tends to the prior rate for small t', () => {
    const obs = { x: 0, tx: 0, T: 10 };
    let prev = 0;
    for (const t of [0.5, 1, 5, 20, 100, 1000]) {
      const e = expectedPurchases(PAPER, obs, t);
      expect(e).toBeGreaterThan(prev);
      prev = e;
    }
    // With x = 0 the posterior rate is Gamma(r, α+T): E[Y(t)] ≈ r/(α+T)·t for small t.
    const t = 1e-4;
    expect(expectedPurchases(PAPER, obs, t) / t).toBeCloseTo(PAPER.r / (PAPER.alpha + obs.T), 6);
  });

  it('special functions', () => {
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 12);
    expect(logGamma(1)).toBeCloseTo(0, 14);
    // ₂F₁(1, 1; 2; z) = −ln(1−z)/z; Euler: ₂F₁(a, b; c; z) = (1−z)^(c−a−b) ₂F₁(c−a, c−b; c; z).
    for (const z of [0.1, 0.5, 0.9, 0.999]) {
      expect(logHyp2f1(1, 1, 2, z)).toBeCloseTo(Math.log(-Math.log1p(-z) / z), 10);
    }
    expect(logHyp2f1(0.5, 0.7, 3, 0.95)).toBeCloseTo(1.8 * Math.log(0.05) + logHyp2f1(2.5, 2.3, 3, 0.95), 10);
  });
});

describe('rfmFromPurchaseDates', () => {
  it('counts distinct days, measures from the first purchase and ignores later dates', () => {
    expect(rfmFromPurchaseDates(['1997-01-01', '1997-01-18', '1997-08-02', '1997-12-12'], '1997-09-30')).toEqual({
      x: 2,
      tx: 213 / 7,
      T: 272 / 7,
    });
    expect(rfmFromPurchaseDates(['2024-03-01', '2024-03-01'], '2024-03-15', 1)).toEqual({ x: 0, tx: 0, T: 14 });
    expect(rfmFromPurchaseDates(['2024-03-01'], '2024-03-01')).toEqual({ x: 0, tx: 0, T: 0 });
    expect(rfmFromPurchaseDates(['2024-03-02'], '2024-03-01')).toBeUndefined();
    expect(rfmFromPurchaseDates([], '2024-03-01')).toBeUndefined();
    expect(() => rfmFromPurchaseDates(['2024-02-30'], '2024-03-01')).toThrow(/calendar/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Simulation from the generative process

/** mulberry32: small seeded PRNG, uniform in (0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, 1) by Marsaglia & Tsang, with the u^(1/shape) boost below shape 1. */
function gamma(u: () => number, shape: number): number {
  if (shape < 1) return gamma(u, shape + 1) * Math.pow(u(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let z: number;
    let v: number;
    do {
      z = normal(u);
      v = 1 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const w = u();
    if (Math.log(w) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** BG/NBD: λ ~ Gamma(r, α), p ~ Beta(a, b); Poisson(λ) purchases, dropout with probability p after each repeat. */
function simulate(params: BgNbdParams, customers: number, T: number, seed: number): RfmObservation[] {
  const u = prng(seed);
  const out: RfmObservation[] = [];
  for (let i = 0; i < customers; i++) {
    const lambda = gamma(u, params.r) / params.alpha;
    const g1 = gamma(u, params.a);
    const p = g1 / (g1 + gamma(u, params.b));
    let t = 0;
    let x = 0;
    let tx = 0;
    for (;;) {
      t += -Math.log(u()) / lambda;
      if (!(t <= T)) break;
      x++;
      tx = t;
      if (u() < p) break;
    }
    out.push({ x, tx, T });
  }
  return out;
}

describe('BG/NBD fit on simulated data', () => {
  it('recovers the generating parameters (loosely) and never does worse than them', () => {
    const started = performance.now();
    fc.assert(
      fc.property(
        fc.record({
          r: fc.double({ min: 0.3, max: 2, noNaN: true }),
          alpha: fc.double({ min: 2, max: 10, noNaN: true }),
          a: fc.double({ min: 0.3, max: 1.5, noNaN: true }),
          b: fc.double({ min: 1.5, max: 6, noNaN: true }),
        }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (truth, seed) => {
          const data = simulate(truth, 3000, 52, seed);
          const fit = fitBgNbd(data);
          expect(fit.converged).toBe(true);
          // It is the maximum: at least as likely as the truth.
          expect(fit.logLikelihood).toBeGreaterThanOrEqual(logLikelihood(truth, data) - 1e-6);
          // Mean purchase rate r/α and mean dropout probability a/(a+b) are well identified.
          const rate = truth.r / truth.alpha;
          expect(Math.abs(fit.r / fit.alpha - rate) / rate).toBeLessThan(0.25);
          expect(Math.abs(fit.a / (fit.a + fit.b) - truth.a / (truth.a + truth.b))).toBeLessThan(0.12);
          // r individually, within a factor.
          expect(fit.r / truth.r).toBeGreaterThan(0.6);
          expect(fit.r / truth.r).toBeLessThan(1.6);
        },
      ),
      { numRuns: 8, seed: 20050101 },
    );
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
