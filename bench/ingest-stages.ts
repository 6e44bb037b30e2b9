/**
 * ingest-stages: where ingest-cpu's time goes, stage by stage, on the same cached file, in one process.
 * Each stage adds one layer of the pipeline to the previous one; the difference between consecutive stages is
 * that layer's cost. A diagnostic for lib/ work, not a goal. Wall and CPU seconds (all threads) per stage.
 *
 *   csvParseDefault   fs stream -> csv-parse, default options (ingest-cpu's baseline)
 *   readCsvBatches    openText (sniff, decode) + readCsvBatches (Papa Parse, line numbers), as ingestObject reads
 *   parseRows         + header mapping + the compiled row validator (compileOrderRow) for every row
 *   ingestDiscard     ingestObject with a store that discards (adds writes, touched map, per-customer finish)
 *   ingestAggregate   ingestObject with the aggregating store (= ingest-cpu's "ours")
 *
 * Args: [--rows N] [--customers N]
 */
import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';
import { defaultConfig } from '../lib/config/schema.ts';
import { openText } from '../lib/csv/open-text.ts';
import { isSkip, readCsvBatches, type CsvRecord } from '../lib/csv/read-csv.ts';
import { ORDER_COLUMNS, ORDER_HEADER_ALIASES, REQUIRED_ORDER_COLUMNS, type OrderColumn } from '../lib/csv/headers.ts';
import { mapHeader } from '../lib/ingest/header-map.ts';
import { ingestObject } from '../lib/ingest/ingest-file.ts';
import { compileOrderRow, storeZoneMap } from '../lib/orders/parse-order-row.ts';
import { AggregatingCustomerStore, DiscardingCustomerStore, DiskObjectStore, NoLedger, benchOrdersFile, log, round, settleHeap, BENCH_AS_OF } from './support.ts';

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} expects a positive integer`);
  return v;
}

function fileChunks(path: string): AsyncIterable<Buffer> {
  return (async function* () {
    for await (const c of createReadStream(path, { highWaterMark: 64 * 1024 })) yield c as Buffer;
  })();
}

async function* records(path: string): AsyncGenerator<CsvRecord[]> {
  const opened = await openText(fileChunks(path));
  if ('error' in opened) throw new Error(opened.error);
  for await (const batch of readCsvBatches(opened.text)) {
    if (batch.some(isSkip)) throw new Error('unexpected malformed record');
    yield batch as CsvRecord[];
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const rows = arg(args, '--rows', 1_000_000);
  const customers = arg(args, '--customers', 100_000);
  const file = await benchOrdersFile(rows, customers);
  const seconds: Record<string, number> = {};
  const cpuSeconds: Record<string, number> = {};
  const time = async (name: string, fn: () => Promise<number>) => {
    await settleHeap();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const n = await fn();
    const sec = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (n !== rows) throw new Error(`${name}: ${n} rows, expected ${rows}`);
    seconds[name] = round(sec, 2);
    cpuSeconds[name] = round((c.user + c.system) / 1e6, 2);
    log(`  ${name.padEnd(16)} ${sec.toFixed(2).padStart(6)} s  cpu ${cpuSeconds[name]!.toFixed(2).padStart(6)} s  ${Math.round(n / sec).toString().padStart(8)} rows/s`);
  };

  await time('csvParseDefault', async () => {
    let n = 0;
    for await (const _ of createReadStream(file).pipe(parse())) n++;
    return n - 1;
  });
  await time('readCsvBatches', async () => {
    let n = 0;
    for await (const b of records(file)) n += b.length;
    return n - 1;
  });
  await time('parseRows', async () => {
    let n = -1;
    let parseRow: ReturnType<typeof compileOrderRow> | undefined;
    for await (const batch of records(file)) {
      for (const r of batch) {
        if (!parseRow) {
          const map = mapHeader<OrderColumn>(r.fields, ORDER_COLUMNS, ORDER_HEADER_ALIASES, {}, REQUIRED_ORDER_COLUMNS);
          parseRow = compileOrderRow(map.index, { config: defaultConfig, storeZones: storeZoneMap(defaultConfig), defaultVersionMs: statSync(file).mtimeMs });
        } else {
          const parsed = parseRow(r.fields, r.line);
          if (Array.isArray(parsed)) throw new Error(`line ${r.line}: ${JSON.stringify(parsed)}`);
        }
        n++;
      }
    }
    return n;
  });
  for (const [name, store] of [
    ['ingestDiscard', new DiscardingCustomerStore()],
    ['ingestAggregate', new AggregatingCustomerStore()],
  ] as const) {
    await time(name, async () => {
      const objects = new DiskObjectStore();
      const key = 'incoming/orders/orders-bench.csv';
      objects.add(key, file);
      const s = await ingestObject(
        { key, etag: 'bench', lastModifiedMs: statSync(file).mtimeMs },
        { objects, customers: store, ledger: new NoLedger(), config: defaultConfig, asOf: BENCH_AS_OF },
      );
      return s.rows;
    });
  }
  return { rows, seconds, cpuSeconds };
}
