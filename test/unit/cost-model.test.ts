import { describe, expect, it } from 'vitest';
import { DEFAULTS, MEASURED, messagesPerMillionCustomersMonth, perMillionCustomersMonth, perMillionOrders, PRICES } from '../../bench/cost-model.ts';

describe('cost model arithmetic', () => {
  it('DynamoDB writes per million orders: one order item, two units per state write (about one per order in daily files), a ledger entry per file', () => {
    const writes = perMillionOrders(DEFAULTS).find((l) => l.item === 'DynamoDB writes')!;
    const statesPerOrder = MEASURED.cdnowLocal.statePuts / MEASURED.cdnowLocal.orders; // 0.9703
    expect(writes.quantity).toBeCloseTo(1e6 + 2e6 * statesPerOrder + 1e6 / DEFAULTS.ordersPerFile, 3);
    expect(writes.usd).toBeCloseTo(writes.quantity * 0.625e-6, 9);
    expect(writes.usd).toBeGreaterThan(1.8);
    expect(writes.usd).toBeLessThan(1.9);
  });

  it('the nightly scales the measured 100k-customer night to a million, every night of a month', () => {
    const reads = perMillionCustomersMonth(DEFAULTS).find((l) => l.item === 'DynamoDB nightly reads')!;
    expect(reads.quantity).toBeCloseTo(MEASURED.nightlyCost.readUnits * 10 * 30.4, 6);
  });

  it('message fees follow the touches, the SMS share, parts and price', () => {
    const [email, sms] = messagesPerMillionCustomersMonth({ ...DEFAULTS, touchesPerCustomerMonth: 2, smsShare: 0.25, smsParts: 2, smsPrice: 0.05 });
    expect(email!.quantity).toBe(1.5e6);
    expect(email!.usd).toBeCloseTo(1.5e6 * PRICES.sesEmail, 9);
    expect(sms!.quantity).toBe(1e6);
    expect(sms!.usd).toBeCloseTo(50_000, 6);
  });
});
