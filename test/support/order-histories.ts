/** Random order histories for the state properties (test/unit/state-reference.test.ts, state-fold.test.ts). */
import fc from 'fast-check';
import type { OrderRecord } from '../../lib/orders/order.ts';
import { addDays } from '../../lib/time.ts';

// Histories are drawn to collide: few days, few times of day, few stores and ids, so that same-day earn/redeem/
// claw-back ordering, equal order times, refunds of unknown or later orders and lot expiry all come up often.
export const rowArb = fc.record({
  day: fc.integer({ min: 0, max: 800 }),
  sameDayAs: fc.option(fc.nat(30), { nil: undefined }),
  hour: fc.constantFrom(0, 3, 3, 9, 15, 23),
  kind: fc.constantFrom('paid', 'paid', 'paid', 'cancelled', 'refund', 'refundOf'),
  amount: fc.integer({ min: 0, max: 300_000 }),
  currency: fc.constantFrom('CNY', 'CNY', 'CNY', 'CNY', 'USD', 'JPY'),
  store: fc.constantFrom(undefined, 'S1', 'S2', 'S3'),
  region: fc.constantFrom(undefined, undefined, '华东', '华南'),
  redeemed: fc.constantFrom(0, 0, 0, 50, 500, 5_000),
  original: fc.nat(40),
  // A date-only row of a store in another zone: its order time and its brand day disagree.
  dayShift: fc.constantFrom(0, 0, 0, 0, -1, 1),
  products: fc.constantFrom(undefined, ['P1'], ['P2', 'P3']),
  // A refund for its order's whole amount or more: refunds over what remains of an original come up often.
  fullRefund: fc.constantFrom(false, false, true),
});

export type Row = typeof rowArb extends fc.Arbitrary<infer T> ? T : never;

/** `tag` keeps the ids of a second batch of rows apart; refunds of `O<n>` still name the untagged batch's orders. */
export function toOrders(rows: Row[], tag = ''): OrderRecord[] {
  return rows.map((r, i) => {
    const day = r.sameDayAs !== undefined && rows[r.sameDayAs % rows.length] ? rows[r.sameDayAs % rows.length]!.day : r.day;
    const date = addDays('2025-01-01', day);
    const orderedAt = Date.parse(`${date}T00:00:00Z`) + r.hour * 3_600_000;
    const refund = r.kind === 'refund' || r.kind === 'refundOf';
    const o: OrderRecord = {
      key: refund ? `R#${i % 7}-${tag}${i}` : `O${tag}${i}`,
      orderId: refund ? `X${tag}${i}` : `O${tag}${i}`,
      customerId: 'C',
      kind: refund ? 'refund' : 'order',
      status: refund ? 'refunded' : r.kind === 'cancelled' ? 'cancelled' : 'paid',
      orderedAt,
      localDate: addDays(date, r.dayShift),
      amountMinor: refund && !r.fullRefund ? Math.floor(r.amount / 3) : r.amount,
      currency: r.currency,
      version: '0|x',
    };
    if (r.kind === 'refundOf') o.originalOrderId = `O${r.original}`;
    if (r.store) o.storeId = r.store;
    if (r.region) o.region = r.region;
    if (r.redeemed && !refund) o.pointsRedeemed = r.redeemed;
    if (r.products && !refund) o.products = [...r.products];
    return o;
  });
}

