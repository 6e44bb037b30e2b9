/**
 * nightly-cost: what one ordinary night reads, against what a full recompute reads.
 * A base of N customers (default 100,000) is written to local dynalite as it stands after the night of
 * 2026-06-29 was closed: each customer's state, derived state, health mark and due date. Then the night of
 * 2026-06-30 runs with the real nightly code, and every item it reads is counted (ReturnConsumedCapacity
 * adapters' meters), against a Scan of the state items, the least any full recompute must read.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeTableAdapters } from '../lib/adapters/table-factory.ts';
import { defaultConfig } from '../lib/config/schema.ts';
import { deriveFromOrders, healthContribution } from '../lib/derive/derive.ts';
import { startLocalStack } from '../lib/local/local-stack.ts';
import { applyContribution, emptyTotals } from '../lib/nightly/health.ts';
import { runNightly } from '../lib/nightly/run-nightly.ts';
import { shardOf, SHARDS } from '../lib/nightly/shard.ts';
import { mulberry32 } from '../lib/sample/generate-sample.ts';
import { mapPool } from '../lib/pool.ts';
import { CLOSED, NIGHT, customerOrders } from '../lib/testing/nightly-load.ts';
import { BENCH_DIR, log } from './support.ts';

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const customers = Number(args[0] ?? 100_000);
  const home = join(BENCH_DIR, 'nightly-cost-home');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const stack = await startLocalStack({ home });
  const a = makeTableAdapters({ TABLE_NAME: stack.tableName, AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: stack.endpoints.dynamodb });
  try {
    // An ordinary night: the model's own fit (about once a month, a sample of the base) is model-fit's to measure.
    const config = { ...defaultConfig, model: { ...defaultConfig.model, autoFit: false } };
    const rnd = mulberry32(20260630);
    const totals = Array.from({ length: SHARDS }, () => emptyTotals());
    let due = 0;
    let written = 0;
    const t0 = performance.now();
    const ids = Array.from({ length: customers }, (_, i) => String(i + 1).padStart(8, '0'));
    log(`writing ${customers} customers as of the closed night ${CLOSED} ...`);
    await mapPool(ids, 32, async (id) => {
      const orders = customerOrders(id, rnd);
      const { state, derived } = deriveFromOrders(id, orders, config, CLOSED);
      const contrib = healthContribution(state, CLOSED);
      applyContribution(totals[shardOf(id)]!, contrib, 1);
      if (derived.nextDue && derived.nextDue <= NIGHT) due++;
      await a.customers.saveState(state, 0, { derived, health: { contrib, night: CLOSED, prev: null }, dueDate: derived.nextDue });
      if (++written % 10_000 === 0) log(`  ${written} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    });
    for (let s = 0; s < SHARDS; s++) await a.nightly.putShardTotals(s, CLOSED, totals[s]!, 0);
    await a.nightly.setCursor(CLOSED);

    log(`running the night of ${NIGHT} (${due} customers due) ...`);
    const before = { c: a.customers.meter.itemsRead, n: a.nightly.meter.itemsRead, ru: a.customers.meter.readUnits + a.nightly.meter.readUnits };
    const t1 = performance.now();
    const [snap] = await runNightly(NIGHT, { customers: a.customers, ledger: a.nightly, config });
    const nightSeconds = (performance.now() - t1) / 1000;
    const itemsRead = a.customers.meter.itemsRead - before.c + a.nightly.meter.itemsRead - before.n;
    const readUnits = a.customers.meter.readUnits + a.nightly.meter.readUnits - before.ru;

    log('full scan of the state items for comparison ...');
    let fullScanItemsRead = 0;
    for await (const r of a.customers.scanCustomers()) if (r.state) fullScanItemsRead++;
    return {
      customers,
      due,
      processed: snap?.customersProcessed ?? 0,
      itemsRead,
      fullScanItemsRead,
      readUnits: Math.round(readUnits * 10) / 10,
      goal: 2 * due + 1000,
      nightSeconds: Math.round(nightSeconds * 10) / 10,
    };
  } finally {
    a.dynamodb.destroy();
    await stack.stop();
  }
}
