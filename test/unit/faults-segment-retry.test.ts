/**
 * A nightly segment that fails must not leave writes landing after it has failed: the workflow retries it at
 * once, and a customer's state written between the retry's two reads (the night index, then the due index) would
 * be in neither, so never counted for the night. Driven on the in-memory ports, whose timing can be set exactly.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../lib/config/schema.ts';
import type { CustomerExtras, CustomerRecord } from '../../lib/ingest/ports.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { processSegment } from '../../lib/nightly/run-nightly.ts';
import { shardOf } from '../../lib/nightly/shard.ts';
import type { CustomerState } from '../../lib/state/customer-state.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryNightlyLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';

const NIGHT = '2026-02-01';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ids = Array.from({ length: 400 }, (_, i) => `c${i}`).filter((id) => shardOf(id) === 0).slice(0, 8);

/** Customer A's state write fails; customer B's is slow; in the retry the due index is read late. */
class SlowStore extends MemoryCustomerStore {
  failing = '';
  slow = '';
  lateDueQuery = false;
  /** The due query fails (a 503 on its next page) after this many customers. */
  dueFailsAfter = Infinity;
  landedAt = new Map<string, number>();
  override async saveState(state: CustomerState, expectedRev: number, extras?: CustomerExtras): Promise<boolean> {
    if (state.customerId === this.failing) throw new Error('ProvisionedThroughputExceededException');
    if (state.customerId === this.slow) await sleep(60);
    const ok = await super.saveState(state, expectedRev, extras);
    if (ok) this.landedAt.set(state.customerId, Date.now());
    return ok;
  }
  override async *queryDue(shard: number, date: string): AsyncGenerator<CustomerRecord> {
    if (this.lateDueQuery) await sleep(150);
    let n = 0;
    for await (const r of super.queryDue(shard, date)) {
      if (n++ === this.dueFailsAfter) throw new Error('ServiceUnavailable');
      yield r;
    }
  }
}

async function ingested(store: MemoryCustomerStore) {
  const csv = ['order_id,customer_id,ordered_at,amount', ...ids.map((id, i) => `O${i},${id},2026-01-${String(10 + i).padStart(2, '0')} 10:00:00,${100 + i}.00`)].join('\n');
  const objects = new MemoryObjectStore();
  await objects.put('incoming/orders/o.csv', csv);
  await ingestObject({ key: 'incoming/orders/o.csv', etag: 'e', lastModifiedMs: 0 }, { objects, customers: store, ledger: new MemoryLedger(), config: defaultConfig, asOf: NIGHT });
}

describe('a failed nightly segment retried at once', () => {
  async function failThenRetry(fault: (s: SlowStore) => void, error: string) {
    const clean = { customers: new MemoryCustomerStore(), ledger: new MemoryNightlyLedger() };
    await ingested(clean.customers);
    await processSegment(NIGHT, null, 0, { ...clean, config: defaultConfig, concurrency: 2 });
    const want = (await clean.ledger.getShardTotals(0, NIGHT))!;
    expect(want.brand.active).toBe(8);

    const store = new SlowStore();
    const ledger = new MemoryNightlyLedger();
    await ingested(store);
    const deps = { customers: store, ledger, config: defaultConfig, concurrency: 2 };
    store.slow = ids[1]!;
    fault(store);
    await expect(processSegment(NIGHT, null, 0, deps)).rejects.toThrow(error);
    const failedAt = Date.now();
    // The retry, as Step Functions starts it: at once.
    Object.assign(store, { failing: '', slow: '', dueFailsAfter: Infinity, lateDueQuery: true });
    await processSegment(NIGHT, null, 0, deps);
    expect(store.landedAt.get(ids[1]!)).toBeLessThanOrEqual(failedAt);
    expect(await ledger.getShardTotals(0, NIGHT)).toEqual(want);
    for (const id of ids) expect((await store.loadState(id)).health?.night, id).toBe(NIGHT);
  }

  it('a failed state write: no write of the failed attempt lands after it failed, the retry counts every customer once', async () => {
    expect(ids.length).toBe(8);
    await failThenRetry((s) => (s.failing = ids[0]!), 'ProvisionedThroughputExceededException');
  });

  it('the due query failing part-way: the same', async () => {
    await failThenRetry((s) => (s.dueFailsAfter = 3), 'ServiceUnavailable');
  });
});
