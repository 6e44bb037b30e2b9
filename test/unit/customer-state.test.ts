import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../lib/config/schema.ts';
import type { OrderRecord } from '../../lib/orders/order.ts';
import { computeCustomerState } from '../../lib/state/customer-state.ts';
import { computePoints } from '../../lib/state/points.ts';

let n = 0;
function order(date: string, amount: number, extra: Partial<OrderRecord> = {}): OrderRecord {
  const id = extra.orderId ?? `O${++n}`;
  return {
    key: id,
    orderId: id,
    customerId: 'C1',
    kind: 'order',
    status: 'paid',
    orderedAt: Date.parse(`${date}T04:00:00Z`),
    localDate: date,
    amountMinor: amount * 100,
    currency: 'CNY',
    version: '0|x',
    ...extra,
  };
}
function refund(date: string, amount: number, original?: string): OrderRecord {
  return order(date, amount, { kind: 'refund', status: 'refunded', key: `R#${++n}`, ...(original ? { originalOrderId: original } : {}) });
}

describe('customer state', () => {
  it('a refund counts only up to what remains of its original: a larger one, or one of a cancelled order, counts for nothing', () => {
    const orders = [
      order('2026-01-10', 100, { orderId: 'A' }),
      refund('2026-01-12', 500, 'A'), // more than the order: not counted (was -400.00 net)
      refund('2026-01-13', 60, 'A'),
      refund('2026-01-14', 50, 'A'), // 40 remain after the 60: not counted
      refund('2026-01-15', 40, 'A'),
      order('2026-01-20', 30, { orderId: 'B', status: 'cancelled' }),
      refund('2026-01-21', 10, 'B'),
      refund('2026-01-22', 5, 'ZZ'), // an original this customer does not have: counts as before
    ];
    const s = computeCustomerState('C1', orders, defaultConfig, '2026-03-01');
    expect(s).toMatchObject({ totalSpend: '-5.00', refundCount: 3, refundedMinor: 10_500, pointsBalance: 0 });
    // Without the 5.00 of the unknown original nothing is left of A, and nothing below zero.
    expect(computeCustomerState('C1', orders.slice(0, 7), defaultConfig, '2026-03-01')).toMatchObject({ totalSpend: '0.00', refundCount: 2 });
  });

  it('counts orders, purchase days and net spend; refunds reduce spend but not the count', () => {
    const orders = [
      order('2026-01-10', 100, { storeId: 'S1', orderId: 'A' }),
      order('2026-01-10', 50, { storeId: 'S2' }),
      order('2026-02-03', 200, { storeId: 'S2', region: '华东' }),
      order('2026-02-04', 80, { status: 'cancelled', storeId: 'S9' }),
      refund('2026-02-20', 30, 'A'),
    ];
    const s = computeCustomerState('C1', orders, defaultConfig, '2026-03-01');
    expect(s).toMatchObject({
      firstOrderDate: '2026-01-10',
      lastOrderDate: '2026-02-03',
      firstOrderAmount: '100.00',
      firstOrderStoreId: 'S1',
      orderCount: 3,
      purchaseDays: 2,
      totalSpend: '320.00',
      refundCount: 1,
      cancelledCount: 1,
      homeStoreId: 'S2',
      region: '华东',
      spendByMonth: { '2026-01': 15000, '2026-02': 17000 },
    });
  });
  it('ignores orders after the as-of date', () => {
    const s = computeCustomerState('C1', [order('2026-01-10', 10), order('2026-05-01', 10)], defaultConfig, '2026-03-01');
    expect(s.orderCount).toBe(1);
  });
  it('a customer with only cancelled orders has no purchases', () => {
    const s = computeCustomerState('C1', [order('2026-01-10', 10, { status: 'cancelled' })], defaultConfig, '2026-03-01');
    expect(s).toMatchObject({ orderCount: 0, firstOrderDate: null, totalSpend: '0.00', pointsBalance: 0 });
  });
  it('keeps other currencies apart from the brand currency', () => {
    const s = computeCustomerState('C1', [order('2026-01-10', 10), order('2026-01-11', 7, { currency: 'USD' })], defaultConfig, '2026-03-01');
    expect(s.totalSpend).toBe('10.00');
    expect(s.otherCurrencies).toEqual({ USD: '7.00' });
  });
});

describe('points', () => {
  const config = parseConfig({ points: { pointsPerUnit: 1, lotExpiryMonths: 2 } });
  it('forms one lot per month that expires at the end of the month N months later', () => {
    const p = computePoints([order('2026-01-05', 100), order('2026-01-20', 50), order('2026-02-01', 10)], '2026-03-31', config);
    expect(p.lots).toEqual([
      { month: '2026-01', earned: 150, remaining: 150, expiresOn: '2026-03-31' },
      { month: '2026-02', earned: 10, remaining: 10, expiresOn: '2026-04-30' },
    ]);
    expect(p.balance).toBe(160);
    const later = computePoints([order('2026-01-05', 100), order('2026-02-01', 10)], '2026-04-01', config);
    expect(later.balance).toBe(10);
    expect(later.expired).toEqual([{ month: '2026-01', points: 100, expiredOn: '2026-03-31' }]);
  });
  it('redemptions consume the oldest lot first and never go negative', () => {
    const p = computePoints(
      [order('2026-01-05', 100), order('2026-02-05', 100), order('2026-02-10', 0, { pointsRedeemed: 150 })],
      '2026-02-28',
      config,
    );
    expect(p.lots.map((l) => [l.month, l.remaining])).toEqual([
      ['2026-01', 0],
      ['2026-02', 50],
    ]);
    const over = computePoints([order('2026-01-05', 10), order('2026-01-06', 0, { pointsRedeemed: 99 })], '2026-01-31', config);
    expect(over.balance).toBe(0);
    expect(over.shortfall).toBe(89);
  });
  it('a refund claws back points from its own order month first', () => {
    const p = computePoints(
      [order('2026-01-05', 100), order('2026-02-05', 100, { orderId: 'FEB' }), refund('2026-02-20', 40, 'FEB')],
      '2026-02-28',
      config,
    );
    expect(p.lots.map((l) => [l.month, l.remaining])).toEqual([
      ['2026-01', 100],
      ['2026-02', 60],
    ]);
    expect(p.clawedBackTotal).toBe(40);
  });
  it('points expired before a redemption cannot be redeemed', () => {
    const p = computePoints([order('2026-01-05', 100), order('2026-05-05', 10, { pointsRedeemed: 50 })], '2026-05-31', config);
    expect(p.expired[0]).toMatchObject({ points: 100 });
    expect(p.balance).toBe(0);
    expect(p.redeemedTotal).toBe(10);
  });
});
