import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/schema.ts';
import { computeCustomerState } from '../../lib/state/customer-state.ts';
import { computePoints } from '../../lib/state/points.ts';
import { refundsOverOriginal } from '../../lib/state/refund-limits.ts';
import { addDays } from '../../lib/time.ts';
import { rowArb, toOrders } from '../support/order-histories.ts';
import { referenceCustomerState } from '../support/reference/customer-state.ts';
import { referencePoints } from '../support/reference/points.ts';

// The optimised state and points (no event objects, no closures, one sort) against the plain first versions, on the
// colliding histories of test/support/order-histories.ts.
const configArb = fc.record({
  lotExpiryMonths: fc.integer({ min: 1, max: 14 }),
  pointsPerUnit: fc.constantFrom(0, 0.5, 1, 3),
});

const asOfArb = fc.integer({ min: 0, max: 900 }).map((d) => addDays('2025-01-01', d));

describe('state and points agree with their reference versions', () => {
  it('computePoints equals the event-list replay on random histories', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 40 }), configArb, asOfArb, (rows, c, asOf) => {
        const config = parseConfig({ points: c, stores: [{ id: 'S1', region: '华北' }] });
        const orders = toOrders(rows);
        expect(computePoints(orders, asOf, config)).toEqual(referencePoints(orders, asOf, config));
      }),
      { numRuns: 2_000 },
    );
  });

  it('computeCustomerState equals the reference field for field, key order included', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 40 }), configArb, asOfArb, (rows, c, asOf) => {
        const config = parseConfig({ points: c, stores: [{ id: 'S1', region: '华北' }] });
        const orders = toOrders(rows);
        const ours = computeCustomerState('C', orders, config, asOf);
        const ref = referenceCustomerState('C', orders, config, asOf);
        // refreshCustomer compares states as JSON: the key order is part of the contract.
        expect(JSON.stringify(ours)).toBe(JSON.stringify(ref));
      }),
      { numRuns: 2_000 },
    );
  });

  it('the histories exercise what they are meant to', () => {
    // Guards the generator: a change that stopped producing these cases would make the properties above vacuous.
    const seen = { sameDayEarnRedeem: 0, clawbackOfKnown: 0, expired: 0, otherCurrency: 0, refundOverOriginal: 0 };
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 5, maxLength: 40 }), configArb, asOfArb, (rows, c, asOf) => {
        const config = parseConfig({ points: { ...c, pointsPerUnit: 1 } });
        const orders = toOrders(rows);
        const p = referencePoints(orders, asOf, config);
        if (p.expired.length) seen.expired++;
        if (p.clawedBackTotal > 0 && orders.some((o) => o.originalOrderId && orders.some((x) => x.orderId === o.originalOrderId))) seen.clawbackOfKnown++;
        if (orders.some((o) => o.currency !== 'CNY')) seen.otherCurrency++;
        if (refundsOverOriginal(orders)?.size) seen.refundOverOriginal++;
        if (orders.some((o) => o.pointsRedeemed && orders.some((x) => x !== o && x.localDate === o.localDate && x.status === 'paid'))) seen.sameDayEarnRedeem++;
      }),
      { numRuns: 500, seed: 42 },
    );
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(25);
  });
});
