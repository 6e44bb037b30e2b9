import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig, type MomentsConfig } from '../../lib/config/schema.ts';
import { advanceDerived, deriveFromOrders, type DerivedState } from '../../lib/derive/derive.ts';
import type { ActiveModel } from '../../lib/derive/metrics.ts';
import type { OrderRecord } from '../../lib/orders/order.ts';
import { computeCustomerState } from '../../lib/state/customer-state.ts';
import { addDays } from '../../lib/time.ts';

const model: ActiveModel = { params: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, unitDays: 7, version: 'paper' };

const orderArb = fc.record({
  day: fc.integer({ min: 0, max: 500 }),
  amount: fc.integer({ min: 0, max: 600_000 }),
  kind: fc.constantFrom('order', 'order', 'order', 'refund', 'cancelled', 'redeem'),
});

function toOrders(rows: { day: number; amount: number; kind: string }[]): OrderRecord[] {
  return rows.map((r, i) => {
    const date = addDays('2025-01-01', r.day);
    const refund = r.kind === 'refund';
    return {
      key: refund ? `R#${i}` : `O${i}`,
      orderId: refund ? `R${i}` : `O${i}`,
      customerId: 'C',
      kind: refund ? 'refund' : 'order',
      status: refund ? 'refunded' : r.kind === 'cancelled' ? 'cancelled' : 'paid',
      orderedAt: Date.parse(`${date}T03:00:00Z`),
      localDate: date,
      amountMinor: refund ? Math.floor(r.amount / 3) : r.amount,
      currency: 'CNY',
      ...(r.kind === 'redeem' ? { pointsRedeemed: 500 } : {}),
      version: '0|x',
    } as OrderRecord;
  });
}

const configArb = fc.record({
  review: fc.constantFrom({ type: 'anniversary' as const }, { type: 'fixed' as const, monthDay: '01-01' }),
  qualification: fc.constantFrom({ type: 'rolling' as const, months: 12 }, { type: 'rolling' as const, months: 3 }, { type: 'calendarYear' as const }),
  graceDays: fc.integer({ min: 0, max: 60 }),
  lotExpiryMonths: fc.integer({ min: 1, max: 12 }),
  expiringSoonDays: fc.integer({ min: 1, max: 60 }),
  // Rules whose only time-driven metric is one at a time, so each change-date source is tested on its own.
  rules: fc.constantFrom('default', 'pAlive', 'daysSince', 'ratio'),
  threshold: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
});

const RULES = {
  pAlive: (t: number) => [{ stage: 'declining', when: { pAlive: { lt: t } } }, { stage: 'alive', when: {} }],
  daysSince: (t: number) => [{ stage: 'lapsed', when: { daysSinceLastOrder: { gt: Math.round(t * 200) } } }, { stage: 'alive', when: {} }],
  ratio: (t: number) => [{ stage: 'overdue', when: { recencyRatio: { gte: 1 + t * 3 } } }, { stage: 'alive', when: {} }],
};

function makeConfig(c: typeof configArb extends fc.Arbitrary<infer T> ? T : never): MomentsConfig {
  return parseConfig({
    tiers: {
      qualification: c.qualification,
      review: c.review,
      graceDays: c.graceDays,
      ladder: [
        { name: 'member', minSpend: '0' },
        { name: 'silver', minSpend: '1500' },
        { name: 'gold', minSpend: '5000' },
      ],
    },
    points: { pointsPerUnit: 1, lotExpiryMonths: c.lotExpiryMonths },
    nightly: { expiringSoonDays: c.expiringSoonDays },
    ...(c.rules === 'default' ? {} : { lifecycle: { rules: RULES[c.rules](c.threshold) } }),
  });
}

/** The slow truth: evaluate every single day from the first order to asOf. */
function daily(orders: OrderRecord[], config: MomentsConfig, asOf: string, m?: ActiveModel): DerivedState | undefined {
  const first = orders.map((o) => o.localDate).sort()[0];
  let derived: DerivedState | undefined;
  for (let d = first!; d <= asOf; d = addDays(d, 1)) derived = advanceDerived(derived, computeCustomerState('C', orders, config, d), d, config, m);
  return derived;
}

const comparable = (d: DerivedState | undefined) => d && { ...d, asOf: undefined };

describe('event-driven derivation equals evaluating every day', () => {
  it('stages, stage history, tiers and expiring points, with and without a pAlive model', () => {
    fc.assert(
      fc.property(fc.array(orderArb, { minLength: 1, maxLength: 12 }), configArb, fc.integer({ min: 0, max: 300 }), fc.boolean(), (rows, c, extra, withModel) => {
        const orders = toOrders(rows);
        const config = makeConfig(c);
        const asOf = addDays('2025-01-01', 500 + extra);
        const m = withModel ? model : undefined;
        const fast = deriveFromOrders('C', orders, config, asOf, m).derived;
        expect(comparable(fast)).toEqual(comparable(daily(orders, config, asOf, m)));
      }),
      { numRuns: 150 },
    );
  });
});
