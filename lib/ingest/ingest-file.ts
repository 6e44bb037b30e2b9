import type { MomentsConfig } from '../config/schema.ts';
import { isInputLimitError, type InputLimitError } from '../csv/limits.ts';
import { openText } from '../csv/open-text.ts';
import { isSkip, readCsvBatches, type CsvItem } from '../csv/read-csv.ts';
import type { RowError } from '../orders/order.ts';
import { reportedValue } from '../field-limits.ts';
import { mapPool } from '../pool.ts';
import { baseName, defaultVersionMs, fileKind, quarantineKey, REASON_SUFFIX, rejectReportKey } from './file-meta.ts';
import type { CustomerStore, FileLedger, FileSummary, ObjectStore } from './ports.ts';
import { RejectReport } from './reject-report.ts';
import { ingestProgress } from './progress.ts';
import { ordersRowHandler } from './orders-rows.ts';
import { membersRowHandler } from './members-rows.ts';
import type { RowHandler } from './row-handler.ts';
import type { IngestAs } from './part-meta.ts';
import { describeHeader } from './header-map.ts';
import { listUncounted, summaryWarnings } from './summary-warnings.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export interface IngestDeps {
  objects: ObjectStore;
  customers: CustomerStore;
  ledger: FileLedger;
  config: MomentsConfig;
  /** Brand-local date the derived state is computed for. */
  asOf: string;
  concurrency?: number;
  onProgress?: (p: { file: string; rows: number }) => void;
  now?: () => Date;
}

export interface IngestObject {
  key: string;
  etag: string;
  /**
   * When the file was received: the event's time, a replay's first arrival (lib/operations/received-at.ts), a part's
   * original's. It dates rows of a file without a date in its name, and a later upload wins a member field's tie.
   */
  lastModifiedMs: number;
  /** Bytes, when the event says (S3 events do): a small upload is ingested without first walking it for a split. */
  size?: number;
}

/**
 * Ingests one uploaded export: streams it, validates every row, applies the good ones as conditional writes,
 * reports the bad ones, then recomputes each touched customer. Safe to run any number of times, in any order,
 * concurrently with other files: the result depends only on the set of files ever ingested.
 */
export async function ingestObject(
  obj: IngestObject,
  deps: IngestDeps,
  as?: IngestAs,
  /** Quarantine it with this reason unread: planning its split found it past a bound (lib/ingest/split-file.ts). */
  refused?: string,
): Promise<FileSummary> {
  const kind = as ? as.kind : fileKind(obj.key);
  if (!kind) throw new Error(`not an ingest key: ${obj.key} (expected incoming/orders/ or incoming/members/)`);
  const done = await deps.ledger.get(obj.key, obj.etag);
  if (done) {
    // A run that quarantined the file and died before removing the upload: finish that (removing is idempotent).
    if (done.status === 'quarantined') await deps.objects.remove(obj.key);
    return done;
  }

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

  const quarantine = async (why: string, read?: FileSummary): Promise<FileSummary> => {
    // What was read from an undecodable file may hold lone UTF-16 surrogates: the reason is stored as UTF-8.
    const reason = why.replace(LONE_SURROGATE, '\uFFFD');
    const to = as?.quarantineKey ?? quarantineKey(obj.key);
    // A bound crossed part-way: what was read before it was applied (and stays so; ingesting the file again is
    // safe, rows already known are unchanged).
    const applied = read?.applied
      ? `Reading stopped there: the ${read.applied} row(s) applied before it stay applied, nothing after it was applied.`
      : 'Nothing from this file was applied.';
    // Copy, reason, ledger, and only then remove the upload: a crash at any step leaves a retry that can finish.
    await deps.objects.copy(obj.key, to);
    await deps.objects.put(`${to}${REASON_SUFFIX}`, `${name}: ${reason}\n${applied}\n`, 'text/plain; charset=utf-8');
    const summary: FileSummary = { ...(read ?? base), status: 'quarantined', quarantine: to, reason, processedAt: now().toISOString() };
    await deps.ledger.put(summary);
    await deps.objects.remove(obj.key);
    return summary;
  };
  if (refused !== undefined) return quarantine(refused);

  const limits = deps.config.ingest;
  const opened = await openText(deps.objects.read(obj.key), { maxDecompressedBytes: limits.maxDecompressedBytes });
  if ('error' in opened) return quarantine(opened.error);
  // A part of a split file is UTF-8 text decoded from the original: its rows are checked against the original's encoding.
  const encoding = () => as?.encoding ?? opened.encoding;

  const report = new RejectReport(deps.objects, as?.reportKey ?? rejectReportKey(obj.key));
  const batches = readCsvBatches(opened.text, { firstLine: as?.firstLine ?? 1, limits, encoding })[Symbol.asyncIterator]();
  // The header is the first record with any text; skips before it only say why none was found.
  let header: { line: number; fields: string[] } | undefined;
  let firstSkip: string | undefined;
  let pending: CsvItem[] = [];
  try {
    while (!header) {
      const r = await batches.next();
      if (r.done) break;
      const i = r.value.findIndex((item) => (isSkip(item) ? ((firstSkip ??= item.reason), false) : item.fields.some((f) => f.trim() !== '')));
      if (i >= 0) {
        header = r.value[i] as { line: number; fields: string[] };
        pending = r.value.slice(i + 1);
      }
    }
  } catch (e) {
    if (isInputLimitError(e)) return quarantine(e.message);
    throw e;
  }
  if (!header) return quarantine(firstSkip ? `no readable header: ${firstSkip}` : 'empty file');

  const versionMs = as?.versionMs ?? defaultVersionMs(obj.key, obj.lastModifiedMs, deps.config.brand.timeZone);
  const handler: RowHandler<object> =
    kind === 'orders'
      ? ordersRowHandler(header.fields, deps.config, versionMs, deps.customers, { file: name, ...(as?.decisions ? { planned: new Map(as.decisions) } : {}) })
      : membersRowHandler(header.fields, deps.config, { defaultVersionMs: versionMs, uploadMs: obj.lastModifiedMs }, deps.customers, name, deps.concurrency);
  if (handler.missing.length > 0)
    return quarantine(
      `no recognisable ${kind} header: missing ${handler.missing.join(', ')} (${describeHeader(header.fields, handler.ignored)}). ` +
        'Use the canonical or Chinese column names, or map yours under "columns" in the configuration.',
    );

  const summary: FileSummary = { ...base, encoding: opened.encoding, compressed: opened.compressed, ...(kind === 'orders' ? { replaced: 0, unmatchedRefunds: 0 } : {}) };
  if (handler.ignored.length) summary.ignoredColumns = handler.ignored;
  const width = header.fields.length;
  let nextProgress = 10_000;

  // Batch by batch (one decoded chunk, about a thousand rows): validate every row, then apply the good ones with
  // bounded concurrency before reading on, so memory stays flat and there is no per-row scheduling.
  let stoppedBy: InputLimitError | undefined;
  for (let batch: CsvItem[] | undefined = pending; batch; ) {
    const items: object[] = [];
    const lines: number[] = [];
    const rejects: RowError[][] = [];
    const fieldErrors: RowError[][] = [];
    const onFieldErrors = (e: RowError[]) => void fieldErrors.push(e);
    for (const item of batch) {
      if (isSkip(item)) {
        summary.rows++;
        // The record as read, without the line break that ends it; its start only (a 50 MB line, a 100 MB report).
        rejects.push([{ line: item.line, column: '', value: reportedValue(item.raw.replace(/(?:\r\n|\r|\n)$/, '')), reason: item.reason }]);
        continue;
      }
      const { line, fields } = item;
      if (fields.length === 1 && fields[0]!.trim() === '') continue; // blank line
      summary.rows++;
      if (fields.length > width && fields.slice(width).some((f) => f.trim() !== '')) {
        rejects.push([{ line, column: '', value: reportedValue(fields.join(',')), reason: `${fields.length} fields but the header has ${width}` }]);
        continue;
      }
      const result = handler.parse(fields, line, onFieldErrors);
      if (Array.isArray(result)) {
        rejects.push(result);
        continue;
      }
      summary.applied++;
      items.push(result);
      lines.push(line);
    }
    for (const errors of fieldErrors) {
      summary.rejectedFields += errors.length;
      await report.add(errors);
    }
    summary.rejected += rejects.length;
    if (items.length) {
      const { unchanged, refused, replaced, unmatchedRefunds } = await handler.applyAll(items, lines);
      summary.unchanged += unchanged;
      if (replaced) summary.replaced = (summary.replaced ?? 0) + replaced;
      if (unmatchedRefunds) summary.unmatchedRefunds = (summary.unmatchedRefunds ?? 0) + unmatchedRefunds;
      summary.applied -= refused.length;
      summary.rejected += refused.length;
      rejects.push(...refused);
    }
    // In line order: a row refused at write time is reported where it is, as a file split into parts reports it.
    rejects.sort((a, b) => (a[0]?.line ?? 0) - (b[0]?.line ?? 0));
    for (const errors of rejects) await report.add(errors);
    if (summary.rows >= nextProgress) {
      nextProgress = (Math.floor(summary.rows / 10_000) + 1) * 10_000;
      deps.onProgress?.({ file: name, rows: summary.rows });
      ingestProgress.emit('progress', { file: name, rows: summary.rows });
    }
    try {
      const r = await batches.next();
      batch = r.done ? undefined : r.value;
    } catch (e) {
      if (!isInputLimitError(e)) throw e;
      stoppedBy = e;
      batch = undefined;
    }
  }

  const touched = handler.touched();
  const uncounted: { customerId: string; reason: string }[] = [];
  await mapPool(touched.keys(), deps.concurrency ?? 16, async (customerId) => {
    const reason = await handler.finish(customerId, touched.get(customerId)!, deps.asOf);
    if (reason !== undefined) uncounted.push({ customerId, reason });
  });
  if (uncounted.length) summary.uncounted = listUncounted([uncounted]);
  summary.customers = touched.size;
  // The encoding may be decided only part-way through (a file that opens with a long ASCII stretch).
  summary.encoding = opened.encoding;
  const currencies = handler.currencies?.();
  if (currencies) Object.assign(summary, { currencies, brandCurrency: deps.config.brand.currency });
  const anonymous = handler.anonymous?.();
  if (anonymous) summary.anonymous = anonymous;
  const warnings = summaryWarnings(summary);
  if (warnings.length) summary.warnings = warnings;
  const reportKey = await report.close();
  if (reportKey) summary.report = reportKey;
  // The customers the rows before the bound touched are recomputed above: their state matches what was applied.
  if (stoppedBy) return quarantine(stoppedBy.message, summary);
  summary.processedAt = now().toISOString();
  await deps.ledger.put(summary);
  return summary;
}

