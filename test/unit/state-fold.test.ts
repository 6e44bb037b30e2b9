import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/schema.ts';
import type { OrderRecord } from '../../lib/orders/order.ts';
import { computeCustomerState, stateOfFold } from '../../lib/state/customer-state.ts';
import { foldOrders, type StateFold } from '../../lib/state/state-fold.ts';
import { refundsOverOriginal } from '../../lib/state/refund-limits.ts';
import { MAX_CUSTOMER_GROSS_MINOR } from '../../lib/state/exact-totals.ts';
import { addDays, monthOf } from '../../lib/time.ts';
import { referenceCustomerState } from '../support/reference/customer-state.ts';
import { rowArb, toOrders } from '../support/order-histories.ts';

const configArb = fc.record({ lotExpiryMonths: fc.integer({ min: 1, max: 14 }), pointsPerUnit: fc.constantFrom(0.5, 1, 3) });
const dayArb = fc.integer({ min: 0, max: 900 });
const dayOf = (d: number) => addDays('2025-01-01', d);

/**
 * Refunds, dated in the month from `from` on, of paid orders of `history` dated shortly before `from` (so their lot
 * is often still alive): which lot pays depends on finding the original, which the resumed fold has not read.
 */
const oldRefundArb = fc.array(fc.record({ orig: fc.nat(4), day: fc.nat(30), amount: fc.integer({ min: 100, max: 5_000 }), hour: fc.nat(23) }), { maxLength: 6 });
function oldRefunds(xs: { orig: number; day: number; amount: number; hour: number }[], history: readonly OrderRecord[], from: string): OrderRecord[] {
  const candidates = history.filter((o) => o.kind === 'order' && o.status === 'paid' && o.localDate < from).sort((a, b) => (a.localDate < b.localDate ? 1 : -1));
  return xs.flatMap((x, i) => {
    const orig = candidates[x.orig % Math.max(1, candidates.length)];
    if (!orig) return [];
    const d = addDays(from, x.day);
    const o: OrderRecord = { key: `R#old-${i}`, orderId: `XO${i}`, customerId: 'C', kind: 'refund', status: 'refunded', orderedAt: Date.parse(`${d}T00:00:00Z`) + x.hour * 3_600_000, localDate: d, amountMinor: x.amount, currency: 'CNY', originalOrderId: orig.orderId, version: '0|x' };
    return [o];
  });
}

/** The latest checkpoint a refresh may resume from when the orders changed from day `changed` on, for `asOf`. */
function resumePoint(checkpoints: readonly StateFold[], changed: string, asOf: string): StateFold | undefined {
  let best: StateFold | undefined;
  for (const c of checkpoints) if (c.until <= changed && c.until <= addDays(asOf, 1) && (!best || c.until > best.until)) best = c;
  return best;
}

/** What a store's lookup by key gives: the month of the paid order with that id dated before `before`, up to asOf. */
function lookup(orders: readonly OrderRecord[], before: string, asOf: string) {
  return (id: string) => {
    const o = orders.findLast((x) => x.orderId === id && x.kind === 'order' && x.status === 'paid' && x.localDate < before && x.localDate <= asOf);
    return o ? monthOf(o.localDate) : undefined;
  };
}

/** The order records that lookup reads (refund limits need the amount and status): any status, dated before `before`. */
function records(orders: readonly OrderRecord[], before: string) {
  return (id: string) => orders.findLast((x) => x.orderId === id && x.kind === 'order' && x.localDate < before);
}

describe('a fold resumed from a checkpoint equals the fold from the first order', () => {
  it('for random histories, a random day from which they change, and a later date', () => {
    // What the resumes met: refunds over what remains of their original judged from the checkpoint on, and resumes
    // the fold refused (read everything instead).
    const seen = { overInResume: 0, unsafe: 0 };
    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 40 }),
        fc.array(rowArb, { maxLength: 15 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        oldRefundArb,
        configArb,
        dayArb,
        dayArb,
        fc.nat(300),
        (rows, added, keep, refunds, c, changedDay, asOfDay, later) => {
          const config = parseConfig({ points: c, stores: [{ id: 'S1', region: '华北' }] });
          const before = toOrders(rows);
          const changed = dayOf(changedDay);
          const asOf1 = dayOf(asOfDay);
          // The history as first folded: monthly checkpoints and the fold's end, stored as JSON.
          const checkpoints: StateFold[] = [];
          const first = foldOrders(undefined, before, config, asOf1, { onCheckpoint: (cp) => checkpoints.push(cp) });
          checkpoints.push(first.fold);
          const stored = checkpoints.map((cp) => JSON.parse(JSON.stringify(cp)) as StateFold);
          // Then the orders dated from `changed` on change: some go, new ones come (refunds of older orders among
          // them), each dated on or after `changed`.
          const tail = [...toOrders(added, 'N').filter((o) => o.localDate >= changed), ...oldRefunds(refunds, before, changed)];
          const after = [...before.filter((o, i) => o.localDate < changed || keep[i] !== false), ...tail];
          const asOf = addDays(asOf1, later);

          let cp = resumePoint(stored, changed, asOf);
          const resume = (c: StateFold | undefined, out: StateFold[]) =>
            foldOrders(c, c ? after.filter((o) => o.localDate >= c.until) : after, config, asOf, {
              originalMonth: lookup(after, c?.until ?? '', asOf),
              originals: records(after, c?.until ?? ''),
              onCheckpoint: (x) => out.push(x),
            });
          let resumedCheckpoints: StateFold[] = [];
          let r = resume(cp, resumedCheckpoints);
          if (r.unsafe) {
            // Refund limits or exact totals the orders from the checkpoint on cannot settle: the whole history is read.
            expect(r.exact).toBe(false);
            seen.unsafe++;
            cp = undefined;
            r = resume(cp, resumedCheckpoints);
          } else if (cp && [...(refundsOverOriginal(after)?.keys() ?? [])].some((k) => after.find((o) => o.key === k)!.localDate >= cp!.until)) seen.overInResume++;
          if (!r.exact) {
            // An original arrived for a refund the checkpoint folded without it, in the same month: from a month start.
            expect(cp!.openRefunds.length).toBeGreaterThan(0);
            cp = resumePoint(stored.filter((c) => c.openRefunds.length === 0), changed, asOf);
            resumedCheckpoints = [];
            r = resume(cp, resumedCheckpoints);
            expect(r.exact).toBe(true);
          }
          const resumed = stateOfFold('C', r.fold, config, asOf, r.nextOrderDate);
          expect(JSON.stringify(resumed)).toBe(JSON.stringify(computeCustomerState('C', after, config, asOf)));
          expect(JSON.stringify(resumed)).toBe(JSON.stringify(referenceCustomerState('C', after, config, asOf)));
          // The checkpoints it passes are the fresh fold's, so the next refresh can resume from them.
          const fresh: StateFold[] = [];
          const f = foldOrders(undefined, after, config, asOf, { onCheckpoint: (x) => fresh.push(x) });
          expect(JSON.stringify(resumedCheckpoints)).toBe(JSON.stringify(fresh.filter((x) => x.until > (cp?.until ?? ''))));
          expect(JSON.stringify(r.fold)).toBe(JSON.stringify(f.fold));
        },
      ),
      { numRuns: 800 },
    );
    // Refused resumes are rare here (a few per 800: they need an order or refund in the tail to meet a refund of the
    // checkpoint's); the cases below make each reason come up.
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(k === 'unsafe' ? 0 : 20);
  });

  it('the histories exercise what they are meant to', () => {
    // Guards the generator: resumes from a checkpoint, from nothing (a change before the first one), and refunds of
    // orders dated before the checkpoint must all come up, or the property above proves little.
    const seen = { resumed: 0, fromScratch: 0, refundOfCheckpointed: 0, lookupMatters: 0, expiredInCheckpoint: 0 };
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 5, maxLength: 40 }), fc.array(rowArb, { minLength: 1, maxLength: 15 }), oldRefundArb, dayArb, dayArb, (rows, added, refunds, changedDay, asOfDay) => {
        const config = parseConfig({ points: { lotExpiryMonths: 6 } });
        const before = toOrders(rows);
        const changed = dayOf(changedDay);
        const asOf = dayOf(asOfDay);
        const cps: StateFold[] = [];
        const first = foldOrders(undefined, before, config, asOf, { onCheckpoint: (cp) => cps.push(cp) });
        cps.push(first.fold);
        const cp = resumePoint(cps, changed, asOf);
        if (!cp) return void seen.fromScratch++;
        seen.resumed++;
        if (cp.points.expired.length) seen.expiredInCheckpoint++;
        const tail = [...toOrders(added, 'N'), ...oldRefunds(refunds, before, cp.until)].filter((o) => o.localDate >= cp.until && o.localDate <= asOf);
        if (tail.some((o) => o.originalOrderId && before.some((b) => b.orderId === o.originalOrderId && b.localDate < cp.until && b.status === 'paid'))) seen.refundOfCheckpointed++;
        // The original's lot, found through the store's lookup, changes which lot pays for the refund.
        const withLookup = foldOrders(cp, tail, config, asOf, { originalMonth: lookup(before, cp.until, asOf) }).fold.points;
        const without = foldOrders(cp, tail, config, asOf).fold.points;
        if (JSON.stringify(withLookup) !== JSON.stringify(without)) seen.lookupMatters++;
      }),
      { numRuns: 1_000, seed: 7 },
    );
    // A refund taking from its original's lot rather than the oldest needs both alive and apart: rarer by nature.
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(k === 'lookupMatters' ? 5 : 20);
  });

  it('a refund folded before its original (same month) makes a later resume inexact; the month start is exact', () => {
    const config = parseConfig({ points: { lotExpiryMonths: 6 } });
    const o = (key: string, date: string, amount: number, extra: Partial<OrderRecord> = {}): OrderRecord => ({
      key, orderId: key, customerId: 'C', kind: 'order', status: 'paid', orderedAt: Date.parse(`${date}T03:00:00Z`), localDate: date, amountMinor: amount, currency: 'CNY', version: '0|x', ...extra,
    });
    const history = [
      o('O1', '2025-02-10', 10_000),
      o('O2', '2025-03-01', 10_000),
      o('R1', '2025-03-05', 5_000, { key: 'R#1', orderId: 'R1', kind: 'refund', status: 'refunded', originalOrderId: 'O9' }),
    ];
    const cps: StateFold[] = [];
    const head = foldOrders(undefined, history, config, '2025-03-10', { onCheckpoint: (c) => cps.push(c) }).fold;
    expect(head.openRefunds).toEqual(['O9']);
    const later = [...history, o('O9', '2025-03-20', 20_000)];
    const truth = computeCustomerState('C', later, config, '2025-03-31');
    const blind = foldOrders(head, later.filter((x) => x.localDate >= head.until), config, '2025-03-31');
    expect(blind.exact).toBe(false);
    // Taken blindly, the refund's 50 points came from February's lot; with its original known, from March's.
    expect(JSON.stringify(stateOfFold('C', blind.fold, config, '2025-03-31', null))).not.toBe(JSON.stringify(truth));
    const march = cps.find((c) => c.until === '2025-03-01')!;
    const r = foldOrders(march, later.filter((x) => x.localDate >= march.until), config, '2025-03-31');
    expect(r.exact).toBe(true);
    expect(JSON.stringify(stateOfFold('C', r.fold, config, '2025-03-31', null))).toBe(JSON.stringify(truth));
  });

  describe('refund limits and exact totals across a checkpoint (lib/state/refund-limits.ts, exact-totals.ts)', () => {
    const config = parseConfig({ points: { lotExpiryMonths: 6 } });
    const o = (key: string, date: string, amount: number, extra: Partial<OrderRecord> = {}): OrderRecord => ({
      key, orderId: key, customerId: 'C', kind: 'order', status: 'paid', orderedAt: Date.parse(`${date}T03:00:00Z`), localDate: date, amountMinor: amount, currency: 'CNY', version: '0|x', ...extra,
    });
    const refund = (key: string, date: string, amount: number, of: string, extra: Partial<OrderRecord> = {}) =>
      o(key, date, amount, { key: `R#${key}`, kind: 'refund', status: 'refunded', originalOrderId: of, ...extra });
    const history = [o('O1', '2025-02-10', 10_000), refund('r1', '2025-02-20', 6_000, 'O1'), o('O2', '2025-03-01', 5_000)];
    const head = foldOrders(undefined, history, config, '2025-03-10').fold;
    const stored = JSON.parse(JSON.stringify(head)) as StateFold;
    const resumeWith = (added: OrderRecord[], asOf = '2025-03-31') => {
      const after = [...history, ...added];
      return { after, r: foldOrders(stored, after.filter((x) => x.localDate >= stored.until), config, asOf, { originals: records(after, stored.until), originalMonth: lookup(after, stored.until, asOf) }) };
    };

    it('a refund over what remains of an original before the checkpoint counts for nothing, resumed as from the first order', () => {
      // 60.00 of O1 were refunded before the checkpoint: 50.00 more is over the 40.00 left; 40.00 is not.
      for (const [amount, counted] of [[5_000, false], [4_000, true]] as const) {
        const { after, r } = resumeWith([refund('r2', '2025-03-15', amount, 'O1')]);
        expect(r.unsafe).toBeUndefined();
        const state = stateOfFold('C', r.fold, config, '2025-03-31', r.nextOrderDate);
        expect(state.refundCount).toBe(counted ? 2 : 1);
        expect(JSON.stringify(state)).toBe(JSON.stringify(computeCustomerState('C', after, config, '2025-03-31')));
        expect(JSON.stringify(state)).toBe(JSON.stringify(referenceCustomerState('C', after, config, '2025-03-31')));
      }
    });

    it('an order named by a refund the checkpoint folded, among the orders from it on, makes the resume unsafe', () => {
      const early = [o('O3', '2025-02-01', 1_000), refund('r3', '2025-02-05', 900, 'O9')];
      const cp = foldOrders(undefined, early, config, '2025-03-10').fold;
      // O9 arrives (a cancelled order: nothing of it to refund) dated after the checkpoint: r3 no longer counts.
      const later = [...early, o('O9', '2025-03-20', 2_000, { status: 'cancelled' })];
      const r = foldOrders(cp, later.filter((x) => x.localDate >= cp.until), config, '2025-03-31', { originals: records(later, cp.until) });
      expect(r.unsafe).toMatch(/O9 is named by a refund/);
      expect(computeCustomerState('C', later, config, '2025-03-31').refundCount).toBe(0);
    });

    it('a refund from the checkpoint on but earlier in order time than a checkpointed refund of its original is unsafe', () => {
      // A date-only row of another zone: dated the day after the checkpoint, ordered before r1 (judged first).
      const { r } = resumeWith([refund('r0', '2025-03-11', 5_000, 'O1', { orderedAt: Date.parse('2025-02-19T00:00:00Z') })]);
      expect(r.unsafe).toMatch(/before a refund of O1/);
    });

    it('a resumed fold that would cross the bounds of exact sums is unsafe; from the first order it cuts as computeCustomerState', () => {
      const big = [o('B1', '2025-03-12', MAX_CUSTOMER_GROSS_MINOR / 2), o('B2', '2025-03-13', MAX_CUSTOMER_GROSS_MINOR / 2)];
      const { after, r } = resumeWith(big);
      expect(r.unsafe).toMatch(/exact/);
      const fresh = foldOrders(undefined, after, config, '2025-03-31');
      const state = stateOfFold('C', fresh.fold, config, '2025-03-31', fresh.nextOrderDate);
      expect(state.uncounted?.fromKey).toBe('B2');
      expect(JSON.stringify(state)).toBe(JSON.stringify(computeCustomerState('C', after, config, '2025-03-31')));
      // And a checkpoint with orders left out is never resumed.
      expect(foldOrders(fresh.fold, [], config, '2025-04-30').unsafe).toMatch(/exact/);
    });
  });
});
