/**
 * ingest-cpu: throughput of the full ingest pipeline against a plain csv-parse of the same file, same process.
 *
 * Input: a 1,000,000-row orders file from orderRowsForBench (100,000 customers), cached under .bench/.
 * Baseline: fs.createReadStream(file) piped into csv-parse with default options, counting records.
 * Ours: ingestObject over the same file streamed from disk (decode, CSV, header mapping, row validation,
 * versioning), with an in-memory stand-in for the table (bench/table-stand-in.ts: order versions per customer and
 * key, conditional on the version, kept outside the heap as the table keeps them), then the ingest's own per-customer
 * finish step (refreshCustomer) computes each touched customer's state from its stored orders
 * (computeCustomerState), as of the day after the last export day. The derivation (stage, tier) is the nightly's.
 * Storage cost is excluded (no DynamoDB); reject reports are discarded. Each timed section starts on a collected heap
 * (settleHeap), so neither pays for the other's garbage.
 *
 * Args: [--rows N] [--customers N]   Output: {"rows","rowsPerSec","baselineRowsPerSec","ratio", ...}
 */
import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';
import { defaultConfig } from '../lib/config/schema.ts';
import { ingestObject } from '../lib/ingest/ingest-file.ts';
import { computeCustomerState } from '../lib/state/customer-state.ts';
import { AggregatingCustomerStore, DiskObjectStore, NoLedger, benchOrdersFile, log, mb, round, settleHeap, summariseState, BENCH_AS_OF } from './support.ts';

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} expects a positive integer`);
  return v;
}

export const GOAL_RATIO = 0.5;

const cpuSec = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const rows = arg(args, '--rows', 1_000_000);
  const customers = arg(args, '--customers', 100_000);
  const file = await benchOrdersFile(rows, customers);

  log('baseline: csv-parse (default options), streamed, counting records ...');
  await settleHeap();
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  let records = 0;
  for await (const _ of createReadStream(file).pipe(parse())) records++;
  const baselineSec = (performance.now() - t0) / 1000;
  const baselineCpu = cpuSec(process.cpuUsage(c0));
  const baselineRows = records - 1; // header
  if (baselineRows !== rows) throw new Error(`baseline read ${baselineRows} data rows, expected ${rows}`);
  const baselineRowsPerSec = baselineRows / baselineSec;
  log(`  ${baselineRows} rows in ${baselineSec.toFixed(2)} s = ${Math.round(baselineRowsPerSec)} rows/s`);

  log('ours: ingestObject (decode + CSV + validate + version) + per-customer aggregation, state and derivation ...');
  const objects = new DiskObjectStore();
  const key = 'incoming/orders/orders-bench.csv';
  objects.add(key, file);
  const store = new AggregatingCustomerStore();
  const ledger = new NoLedger();
  await settleHeap();
  t0 = performance.now();
  c0 = process.cpuUsage();
  const summary = await ingestObject(
    { key, etag: 'bench', lastModifiedMs: statSync(file).mtimeMs },
    {
      objects,
      customers: store,
      ledger,
      config: defaultConfig,
      asOf: BENCH_AS_OF,
      onProgress: (p) => {
        if (p.rows % 200_000 === 0) log(`  ${p.rows} rows`);
      },
    },
  );
  const sec = (performance.now() - t0) / 1000;
  const cpu = cpuSec(process.cpuUsage(c0));
  if (summary.status !== 'processed') throw new Error(`ingest ${summary.status}: ${summary.reason}`);
  if (summary.rows !== rows) throw new Error(`ingest read ${summary.rows} rows, expected ${rows}`);
  if (store.states.size !== summary.customers)
    throw new Error(`${store.states.size} states computed for ${summary.customers} touched customers`);
  // Outside the timing: every touched customer's state was saved once, and a sample of them matches a recompute.
  let checked = 0;
  let i = 0;
  for (const [id, orders] of store.entries()) {
    const saved = store.states.get(id);
    if (saved?.saves !== 1) throw new Error(`customer ${id}: state saved ${saved?.saves ?? 0} times`);
    if (i++ % 97 !== 0) continue;
    const expected = summariseState(computeCustomerState(id, orders, defaultConfig, BENCH_AS_OF));
    const { saves: _, ...got } = saved;
    if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`customer ${id}: saved ${JSON.stringify(got)}, recomputed ${JSON.stringify(expected)}`);
    checked++;
  }
  log(`  checked: every state saved once; ${checked} recomputed and equal`);
  const rowsPerSec = summary.rows / sec;
  const ratio = rowsPerSec / baselineRowsPerSec;
  log(
    `  ${summary.rows} rows (${summary.applied} applied, ${summary.rejected} rejected), ` +
      `${store.states.size} customer states, in ${sec.toFixed(2)} s = ${Math.round(rowsPerSec)} rows/s`,
  );
  log(`ratio ${ratio.toFixed(3)} (goal >= ${GOAL_RATIO}): ${ratio >= GOAL_RATIO ? 'pass' : 'FAIL'}`);

  return {
    rows: summary.rows,
    rowsPerSec: Math.round(rowsPerSec),
    baselineRowsPerSec: Math.round(baselineRowsPerSec),
    ratio: round(ratio),
    seconds: round(sec, 2),
    baselineSeconds: round(baselineSec, 2),
    // CPU seconds of the process (all threads, so GC helpers count): less sensitive to a shared machine.
    cpuSeconds: round(cpu, 2),
    baselineCpuSeconds: round(baselineCpu, 2),
    cpuRatio: round(baselineCpu / cpu),
    customers: store.states.size,
    applied: summary.applied,
    rejected: summary.rejected,
    fileMb: mb(statSync(file).size),
    goal: `ratio >= ${GOAL_RATIO}`,
    pass: ratio >= GOAL_RATIO,
  };
}
