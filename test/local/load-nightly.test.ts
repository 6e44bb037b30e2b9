import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTableAdapters, type TableAdapters } from '../../lib/adapters/table-factory.ts';
import { defaultConfig } from '../../lib/config/schema.ts';
import type { CustomerRecord } from '../../lib/ingest/ports.ts';
import { startLocalStack, type LocalStack } from '../../lib/local/local-stack.ts';
import type { NightlyCustomers } from '../../lib/nightly/ports.ts';
import { finishNight, processSegment, type NightlyDeps } from '../../lib/nightly/run-nightly.ts';
import { SHARDS } from '../../lib/nightly/shard.ts';
import { mapPool } from '../../lib/pool.ts';
import { MemoryNightlyLedger } from '../../lib/testing/memory-ports.ts';
import { LeanNightlyStore } from '../../lib/testing/nightly-memory-store.ts';
import { baseCustomerId, CLOSED, NIGHT, seedNightlyBase } from '../../lib/testing/nightly-load.ts';
import { addDays } from '../../lib/time.ts';
import { tempHome } from '../support/local-home.ts';

/**
 * Load, reduced: the nightly over a 2,000-customer base in dynalite, cut into many small segments (budget 40
 * customers, so each shard takes several invocations) with a segment dying half-way and run again, against the
 * same nights computed in one pass per shard over the in-memory port. An ordinary night, then a night on which
 * every customer is due (after a backfill). (npm run bench -- load-nightly runs 1,000,000 customers.)
 */
const N = 2_000;
const BUDGET = 40;
const BACKFILL = addDays(NIGHT, 1);
const t = tempHome('moments-load-nightly-');
let stack: LocalStack;
let a: TableAdapters;
beforeAll(async () => {
  stack = await startLocalStack({ home: t.home });
  a = makeTableAdapters({ TABLE_NAME: stack.tableName, AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: stack.endpoints.dynamodb });
});
afterAll(async () => {
  a?.dynamodb.destroy();
  await stack?.stop();
  t.cleanup();
});

/** Every customer due on `night`, as an ingest touching the whole base leaves them. */
async function dueAll(store: NightlyCustomers, night: string) {
  const ids = Array.from({ length: N }, (_, i) => baseCustomerId(i + 1));
  await mapPool(ids, 16, async (id) => {
    const r = await store.loadState(id);
    expect(await store.saveState(r.state!, r.rev, { ...(r.derived ? { derived: r.derived } : {}), ...(r.health ? { health: r.health } : {}), dueDate: night })).toBe(true);
  });
}

/** A segment invocation that dies after `after` state writes (a Lambda timing out or crashing half-way). */
function dying(store: NightlyCustomers, after: number): NightlyCustomers {
  let writes = 0;
  return {
    queryDue: (s, d) => store.queryDue(s, d),
    queryNight: (s, n) => store.queryNight(s, n),
    loadState: (id) => store.loadState(id),
    loadCustomer: (id) => store.loadCustomer(id),
    scanSegment: (k, n) => store.scanSegment(k, n),
    saveState: async (state, rev, extras) => {
      if (++writes > after) throw new Error('segment died');
      return store.saveState(state, rev, extras);
    },
  };
}

const view = (r: CustomerRecord) => ({ state: r.state, derived: r.derived, health: r.health, dueDate: r.dueDate ?? null });

describe('load, reduced: the nightly in many segments over dynalite equals one pass per shard', () => {
  it('gives the same customers and brand totals, each due customer counted once, a dead segment redone', { timeout: 120_000 }, async () => {
    // Reference: the in-memory port, each shard in one segment.
    const mem = new LeanNightlyStore();
    const memLedger = new MemoryNightlyLedger();
    const memDeps: NightlyDeps = { customers: mem, ledger: memLedger, config: defaultConfig };
    const { due } = await seedNightlyBase(N, defaultConfig, (s, x) => mem.saveState(s, 0, x), memLedger);
    const memSnaps = [];
    for (const [night, prev] of [[NIGHT, CLOSED], [BACKFILL, NIGHT]] as const) {
      if (night === BACKFILL) await dueAll(mem, BACKFILL);
      for (let shard = 0; shard < SHARDS; shard++) expect((await processSegment(night, prev, shard, memDeps)).done).toBe(true);
      memSnaps.push(await finishNight(night, memDeps));
    }

    // Dynalite: the same base, segments of 40 customers; shard 5's second segment dies once (the backfill night;
    // on the ordinary night every shard is done in one segment).
    await seedNightlyBase(N, defaultConfig, (s, x) => a.customers.saveState(s, 0, x), a.nightly, { concurrency: 16 });
    const deps: NightlyDeps = { customers: a.customers, ledger: a.nightly, config: defaultConfig };
    const snaps = [];
    const segmentsPerNight: number[] = [];
    for (const [night, prev] of [[NIGHT, CLOSED], [BACKFILL, NIGHT]] as const) {
      if (night === BACKFILL) await dueAll(a.customers, BACKFILL);
      let processed = 0;
      let segments = 0;
      for (let shard = 0; shard < SHARDS; shard++) {
        for (let call = 0; ; call++) {
          segments++;
          if (shard === 5 && call === 1) {
            await expect(processSegment(night, prev, shard, { ...deps, customers: dying(a.customers, 7) }, { maxCustomers: BUDGET })).rejects.toThrow('segment died');
            continue;
          }
          const r = await processSegment(night, prev, shard, deps, { maxCustomers: BUDGET });
          processed += r.processed;
          if (r.done) break;
        }
      }
      segmentsPerNight.push(segments);
      snaps.push(await finishNight(night, deps));
      // Nobody left due on or before the night.
      for (let shard = 0; shard < SHARDS; shard++) for await (const r of a.customers.queryDue(shard, night)) expect.fail(`${r.customerId} still due`);
      // Counted once each: the dead segment's writes were found again through the night index, not recounted.
      expect(snaps.at(-1)!.customersProcessed).toBe(night === NIGHT ? due : N);
      expect(processed).toBeLessThanOrEqual(night === NIGHT ? due : N);
    }
    expect(segmentsPerNight[1]).toBeGreaterThan(SHARDS * Math.floor(N / SHARDS / BUDGET));

    for (const [i, s] of snaps.entries()) {
      const m = memSnaps[i]!;
      expect({ totals: s.totals, cutoffs: s.cutoffs, ratio: s.returningRatio, n: s.customersProcessed }).toEqual({
        totals: m.totals,
        cutoffs: m.cutoffs,
        ratio: m.returningRatio,
        n: m.customersProcessed,
      });
    }
    let compared = 0;
    for await (const r of a.customers.scanCustomers()) {
      expect(view(r), r.customerId).toEqual(view(await mem.loadState(r.customerId)));
      compared++;
    }
    expect(compared).toBe(N);
  });
});
