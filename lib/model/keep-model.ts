/**
 * The model keeps itself: at the start of a nightly run, fit BG/NBD when no model is active and the base
 * qualifies, refit when the last attempt is `refitDays` old, keep the last good model when a refit fails or does
 * not converge, and record every attempt (lib/model/fit-record.ts).
 *
 * It fits on a stated random sample, not the whole base: DynamoDB parallel-scan segment k of N holds the items
 * whose partition-key hash falls in the k-th of N ranges, so the first m segments are a ~m/N random sample and
 * reading them costs ~m/N of a full scan. Segments are read until the sample holds `sampleCustomers` customers
 * (and `minRepeatCustomers` repeaters) or the base is exhausted; the fitter compresses the sample to distinct
 * (x, t_x, T) triples with counts, as lifetimes' compress_data does. bench/model-fit.ts measures the sample
 * against the full fit on CDNOW (BENCHMARKS.md).
 */
import type { ModelConfig } from '../config/schema.ts';
import type { ActiveModel } from '../derive/metrics.ts';
import type { CustomerRecord } from '../ingest/ports.ts';
import type { NightlyLedger } from '../nightly/ports.ts';
import { addDays, daysBetween } from '../time.ts';
import { expectedPurchases, fitBgNbd, rfmFromPurchaseDates, type BgNbdParams, type RfmObservation } from './bgnbd.ts';
import type { FitRecord, HoldoutCheck, HoldoutRow } from './fit-record.ts';

/** Parallel-scan segments the base is cut into; a sample is the first m of them. */
export const SAMPLE_SEGMENTS = 64;
/** The model's time unit: weeks, as in the paper. */
export const UNIT_DAYS = 7;

export interface ModelBase {
  scanSegment(segment: number, totalSegments: number): AsyncIterable<CustomerRecord>;
}

export interface KeepModelDeps {
  base: ModelBase;
  ledger: Pick<NightlyLedger, 'getModel' | 'putModel' | 'putFitRecord' | 'listFitRecords'>;
  config: ModelConfig;
  now?: () => Date;
  /** The fitter (tests inject failures); fitBgNbd by default. */
  fit?: typeof fitBgNbd;
}

/**
 * Whether the night calls for a fit attempt: never with autoFit off; a night already attempted is not attempted
 * again (a rerun). After an attempt that activated nothing (no model yet, or a refit that failed), `retryDays`
 * later: each attempt reads a sample, so not every night. Otherwise `refitDays` after the active model's fit day
 * (or the last attempt, whichever is later); with neither, at once.
 */
export function fitDue(night: string, model: { until?: string | undefined } | undefined, last: FitRecord | undefined, cfg: ModelConfig): boolean {
  if (!cfg.autoFit) return false;
  if (last && last.night >= night) return false;
  if (last && last.status !== 'activated' && (!model?.until || last.night >= model.until)) return daysBetween(last.night, night) >= cfg.retryDays;
  const since = [last?.night, model?.until].filter((d): d is string => !!d).sort().pop();
  return !model || !since || daysBetween(since, night) >= cfg.refitDays;
}

interface SampleRow {
  obs: RfmObservation;
  /** Observation at the calibration end, when the customer had bought by then. */
  cal?: RfmObservation;
  /** Distinct purchase days after the calibration end, up to the night. */
  holdout: number;
}

interface Sample {
  rows: SampleRow[];
  repeat: number;
  firstPurchase: string | undefined;
  segments: number;
  itemsRead: number;
}

/** Reads segments 0, 1, … until the sample is big enough or the base is read; nothing after the night counts. */
export async function readSample(base: ModelBase, night: string, calibrationEnd: string, cfg: ModelConfig): Promise<Sample> {
  const rows: SampleRow[] = [];
  let repeat = 0;
  let firstPurchase: string | undefined;
  let itemsRead = 0;
  let segments = 0;
  while (segments < SAMPLE_SEGMENTS && (rows.length < cfg.sampleCustomers || repeat < cfg.minRepeatCustomers)) {
    for await (const rec of base.scanSegment(segments, SAMPLE_SEGMENTS)) {
      itemsRead++;
      const dates = rec.state?.purchaseDates;
      if (!dates) continue;
      const obs = rfmFromPurchaseDates(dates, night, UNIT_DAYS);
      if (!obs) continue;
      const first = dates.find((d) => d <= night)!;
      if (!firstPurchase || first < firstPurchase) firstPurchase = first;
      if (obs.x > 0) repeat++;
      const cal = rfmFromPurchaseDates(dates, calibrationEnd, UNIT_DAYS);
      // purchaseDates are distinct local days (customer-state.ts): one per purchase, as x counts them.
      const holdout = dates.filter((d) => d > calibrationEnd && d <= night).length;
      rows.push({ obs, ...(cal ? { cal } : {}), holdout });
    }
    segments++;
  }
  return { rows, repeat, firstPurchase, segments, itemsRead };
}

const FREQ_CAP = 7;

/** Predicted vs actual repeat purchases in the holdout, by calibration frequency 0…6 and 7+. */
export function holdoutCheck(params: BgNbdParams, rows: readonly { cal: RfmObservation; holdout: number }[], weeks: number, calibrationEnd: string): HoldoutCheck {
  const groups = Array.from({ length: FREQ_CAP + 1 }, () => ({ customers: 0, predicted: 0, actual: 0 }));
  // Customers with one (x, t_x, T) share one expectation; the series behind it is the costly part.
  const memo = new Map<string, number>();
  let predicted = 0;
  let actual = 0;
  for (const r of rows) {
    const key = `${r.cal.x}|${r.cal.tx}|${r.cal.T}`;
    let e = memo.get(key);
    if (e === undefined) memo.set(key, (e = expectedPurchases(params, r.cal, weeks)));
    const g = groups[Math.min(r.cal.x, FREQ_CAP)]!;
    g.customers++;
    g.predicted += e;
    g.actual += r.holdout;
    predicted += e;
    actual += r.holdout;
  }
  const byFrequency: HoldoutRow[] = groups
    .map((g, x) => ({ x: x === FREQ_CAP ? `${FREQ_CAP}+` : String(x), customers: g.customers, predicted: g.customers ? g.predicted / g.customers : 0, actual: g.customers ? g.actual / g.customers : 0 }))
    .filter((g) => g.customers > 0);
  return { calibrationEnd, weeks, customers: rows.length, params, predicted, actual, byFrequency };
}

const paramsOf = (f: BgNbdParams): BgNbdParams => ({ r: f.r, alpha: f.alpha, a: f.a, b: f.b });

/**
 * Brings the model up to the night: returns the model the night's segments should use (the new fit when one was
 * activated, else the one already active, else none) and the attempt's record when one was made.
 */
export async function keepModel(night: string, deps: KeepModelDeps): Promise<{ model: ActiveModel | undefined; record?: FitRecord }> {
  const cfg = deps.config;
  const now = deps.now ?? (() => new Date());
  const fit = deps.fit ?? fitBgNbd;
  const active = await deps.ledger.getModel();
  const activeModel = active ? { params: active.params, unitDays: active.unitDays, version: active.version } : undefined;
  const [last] = await deps.ledger.listFitRecords(1);
  if (!fitDue(night, active, last, cfg)) return { model: activeModel };

  const calibrationEnd = addDays(night, -7 * cfg.holdoutWeeks);
  const t0 = performance.now();
  let sample: Sample;
  try {
    sample = await readSample(deps.base, night, calibrationEnd, cfg);
  } catch (e) {
    // The night goes on with the model it has; fitDue tries again retryDays later.
    const reason = `reading the sample failed: ${e instanceof Error ? e.message : String(e)}`;
    const r: FitRecord = { night, attemptedAt: now().toISOString(), status: 'failed', reason, customers: 0, repeatCustomers: 0, sample: { segments: 0, totalSegments: SAMPLE_SEGMENTS, itemsRead: 0 }, readMs: Math.round(performance.now() - t0), fitMs: 0 };
    await deps.ledger.putFitRecord(r);
    return { model: activeModel, record: r };
  }
  const readMs = performance.now() - t0;
  const base = {
    night,
    attemptedAt: now().toISOString(),
    customers: sample.rows.length,
    repeatCustomers: sample.repeat,
    sample: { segments: sample.segments, totalSegments: SAMPLE_SEGMENTS, itemsRead: sample.itemsRead },
    readMs: Math.round(readMs),
  };
  const record = async (r: FitRecord) => {
    await deps.ledger.putFitRecord(r);
    return r;
  };

  const history = sample.firstPurchase ? daysBetween(sample.firstPurchase, night) : 0;
  const notQualified =
    sample.repeat < cfg.minRepeatCustomers
      ? `${sample.repeat} customers with a repeat purchase, fewer than minRepeatCustomers ${cfg.minRepeatCustomers}`
      : history < cfg.minHistoryDays
        ? `${history} days since the first purchase, fewer than minHistoryDays ${cfg.minHistoryDays}`
        : undefined;
  if (notQualified) return { model: activeModel, record: await record({ ...base, status: 'not-qualified', reason: notQualified, fitMs: 0 }) };

  const t1 = performance.now();
  let fitted: ReturnType<typeof fitBgNbd>;
  try {
    fitted = fit(sample.rows.map((r) => r.obs));
  } catch (e) {
    const reason = `fit failed: ${e instanceof Error ? e.message : String(e)}`;
    return { model: activeModel, record: await record({ ...base, status: 'failed', reason, fitMs: Math.round(performance.now() - t1) }) };
  }
  const finite = [fitted.r, fitted.alpha, fitted.a, fitted.b, fitted.logLikelihood].every(Number.isFinite);
  if (!fitted.converged || !finite) {
    const reason = !finite ? 'fit gave non-finite parameters' : `fit did not converge after ${fitted.iterations} iterations`;
    return {
      model: activeModel,
      record: await record({ ...base, status: 'not-converged', reason, ...(finite ? { params: paramsOf(fitted), logLikelihood: fitted.logLikelihood } : {}), iterations: fitted.iterations, fitMs: Math.round(performance.now() - t1) }),
    };
  }

  // The check refits on the calibration period alone; a check that cannot be made does not stop the model.
  const calRows = sample.rows.filter((r): r is SampleRow & { cal: RfmObservation } => !!r.cal);
  const calRepeat = calRows.filter((r) => r.cal.x > 0).length;
  let holdout: HoldoutCheck | undefined;
  let holdoutSkipped: string | undefined;
  if (calRepeat === 0) holdoutSkipped = `no customer had a repeat purchase by ${calibrationEnd}`;
  else {
    try {
      const calFit = fit(calRows.map((r) => r.cal));
      if (calFit.converged) holdout = holdoutCheck(paramsOf(calFit), calRows, cfg.holdoutWeeks, calibrationEnd);
      else holdoutSkipped = `the calibration fit to ${calibrationEnd} did not converge`;
    } catch (e) {
      holdoutSkipped = `the calibration fit to ${calibrationEnd} failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  const fitMs = Math.round(performance.now() - t1);

  const model: ActiveModel = { params: paramsOf(fitted), unitDays: UNIT_DAYS, version: `bgnbd:${night}` };
  await deps.ledger.putModel({ ...model, fittedAt: base.attemptedAt, until: night, logLikelihood: fitted.logLikelihood, customers: fitted.customers });
  const rec = await record({
    ...base,
    status: 'activated',
    params: model.params,
    logLikelihood: fitted.logLikelihood,
    iterations: fitted.iterations,
    fitMs,
    ...(holdout ? { holdout } : {}),
    ...(holdoutSkipped ? { holdoutSkipped } : {}),
  });
  return { model, record: rec };
}
