import type { MomentsConfig } from '../config/schema.ts';
import type { OrderRecord } from '../orders/order.ts';
import { minorDigits } from '../money.ts';
import { endOfMonthPlus, monthOf } from '../time.ts';
import { refundsOverOriginal } from './refund-limits.ts';

export interface PointsLot {
  /** Month the points were earned in (YYYY-MM). */
  month: string;
  earned: number;
  remaining: number;
  /** Last day (YYYY-MM-DD, brand time zone) on which the lot can be redeemed. */
  expiresOn: string;
}

export interface PointsExpiry {
  month: string;
  points: number;
  expiredOn: string;
}

export interface PointsState {
  balance: number;
  lots: PointsLot[];
  expired: PointsExpiry[];
  earnedTotal: number;
  redeemedTotal: number;
  clawedBackTotal: number;
  /** Points that a redemption or refund wanted to take but the balance did not cover (never negative). */
  shortfall: number;
}

export function pointsFor(amountMinor: number, currency: string, config: MomentsConfig): number {
  if (currency !== config.brand.currency) return 0;
  const major = amountMinor / 10 ** minorDigits(currency);
  return Math.floor(major * config.points.pointsPerUnit + 1e-9);
}

/**
 * Replays the customer's point events in date order: lots per month, expiry at the configured horizon,
 * redemptions and refund claw-backs from the oldest lots first (a refund first from its own order's lot).
 *
 * Events on one day go earn, then redeem, then claw-back (a purchase paid partly with points earned that day is
 * common), each in order time. This runs for every customer an ingest or a night touches, so it makes no event
 * objects and no closures: the orders are sorted by (day, time, key) once and each day is walked three times.
 * test/unit/state-reference.test.ts checks it against the plain event-list version on random histories.
 */
export function computePoints(
  orders: readonly OrderRecord[],
  asOf: string,
  config: MomentsConfig,
  /** Refunds that do not count (lib/state/refund-limits.ts); computed from `orders` when not given. */
  over: ReadonlyMap<string, string> | null = refundsOverOriginal(orders),
): PointsState {
  const due: OrderRecord[] = [];
  for (const o of orders)
    if ((o.kind === 'order' ? o.status === 'paid' : o.kind === 'refund' && !over?.has(o.key)) && o.localDate <= asOf) due.push(o);
  if (!isSorted(due)) due.sort(byDayTimeKey);
  const r = newPointsFold();
  const originalMonth = (id: string) => {
    const orig = paidOrder(orders, id);
    return orig ? monthOf(orig.localDate) : undefined;
  };
  for (let start = 0; start < due.length; ) {
    const date = due[start]!.localDate;
    let end = start + 1;
    while (end < due.length && due[end]!.localDate === date) end++;
    pointsDay(r, due, start, end, config, originalMonth);
    start = end;
  }
  return pointsResult(r, asOf);
}

/**
 * The replay's running state, as a checkpoint can keep it (lib/state/state-fold.ts): live lots are lots[head..],
 * in month order (so also in expiry order).
 */
export interface PointsFold {
  lots: PointsLot[];
  head: number;
  expired: PointsExpiry[];
  earnedTotal: number;
  redeemedTotal: number;
  clawedBackTotal: number;
  shortfall: number;
}

export function newPointsFold(): PointsFold {
  return { lots: [], head: 0, expired: [], earnedTotal: 0, redeemedTotal: 0, clawedBackTotal: 0, shortfall: 0 };
}

/** A deep copy with the expired lots dropped from the front (what a checkpoint stores). */
export function copyPointsFold(r: PointsFold): PointsFold {
  return { ...r, lots: r.lots.slice(r.head).map((l) => ({ ...l })), head: 0, expired: r.expired.map((e) => ({ ...e })) };
}

/**
 * One day of point events: xs[start..end) are that day's paid orders and refunds, in (time, key) order. A refund
 * claws back first from its original order's month (`originalMonth`: the month of the paid order of that id dated
 * on or before the day being computed for, if any).
 */
export function pointsDay(
  r: PointsFold,
  xs: readonly OrderRecord[],
  start: number,
  end: number,
  config: MomentsConfig,
  originalMonth: (orderId: string) => string | undefined,
): void {
  const date = xs[start]!.localDate;
  const horizon = config.points.lotExpiryMonths;
  expireBefore(r, date);
  for (let i = start; i < end; i++) {
    const o = xs[i]!;
    if (o.kind !== 'order' || o.status !== 'paid') continue;
    const pts = pointsFor(o.amountMinor, o.currency, config);
    if (pts > 0) earn(r, monthOf(date), pts, horizon);
  }
  for (let i = start; i < end; i++) {
    const o = xs[i]!;
    if (o.kind !== 'order' || o.status !== 'paid' || !o.pointsRedeemed) continue;
    const got = take(r, o.pointsRedeemed, undefined);
    r.redeemedTotal += got;
    r.shortfall += o.pointsRedeemed - got;
  }
  for (let i = start; i < end; i++) {
    const o = xs[i]!;
    if (o.kind !== 'refund') continue;
    const pts = pointsFor(o.amountMinor, o.currency, config);
    if (pts <= 0) continue;
    const got = take(r, pts, o.originalOrderId ? originalMonth(o.originalOrderId) : undefined);
    r.clawedBackTotal += got;
    r.shortfall += pts - got;
  }
}

/** The points as of `asOf` (lots expired before it go); the lots returned are the fold's own objects. */
export function pointsResult(r: PointsFold, asOf: string): PointsState {
  expireBefore(r, asOf);
  const lots: PointsLot[] = [];
  let balance = 0;
  for (let i = r.head; i < r.lots.length; i++) {
    const l = r.lots[i]!;
    if (l.remaining > 0 || l.earned > 0) {
      lots.push(l);
      balance += l.remaining;
    }
  }
  return {
    balance,
    lots,
    expired: r.expired,
    earnedTotal: r.earnedTotal,
    redeemedTotal: r.redeemedTotal,
    clawedBackTotal: r.clawedBackTotal,
    shortfall: r.shortfall,
  };
}

/** The paid order a refund names, dated after asOf or not; the last one listed if two share the id. Refunds are
 * rare, so a scan instead of a map of every customer's orders. */
function paidOrder(orders: readonly OrderRecord[], orderId: string): OrderRecord | undefined {
  for (let i = orders.length - 1; i >= 0; i--) {
    const o = orders[i]!;
    if (o.orderId === orderId && o.kind === 'order' && o.status === 'paid') return o;
  }
  return undefined;
}

export function byDayTimeKey(a: OrderRecord, b: OrderRecord): number {
  return a.localDate < b.localDate ? -1 : a.localDate > b.localDate ? 1 : a.orderedAt - b.orderedAt || (a.key < b.key ? -1 : 1);
}

function isSorted(xs: readonly OrderRecord[]): boolean {
  for (let i = 1; i < xs.length; i++) if (byDayTimeKey(xs[i - 1]!, xs[i]!) > 0) return false;
  return true;
}

/** Lots whose last day is before `date` expire; lots are in month order, so they go from the front. */
export function expireBefore(r: PointsFold, date: string): void {
  while (r.head < r.lots.length) {
    const lot = r.lots[r.head]!;
    if (lot.expiresOn >= date) return;
    if (lot.remaining > 0) r.expired.push({ month: lot.month, points: lot.remaining, expiredOn: lot.expiresOn });
    r.head++;
  }
}

function earn(r: PointsFold, month: string, points: number, horizon: number): void {
  // Days come in order, so the month is the last lot's or a later one.
  let lot = r.lots.length > r.head ? r.lots[r.lots.length - 1] : undefined;
  if (!lot || lot.month !== month) {
    lot = { month, earned: 0, remaining: 0, expiresOn: endOfMonthPlus(month, horizon) };
    r.lots.push(lot);
  }
  lot.earned += points;
  lot.remaining += points;
  r.earnedTotal += points;
}

/** Takes up to `points` from the preferred month's lot, then from the oldest lots; returns what it got. */
function take(r: PointsFold, points: number, preferMonth: string | undefined): number {
  let left = points;
  if (preferMonth !== undefined) {
    for (let i = r.head; i < r.lots.length; i++) {
      const lot = r.lots[i]!;
      if (lot.month !== preferMonth) continue;
      const n = Math.min(lot.remaining, left);
      lot.remaining -= n;
      left -= n;
      break;
    }
  }
  for (let i = r.head; i < r.lots.length && left > 0; i++) {
    const lot = r.lots[i]!;
    const n = Math.min(lot.remaining, left);
    lot.remaining -= n;
    left -= n;
  }
  return points - left;
}
