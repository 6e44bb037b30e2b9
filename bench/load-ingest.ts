/**
 * load-ingest: a 1,000,000-row orders file through the split, on the local stack.
 *
 * The file is uploaded to the local s3rver under incoming/orders/. Every ObjectCreated event the trigger emits
 * (the upload, then each part the split writes) runs the REAL ingest handler in a fresh child process
 * (bench/load-ingest-child.ts), as Lambda runs each invocation in its own container: the first invocation plans
 * and writes the parts, each part's invocation ingests its rows into the parent's dynalite, the last one writes
 * the file's summary. Invocations run `concurrency` at a time (AWS would run all parts at once; this machine has
 * 2 cores and dynalite runs in the parent). Each child reports its seconds and peak RSS.
 *
 *   npm run bench -- load-ingest [ROWS=1000000] [PART_ROWS=100000] [CUSTOMERS=ROWS/10] [CONCURRENCY=2]
 */
import { createReadStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { localAdapterEnv, makeAdapters } from '../lib/adapters/factory.ts';
import type { SplitPlan } from '../lib/ingest/part-meta.ts';
import { readPlan } from '../lib/ingest/ingest-upload.ts';
import type { FileSummary } from '../lib/ingest/ports.ts';
import { startLocalStack } from '../lib/local/local-stack.ts';
import { decodeS3Key } from '../lib/s3-event.ts';
import { BENCH_AS_OF, BENCH_DIR, benchOrdersFile, countServerRequests, log, mb, round, runChild } from './support.ts';

/** The ingest function's limits (infra/moments-stack.ts). */
const LAMBDA_TIMEOUT_S = 15 * 60;
const LAMBDA_MEMORY_MB = 1024;

interface Invocation {
  key: string;
  summary: FileSummary;
  seconds: number;
  wallSeconds: number;
  maxRssMb: number;
  peakHeapUsedMb: number;
  idleRssMb: number;
}

function invoke(event: S3Event, env: Record<string, string>): Promise<Omit<Invocation, 'key' | 'wallSeconds'>> {
  return runChild('load-ingest-child.ts', JSON.stringify(event), { env });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const rows = Number(args[0] ?? 1_000_000);
  const partRows = Number(args[1] ?? 100_000);
  const customers = Number(args[2] ?? Math.max(1, Math.round(rows / 10)));
  const concurrency = Number(args[3] ?? 2);
  const file = await benchOrdersFile(rows, customers);
  const home = join(BENCH_DIR, 'load-ingest-home');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });

  const stack = await startLocalStack({ home });
  const adapters = makeAdapters(localAdapterEnv(stack));
  const counter = countServerRequests({ dynamodb: stack.endpoints.dynamodb, s3: stack.endpoints.s3 });
  const childEnv = {
    ...stack.env,
    INGEST_SPLIT_ROWS: String(partRows),
    MOMENTS_AS_OF: BENCH_AS_OF,
    LOG_LEVEL: 'silent',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const invocations: Invocation[] = [];
  // Invocations at most `concurrency` at a time, in the order their events arrive.
  let running = 0;
  const waiting: (() => void)[] = [];
  const t0 = performance.now();
  stack.setObjectCreatedHandler(async (event) => {
    if (running >= concurrency) await new Promise<void>((r) => waiting.push(r));
    running++;
    const key = decodeS3Key(event.Records[0]!.s3.object.key);
    const started = performance.now();
    try {
      const r = await invoke(event, childEnv);
      const inv = { key, ...r, wallSeconds: round((performance.now() - started) / 1000, 2) };
      invocations.push(inv);
      log(
        `  [${((performance.now() - t0) / 1000).toFixed(0)} s] ${key}: ${inv.summary.status}, ${inv.summary.rows} rows in ${inv.seconds} s, ` +
          `peak RSS ${inv.maxRssMb} MB`,
      );
    } finally {
      running--;
      waiting.shift()?.();
    }
  });
  try {
    const key = 'incoming/orders/orders-2026-06-29.csv';
    log(`uploading ${file} (${mb(statSync(file).size)} MB) as ${key}; parts of ${partRows} rows, ${concurrency} invocations at a time ...`);
    const put = await adapters.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: createReadStream(file), ContentLength: statSync(file).size }));
    await stack.idle();
    const totalSeconds = (performance.now() - t0) / 1000;
    if (stack.errors.length) throw new Error(`trigger errors: ${stack.errors.map((e) => `${e.key}: ${String(e.error)}`).join('; ')}`);
    const etag = (put.ETag ?? '').replace(/"/g, '');
    const summary = await adapters.customers.get(key, etag);
    if (!summary) throw new Error('no summary for the file in the ledger');
    const splitInv = invocations.find((i) => i.key === key)!;
    const parts = invocations.filter((i) => i.key !== key);
    let plan: SplitPlan | undefined;
    if (summary.plan) plan = await readPlan(adapters.objects, summary.plan);
    // Not split: the one invocation did the whole file.
    const partSeconds = (parts.length ? parts : [splitInv]).map((p) => p.seconds);
    const partRss = (parts.length ? parts : [splitInv]).map((p) => p.maxRssMb);
    const slowest = Math.max(splitInv.seconds, ...partSeconds);
    const largest = Math.max(splitInv.maxRssMb, ...partRss);
    const stateItems = summary.customers; // per part: one refresh per customer with rows in the part
    const figures = {
      rows: summary.rows,
      applied: summary.applied,
      rejected: summary.rejected,
      customers,
      partRows,
      parts: summary.parts ?? 1,
      rowsPerPart: plan?.parts.map((p) => p.rows) ?? [summary.rows],
      concurrency,
      split: { seconds: splitInv.seconds, peakRssMb: splitInv.maxRssMb, peakHeapUsedMb: splitInv.peakHeapUsedMb, idleRssMb: splitInv.idleRssMb },
      partSecondsMax: round(Math.max(...partSeconds), 1),
      partSecondsMedian: round(median(partSeconds), 1),
      partPeakRssMbMax: Math.max(...partRss),
      partPeakRssMbMedian: median(partRss),
      partPeakHeapUsedMbMax: Math.max(...(parts.length ? parts : [splitInv]).map((p) => p.peakHeapUsedMb)),
      partRowsPerSecondMedian: Math.round(partRows / median(partSeconds)),
      customerRefreshes: stateItems,
      totalSeconds: round(totalSeconds, 1),
      sumInvocationSeconds: round(invocations.reduce((n, i) => n + i.seconds, 0), 1),
      requests: counter.total,
      lambdaTimeoutSeconds: LAMBDA_TIMEOUT_S,
      lambdaMemoryMb: LAMBDA_MEMORY_MB,
      fitsLambda: slowest < LAMBDA_TIMEOUT_S && largest < LAMBDA_MEMORY_MB,
      slowestInvocationShareOfTimeout: round(slowest / LAMBDA_TIMEOUT_S, 2),
      largestInvocationShareOfMemory: round(largest / LAMBDA_MEMORY_MB, 2),
    };
    log(JSON.stringify(figures, null, 2));
    return figures;
  } finally {
    counter.stop();
    adapters.s3.destroy();
    adapters.dynamodb.destroy();
    await stack.stop();
  }
}
