/**
 * Child of the ingest-memory benchmark: one streaming ingest of FILE in a fresh process, then one JSON line on
 * stdout with its peak RSS. The customer store discards everything (on AWS the state lives in DynamoDB), so what
 * stays in memory is the pipeline's own: stream buffers, the in-flight writes, the map of touched customer ids.
 *
 *   node --import tsx bench/ingest-memory-child.ts FILE
 */
import { statSync } from 'node:fs';
import { defaultConfig } from '../lib/config/schema.ts';
import { ingestObject } from '../lib/ingest/ingest-file.ts';
import { DiscardingCustomerStore, DiskObjectStore, NoLedger, mb, sampleMemory, BENCH_AS_OF } from './support.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node --import tsx bench/ingest-memory-child.ts FILE\n');
  process.exit(2);
}

// RSS once everything is loaded, before the first byte is read.
const idleRssMb = mb(process.memoryUsage().rss);
const memory = sampleMemory();

const objects = new DiskObjectStore();
const key = 'incoming/orders/orders-bench.csv';
objects.add(key, file);
const store = new DiscardingCustomerStore();
const t0 = performance.now();
const summary = await ingestObject(
  { key, etag: 'bench', lastModifiedMs: statSync(file).mtimeMs },
  { objects, customers: store, ledger: new NoLedger(), config: defaultConfig, asOf: BENCH_AS_OF },
);
const seconds = (performance.now() - t0) / 1000;
const { sampledPeakRssMb, peakHeapUsedMb } = memory.stop();

process.stdout.write(
  `${JSON.stringify({
    rows: summary.rows,
    applied: summary.applied,
    customers: summary.customers,
    seconds: Math.round(seconds * 100) / 100,
    // Linux reports maxRSS in KiB.
    maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
    sampledPeakRssMb,
    peakHeapUsedMb,
    idleRssMb,
  })}\n`,
);
