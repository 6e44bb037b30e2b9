import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderRecord } from '../../lib/orders/order.ts';
import { AggregatingCustomerStore } from '../../bench/table-stand-in.ts';

// The benchmarks' stand-in for the table must behave as the table does: one record per (customer, key), replaced
// only by a higher version, and read back field for field. Checked against a plain map of live objects.
const orderArb = fc.record({
  customer: fc.constantFrom('C1', 'C2', '会员3'),
  key: fc.constantFrom('O1', 'O2', 'R#O1', 'R#O1#abc', '订单9'),
  version: fc.integer({ min: 0, max: 5 }),
  orderedAt: fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }),
  amountMinor: fc.integer({ min: 0, max: 10_000_000 }),
  status: fc.constantFrom('paid', 'cancelled', 'refunded'),
  storeId: fc.constantFrom(undefined, 'S1', '门店2'),
  region: fc.constantFrom(undefined, '华东'),
  originalOrderId: fc.constantFrom(undefined, 'O1'),
  pointsRedeemed: fc.constantFrom(undefined, 5, 500),
  products: fc.constantFrom(undefined, ['P1'], ['P1', 'P2']),
  day: fc.integer({ min: 1, max: 28 }),
});

function toOrder(r: typeof orderArb extends fc.Arbitrary<infer T> ? T : never): OrderRecord {
  const refund = r.status === 'refunded';
  return {
    key: r.key,
    orderId: r.key.startsWith('R#') ? `X${r.key.length}` : r.key,
    customerId: r.customer,
    kind: refund ? 'refund' : 'order',
    status: r.status,
    orderedAt: r.orderedAt,
    localDate: `2026-01-${String(r.day).padStart(2, '0')}`,
    amountMinor: r.amountMinor,
    currency: 'CNY',
    version: `${String(r.version).padStart(15, '0')}|${'0'.repeat(16)}`,
    storeId: r.storeId,
    channel: undefined,
    region: r.region,
    originalOrderId: r.originalOrderId,
    pointsRedeemed: r.pointsRedeemed,
    products: r.products ? [...r.products] : undefined,
  };
}

describe('the benchmarks table stand-in', () => {
  it('keeps the highest version per (customer, key) and reads every field back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(orderArb, { maxLength: 60 }), async (rows) => {
        const store = new AggregatingCustomerStore();
        const model = new Map<string, Map<string, OrderRecord>>();
        for (const o of rows.map(toOrder)) {
          const m = model.get(o.customerId) ?? new Map<string, OrderRecord>();
          model.set(o.customerId, m);
          const had = m.get(o.key);
          const expected = had && had.version >= o.version ? 'unchanged' : 'written';
          if (expected === 'written') m.set(o.key, o);
          expect(await store.putOrder(o)).toBe(expected);
        }
        for (const [id, m] of model) {
          const got = (await store.loadCustomer(id)).orders;
          expect(got).toEqual([...m.values()]);
          // Fresh objects, not the ones put (a Query's answer is parsed anew).
          for (const o of got) expect([...m.values()]).not.toContain(o);
        }
        expect(store.customers).toBe(model.size);
      }),
      { numRuns: 300 },
    );
  });

  it('saves a state only at the revision it was read at', async () => {
    const store = new AggregatingCustomerStore();
    const state = { customerId: 'C1', orderCount: 2, purchaseDays: 1, totalSpendMinor: 500, pointsBalance: 5 } as never;
    expect(await store.saveState(state, 0)).toBe(true);
    expect(await store.saveState(state, 0)).toBe(false);
    expect((await store.loadCustomer('C1')).rev).toBe(1);
    expect(store.states.get('C1')).toEqual({ orderCount: 2, purchaseDays: 1, totalSpendMinor: 500, pointsBalance: 5, saves: 1 });
  });
});
