import { describe, expect, it } from 'vitest';
import { DEFAULTS, MEASURED, messagesPerMillionCustomersMonth, perMillionCustomersMonth, perMillionOrders, PRICES } from '../../bench/cost-model.ts';

describe('cost model arithmetic', () => {
  it('DynamoDB writes per million orders: one order item, the state about once per order in daily files (its units from store-cost), a ledger entry per file', () => {
    const writes = perMillionOrders(DEFAULTS).find((l) => l.item === 'DynamoDB ingest writes')!;
    const statesPerOrder = MEASURED.cdnowLocal.statePuts / MEASURED.cdnowLocal.orders; // 0.9703
    const unitsPerState = (7513 - 4417 - 1) / (7389 - 4417 - 1); // 1.042
    expect(writes.quantity).toBeCloseTo(1e6 + 1e6 * statesPerOrder * unitsPerState + 1e6 / DEFAULTS.ordersPerFile, 3);
    expect(writes.usd).toBeCloseTo(writes.quantity * 0.625e-6, 9);
    const rederive = perMillionOrders(DEFAULTS).find((l) => l.item.startsWith('DynamoDB nightly re-derivation writes'))!;
    expect(rederive.quantity).toBeCloseTo(2e6 * statesPerOrder, 3);
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
