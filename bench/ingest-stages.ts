/**
 * ingest-stages: where ingest-cpu's time goes, stage by stage, on the same cached file, in one process.
 * Each stage adds one layer of the pipeline to the previous one; the difference between consecutive stages is
 * that layer's cost. A diagnostic for lib/ work, not a goal.
 *
 *   csvParseDefault   fs stream -> csv-parse, default options (ingest-cpu's baseline)
 *   csvParseLibOpts   fs stream -> csv-parse with readCsv's options (raw, info, relax, on_record line tracking)
 *   openTextReadCsv   openText (sniff, iconv decode) + readCsv, records pulled one by one as ingestObject does
 *   parseRows         + header mapping (pick) + parseOrderRow for every row
 *   ingestDiscard     ingestObject with a store that discards (adds pool, touched map, per-customer finish)
 *   ingestAggregate   ingestObject with the aggregating store (= ingest-cpu's "ours")
 * plus isKnownCurrency: 1M calls of lib/money.ts isKnownCurrency('CNY') against a Set lookup.
 *
 * Args: [--rows N] [--customers N]
 */
import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';
import { defaultConfig } from '../lib/config/schema.ts';
import { openText } from '../lib/csv/open-text.ts';
import { readCsv } from '../lib/csv/read-csv.ts';
import { ORDER_COLUMNS, ORDER_HEADER_ALIASES, REQUIRED_ORDER_COLUMNS, type OrderColumn } from '../lib/csv/headers.ts';
import { mapHeader, pick } from '../lib/ingest/header-map.ts';
import { ingestObject } from '../lib/ingest/ingest-file.ts';
import { isKnownCurrency } from '../lib/money.ts';
import { parseOrderRow, storeZoneMap } from '../lib/orders/parse-order-row.ts';
import { AggregatingCustomerStore, DiscardingCustomerStore, DiskObjectStore, NoLedger, benchOrdersFile, log, round, BENCH_AS_OF } from './support.ts';

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

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const rows = arg(args, '--rows', 1_000_000);
  const customers = arg(args, '--customers', 100_000);
  const file = await benchOrdersFile(rows, customers);
  const stages: Record<string, number> = {};
  const time = async (name: string, fn: () => Promise<number>) => {
    const t0 = performance.now();
    const n = await fn();
    const sec = (performance.now() - t0) / 1000;
    if (n !== rows) throw new Error(`${name}: ${n} rows, expected ${rows}`);
    stages[name] = round(sec, 2);
    log(`  ${name.padEnd(16)} ${sec.toFixed(2).padStart(6)} s  ${Math.round(n / sec).toString().padStart(8)} rows/s`);
  };

  await time('csvParseDefault', async () => {
    let n = 0;
    for await (const _ of createReadStream(file).pipe(parse())) n++;
    return n - 1;
  });
  await time('csvParseLibOpts', async () => {
    let n = 0;
    let line = 1;
    const parser = parse({
      delimiter: ',',
      raw: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_records_with_error: true,
      info: true,
      on_record: (rec: { record: string[]; raw: string }) => {
        const r = { line, fields: rec.record };
        line += (rec.raw.match(/\r\n|\r|\n/g) ?? []).length;
        return r;
      },
    } as unknown as Parameters<typeof parse>[0]);
    for await (const _ of createReadStream(file).pipe(parser)) n++;
    return n - 1;
  });
  await time('openTextReadCsv', async () => {
    const opened = await openText(fileChunks(file));
    if ('error' in opened) throw new Error(opened.error);
    const it = readCsv(opened.text, () => undefined)[Symbol.asyncIterator]();
    let n = 0;
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      n++;
    }
    return n - 1;
  });
  await time('parseRows', async () => {
    const opened = await openText(fileChunks(file));
    if ('error' in opened) throw new Error(opened.error);
    const it = readCsv(opened.text, () => undefined)[Symbol.asyncIterator]();
    const head = await it.next();
    if (head.done) throw new Error('empty');
    const map = mapHeader<OrderColumn>(head.value.fields, ORDER_COLUMNS, ORDER_HEADER_ALIASES, {}, REQUIRED_ORDER_COLUMNS);
    const ctx = { config: defaultConfig, storeZones: storeZoneMap(defaultConfig), defaultVersionMs: statSync(file).mtimeMs, line: 0 };
    let n = 0;
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      ctx.line = r.value.line;
      const parsed = parseOrderRow(pick(r.value.fields, map), ctx);
      if (Array.isArray(parsed)) throw new Error(`line ${r.value.line}: ${JSON.stringify(parsed)}`);
      n++;
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

  const calls = 1_000_000;
  let t0 = performance.now();
  let ok = 0;
  for (let i = 0; i < calls; i++) if (isKnownCurrency('CNY')) ok++;
  const libSec = (performance.now() - t0) / 1000;
  const set = new Set(Intl.supportedValuesOf('currency'));
  t0 = performance.now();
  for (let i = 0; i < calls; i++) if (/^[A-Z]{3}$/.test('CNY') && set.has('CNY')) ok++;
  const setSec = (performance.now() - t0) / 1000;
  if (ok !== 2 * calls) throw new Error('isKnownCurrency disagrees');
  log(`  isKnownCurrency x1M: lib ${libSec.toFixed(2)} s, cached Set ${setSec.toFixed(3)} s`);

  return {
    rows,
    seconds: stages,
    isKnownCurrency1MCallsSec: round(libSec, 2),
    cachedSetLookup1MCallsSec: round(setSec, 3),
  };
}
