/**
 * load-nightly: the nightly over a 1,000,000-customer base, segment by segment as the state machine runs it.
 *
 * Two nights after the base was closed on 2026-06-29:
 *  - ordinary: 2026-06-30, the customers whose derived state changes by time alone are due (about 1 %);
 *  - after a backfill: 2026-07-01 with EVERY customer due, as after an ingest that touched the whole base (an
 *    ingest puts each customer it refreshes in the due index for its date).
 * Each shard is looped as the Step Functions Map does it: processSegment with the segment function's budget
 * (SEGMENT_MAX_CUSTOMERS, default 20,000) until it reports done; then finishNight.
 *
 * The base is written with the real derivation (deriveFromOrders on up to three years of generated orders, as in
 * nightly-cost). Seeding 1,000,000 customers into dynalite takes about 25 minutes on this machine (nightly-cost
 * measured 150 s for 100,000), so the two scales are measured separately, with the same lib code:
 *  - memory: CUSTOMERS (default 1,000,000) over an in-memory port with DynamoDB's semantics
 *    (lib/testing/nightly-memory-store.ts), segments in this process: CPU time and items, no storage latency;
 *  - dynalite: DYNALITE_CUSTOMERS (default 100,000) in the local stack's dynalite, each segment invocation the REAL
 *    handler (functions/nightly-segment/handler.ts) in its own process (bench/load-nightly-child.ts): seconds,
 *    peak RSS, items and capacity units metered by its own DynamoDB adapters.
 *
 *   npm run bench -- load-nightly [CUSTOMERS=1000000] [DYNALITE_CUSTOMERS=100000] [SEGMENT_MAX=20000] [SEGMENT_HEAP_MB]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeTableAdapters } from '../lib/adapters/table-factory.ts';
import { defaultConfig } from '../lib/config/schema.ts';
import { startLocalStack } from '../lib/local/local-stack.ts';
import { finishNight, processSegment, type NightlyDeps, type SegmentResult } from '../lib/nightly/run-nightly.ts';
import type { NightlyCustomers } from '../lib/nightly/ports.ts';
import { SHARDS } from '../lib/nightly/shard.ts';
import { mapPool } from '../lib/pool.ts';
import { MemoryNightlyLedger } from '../lib/testing/memory-ports.ts';
import { LeanNightlyStore } from '../lib/testing/nightly-memory-store.ts';
import { baseCustomerId, CLOSED, NIGHT, seedNightlyBase } from '../lib/testing/nightly-load.ts';
import { addDays } from '../lib/time.ts';
import { BENCH_DIR, log, mb, round, runChild } from './support.ts';

const BACKFILL_NIGHT = addDays(NIGHT, 1);
/** The segment function's limits (infra/constructs/nightly-workflow.ts). */
const SEGMENT_TIMEOUT_S = 5 * 60;
const SEGMENT_MEMORY_MB = 1024;

interface Segment {
  shard: number;
  processed: number;
  done: boolean;
  seconds: number;
  maxRssMb?: number;
  peakHeapUsedMb?: number;
  itemsRead?: number;
  itemsWritten?: number;
  readUnits?: number;
  writeUnits?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length ? (s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2) : 0;
}

/** One night, shard after shard, each looped segment by segment as the state machine does. */
async function runNight(night: string, prevNight: string, segment: (shard: number) => Promise<Segment>, finish: () => Promise<unknown>) {
  const t0 = performance.now();
  const segments: Segment[] = [];
  for (let shard = 0; shard < SHARDS; shard++) {
    for (;;) {
      const s = await segment(shard);
      segments.push(s);
      if (s.done) break;
    }
  }
  await finish();
  const seconds = segments.map((s) => s.seconds);
  const perShard = Array.from({ length: SHARDS }, (_, i) => segments.filter((s) => s.shard === i).reduce((n, s) => n + s.seconds, 0));
  const sumOf = (k: 'itemsRead' | 'itemsWritten' | 'readUnits' | 'writeUnits') => round(segments.reduce((n, s) => n + (s[k] ?? 0), 0), 1);
  const rss = segments.flatMap((s) => (s.maxRssMb === undefined ? [] : [s.maxRssMb]));
  return {
    night,
    prevNight,
    processed: segments.reduce((n, s) => n + s.processed, 0),
    segments: segments.length,
    maxSegmentsPerShard: Math.max(...Array.from({ length: SHARDS }, (_, i) => segments.filter((s) => s.shard === i).length)),
    maxCustomersPerSegment: Math.max(...segments.map((s) => s.processed)),
    segmentSecondsMax: round(Math.max(...seconds), 2),
    segmentSecondsMedian: round(median(seconds), 2),
    ...(rss.length
      ? {
          segmentPeakRssMbMax: Math.max(...rss),
          segmentPeakRssMbMedian: round(median(rss), 1),
          segmentPeakHeapUsedMbMax: Math.max(...segments.map((s) => s.peakHeapUsedMb ?? 0)),
        }
      : {}),
    itemsRead: sumOf('itemsRead'),
    itemsWritten: sumOf('itemsWritten'),
    // Metered by dynalite (the in-memory port has no capacity units).
    ...(segments[0]?.readUnits !== undefined ? { readUnits: sumOf('readUnits'), writeUnits: sumOf('writeUnits') } : {}),
    /** All shards one after the other (this run). */
    sequentialSeconds: round((performance.now() - t0) / 1000, 1),
    /** The 16 shards in parallel (the Map's concurrency on AWS): the slowest shard's segments. */
    parallelSeconds: round(Math.max(...perShard), 1),
  };
}

async function memoryScale(customers: number, budget: number) {
  const store = new LeanNightlyStore();
  const ledger = new MemoryNightlyLedger();
  const deps: NightlyDeps = { customers: store as NightlyCustomers, ledger, config: defaultConfig };
  log(`memory: writing ${customers} customers as of ${CLOSED} ...`);
  const t0 = performance.now();
  const progress = (w: number) => log(`  ${w} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  const seeded = { ...(await seedNightlyBase(customers, defaultConfig, (state, extras) => store.saveState(state, 0, extras), ledger, { concurrency: 1, onProgress: progress })), seconds: (performance.now() - t0) / 1000 };
  log(`  ${round(seeded.seconds, 0)} s; ${seeded.due} due on ${NIGHT}; average state item ${Math.round(store.averageItemBytes())} B; heap ${mb(process.memoryUsage().heapUsed)} MB`);
  const segment = (night: string, prev: string) => async (shard: number): Promise<Segment> => {
    const r0 = store.itemsRead;
    const w0 = store.itemsWritten;
    const t = performance.now();
    const r: SegmentResult = await processSegment(night, prev, shard, deps, { maxCustomers: budget });
    return { shard, processed: r.processed, done: r.done, seconds: (performance.now() - t) / 1000, itemsRead: store.itemsRead - r0, itemsWritten: store.itemsWritten - w0 };
  };
  log(`memory: the night of ${NIGHT} ...`);
  const ordinary = await runNight(NIGHT, CLOSED, segment(NIGHT, CLOSED), () => finishNight(NIGHT, deps));
  log(`  ${JSON.stringify(ordinary)}`);
  log(`memory: every customer due on ${BACKFILL_NIGHT} (after a backfill) ...`);
  for (let i = 1; i <= customers; i++) {
    const id = baseCustomerId(i);
    const rec = await store.loadState(id);
    await store.saveState(rec.state!, rec.rev, { ...(rec.derived ? { derived: rec.derived } : {}), ...(rec.health ? { health: rec.health } : {}), dueDate: BACKFILL_NIGHT });
  }
  const backfill = await runNight(BACKFILL_NIGHT, NIGHT, segment(BACKFILL_NIGHT, NIGHT), () => finishNight(BACKFILL_NIGHT, deps));
  log(`  ${JSON.stringify(backfill)}`);
  return { customers, due: seeded.due, seedSeconds: round(seeded.seconds, 0), averageStateItemBytes: Math.round(store.averageItemBytes()), ordinary, backfill };
}

async function invokeSegment(input: { night: string; prevNight: string; shard: number }, env: Record<string, string>, heapMb?: number): Promise<Segment> {
  const r = await runChild<{ result: SegmentResult } & Omit<Segment, 'shard' | 'processed' | 'done'>>('load-nightly-child.ts', JSON.stringify(input), {
    env,
    ...(heapMb ? { nodeArgs: [`--max-old-space-size=${heapMb}`] } : {}),
  });
  return { shard: input.shard, processed: r.result.processed, done: r.result.done, ...r };
}

async function dynaliteScale(customers: number, budget: number, heapMb?: number) {
  const home = join(BENCH_DIR, 'load-nightly-home');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const stack = await startLocalStack({ home });
  const a = makeTableAdapters({ TABLE_NAME: stack.tableName, AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: stack.endpoints.dynamodb });
  const env = { ...stack.env, SEGMENT_MAX_CUSTOMERS: String(budget), LOG_LEVEL: 'silent', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  try {
    log(`dynalite: writing ${customers} customers as of ${CLOSED} ...`);
    const t0 = performance.now();
    const progress = (w: number) => log(`  ${w} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    const seeded = {
      ...(await seedNightlyBase(customers, defaultConfig, (state, extras) => a.customers.saveState(state, 0, extras), a.nightly, { concurrency: 32, onProgress: progress })),
      seconds: (performance.now() - t0) / 1000,
    };
    log(`  ${round(seeded.seconds, 0)} s; ${seeded.due} due on ${NIGHT}`);
    const deps: NightlyDeps = { customers: a.customers, ledger: a.nightly, config: defaultConfig };
    log(`dynalite: the night of ${NIGHT}, each segment the real handler in its own process ...`);
    const ordinary = await runNight(NIGHT, CLOSED, (shard) => invokeSegment({ night: NIGHT, prevNight: CLOSED, shard }, env, heapMb), () => finishNight(NIGHT, deps));
    log(`  ${JSON.stringify(ordinary)}`);
    log(`dynalite: every customer due on ${BACKFILL_NIGHT} (after a backfill) ...`);
    const ids = Array.from({ length: customers }, (_, i) => baseCustomerId(i + 1));
    await mapPool(ids, 32, async (id) => {
      const rec = await a.customers.loadState(id);
      await a.customers.saveState(rec.state!, rec.rev, { ...(rec.derived ? { derived: rec.derived } : {}), ...(rec.health ? { health: rec.health } : {}), dueDate: BACKFILL_NIGHT });
    });
    const backfill = await runNight(BACKFILL_NIGHT, NIGHT, (shard) => invokeSegment({ night: BACKFILL_NIGHT, prevNight: NIGHT, shard }, env, heapMb), () => finishNight(BACKFILL_NIGHT, deps));
    log(`  ${JSON.stringify(backfill)}`);
    return { customers, due: seeded.due, seedSeconds: round(seeded.seconds, 0), ordinary, backfill };
  } finally {
    a.dynamodb.destroy();
    await stack.stop();
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const customers = Number(args[0] ?? 1_000_000);
  const dynaliteCustomers = Number(args[1] ?? 100_000);
  const budget = Number(args[2] ?? 20_000);
  // Optional V8 old-space cap for the segment processes (as a Lambda's memory bounds them).
  const heapMb = args[3] ? Number(args[3]) : undefined;
  const memory = await memoryScale(customers, budget);
  const dynalite = dynaliteCustomers > 0 ? await dynaliteScale(dynaliteCustomers, budget, heapMb) : undefined;
  // Lambda fit of one segment: the dynalite invocations are measured in their own processes; a segment of the
  // 1M memory run is CPU only (add storage time from the dynalite per-customer rate).
  const perCustomer = dynalite ? dynalite.backfill.segmentSecondsMax / Math.max(1, dynalite.backfill.maxCustomersPerSegment) : undefined;
  const fullSegmentSeconds = perCustomer !== undefined ? round(perCustomer * budget, 1) : undefined;
  const maxRss = dynalite ? Math.max(dynalite.ordinary.segmentPeakRssMbMax ?? 0, dynalite.backfill.segmentPeakRssMbMax ?? 0) : undefined;
  return {
    segmentBudget: budget,
    ...(heapMb ? { segmentHeapCapMb: heapMb } : {}),
    segmentTimeoutSeconds: SEGMENT_TIMEOUT_S,
    segmentMemoryMb: SEGMENT_MEMORY_MB,
    memory,
    ...(dynalite ? { dynalite } : {}),
    ...(fullSegmentSeconds !== undefined ? { dynaliteSecondsForFullBudgetSegment: fullSegmentSeconds } : {}),
    fitsLambda:
      memory.backfill.segmentSecondsMax < SEGMENT_TIMEOUT_S &&
      (fullSegmentSeconds === undefined || fullSegmentSeconds < SEGMENT_TIMEOUT_S) &&
      (maxRss === undefined || maxRss < SEGMENT_MEMORY_MB),
  };
}
