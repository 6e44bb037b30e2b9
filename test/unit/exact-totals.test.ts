import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../lib/config/schema.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { MAX_ORDER_AMOUNT_MINOR } from '../../lib/money.ts';
import type { OrderRecord, RowError } from '../../lib/orders/order.ts';
import { parseOrderRow, storeZoneMap, type Row } from '../../lib/orders/parse-order-row.ts';
import { CannotResume, deriveFromOrders } from '../../lib/derive/derive.ts';
import { computeCustomerState } from '../../lib/state/customer-state.ts';
import { MAX_CUSTOMER_GROSS_MINOR } from '../../lib/state/exact-totals.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';

const ctxOf = (config = defaultConfig) => ({ config, storeZones: storeZoneMap(config), defaultVersionMs: 1_000, line: 2 });
const row: Row = { order_id: 'A1', customer_id: 'C1', ordered_at: '2026-03-05 10:00:00', status: 'paid' };

function order(i: number, amountMinor: number, kind: 'order' | 'refund' = 'order'): OrderRecord {
  const day = `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
  const key = kind === 'refund' ? `R#${i}` : `O${i}`;
  return { key, orderId: key, customerId: 'C1', kind, status: kind === 'refund' ? 'refunded' : 'paid', orderedAt: Date.parse(`${day}T04:00:00Z`) + i, localDate: day, amountMinor, currency: 'CNY', version: '0|x' };
}

describe('money beyond exact integers', () => {
  it('one order row is at most 10^12 minor units; above, it is rejected with the reason', () => {
    expect(parseOrderRow({ ...row, amount: '10000000000.00' }, ctxOf())).toMatchObject({ amountMinor: MAX_ORDER_AMOUNT_MINOR });
    expect(parseOrderRow({ ...row, amount: '-10000000000.00' }, ctxOf())).toMatchObject({ amountMinor: MAX_ORDER_AMOUNT_MINOR, kind: 'refund' });
    for (const amount of ['10000000000.01', '-10000000000.01', '90071992547409.91'])
      expect(parseOrderRow({ ...row, amount }, ctxOf()) as RowError[], amount).toEqual([
        expect.objectContaining({ column: 'amount', reason: "amount beyond 10000000000.00 CNY, the most one order may have (so that a customer's totals stay exact)" }),
      ]);
    // In minor units whatever the currency's decimals.
    const yen = ctxOf(parseConfig({ brand: { currency: 'JPY' } }));
    expect(parseOrderRow({ ...row, amount: '1000000000000' }, yen)).toMatchObject({ amountMinor: MAX_ORDER_AMOUNT_MINOR });
    expect(parseOrderRow({ ...row, amount: '1000000001000' }, yen)).toEqual([expect.objectContaining({ column: 'amount', reason: expect.stringMatching(/^amount beyond 1000000000000 JPY/) })]);
  });

  it("a customer's sums stay exact: orders past the bound are not counted, and the state says so", () => {
    // 9,100 orders of 999,999,999,999 add up past 2^53, where a double no longer holds every integer.
    const amount = MAX_ORDER_AMOUNT_MINOR - 1;
    const orders = Array.from({ length: 9_100 }, (_, i) => order(i, amount));
    const s = computeCustomerState('C1', orders, defaultConfig, '2026-12-31');
    const counted = BigInt(MAX_CUSTOMER_GROSS_MINOR) / BigInt(amount);
    expect(BigInt(s.totalSpendMinor)).toBe(counted * BigInt(amount));
    expect(s.totalSpend).toBe(`${(counted * BigInt(amount)) / 100n}.${String((counted * BigInt(amount)) % 100n).padStart(2, '0')}`);
    expect(s.orderCount).toBe(Number(counted));
    expect(s.uncounted).toMatchObject({ orders: 9_100 - Number(counted), reason: expect.stringMatching(/orders from \S+ on are not counted: the customer's orders and refunds would add up to more than/) });
    expect(Number.isSafeInteger(s.pointsBalance)).toBe(true);
  });

  it('the derivation (a fold resumed day after day) cuts as computeCustomerState; resumed from a checkpoint past the bound it gives up', () => {
    const amount = MAX_ORDER_AMOUNT_MINOR - 1;
    const orders = Array.from({ length: 1_100 }, (_, i) => order(i, amount));
    const d = deriveFromOrders('C1', orders, defaultConfig, '2026-12-31');
    const s = computeCustomerState('C1', orders, defaultConfig, '2026-12-31');
    expect(s.uncounted).toBeDefined();
    expect(JSON.stringify(d.state)).toBe(JSON.stringify(s));
    // A checkpoint with orders left out (the cut is in order time, not day order) is never resumed.
    expect(() => deriveFromOrders('C1', [], defaultConfig, '2027-01-31', undefined, {}, { from: d.checkpoint })).toThrow(CannotResume);
  });

  it('property: up to 10,000 orders near the largest amount (sums past 2^53): every sum of the state is the exact (BigInt) sum of the orders within the bound, in time order', () => {
    const near = fc.oneof({ arbitrary: fc.integer({ min: MAX_ORDER_AMOUNT_MINOR - 1_000, max: MAX_ORDER_AMOUNT_MINOR }), weight: 4 }, { arbitrary: fc.integer({ min: 1, max: 10_000 }), weight: 1 });
    fc.assert(
      fc.property(fc.integer({ min: 500, max: 10_000 }).chain((n) => fc.array(fc.record({ amount: near, refund: fc.boolean() }), { minLength: n, maxLength: n })), (rows) => {
        const orders = rows.map((r, i) => order(i, r.amount, r.refund ? 'refund' : 'order'));
        const s = computeCustomerState('C1', orders, defaultConfig, '2026-12-31');
        // Independent oracle: exact sums over the prefix (by time, then key) whose gross fits.
        const timed = [...orders].sort((a, b) => a.orderedAt - b.orderedAt || (a.key < b.key ? -1 : 1));
        let gross = 0n;
        let net = 0n;
        let kept = 0;
        for (const o of timed) {
          gross += BigInt(o.amountMinor);
          if (gross > BigInt(MAX_CUSTOMER_GROSS_MINOR)) break;
          net += o.kind === 'refund' ? -BigInt(o.amountMinor) : BigInt(o.amountMinor);
          kept++;
        }
        expect(BigInt(s.totalSpendMinor)).toBe(net);
        expect(Object.values(s.spendByMonth).reduce((a, b) => a + BigInt(b), 0n)).toBe(net);
        expect(Object.values(s.spendByDay).reduce((a, b) => a + BigInt(b), 0n)).toBe(net);
        expect(s.uncounted?.orders ?? 0).toBe(orders.length - kept);
      }),
      { numRuns: 25 },
    );
  });

  it('the ingest names a customer whose orders are not all counted, in the summary and its warnings', async () => {
    const objects = new MemoryObjectStore();
    const customers = new MemoryCustomerStore();
    const ledger = new MemoryLedger();
    const lines = Array.from({ length: 1_001 }, (_, i) => `A${String(i).padStart(4, '0')},C1,2026-03-05 10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')},10000000000.00`);
    await objects.put('incoming/orders/o.csv', `order_id,customer_id,ordered_at,amount\n${lines.join('\n')}\nB1,C2,2026-03-05,10.00\n`);
    const s = await ingestObject({ key: 'incoming/orders/o.csv', etag: 'o', lastModifiedMs: 0 }, { objects, customers, ledger, config: defaultConfig, asOf: '2026-03-10' });
    expect(s).toMatchObject({ applied: 1_002, rejected: 0, uncounted: [{ customerId: 'C1', reason: expect.stringMatching(/^1 orders from A1000 on are not counted/) }] });
    expect(s.warnings).toEqual([expect.stringMatching(/^customer C1: 1 orders from A1000 on are not counted: the customer's orders and refunds would add up to more than 1000000000000000 minor units/)]);
    expect(customers.states.get('C1')?.state.totalSpendMinor).toBe(MAX_CUSTOMER_GROSS_MINOR);
  });
});
