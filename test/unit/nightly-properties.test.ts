import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/schema.ts';
import { deriveFromOrders, healthContribution } from '../../lib/derive/derive.ts';
import type { ActiveModel } from '../../lib/derive/metrics.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { applyContribution, emptyTotals, mergeTotals } from '../../lib/nightly/health.ts';
import { runNightly, processSegment } from '../../lib/nightly/run-nightly.ts';
import { shardOf } from '../../lib/nightly/shard.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryNightlyLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';
import { addDays } from '../../lib/time.ts';

const config = parseConfig({
  points: { lotExpiryMonths: 2 },
  nightly: { expiringSoonDays: 10 },
  tiers: { qualification: { type: 'rolling', months: 2 }, graceDays: 5, ladder: [{ name: 'm', minSpend: '0' }, { name: 's', minSpend: '300' }] },
});
const model: ActiveModel = { params: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, unitDays: 7, version: 't' };

const dayFile = fc.array(
  fc.record({
    c: fc.constantFrom('01', '01', '02', '03', '04', '05', '06', '07', '08'),
    amount: fc.integer({ min: 1, max: 50_000 }),
    refund: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  }),
  { maxLength: 6 },
);

describe('nightly: due-index processing equals a full recompute of every customer', () => {
  it('over random days of ingest, nightly runs with skipped nights caught up, and a crashed segment resumed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(dayFile, { minLength: 1, maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        fc.integer({ min: 0, max: 200 }),
        fc.boolean(),
        async (days, runOnDay, tail, withModel) => {
          const objects = new MemoryObjectStore();
          const customers = new MemoryCustomerStore();
          const ledger = new MemoryLedger();
          const nightly = new MemoryNightlyLedger();
          const m = withModel ? model : undefined;
          const deps = { customers, ledger: nightly, config, ...(m ? { model: m } : {}) };
          const start = '2026-01-01';
          let n = 0;
          for (const [i, rows] of days.entries()) {
            const date = addDays(start, i * 3);
            if (rows.length) {
              const csv =
                'order_id,customer_id,ordered_at,amount,status\n' +
                rows.map((r) => `${r.refund ? 'R' : 'O'}${++n},${r.c},${date},${(r.amount / 100).toFixed(2)},${r.refund ? 'refunded' : 'paid'}`).join('\n');
              const key = `incoming/orders/orders-${date}.csv`;
              await objects.put(key, csv);
              await ingestObject({ key, etag: key, lastModifiedMs: 0 }, { objects, customers, ledger, config, asOf: date });
            }
            if (runOnDay[i]) {
              // A crash part-way through one segment; the rerun resumes it.
              await processSegment(date, nightly.cursor, shardOf('01'), deps, { maxCustomers: 1 });
              await runNightly(date, deps);
            }
          }
          const end = addDays(start, days.length * 3 + tail);
          await runNightly(end, deps);
          // Running the same date again changes nothing.
          const before = structuredClone([...customers.states]);
          expect(await runNightly(end, deps)).toEqual([]);
          expect([...customers.states]).toEqual(before);

          const truth = emptyTotals();
          for (const [id, orders] of customers.orders) {
            const full = deriveFromOrders(id, [...orders.values()], config, end, m);
            const got = customers.states.get(id)!;
            expect({ state: { ...got.state, asOf: undefined }, derived: { ...got.derived, asOf: undefined } }).toEqual({ state: { ...full.state, asOf: undefined }, derived: { ...full.derived, asOf: undefined } });
            applyContribution(truth, healthContribution(full.state, end), 1);
          }
          const snap = await nightly.getSnapshot(end);
          expect(snap?.totals).toEqual(mergeTotals([truth]));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('nightly lease', () => {
  it('a second run while one holds the lease plans nothing; force takes over a dead run', async () => {
    const { planNights } = await import('../../lib/nightly/run-nightly.ts');
    const ledger = new MemoryNightlyLedger();
    const a = await planNights('2026-03-01', ledger, 'run-a');
    expect(a.nights.map((n) => n.night)).toEqual(['2026-03-01']);
    expect(a.nights[0]?.last).toBe(true);
    const b = await planNights('2026-03-01', ledger, 'run-b');
    expect(b.nights).toEqual([]);
    expect(b.skipped).toContain('run-a');
    const c = await planNights('2026-03-01', ledger, 'run-c', true);
    expect(c.nights).toHaveLength(1);
    await ledger.releaseLease('run-c');
    expect((await planNights('2026-03-01', ledger, 'run-d')).nights).toHaveLength(1);
  });
});
