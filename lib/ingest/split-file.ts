import { isInputLimitError, type ReadLimits } from '../csv/limits.ts';
import { openText } from '../csv/open-text.ts';
import { countBreaks, readCsv, sniffDelimiter, type CsvSkip } from '../csv/read-csv.ts';
import { baseName, defaultVersionMs, fileKind } from './file-meta.ts';
import type { IngestDeps, IngestObject } from './ingest-file.ts';
import { membersRowHandler } from './members-rows.ts';
import { ordersRowHandler } from './orders-rows.ts';
import { partKey, partReportKey, planKey, type PlannedPart, type SplitPlan } from './part-meta.ts';
import type { FileSummary, ObjectStore } from './ports.ts';
import { anonymousIds } from './anonymous-sales.ts';
import { FileOrderIds, type Decision, type Overruled } from './file-order-ids.ts';
import type { OrderRecord, RowError } from '../orders/order.ts';

/**
 * Splitting a large upload across invocations. One Lambda has 15 minutes and its memory; a file with more rows
 * than `partRows` is cut, at record boundaries found by the same CSV reader ingest uses (so a quoted field with
 * line breaks is never cut), into parts of at most `partRows` rows, each ingested by its own invocation.
 *
 * Two passes over the upload: the first plans (rows, the line each part starts on) and the plan is stored
 * BEFORE any part exists, so every part's invocation can read its line offset, the original's name and its
 * version; the second writes the parts and checks that it cut exactly where the plan says. A part holds the
 * records' text verbatim after decoding (gzip and GBK uploads give UTF-8 parts): the first part is the file's
 * beginning, the others repeat the header line.
 */

/** One CSV record or unreadable stretch, in file order, with the part it belongs to. */
interface Item {
  part: number;
  raw: string;
  line: number;
  role: 'lead' | 'header' | 'row';
  /** Counted as a row by ingest: any record that is not a blank line, any unreadable stretch. */
  row: boolean;
  /** The record's fields (not for an unreadable stretch). */
  fields?: string[];
}

interface Walked {
  header?: { fields: string[]; raw: string };
  /** The delimiter a part sniffs from its header line is the one the whole file was read with. */
  sameDelimiter: boolean;
  rowItems: number;
}

const isBlank = (fields: string[]) => fields.length === 1 && fields[0]!.trim() === '';

/** Walks the records as ingest's reader finds them; records after the header are dealt into parts of `partRows`. */
async function walk(text: AsyncIterable<string>, partRows: number, limits: ReadLimits, on: (item: Item) => void | Promise<void>): Promise<Walked> {
  const skips: CsvSkip[] = [];
  const out: Walked = { sameDelimiter: true, rowItems: 0 };
  let firstRaw: string | undefined;
  const emit = async (raw: string, line: number, row: boolean, isHeader = false, fields?: string[]) => {
    firstRaw ??= raw;
    const role = isHeader ? 'header' : out.header ? 'row' : 'lead';
    const part = role === 'row' ? Math.floor(out.rowItems++ / partRows) : 0;
    await on({ part, raw, line, role, row, ...(fields ? { fields } : {}) });
  };
  const drain = async () => {
    while (skips.length) {
      const s = skips.shift()!;
      await emit(s.raw, s.line, true);
    }
  };
  for await (const rec of readCsv(text, (s) => skips.push(s), { raw: true, limits })) {
    await drain();
    if (!out.header && rec.fields.some((f) => f.trim() !== '')) {
      out.header = { fields: rec.fields, raw: rec.raw ?? '' };
      await emit(rec.raw ?? '', rec.line, false, true, rec.fields);
      continue;
    }
    await emit(rec.raw ?? '', rec.line, out.header ? !isBlank(rec.fields) : false, false, rec.fields);
  }
  await drain();
  if (out.header && firstRaw !== undefined) {
    const firstLine = (s: string) => s.split(/\r|\n/, 1)[0] ?? '';
    out.sameDelimiter = sniffDelimiter(firstLine(firstRaw)) === sniffDelimiter(firstLine(out.header.raw));
  }
  return out;
}

/** Per-part figures, gathered the same way by the planning pass and the writing pass. */
class PartTally {
  parts: Omit<PlannedPart, 'key' | 'reportKey' | 'lineOffset'>[] = [];
  add(item: Item): void {
    let p = this.parts[item.part];
    if (!p) {
      p = { index: item.part + 1, firstLine: item.part === 0 ? 1 : item.line, lastLine: item.line, rows: 0, records: 0 };
      this.parts[item.part] = p;
    }
    const breaks = countBreaks(item.raw);
    p.lastLine = item.line + Math.max(0, /[\r\n]$/.test(item.raw) ? breaks - 1 : breaks);
    if (item.role === 'row') p.records++;
    if (item.row) p.rows++;
  }
}

/** Reads an object once while keeping its bytes, up to a limit, so a file that is not split need not be read again. */
function keepingReader(objects: ObjectStore, key: string) {
  const kept: Buffer[] = [];
  let keeping = true;
  let complete = false;
  async function* read(): AsyncGenerator<Buffer> {
    for await (const b of objects.read(key)) {
      if (keeping) kept.push(b);
      yield b;
    }
    complete = keeping;
  }
  return {
    read: read(),
    drop() {
      keeping = false;
      kept.length = 0;
    },
    /** The whole object as read, if it was kept to the end. */
    bytes: (): Buffer[] | undefined => (complete ? kept : undefined),
  };
}

/** An ObjectStore whose read of `key` replays bytes already read. */
function replaying(objects: ObjectStore, key: string, bytes: Buffer[]): ObjectStore {
  return {
    async *read(k) {
      if (k !== key) return yield* objects.read(k);
      yield* bytes;
    },
    put: (k, b, t) => objects.put(k, b, t),
    openWriter: (k, t) => objects.openWriter(k, t),
    remove: (k) => objects.remove(k),
    copy: (f, t) => objects.copy(f, t),
  };
}

export type SplitOutcome =
  /** Cut into parts; the parts' invocations do the ingest and the last one writes the file's summary. */
  | { split: FileSummary; plan: SplitPlan }
  /** Already ingested (the ledger has it): a redelivered event. */
  | { done: FileSummary }
  /** Not split: ingest it whole, reading through `objects` (which replays the bytes already read when it can). */
  | { whole: ObjectStore; reason: string }
  /** Past a bound (lib/csv/limits.ts) while planning: to be quarantined with this reason, before any row is applied. */
  | { refuse: string };

/**
 * Plans and, for a file of more than `partRows` rows, writes the parts of an upload under incoming/orders/ or
 * incoming/members/. Idempotent: a redelivered event writes the same parts under the same keys, whose ledger
 * entries then make their ingest a no-op; a finished file is answered from the ledger.
 */
export async function splitObject(obj: IngestObject, deps: IngestDeps, partRows: number): Promise<SplitOutcome> {
  const kind = fileKind(obj.key);
  if (!kind) return { whole: deps.objects, reason: 'not an upload' };
  const reader = keepingReader(deps.objects, obj.key);
  const limits = deps.config.ingest;
  const opened = await openText(reader.read, { maxDecompressedBytes: limits.maxDecompressedBytes });
  if ('error' in opened) return { whole: deps.objects, reason: opened.error };

  const tally = new PartTally();
  const versionMs = defaultVersionMs(obj.key, obj.lastModifiedMs, deps.config.brand.timeZone);
  const decide = kind === 'orders' ? orderIdDecisions(deps, versionMs) : undefined;
  let walked: Walked;
  try {
    walked = await walk(opened.text, partRows, limits, (item) => {
      if (item.part === 1 && item.role === 'row' && tally.parts.length === 1) reader.drop();
      tally.add(item);
      decide?.add(item);
    });
  } catch (e) {
    if (isInputLimitError(e)) return { refuse: e.message };
    throw e;
  }
  const keptBytes = reader.bytes();
  const whole = (reason: string): SplitOutcome => ({ whole: keptBytes ? replaying(deps.objects, obj.key, keptBytes) : deps.objects, reason });
  if (tally.parts.length < 2) return whole(`${walked.rowItems} records, not more than ${partRows}`);
  if (!walked.header || !walked.sameDelimiter) return whole('the first line is not the header: read whole, as it was');
  const headerCheck =
    kind === 'orders'
      ? ordersRowHandler(walked.header.fields, deps.config, 0, deps.customers)
      : membersRowHandler(walked.header.fields, deps.config, { defaultVersionMs: 0, uploadMs: 0 }, deps.customers, '');
  if (headerCheck.missing.length) return whole('unrecognised header: ingest quarantines it');

  const done = await deps.ledger.get(obj.key, obj.etag);
  if (done) return { done };

  const headerBreaks = countBreaks(walked.header.raw);
  const plan: SplitPlan = {
    original: { key: obj.key, etag: obj.etag, lastModifiedMs: obj.lastModifiedMs, file: baseName(obj.key), kind, encoding: opened.encoding, compressed: opened.compressed },
    versionMs,
    partRows,
    rows: tally.parts.reduce((n, p) => n + p.rows, 0),
    lines: tally.parts.at(-1)!.lastLine,
    parts: tally.parts.map((p) => ({
      ...p,
      key: partKey(obj.key, obj.etag, p.index),
      reportKey: partReportKey(obj.key, obj.etag, p.index),
      // Parts after the first start with the header line(s); their first row is on line 1 + headerBreaks.
      lineOffset: p.index === 1 ? 0 : p.firstLine - (1 + headerBreaks),
    })),
    ...(decide ? { decisions: decide.decisions() } : {}),
    plannedAt: (deps.now ?? (() => new Date()))().toISOString(),
  };
  const key = planKey(obj.key, obj.etag);
  await deps.objects.put(key, JSON.stringify(plan, null, 2), 'application/json');
  await writeParts(obj.key, plan, walked.header.raw, deps.objects, limits);
  const summary: FileSummary = {
    key: obj.key,
    file: plan.original.file,
    kind,
    etag: obj.etag,
    status: 'split',
    rows: plan.rows,
    applied: 0,
    unchanged: 0,
    rejected: 0,
    rejectedFields: 0,
    customers: 0,
    encoding: opened.encoding,
    compressed: opened.compressed,
    parts: plan.parts.length,
    plan: key,
    processedAt: plan.plannedAt,
  };
  return { split: summary, plan };
}

/**
 * The whole file's order-id decisions (lib/ingest/file-order-ids.ts), worked out in the planning pass from the rows
 * ingest would apply (the same validation), so that each part decides as the unsplit file would.
 */
function orderIdDecisions(deps: IngestDeps, versionMs: number) {
  let parse: ((fields: string[], line: number) => OrderRecord | RowError[]) | undefined;
  let width = 0;
  const ids = new FileOrderIds();
  const anonymous = anonymousIds(deps.config);
  const out = new Map<number, Decision>();
  // As in the ingest's batch: an earlier row already skipped or rejected stays so.
  const overrule = (e: Overruled, d: Decision) => {
    const had = out.get(e.line);
    if (had && !('v' in had) && 'skip' in d && d.skip === 'unchanged') return;
    // The ingest counted the row's replacing an earlier one when it decided it; a plan carries that count along.
    out.set(e.line, had && 'replaced' in had && had.replaced ? { ...d, replaced: true } : d);
  };
  return {
    add(item: Item): void {
      if (!item.fields) return;
      if (item.role === 'header') {
        const handler = ordersRowHandler(item.fields, deps.config, versionMs, deps.customers);
        parse = (fields, line) => handler.parse(fields, line, () => {}) as OrderRecord | RowError[];
        width = item.fields.length;
        return;
      }
      if (!parse || item.role !== 'row' || !item.row) return;
      const f = item.fields;
      if (f.length > width && f.slice(width).some((x) => x.trim() !== '')) return;
      const o = parse(f, item.line);
      // Walk-in rows are not stored under any customer, so they claim no order id (as in orders-rows.ts).
      if (Array.isArray(o) || anonymous.has(o.customerId)) return;
      const d = ids.see(o, item.line, overrule);
      if (d) out.set(item.line, d);
    },
    decisions: (): [number, Decision][] => [...out].sort((a, b) => a[0] - b[0]),
  };
}

/** Second pass: writes each part as it fills, and fails if the object no longer cuts where the plan says. */
async function writeParts(key: string, plan: SplitPlan, headerRaw: string, objects: ObjectStore, limits: ReadLimits): Promise<void> {
  const opened = await openText(objects.read(key), { maxDecompressedBytes: limits.maxDecompressedBytes });
  if ('error' in opened) throw new Error(`${key}: cannot be read again to write its parts: ${opened.error}`);
  const tally = new PartTally();
  let current = 0;
  let chunks: string[] = [];
  const flush = async () => {
    const planned = plan.parts[current]!;
    const got = tally.parts[current];
    if (!got || got.firstLine !== planned.firstLine || got.rows !== planned.rows || got.records !== planned.records)
      throw new Error(`${key} changed while it was being split: part ${planned.index} does not match its plan`);
    await objects.put(planned.key, Buffer.from(chunks.join(''), 'utf8'), 'text/csv; charset=utf-8');
    chunks = [];
  };
  await walk(opened.text, plan.partRows, limits, async (item) => {
    if (item.part !== current) {
      await flush();
      current = item.part;
      chunks.push(headerRaw);
    }
    tally.add(item);
    chunks.push(item.raw);
  });
  await flush();
  if (tally.parts.length !== plan.parts.length) throw new Error(`${key} changed while it was being split: ${tally.parts.length} parts, planned ${plan.parts.length}`);
}
