import type { TextEncoding } from '../csv/open-text.ts';
import { baseName } from './file-meta.ts';
import type { Decision } from './file-order-ids.ts';

/**
 * Where the pieces of a split file live. A large upload incoming/orders/big.csv (ETag E) is cut into
 *   incoming/parts/orders/big.csv/E/00001.csv ...   the parts (UTF-8 CSV, header + rows), each triggering ingest
 *   splits/orders/big.csv/E/plan.json               the plan: parts, row ranges, original line offsets
 *   splits/orders/big.csv/E/00001.errors.csv ...    each part's rejected rows, merged into rejected/big.csv.errors.csv
 * The directory names the original key and content, so a re-upload of other content gets its own parts and a
 * redelivered event finds the same ones.
 */
export const PARTS_PREFIX = 'incoming/parts/';
export const SPLITS_PREFIX = 'splits/';

/** How ingestObject reads one part: as the original file it came from. */
export interface IngestAs {
  kind: 'orders' | 'members';
  /** The original file's name (reports, member profiles' source). */
  file: string;
  /** Version of rows without updated_at: from the ORIGINAL name's export date or upload time. */
  versionMs: number;
  reportKey: string;
  quarantineKey: string;
  /** Line number the part's first line gets, so that rows carry their line in the original file. */
  firstLine: number;
  /** The original's encoding: a part is UTF-8, but its rows are checked as text read from the original's bytes. */
  encoding?: TextEncoding;
  /** Orders: what the whole file decided for its order ids, by original line (lib/ingest/file-order-ids.ts). */
  decisions?: [number, Decision][];
}

export interface PlannedPart {
  /** 1-based. */
  index: number;
  key: string;
  reportKey: string;
  /** Original line of the part's first row (1 for the first part, which starts with the file itself). */
  firstLine: number;
  /** Original line of the part's last row. */
  lastLine: number;
  /** Rows as ingest counts them (records and unreadable records after the header; blank lines are not rows). */
  rows: number;
  /** CSV records after the header in the part, blank lines included: at most the plan's partRows. */
  records: number;
  /** Original line = line in the part + lineOffset. */
  lineOffset: number;
}

export interface SplitPlan {
  original: {
    key: string;
    etag: string;
    lastModifiedMs: number;
    file: string;
    kind: 'orders' | 'members';
    encoding: string;
    compressed: boolean;
  };
  versionMs: number;
  partRows: number;
  rows: number;
  lines: number;
  parts: PlannedPart[];
  /** Orders: the rows whose order id another row of the file overrules or is overruled by, by original line, with
   * the decision (lib/ingest/file-order-ids.ts): each part applies those of its lines, as the whole file would. */
  decisions?: [number, Decision][];
  plannedAt: string;
}

function splitDir(originalKey: string, etag: string): string {
  return `${originalKey.slice('incoming/'.length)}/${etag.replace(/[^0-9A-Za-z_-]/g, '_')}`;
}

export function planKey(originalKey: string, etag: string): string {
  return `${SPLITS_PREFIX}${splitDir(originalKey, etag)}/plan.json`;
}

const pad = (i: number) => String(i).padStart(5, '0');

export function partKey(originalKey: string, etag: string, index: number): string {
  return `${PARTS_PREFIX}${splitDir(originalKey, etag)}/${pad(index)}.csv`;
}

export function partReportKey(originalKey: string, etag: string, index: number): string {
  return `${SPLITS_PREFIX}${splitDir(originalKey, etag)}/${pad(index)}.errors.csv`;
}

/** The plan a part key belongs to and its index, or undefined for any other key. */
export function parsePartKey(key: string): { planKey: string; index: number } | undefined {
  if (!key.startsWith(PARTS_PREFIX)) return undefined;
  const m = /^(.+)\/(\d{5})\.csv$/.exec(key.slice(PARTS_PREFIX.length));
  if (!m) return undefined;
  return { planKey: `${SPLITS_PREFIX}${m[1]}/plan.json`, index: Number(m[2]) };
}

/** True when `key` is one of the parts `originalKey` was split into (any upload of it). */
export function isPartOf(key: string, originalKey: string): boolean {
  return key.startsWith(`${PARTS_PREFIX}${originalKey.slice('incoming/'.length)}/`);
}

/** Where a part the ingest could not read goes (beside its reason, as for a whole file). */
export function partQuarantineKey(originalKey: string, index: number): string {
  return `quarantine/${baseName(originalKey)}.part-${pad(index)}.csv`;
}

export function partAs(plan: SplitPlan, part: PlannedPart): IngestAs {
  return {
    kind: plan.original.kind,
    file: plan.original.file,
    versionMs: plan.versionMs,
    reportKey: part.reportKey,
    quarantineKey: partQuarantineKey(plan.original.key, part.index),
    firstLine: 1 + part.lineOffset,
    encoding: plan.original.encoding as TextEncoding,
    ...(plan.decisions ? { decisions: plan.decisions.filter(([line]) => line >= part.firstLine && line <= part.lastLine) } : {}),
  };
}
