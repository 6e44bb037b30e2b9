import type { MomentsConfig } from '../config/schema.ts';
import { openText } from '../csv/open-text.ts';
import { readCsv, type CsvSkip } from '../csv/read-csv.ts';
import type { RowError } from '../orders/order.ts';
import { Pool, mapPool } from '../pool.ts';
import { baseName, defaultVersionMs, fileKind, quarantineKey, rejectReportKey } from './file-meta.ts';
import type { CustomerStore, FileLedger, FileSummary, ObjectStore } from './ports.ts';
import { RejectReport } from './reject-report.ts';
import { ingestProgress } from './progress.ts';
import { ordersRowHandler } from './orders-rows.ts';
import { membersRowHandler } from './members-rows.ts';
import type { RowHandler } from './row-handler.ts';
import type { ActiveModel } from '../derive/metrics.ts';
import type { IngestAs } from './part-meta.ts';

export interface IngestDeps {
  objects: ObjectStore;
  customers: CustomerStore;
  ledger: FileLedger;
  config: MomentsConfig;
  /** Brand-local date the derived state is computed for. */
  asOf: string;
  /** The active BG/NBD model, when one has been fitted (pAlive in lifecycle rules). */
  model?: ActiveModel;
  concurrency?: number;
  onProgress?: (p: { file: string; rows: number }) => void;
  now?: () => Date;
}

export interface IngestObject {
  key: string;
  etag: string;
  lastModifiedMs: number;
}

function skipReason(s: CsvSkip): string {
  if (/Quote Not Closed/i.test(s.reason))
    return 'a quoted field opened here is never closed; the rest of the file could not be split into rows';
  if (/Invalid Closing Quote/i.test(s.reason)) return 'a quote is closed in the middle of a field';
  return `malformed CSV: ${s.reason}`;
}

/**
 * Ingests one uploaded export: streams it, validates every row, applies the good ones as conditional writes,
 * reports the bad ones, then recomputes each touched customer. Safe to run any number of times, in any order,
 * concurrently with other files: the result depends only on the set of files ever ingested.
 */
export async function ingestObject(obj: IngestObject, deps: IngestDeps, as?: IngestAs): Promise<FileSummary> {
  const kind = as ? as.kind : fileKind(obj.key);
  if (!kind) throw new Error(`not an ingest key: ${obj.key} (expected incoming/orders/ or incoming/members/)`);
  const done = await deps.ledger.get(obj.key, obj.etag);
  if (done) return done;

  const now = deps.now ?? (() => new Date());
  const name = as?.file ?? baseName(obj.key);
  const base: FileSummary = {
    key: obj.key,
    file: name,
    kind,
    etag: obj.etag,
    status: 'processed',
    rows: 0,
    applied: 0,
    unchanged: 0,
    rejected: 0,
    rejectedFields: 0,
    customers: 0,
    processedAt: '',
  };

  const quarantine = async (reason: string): Promise<FileSummary> => {
    const to = as?.quarantineKey ?? quarantineKey(obj.key);
    await deps.objects.move(obj.key, to);
    await deps.objects.put(`${to}.reason.txt`, `${name}: ${reason}\nNothing from this file was applied.\n`, 'text/plain; charset=utf-8');
    const summary: FileSummary = { ...base, status: 'quarantined', quarantine: to, reason, processedAt: now().toISOString() };
    await deps.ledger.put(summary);
    return summary;
  };

  const opened = await openText(deps.objects.read(obj.key));
  if ('error' in opened) return quarantine(opened.error);

  const report = new RejectReport(deps.objects, as?.reportKey ?? rejectReportKey(obj.key));
  const skips: CsvSkip[] = [];
  const records = readCsv(opened.text, (s) => skips.push(s), { firstLine: as?.firstLine ?? 1 })[Symbol.asyncIterator]();
  let header: { line: number; fields: string[] } | undefined;
  for (;;) {
    const r = await records.next();
    if (r.done) break;
    if (r.value.fields.some((f) => f.trim() !== '')) {
      header = r.value;
      break;
    }
  }
  if (!header) return quarantine(skips.length ? `no readable header: ${skipReason(skips[0]!)}` : 'empty file');

  const versionMs = as?.versionMs ?? defaultVersionMs(obj.key, obj.lastModifiedMs, deps.config.brand.timeZone);
  const handler: RowHandler =
    kind === 'orders'
      ? ordersRowHandler(header.fields, deps.config, versionMs, deps.customers, deps.model)
      : membersRowHandler(header.fields, deps.config, versionMs, deps.customers, name, deps.model);
  if (handler.missing.length > 0)
    return quarantine(
      `no recognisable ${kind} header: missing ${handler.missing.join(', ')} (found: ${header.fields.join(', ')}). ` +
        'Use the canonical or Chinese column names, or map yours under "columns" in the configuration.',
    );

  const summary = { ...base, encoding: opened.encoding, compressed: opened.compressed };
  if (handler.ignored.length) summary.ignoredColumns = handler.ignored;
  const pool = new Pool(deps.concurrency ?? 16);
  const reject = async (errors: RowError[]) => {
    summary.rejected++;
    await report.add(errors);
  };
  const drainSkips = async () => {
    while (skips.length) {
      const s = skips.shift()!;
      summary.rows++;
      await reject([{ line: s.line, column: '', value: s.raw.slice(0, 200), reason: skipReason(s) }]);
    }
  };

  for (;;) {
    const r = await records.next();
    await drainSkips();
    if (r.done) break;
    const { line, fields } = r.value;
    if (fields.length === 1 && fields[0]!.trim() === '') continue; // blank line
    summary.rows++;
    if (fields.length > header.fields.length && fields.slice(header.fields.length).some((f) => f.trim() !== '')) {
      await reject([{ line, column: '', value: fields.join(','), reason: `${fields.length} fields but the header has ${header.fields.length}` }]);
      continue;
    }
    const result = handler.parse(fields, line);
    if (result.rejectRow) {
      await reject(result.errors);
      continue;
    }
    if (result.errors.length) {
      summary.rejectedFields += result.errors.length;
      await report.add(result.errors);
    }
    summary.applied++;
    await pool.run(async () => {
      if ((await result.apply!()) === 'unchanged') summary.unchanged++;
    });
    if (summary.rows % 10_000 === 0) {
      deps.onProgress?.({ file: name, rows: summary.rows });
      ingestProgress.emit('progress', { file: name, rows: summary.rows });
    }
  }
  await pool.drain();

  const touched = handler.touched();
  await mapPool(touched.keys(), deps.concurrency ?? 16, async (customerId) => {
    await handler.finish(customerId, touched.get(customerId)!, deps.asOf);
  });
  summary.customers = touched.size;
  const reportKey = await report.close();
  if (reportKey) summary.report = reportKey;
  summary.processedAt = now().toISOString();
  await deps.ledger.put(summary);
  return summary;
}
