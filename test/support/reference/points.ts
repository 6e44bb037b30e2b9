/**
 * Reference implementations (oracles) of the customer state and points, kept as they were written first: plain,
 * obviously right and slow. test/unit/state-reference.test.ts checks that lib/state's optimised versions agree with
 * them on random order histories. Not used by lib/.
 */
import type { MomentsConfig } from '../../../lib/config/schema.ts';
import type { OrderRecord } from '../../../lib/orders/order.ts';
import { pointsFor } from '../../../lib/state/points.ts';
import { endOfMonthPlus } from '../../../lib/time.ts';
import type { PointsExpiry, PointsLot, PointsState } from '../../../lib/state/points.ts';
import { referenceCountedRefunds } from './customer-state.ts';

type Event =
  | { date: string; seq: number; type: 'earn'; points: number; month: string }
  | { date: string; seq: number; type: 'redeem'; points: number }
  | { date: string; seq: number; type: 'clawback'; points: number; month?: string };

/**
 * Replays the customer's point events in date order: lots per month, expiry at the configured horizon,
 * redemptions and refund claw-backs from the oldest lots first (a refund first from its own order's lot).
 */
export function referencePoints(given: readonly OrderRecord[], asOf: string, config: MomentsConfig): PointsState {
  // A refund over what remains of its original earns no claw-back: it does not count at all.
  const counted = referenceCountedRefunds(given);
  const orders = given.filter((o) => o.kind !== 'refund' || counted.has(o.key));
  const paid = new Map<string, OrderRecord>();
  for (const o of orders) if (o.kind === 'order' && o.status === 'paid') paid.set(o.orderId, o);

  const events: Event[] = [];
  let seq = 0;
  for (const o of [...orders].sort((a, b) => a.orderedAt - b.orderedAt || (a.key < b.key ? -1 : 1))) {
    if (o.localDate > asOf) continue;
    if (o.kind === 'order' && o.status === 'paid') {
      const pts = pointsFor(o.amountMinor, o.currency, config);
      if (pts > 0) events.push({ date: o.localDate, seq: seq++, type: 'earn', points: pts, month: o.localDate.slice(0, 7) });
      if (o.pointsRedeemed) events.push({ date: o.localDate, seq: seq++, type: 'redeem', points: o.pointsRedeemed });
    } else if (o.kind === 'refund') {
      const pts = pointsFor(o.amountMinor, o.currency, config);
      const orig = o.originalOrderId ? paid.get(o.originalOrderId) : undefined;
      if (pts > 0)
        events.push({ date: o.localDate, seq: seq++, type: 'clawback', points: pts, ...(orig ? { month: orig.localDate.slice(0, 7) } : {}) });
    }
  }
  // Earn before spend on the same day: a purchase paid partly with points earned that day is common.
  const rank = { earn: 0, redeem: 1, clawback: 2 } as const;
  events.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : rank[a.type] - rank[b.type] || a.seq - b.seq));

  const lots: PointsLot[] = [];
  const expired: PointsExpiry[] = [];
  const state = { earnedTotal: 0, redeemedTotal: 0, clawedBackTotal: 0, shortfall: 0 };

  const expireBefore = (date: string) => {
    for (let i = 0; i < lots.length; ) {
      const lot = lots[i]!;
      if (lot.expiresOn < date) {
        if (lot.remaining > 0) expired.push({ month: lot.month, points: lot.remaining, expiredOn: lot.expiresOn });
        lots.splice(i, 1);
      } else i++;
    }
  };
  const take = (points: number, preferMonth?: string): number => {
    let left = points;
    if (preferMonth) {
      const lot = lots.find((l) => l.month === preferMonth);
      if (lot) {
        const n = Math.min(lot.remaining, left);
        lot.remaining -= n;
        left -= n;
      }
    }
    for (const lot of lots) {
      if (left === 0) break;
      const n = Math.min(lot.remaining, left);
      lot.remaining -= n;
      left -= n;
    }
    return points - left;
  };

  for (const e of events) {
    expireBefore(e.date);
    if (e.type === 'earn') {
      let lot = lots.find((l) => l.month === e.month);
      if (!lot) {
        lot = { month: e.month, earned: 0, remaining: 0, expiresOn: endOfMonthPlus(e.month, config.points.lotExpiryMonths) };
        lots.push(lot);
        lots.sort((a, b) => (a.month < b.month ? -1 : 1));
      }
      lot.earned += e.points;
      lot.remaining += e.points;
      state.earnedTotal += e.points;
    } else if (e.type === 'redeem') {
      const got = take(e.points);
      state.redeemedTotal += got;
      state.shortfall += e.points - got;
    } else {
      const got = take(e.points, e.month);
      state.clawedBackTotal += got;
      state.shortfall += e.points - got;
    }
  }
  expireBefore(asOf);
  const live = lots.filter((l) => l.remaining > 0 || l.earned > 0);
  return {
    balance: live.reduce((s, l) => s + l.remaining, 0),
    lots: live,
    expired,
    ...state,
  };
}
