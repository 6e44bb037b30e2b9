import { describe, expect, it } from 'vitest';
import { modelSchema, type ModelConfig } from '../../lib/config/schema.ts';
import type { CustomerRecord } from '../../lib/ingest/ports.ts';
import { fitBgNbd } from '../../lib/model/bgnbd.ts';
import { fitDue, keepModel, SAMPLE_SEGMENTS, type ModelBase } from '../../lib/model/keep-model.ts';
import type { FitRecord } from '../../lib/model/fit-record.ts';
import { scanSegmentOf } from '../../lib/nightly/shard.ts';
import type { CustomerState } from '../../lib/state/customer-state.ts';
import { MemoryNightlyLedger } from '../../lib/testing/memory-ports.ts';
import { addDays } from '../../lib/time.ts';
import { mulberry32 } from '../../lib/sample/generate-sample.ts';

const cfg = (over: Partial<ModelConfig> = {}): ModelConfig => modelSchema.parse(over);

const rng = mulberry32;

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, 1) by Marsaglia–Tsang, boosted below shape 1. */
function gamma(shape: number, u: () => number): number {
  if (shape < 1) return gamma(shape + 1, u) * Math.pow(1 - u(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = normal(u);
    const v = (1 + c * z) ** 3;
    if (v > 0 && Math.log(1 - u()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

const TRUE = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const START = '2024-01-01';

/**
 * Customers drawn from the BG/NBD story itself: λ ~ Gamma(r, α), p ~ Beta(a, b); while alive they buy at rate λ
 * per week and drop out after each repeat purchase with probability p. First purchases spread over 12 weeks.
 * Returns purchase days (distinct, ascending) up to `horizonDays` after START.
 */
function simulateBase(n: number, horizonDays: number, seed = 1): { id: string; dates: string[] }[] {
  const u = rng(seed);
  const out: { id: string; dates: string[] }[] = [];
  for (let i = 0; i < n; i++) {
    const lambda = gamma(TRUE.r, u) / TRUE.alpha;
    const g1 = gamma(TRUE.a, u);
    const p = g1 / (g1 + gamma(TRUE.b, u));
    const firstDay = Math.floor(u() * 84);
    const days = new Set<number>([firstDay]);
    let t = firstDay / 7;
    for (;;) {
      t += -Math.log(1 - u()) / lambda;
      const day = Math.floor(t * 7);
      if (!(day <= horizonDays)) break;
      days.add(day);
      if (u() < p) break;
    }
    out.push({ id: `c${i}`, dates: [...days].sort((x, y) => x - y).map((d) => addDays(START, d)) });
  }
  return out;
}

/** A fake base: the port's segment scan over plain records, counting what it hands out. */
function fakeBase(rows: { id: string; dates: string[] }[]): ModelBase & { read: number; segmentsAsked: number[] } {
  const recs: CustomerRecord[] = rows.map((r) => ({ customerId: r.id, rev: 1, state: { customerId: r.id, purchaseDates: r.dates } as unknown as CustomerState }));
  return {
    read: 0,
    segmentsAsked: [],
    async *scanSegment(k: number, n: number) {
      this.segmentsAsked.push(k);
      for (const r of recs)
        if (scanSegmentOf(r.customerId, n) === k) {
          this.read++;
          yield r;
        }
    },
  };
}

const HORIZON = 7 * 78; // 78 weeks, as the paper's CDNOW window
const NIGHT = addDays(START, HORIZON);

describe('fitDue: the refit schedule', () => {
  const rec = (night: string, status: FitRecord['status'] = 'activated'): FitRecord => ({
    night,
    attemptedAt: `${night}T03:00:00.000Z`,
    status,
    customers: 0,
    repeatCustomers: 0,
    sample: { segments: 0, totalSegments: SAMPLE_SEGMENTS, itemsRead: 0 },
    readMs: 0,
    fitMs: 0,
  });
  it('with no model: on the first night, then retryDays after each attempt that activated none', () => {
    expect(fitDue('2025-03-01', undefined, undefined, cfg())).toBe(true);
    expect(fitDue('2025-03-01', undefined, rec('2025-03-01', 'not-qualified'), cfg())).toBe(false);
    expect(fitDue('2025-03-07', undefined, rec('2025-03-01', 'not-qualified'), cfg())).toBe(false); // 6 days
    expect(fitDue('2025-03-08', undefined, rec('2025-03-01', 'not-qualified'), cfg())).toBe(true); // 7 days
    expect(fitDue('2025-03-02', undefined, rec('2025-03-01', 'failed'), cfg({ retryDays: 1 }))).toBe(true);
  });
  it('refits refitDays after the model was fitted, sooner after a failed refit, and after a model fitted by hand', () => {
    const model = { until: '2025-01-01' };
    expect(fitDue('2025-01-30', model, rec('2025-01-01'), cfg())).toBe(false); // 29 days
    expect(fitDue('2025-01-31', model, rec('2025-01-01'), cfg())).toBe(true); // 30 days
    // A refit that activated nothing is tried again retryDays (7) later; the model stays meanwhile.
    expect(fitDue('2025-02-06', model, rec('2025-01-31', 'not-converged'), cfg())).toBe(false);
    expect(fitDue('2025-02-07', model, rec('2025-01-31', 'not-converged'), cfg())).toBe(true);
    // A model fitted by hand after a failed attempt: refitDays from its own day.
    expect(fitDue('2025-02-07', { until: '2025-02-01' }, rec('2025-01-31', 'failed'), cfg())).toBe(false);
    expect(fitDue('2025-03-03', { until: '2025-02-01' }, rec('2025-01-31', 'failed'), cfg())).toBe(true);
    expect(fitDue('2025-01-08', model, undefined, cfg({ refitDays: 7 }))).toBe(true);
    expect(fitDue('2025-01-07', model, undefined, cfg({ refitDays: 7 }))).toBe(false);
  });
  it('never with autoFit off', () => {
    expect(fitDue('2025-03-01', undefined, undefined, cfg({ autoFit: false }))).toBe(false);
  });
});

describe('keepModel', () => {
  const rows = simulateBase(4000, HORIZON);

  it('fits the first model without anyone, records it, and checks it on a holdout', { timeout: 60_000 }, async () => {
    const ledger = new MemoryNightlyLedger();
    const base = fakeBase(rows);
    const { model, record } = await keepModel(NIGHT, { base, ledger, config: cfg({ holdoutWeeks: 39 }) });
    expect(model).toBeDefined();
    expect(ledger.model?.version).toBe(`bgnbd:${NIGHT}`);
    expect(ledger.model?.until).toBe(NIGHT);
    expect(record?.status).toBe('activated');
    // 4,000 < sampleCustomers: the whole base, every segment read once.
    expect(base.segmentsAsked).toEqual(Array.from({ length: SAMPLE_SEGMENTS }, (_, i) => i));
    expect(record!.customers).toBe(4000);
    expect(record!.repeatCustomers).toBe(rows.filter((r) => r.dates.length > 1).length);
    // The simulation's own parameters come back (4,000 customers: loose bounds).
    const p = model!.params;
    expect(Math.abs(p.r - TRUE.r) / TRUE.r).toBeLessThan(0.25);
    expect(Math.abs(p.alpha - TRUE.alpha) / TRUE.alpha).toBeLessThan(0.35);
    expect(Math.abs(p.a - TRUE.a) / TRUE.a).toBeLessThan(0.5);
    expect(Math.abs(p.b - TRUE.b) / TRUE.b).toBeLessThan(0.6);

    // Holdout: counted here from the simulated dates, not from the code under test.
    const h = record!.holdout!;
    const calEnd = addDays(NIGHT, -7 * 39);
    expect(h.calibrationEnd).toBe(calEnd);
    const inCal = rows.filter((r) => r.dates[0]! <= calEnd);
    const actual = inCal.reduce((s, r) => s + r.dates.filter((d) => d > calEnd && d <= NIGHT).length, 0);
    expect(h.customers).toBe(inCal.length);
    expect(h.actual).toBe(actual);
    // A model fitted on data from its own story predicts the holdout total closely.
    expect(Math.abs(h.predicted - actual) / actual).toBeLessThan(0.15);
    const zeroes = inCal.filter((r) => r.dates.filter((d) => d <= calEnd).length === 1);
    expect(h.byFrequency[0]).toMatchObject({ x: '0', customers: zeroes.length });
    expect(h.byFrequency.reduce((s, g) => s + g.customers, 0)).toBe(inCal.length);
    expect(ledger.fits).toHaveLength(1);
  });

  it('fits on a stated sample: the first m of 64 hash segments, reading only those', { timeout: 60_000 }, async () => {
    const ledger = new MemoryNightlyLedger();
    const base = fakeBase(rows);
    const { record } = await keepModel(NIGHT, { base, ledger, config: cfg({ sampleCustomers: 1000, minRepeatCustomers: 100 }) });
    const m = record!.sample.segments;
    expect(m).toBeLessThan(SAMPLE_SEGMENTS);
    const inSample = rows.filter((r) => scanSegmentOf(r.id, SAMPLE_SEGMENTS) < m);
    expect(record!.customers).toBe(inSample.length);
    expect(record!.customers).toBeGreaterThanOrEqual(1000);
    // One more segment than needed would have been enough to stop earlier: m is the least that reaches 1,000.
    expect(rows.filter((r) => scanSegmentOf(r.id, SAMPLE_SEGMENTS) < m - 1).length).toBeLessThan(1000);
    expect(base.read).toBe(inSample.length);
    expect(record!.sample.itemsRead).toBe(inSample.length);
    // The fit is the fit of exactly those customers.
    const direct = fitBgNbd(inSample.map((r) => ({ x: r.dates.length - 1, tx: (Date.parse(r.dates.at(-1)!) - Date.parse(r.dates[0]!)) / 6048e5, T: (Date.parse(NIGHT) - Date.parse(r.dates[0]!)) / 6048e5 })));
    expect(record!.logLikelihood).toBeCloseTo(direct.logLikelihood, 6);
  });

  it('does not fit a base without enough repeaters or history, and says why', async () => {
    const ledger = new MemoryNightlyLedger();
    const few = rows.slice(0, 300);
    const { model, record } = await keepModel(NIGHT, { base: fakeBase(few), ledger, config: cfg() });
    expect(model).toBeUndefined();
    expect(ledger.model).toBeUndefined();
    expect(record).toMatchObject({ status: 'not-qualified', customers: 300 });
    expect(record!.reason).toMatch(/minRepeatCustomers 500/);

    const young = await keepModel(addDays(START, 100), { base: fakeBase(rows), ledger: new MemoryNightlyLedger(), config: cfg({ minRepeatCustomers: 10 }) });
    expect(young.record?.status).toBe('not-qualified');
    expect(young.record!.reason).toMatch(/minHistoryDays 180/);
  });

  it('keeps the last good model when a refit fails or does not converge, and records the attempt', { timeout: 60_000 }, async () => {
    const ledger = new MemoryNightlyLedger();
    const base = fakeBase(rows);
    const first = await keepModel(NIGHT, { base, ledger, config: cfg() });
    const good = structuredClone(ledger.model);
    const later = addDays(NIGHT, 30);

    const failing = await keepModel(later, { base, ledger, config: cfg(), fit: () => { throw new RangeError('logHyp2f1 did not converge'); } });
    expect(failing.model).toEqual(first.model);
    expect(ledger.model).toEqual(good);
    expect(failing.record).toMatchObject({ night: later, status: 'failed' });
    expect(failing.record!.reason).toMatch(/logHyp2f1 did not converge/);

    const next = addDays(later, 30);
    const stuck = await keepModel(next, { base, ledger, config: cfg(), fit: (d) => ({ ...fitBgNbd(d, { maxIterations: 5, maxRestarts: 0 }) }) });
    expect(stuck.record?.status).toBe('not-converged');
    expect(stuck.model).toEqual(first.model);
    expect(ledger.model).toEqual(good);

    // Within refitDays of the last attempt nothing is read.
    const quiet = fakeBase(rows);
    const r = await keepModel(addDays(next, 5), { base: quiet, ledger, config: cfg() });
    expect(r.record).toBeUndefined();
    expect(quiet.read).toBe(0);
    expect(r.model).toEqual(first.model);
    expect(ledger.fits.map((f) => f.status)).toEqual(['activated', 'failed', 'not-converged']);
  });

  it('a sample that cannot be read leaves the model in place and is recorded', async () => {
    const ledger = new MemoryNightlyLedger();
    const broken: ModelBase = {
      // eslint-disable-next-line require-yield
      async *scanSegment() {
        throw new Error('ProvisionedThroughputExceededException');
      },
    };
    const r = await keepModel(NIGHT, { base: broken, ledger, config: cfg() });
    expect(r.model).toBeUndefined();
    expect(r.record).toMatchObject({ status: 'failed' });
    expect(r.record!.reason).toMatch(/ProvisionedThroughputExceeded/);
  });
});
