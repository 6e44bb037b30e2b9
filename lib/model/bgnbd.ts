/**
 * BG/NBD ("beta-geometric / negative binomial distribution") model of repeat purchasing:
 * P. S. Fader, B. G. S. Hardie and K. L. Lee (2005), "Counting Your Customers the Easy Way: An Alternative to
 * the Pareto/NBD Model", Marketing Science 24(2), 275–284.
 *
 * While active, a customer buys at Poisson rate λ ~ Gamma(r, α); after every repeat purchase they drop out with
 * probability p ~ Beta(a, b). A customer is summarised by (x, t_x, T): repeat purchases, time of the last purchase
 * and length of observation, both measured from the first purchase in a fixed time unit (weeks by default).
 *
 * Everything is computed in log space; no dependencies.
 */

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface RfmObservation {
  /** Repeat purchases: distinct purchase days − 1. */
  x: number;
  /** Time of the last purchase since the first, in the time unit. */
  tx: number;
  /** Time since the first purchase to the end of calibration, in the time unit. */
  T: number;
}

export interface FitOptions {
  /** Starting point (default: r = 1, a = 1, b = 1, α from the pooled repeat-purchase rate). */
  initial?: BgNbdParams;
  /** Cap on Nelder–Mead iterations per run (default 4000). */
  maxIterations?: number;
  /** Cap on restarts from the best point (default 30). */
  maxRestarts?: number;
  /** Relative tolerance on the log-likelihood (default 1e-12). */
  tolerance?: number;
}

export interface BgNbdFit extends BgNbdParams {
  /** Maximised log-likelihood (sum over customers). */
  logLikelihood: number;
  /** Number of customers fitted. */
  customers: number;
  /** Nelder–Mead iterations, summed over all runs. */
  iterations: number;
  /** True when the last run met its tolerances and a restart from it found no improvement. */
  converged: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Special functions

const LANCZOS_G = 7;
const LANCZOS_COEF = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(z) for z > 0 (Lanczos, g = 7, n = 9: ~15 significant digits); reflection below 0.5. */
export function logGamma(z: number): number {
  if (!(z > 0)) {
    if (Number.isInteger(z) && z <= 0) return Infinity;
    // Reflection: Γ(z)Γ(1−z) = π / sin(πz); returns ln|Γ(z)|.
    if (Number.isFinite(z)) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - logGamma(1 - z);
    return NaN;
  }
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const zm1 = z - 1;
  let s = LANCZOS_COEF[0]!;
  for (let i = 1; i < LANCZOS_G + 2; i++) s += LANCZOS_COEF[i]! / (zm1 + i);
  const t = zm1 + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (zm1 + 0.5) * Math.log(t) - t + Math.log(s);
}

function logSumExp(u: number, v: number): number {
  if (u === -Infinity) return v;
  if (v === -Infinity) return u;
  const m = Math.max(u, v);
  return m + Math.log1p(Math.exp(-Math.abs(u - v)));
}

/**
 * ln ₂F₁(a, b; c; z) for 0 ≤ z < 1 and a, b, c > 0 (all terms positive), by the power series with a
 * relative convergence check and rescaling so that large values do not overflow.
 */
export function logHyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z >= 0 && z < 1) || !(a > 0 && b > 0 && c > 0)) {
    throw new RangeError(`logHyp2f1 needs a, b, c > 0 and 0 <= z < 1 (got a=${a}, b=${b}, c=${c}, z=${z})`);
  }
  if (z === 0) return 0;
  let term = 1;
  let sum = 1;
  let logScale = 0;
  const maxTerms = 20_000_000; // enough for z up to about 1 − 2e-6 (t up to ~5·10^5 · (α+T) in eq. 10)
  for (let k = 0; k < maxTerms; k++) {
    const ratio = (((a + k) * (b + k)) / ((c + k) * (k + 1))) * z;
    term *= ratio;
    sum += term;
    // The term ratio tends monotonically (for large k) to z; once below 1 the remaining tail is bounded by
    // term·q/(1−q) with q = max(ratio, z).
    const q = Math.max(ratio, z);
    if (ratio < 1 && (term * q) / (1 - q) <= 1e-16 * sum) break;
    if (sum > 1e280) {
      logScale += Math.log(sum);
      term /= sum;
      sum = 1;
    }
    if (k === maxTerms - 1) throw new RangeError(`logHyp2f1 did not converge (z=${z})`);
  }
  return logScale + Math.log(sum);
}

// ---------------------------------------------------------------------------------------------------------------
// Likelihood

function checkParams(p: BgNbdParams): void {
  if (!(p.r > 0 && p.alpha > 0 && p.a > 0 && p.b > 0)) {
    throw new RangeError(`BG/NBD parameters must be positive (got ${JSON.stringify(p)})`);
  }
}

function checkObservation(o: RfmObservation): void {
  if (!(Number.isInteger(o.x) && o.x >= 0 && o.tx >= 0 && o.T >= o.tx && (o.x > 0 || o.tx === 0))) {
    throw new RangeError(`invalid RFM observation ${JSON.stringify(o)} (need integer x >= 0, 0 <= tx <= T, tx = 0 when x = 0)`);
  }
}

/** Data aggregated for the likelihood: distinct x (for the gamma terms) and distinct (x, tx, T) with counts. */
interface Aggregated {
  customers: number;
  xs: Float64Array;
  xCounts: Float64Array;
  tripleX: Float64Array;
  tripleTx: Float64Array;
  tripleT: Float64Array;
  tripleCounts: Float64Array;
}

function aggregate(data: readonly RfmObservation[]): Aggregated {
  const byX = new Map<number, number>();
  const byTriple = new Map<string, { o: RfmObservation; n: number }>();
  for (const o of data) {
    checkObservation(o);
    byX.set(o.x, (byX.get(o.x) ?? 0) + 1);
    const key = `${o.x}|${o.tx}|${o.T}`;
    const hit = byTriple.get(key);
    if (hit) hit.n++;
    else byTriple.set(key, { o, n: 1 });
  }
  const xEntries = [...byX.entries()].sort((p, q) => p[0] - q[0]);
  const triples = [...byTriple.values()];
  return {
    customers: data.length,
    xs: Float64Array.from(xEntries, (e) => e[0]),
    xCounts: Float64Array.from(xEntries, (e) => e[1]),
    tripleX: Float64Array.from(triples, (t) => t.o.x),
    tripleTx: Float64Array.from(triples, (t) => t.o.tx),
    tripleT: Float64Array.from(triples, (t) => t.o.T),
    tripleCounts: Float64Array.from(triples, (t) => t.n),
  };
}

/**
 * Per customer (eq. 6 of the paper):
 *   ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
 *          + ln[ (α+T)^−(r+x) + δ(x>0) · a/(b+x−1) · (α+t_x)^−(r+x) ]
 */
function aggregatedLogLikelihood(p: BgNbdParams, d: Aggregated): number {
  const { r, alpha, a, b } = p;
  const lgR = logGamma(r);
  const lgB = logGamma(b);
  const lgAB = logGamma(a + b);
  const logAlpha = Math.log(alpha);
  const logA = Math.log(a);
  let ll = 0;
  for (let i = 0; i < d.xs.length; i++) {
    const x = d.xs[i]!;
    const term = logGamma(r + x) - lgR + r * logAlpha + lgAB + logGamma(b + x) - lgB - logGamma(a + b + x);
    ll += d.xCounts[i]! * term;
  }
  for (let i = 0; i < d.tripleX.length; i++) {
    const x = d.tripleX[i]!;
    const a3 = -(r + x) * Math.log(alpha + d.tripleT[i]!);
    const a4 = x > 0 ? logA - Math.log(b + x - 1) - (r + x) * Math.log(alpha + d.tripleTx[i]!) : -Infinity;
    ll += d.tripleCounts[i]! * logSumExp(a3, a4);
  }
  return ll;
}

/** BG/NBD log-likelihood of the data (sum over customers). */
export function logLikelihood(params: BgNbdParams, data: readonly RfmObservation[]): number {
  checkParams(params);
  return aggregatedLogLikelihood(params, aggregate(data));
}

// ---------------------------------------------------------------------------------------------------------------
// Fitting

interface NelderMeadResult {
  x: number[];
  f: number;
  iterations: number;
  converged: boolean;
}

/** Nelder–Mead minimisation (standard coefficients 1, 2, ½, ½) from an axis-aligned simplex of the given step. */
function nelderMead(
  f: (x: number[]) => number,
  x0: readonly number[],
  step: number,
  maxIterations: number,
  fTol: number,
  xTol: number,
): NelderMeadResult {
  const n = x0.length;
  const pts: number[][] = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const p = x0.slice();
    p[i] = p[i]! + step;
    pts.push(p);
  }
  const vals = pts.map(f);
  const order = Array.from({ length: n + 1 }, (_, i) => i);
  const at = (i: number): number => order[i]!;
  let iterations = 0;
  let converged = false;
  const combine = (c: number[], w: number[], t: number): number[] => c.map((ci, j) => ci + t * (w[j]! - ci));

  while (iterations < maxIterations) {
    order.sort((i, j) => vals[i]! - vals[j]! || i - j);
    const best = at(0);
    const worst = at(n);
    const fBest = vals[best]!;
    let fSpread = 0;
    let xSpread = 0;
    for (let k = 1; k <= n; k++) {
      const idx = at(k);
      fSpread = Math.max(fSpread, Math.abs(vals[idx]! - fBest));
      for (let j = 0; j < n; j++) xSpread = Math.max(xSpread, Math.abs(pts[idx]![j]! - pts[best]![j]!));
    }
    if (Number.isFinite(fBest) && fSpread <= fTol * (1 + Math.abs(fBest)) && xSpread <= xTol) {
      converged = true;
      break;
    }
    iterations++;

    const centroid = new Array<number>(n).fill(0);
    for (let k = 0; k < n; k++) {
      const p = pts[at(k)]!;
      for (let j = 0; j < n; j++) centroid[j] = centroid[j]! + p[j]! / n;
    }
    const worstPt = pts[worst]!;
    const fWorst = vals[worst]!;
    const fSecond = vals[at(n - 1)]!;
    const xr = combine(centroid, worstPt, -1);
    const fr = f(xr);
    if (fr < fBest) {
      const xe = combine(centroid, worstPt, -2);
      const fe = f(xe);
      if (fe < fr) {
        pts[worst] = xe;
        vals[worst] = fe;
      } else {
        pts[worst] = xr;
        vals[worst] = fr;
      }
      continue;
    }
    if (fr < fSecond) {
      pts[worst] = xr;
      vals[worst] = fr;
      continue;
    }
    // Contraction: outside when the reflected point beats the worst, else inside.
    const outside = fr < fWorst;
    const xc = outside ? combine(centroid, xr, 0.5) : combine(centroid, worstPt, 0.5);
    const fc = f(xc);
    if (fc < (outside ? fr : fWorst)) {
      pts[worst] = xc;
      vals[worst] = fc;
      continue;
    }
    // Shrink towards the best point.
    const bestPt = pts[best]!;
    for (let k = 1; k <= n; k++) {
      const idx = at(k);
      pts[idx] = combine(bestPt, pts[idx]!, 0.5);
      vals[idx] = f(pts[idx]!);
    }
  }
  order.sort((i, j) => vals[i]! - vals[j]! || i - j);
  return { x: pts[at(0)]!.slice(), f: vals[at(0)]!, iterations, converged };
}

/**
 * Maximum-likelihood fit. Optimises over (ln r, ln α, ln a, ln b) with Nelder–Mead, restarting from the best point
 * (fresh simplex) until a restart no longer improves the log-likelihood. Identical (x, tx, T) are aggregated.
 * Deterministic: same data, same result.
 */
export function fitBgNbd(data: readonly RfmObservation[], opts: FitOptions = {}): BgNbdFit {
  if (data.length === 0) throw new RangeError('fitBgNbd needs at least one customer');
  const agg = aggregate(data);
  const maxIterations = opts.maxIterations ?? 4000;
  const maxRestarts = opts.maxRestarts ?? 30;
  const tol = opts.tolerance ?? 1e-12;

  let init = opts.initial;
  if (init) checkParams(init);
  else {
    let sumX = 0;
    let sumT = 0;
    for (const o of data) {
      sumX += o.x;
      sumT += o.T;
    }
    const rate = sumX > 0 && sumT > 0 ? sumX / sumT : 1;
    init = { r: 1, alpha: 1 / rate, a: 1, b: 1 };
  }

  const objective = (v: number[]): number => {
    const p = { r: Math.exp(v[0]!), alpha: Math.exp(v[1]!), a: Math.exp(v[2]!), b: Math.exp(v[3]!) };
    if (!(p.r > 0 && p.alpha > 0 && p.a > 0 && p.b > 0) || !Object.values(p).every(Number.isFinite)) return Infinity;
    const ll = aggregatedLogLikelihood(p, agg);
    return Number.isFinite(ll) ? -ll : Infinity;
  };

  let x = [Math.log(init.r), Math.log(init.alpha), Math.log(init.a), Math.log(init.b)];
  let fx = objective(x);
  let iterations = 0;
  let converged = false;
  let step = 1;
  for (let run = 0; run <= maxRestarts; run++) {
    const res = nelderMead(objective, x, step, maxIterations, tol, 1e-9);
    iterations += res.iterations;
    const improved = fx - res.f > tol * (1 + Math.abs(res.f));
    if (res.f < fx) {
      x = res.x;
      fx = res.f;
    }
    if (!improved && res.converged && run > 0) {
      converged = true;
      break;
    }
    // Later restarts probe the neighbourhood of the optimum with a smaller simplex.
    step = Math.max(0.05, step / 2);
  }

  return {
    r: Math.exp(x[0]!),
    alpha: Math.exp(x[1]!),
    a: Math.exp(x[2]!),
    b: Math.exp(x[3]!),
    logLikelihood: -fx,
    customers: agg.customers,
    iterations,
    converged,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Customer-level quantities

/** ln[ a/(b+x−1) · ((α+T)/(α+tx))^(r+x) ] for x > 0: the odds of having dropped out vs being alive. */
function logDeadOdds(p: BgNbdParams, x: number, tx: number, T: number): number {
  return Math.log(p.a) - Math.log(p.b + x - 1) + (p.r + x) * (Math.log(p.alpha + T) - Math.log(p.alpha + tx));
}

/** P(alive | x, tx, T) = 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+tx))^(r+x))  (eq. 13 of the paper). */
export function pAlive(params: BgNbdParams, obs: RfmObservation): number {
  checkParams(params);
  checkObservation(obs);
  if (obs.x === 0) return 1;
  const l = logDeadOdds(params, obs.x, obs.tx, obs.T);
  // 1/(1+e^l), stable for either sign of l.
  return l > 0 ? Math.exp(-l) / (1 + Math.exp(-l)) : 1 / (1 + Math.exp(l));
}

/**
 * E[Y(t) | x, tx, T]: expected purchases in (T, T+t] (eq. 10 of the paper):
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
 *   / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+tx))^(r+x))
 */
export function expectedPurchases(params: BgNbdParams, obs: RfmObservation, t: number): number {
  checkParams(params);
  checkObservation(obs);
  if (!(t >= 0) || !Number.isFinite(t)) throw new RangeError(`t must be a finite number >= 0 (got ${t})`);
  if (t === 0) return 0;
  const { r, alpha, b } = params;
  // a = 1 is a removable singularity of the closed form; evaluate just beside it.
  const a = Math.abs(params.a - 1) < 1e-7 ? 1 + 1e-7 : params.a;
  const { x, tx, T } = obs;
  const z = t / (alpha + T + t);
  const logProduct = (r + x) * (Math.log(alpha + T) - Math.log(alpha + T + t)) + logHyp2f1(r + x, b + x, a + b + x - 1, z);
  const bracket = -Math.expm1(logProduct); // 1 − e^logProduct without cancellation
  const numerator = ((a + b + x - 1) / (a - 1)) * bracket;
  return numerator * pAlive({ r, alpha, a, b }, obs);
}

/**
 * The time T (since the first purchase, in the time unit) at which pAlive falls to p for a customer with this
 * (x, tx), regardless of obs.T:
 *   T = (α+tx) · ((1/p − 1) · (b+x−1)/a)^(1/(r+x)) − α.
 * pAlive is highest right after the last purchase (T = tx) and decreases from there; when even that maximum is at
 * or below p the answer is tx (already crossed). Undefined when x = 0 (pAlive stays 1 under BG/NBD) or p <= 0
 * (never reached).
 */
export function pAliveThresholdTime(params: BgNbdParams, obs: RfmObservation, p: number): number | undefined {
  checkParams(params);
  checkObservation(obs);
  if (Number.isNaN(p)) throw new RangeError('p must be a number');
  if (obs.x === 0 || p <= 0) return undefined;
  if (p >= 1) return obs.tx;
  const { r, alpha, a, b } = params;
  const { x, tx } = obs;
  const logRatio = (Math.log1p(-p) - Math.log(p) + Math.log(b + x - 1) - Math.log(a)) / (r + x);
  const T = (alpha + tx) * Math.exp(logRatio) - alpha;
  return Math.max(tx, T);
}

// ---------------------------------------------------------------------------------------------------------------
// From purchase dates

const DAY_MS = 86_400_000;
const YMD = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayNumber(date: string): number {
  const m = YMD.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError(`not a calendar date: ${JSON.stringify(date)}`);
  }
  return Math.round(ms / DAY_MS);
}

/**
 * (x, tx, T) from a customer's purchase days up to and including `until`: the first purchase is time 0, several
 * orders on one day are one purchase, x = distinct days − 1, tx = (last − first)/unitDays,
 * T = (until − first)/unitDays. Dates after `until` are ignored; undefined when none is on or before it.
 * Input is expected sorted and distinct but either is tolerated.
 */
export function rfmFromPurchaseDates(purchaseDates: readonly string[], until: string, unitDays = 7): RfmObservation | undefined {
  if (!(unitDays > 0) || !Number.isFinite(unitDays)) throw new RangeError(`unitDays must be positive (got ${unitDays})`);
  const end = dayNumber(until);
  let first = Infinity;
  let last = -Infinity;
  const days = new Set<number>();
  for (const date of purchaseDates) {
    const n = dayNumber(date);
    if (n > end) continue;
    days.add(n);
    if (n < first) first = n;
    if (n > last) last = n;
  }
  if (days.size === 0) return undefined;
  return { x: days.size - 1, tx: (last - first) / unitDays, T: (end - first) / unitDays };
}
