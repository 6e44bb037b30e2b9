import type { MetricName } from '../config/schema.ts';
import type { BgNbdParams } from '../model/bgnbd.ts';
import { pAlive, rfmFromPurchaseDates } from '../model/bgnbd.ts';
import type { CustomerState } from '../state/customer-state.ts';
import { addDays, daysBetween } from '../time.ts';
import { minorDigits } from '../money.ts';

export type Metrics = Record<MetricName, number | null>;

/** The model the nightly uses for pAlive, with the time unit it was fitted in. */
export interface ActiveModel {
  params: BgNbdParams;
  unitDays: number;
  version: string;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Purchase days in the window (date - days, date]. */
export function purchaseDaysIn(dates: readonly string[], date: string, days: number): number {
  const from = addDays(date, -days);
  let n = 0;
  for (const d of dates) if (d > from && d <= date) n++;
  return n;
}

export function spendIn(spendByDay: Record<string, number>, date: string, days: number): number {
  const from = addDays(date, -days);
  let s = 0;
  for (const [d, v] of Object.entries(spendByDay)) if (d > from && d <= date) s += v;
  return s;
}

/** Named customer metrics at `date`, for lifecycle rules and audiences. Null where a metric does not apply yet. */
export function computeMetrics(state: CustomerState, date: string, model?: ActiveModel): Metrics {
  const days = state.purchaseDates.filter((d) => d <= date);
  const first = days[0];
  const last = days[days.length - 1];
  const gaps = days.slice(1).map((d, i) => daysBetween(days[i]!, d));
  const typical = median(gaps);
  const sinceLast = last ? daysBetween(last, date) : null;
  let p: number | null = null;
  if (model && first) {
    const obs = rfmFromPurchaseDates(days, date, model.unitDays);
    if (obs) p = pAlive(model.params, obs);
  }
  return {
    orderCount: state.orderCount,
    purchaseDays: days.length,
    daysSinceLastOrder: sinceLast,
    daysSinceFirstOrder: first ? daysBetween(first, date) : null,
    purchaseDaysLast90: purchaseDaysIn(days, date, 90),
    purchaseDaysLast180: purchaseDaysIn(days, date, 180),
    purchaseDaysLast365: purchaseDaysIn(days, date, 365),
    netSpendLast365: spendIn(state.spendByDay, date, 365) / 10 ** minorDigits(state.currency),
    typicalIntervalDays: typical,
    recencyRatio: typical && sinceLast !== null ? sinceLast / typical : null,
    lastGapDays: gaps.length ? gaps[gaps.length - 1]! : null,
    pAlive: p,
  };
}
