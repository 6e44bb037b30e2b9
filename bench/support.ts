/**
 * Shared pieces of the benchmarks: the cached bench files, an ObjectStore that streams a real file from disk,
 * customer stores that aggregate in memory or discard, and counting of HTTP requests reaching local servers.
 * Nothing here talks beyond 127.0.0.1.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { CustomerStore, FileLedger, FileSummary, ObjectStore, OrderOwner, PutOutcome } from '../lib/ingest/ports.ts';
import type { OrderRecord } from '../lib/orders/order.ts';
import type { CustomerState } from '../lib/state/customer-state.ts';
import { orderRowsForBench } from '../lib/sample/generate-sample.ts';

export const ROOT = resolve(import.meta.dirname, '..');
/** Gitignored scratch space for generated inputs. */
export const BENCH_DIR = join(ROOT, '.bench');

/**
 * orderRowsForBench spreads its rows over 2026-01-01 .. 2026-06-29; the ingest runs the morning after the last
 * export day, so derived state is computed as of the next day.
 */
export const BENCH_AS_OF = '2026-06-30';

/**
 * Runs a benchmark child script (`bench/NAME.ts`) in a fresh Node process, as a Lambda container or a fresh
 * process would run it, and returns the ONE JSON line it prints last. Its stderr is the parent's; a non-zero exit or
 * no JSON line is an error carrying what it printed.
 */
export function runChild<T>(script: string, arg: string, opts: { env?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', join(ROOT, 'bench', script), arg], {
      cwd: ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${out}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`${script} printed no JSON line: ${out}`));
      }
    });
  });
}

/**
 * Samples this process's memory every 10 ms until stopped (a benchmark child around one invocation): the V8 heap in
 * use tells live data from heap V8 grows before it collects, which RSS alone does not.
 */
export function sampleMemory(): { stop(): { sampledPeakRssMb: number; peakHeapUsedMb: number; peakExternalMb: number } } {
  let rss = 0;
  let heap = 0;
  let external = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
    external = Math.max(external, m.external + m.arrayBuffers);
  };
  sample();
  const timer = setInterval(sample, 10);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { sampledPeakRssMb: mb(rss), peakHeapUsedMb: mb(heap), peakExternalMb: mb(external) };
    },
  };
}

/**
 * A full garbage collection, then a pause for V8's concurrent sweeping, before a timed section: what one
 * measurement left on the heap must not be collected on the next one's clock. Measured: our ingest ran 0.5-0.9 s
 * slower right after the csv-parse baseline than in a fresh process, and as fast as fresh after this.
 */
export async function settleHeap(): Promise<void> {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  await new Promise((r) => setTimeout(r, 200));
}

export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

export function mb(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Path of a cached `orderRowsForBench(seed, rows, customers)` file under .bench/, generated on first use
 * (written to a temporary name, then renamed, so an interrupted run never leaves a truncated cache).
 */
export async function benchOrdersFile(rows: number, customers: number, seed = 1): Promise<string> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const path = join(BENCH_DIR, `orders-bench-${rows}r-${customers}c-s${seed}.csv`);
  if (existsSync(path)) {
    log(`using cached ${path} (${mb(statSync(path).size)} MB)`);
    return path;
  }
  const tmp = `${path}.${process.pid}.tmp`;
  log(`generating ${path}: ${rows} rows over ${customers} customers ...`);
  const t0 = performance.now();
  const out = createWriteStream(tmp);
  let batch = '';
  for (const line of orderRowsForBench(seed, rows, customers)) {
    batch += line;
    if (batch.length >= 1 << 16) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.end(batch);
  await once(out, 'finish');
  renameSync(tmp, path);
  log(`  written in ${((performance.now() - t0) / 1000).toFixed(1)} s (${mb(statSync(path).size)} MB)`);
  return path;
}

/**
 * ObjectStore over local files: `read(key)` streams the file registered for the key with createReadStream
 * (never held in memory); everything written (reject reports, quarantine notes) is discarded.
 */
export class DiskObjectStore implements ObjectStore {
  private readonly files = new Map<string, string>();
  bytesDiscarded = 0;

  add(key: string, path: string): void {
    this.files.set(key, path);
  }

  async *read(key: string): AsyncIterable<Buffer> {
    const path = this.files.get(key);
    if (!path) throw new Error(`NoSuchKey: ${key}`);
    for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) yield chunk as Buffer;
  }
  async put(_key: string, body: string | Buffer): Promise<void> {
    this.bytesDiscarded += body.length;
  }
  openWriter() {
    return {
      write: async (chunk: string) => void (this.bytesDiscarded += chunk.length),
      close: async () => undefined,
    };
  }
  async remove(): Promise<void> {}
  async copy(): Promise<void> {}
}

/** Ledger that remembers nothing: every run does the full work. */
export class NoLedger implements FileLedger {
  last: FileSummary | undefined;
  async get(): Promise<undefined> {
    return undefined;
  }
  async put(s: FileSummary): Promise<void> {
    this.last = s;
  }
}

/**
 * Stores nothing at all (the state lives in DynamoDB on AWS): order writes succeed, a customer reads back empty,
 * state writes succeed. Unlike MemoryCustomerStore's `discard` mode it does not keep the computed states either.
 */
export class DiscardingCustomerStore implements CustomerStore {
  ordersSeen = 0;
  statesSaved = 0;
  async putOrder(): Promise<PutOutcome> {
    this.ordersSeen++;
    return 'written';
  }
  async putOrders(orders: readonly OrderRecord[]): Promise<PutOutcome[]> {
    this.ordersSeen += orders.length;
    return orders.map(() => 'written');
  }
  async removeOrder(): Promise<boolean> {
    return false; // nothing is stored
  }
  async readOwners(): Promise<Map<string, OrderOwner>> {
    return new Map();
  }
  async putOwner(): Promise<boolean> {
    return true;
  }
  async loadCustomer(id: string) {
    return { customerId: id, rev: 0, orders: [] as OrderRecord[] };
  }
  async saveState(): Promise<boolean> {
    this.statesSaved++;
    return true;
  }
  async loadProfile() {
    return { rev: 0 };
  }
  async saveProfile(): Promise<boolean> {
    return true;
  }
}

export { AggregatingCustomerStore, summariseState, type StateSummary } from './table-stand-in.ts';

export interface RequestCounter {
  /** Requests per server name. */
  total: Record<string, number>;
  /** Requests per server name and operation (DynamoDB: X-Amz-Target action; S3: HTTP method). */
  byOperation: Record<string, Record<string, number>>;
  reset(): void;
  stop(): void;
}

/**
 * Counts HTTP requests reaching in-process servers, identified by their loopback port, through Node's
 * built-in `http.server.request.start` diagnostics channel: every request the server receives, from any client
 * in this process (handler, CLI, benchmark), with no proxy in between.
 */
export function countServerRequests(servers: Record<string, string>): RequestCounter {
  const byPort = new Map<number, string>();
  for (const [name, endpoint] of Object.entries(servers)) byPort.set(Number(new URL(endpoint).port), name);
  const counter: RequestCounter = {
    total: {},
    byOperation: {},
    reset() {
      this.total = {};
      this.byOperation = {};
    },
    stop() {
      unsubscribe('http.server.request.start', onRequest);
    },
  };
  function onRequest(message: unknown): void {
    const { request, server } = message as { request: IncomingMessage; server: Server };
    const addr = server.address() as AddressInfo | null;
    const name = addr ? byPort.get(addr.port) : undefined;
    if (!name) return;
    const target = request.headers['x-amz-target'];
    const op = typeof target === 'string' ? target.slice(target.indexOf('.') + 1) : (request.method ?? '?');
    counter.total[name] = (counter.total[name] ?? 0) + 1;
    const ops = (counter.byOperation[name] ??= {});
    ops[op] = (ops[op] ?? 0) + 1;
  }
  subscribe('http.server.request.start', onRequest);
  return counter;
}

/**
 * Peak RSS of this process image, MB. Not `process.resourceUsage().maxRSS`: on Linux a spawned child's maxRSS
 * starts at its PARENT's high-water mark (it is kept across exec), so a child of a large parent reads large.
 * /proc/self/status VmHWM is the high-water mark of this process's own memory.
 */
export function ownPeakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return mb(Number(m[1]) * 1024);
  } catch {
    // not Linux
  }
  return mb(process.resourceUsage().maxRSS * 1024);
}
