/**
 * Fuzzing support: export files built from rows the test generated itself (so the number of rows and the line
 * each starts on are known independently of the reader), in every encoding and wrapping the ingest accepts, and
 * the ingest's outcome read back from the in-memory ports.
 */
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { defaultConfig } from '../../lib/config/schema.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { quarantineKey, rejectReportKey } from '../../lib/ingest/file-meta.ts';
import type { FileSummary } from '../../lib/ingest/ports.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';

export type Wrapping = { encoding: 'utf8' | 'utf8-bom' | 'gb18030' | 'utf16le-bom'; gzip: boolean; eol: '\r\n' | '\n'; delimiter: ',' | ';' | '\t' };

export const wrapping: fc.Arbitrary<Wrapping> = fc.record({
  encoding: fc.constantFrom('utf8', 'utf8-bom', 'gb18030', 'utf16le-bom'),
  gzip: fc.boolean(),
  eol: fc.constantFrom('\r\n', '\n'),
  delimiter: fc.constantFrom(',', ';', '\t'),
});

const BREAKS = /\r\n|\r|\n/g;
export const breaks = (s: string) => (s.match(BREAKS) ?? []).length;

/**
 * The file's bytes and, for each data row, the 1-based line it starts on. Fields are quoted where they need it
 * (delimiter, quote, CR or LF inside), as Excel and csv-stringify write them.
 */
export function buildFile(header: string[], rows: string[][], w: Wrapping): { bytes: Buffer; startLines: number[]; lastLine: number } {
  const opts = { delimiter: w.delimiter, record_delimiter: w.eol === '\r\n' ? ('windows' as const) : ('unix' as const), quoted_match: /[\r\n"]/ };
  let text = stringify([header], opts);
  const startLines: number[] = [];
  for (const r of rows) {
    startLines.push(1 + breaks(text));
    text += stringify([r], opts);
  }
  let bytes: Buffer;
  if (w.encoding === 'gb18030') bytes = iconv.encode(text, 'gb18030');
  else if (w.encoding === 'utf16le-bom') bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf16le')]);
  else bytes = Buffer.from((w.encoding === 'utf8-bom' ? '\uFEFF' : '') + text, 'utf8');
  return { bytes: w.gzip ? gzipSync(bytes) : bytes, startLines, lastLine: 1 + breaks(text) };
}

export interface ReportEntry {
  line: number;
  column: string;
  value: string;
  reason: string;
}

/** Ingests one upload on the in-memory ports; a thrown error is a failed property, not caught here. */
export async function ingestBytes(key: string, bytes: Buffer, config = defaultConfig) {
  const ports = { objects: new MemoryObjectStore(), customers: new MemoryCustomerStore(), ledger: new MemoryLedger() };
  await ports.objects.put(key, bytes);
  const summary: FileSummary = await ingestObject({ key, etag: 'e', lastModifiedMs: Date.parse('2026-03-05T16:00:00Z') }, { ...ports, config, asOf: '2026-03-31' });
  const reportText = ports.objects.text(rejectReportKey(key));
  const report: ReportEntry[] = reportText
    ? (parse(reportText, { bom: true, columns: true }) as Record<string, string>[]).map((r) => ({
        line: Number(r['line']),
        column: r['column'] ?? '',
        value: r['value'] ?? '',
        reason: r['reason'] ?? '',
      }))
    : [];
  return { summary, report, ports, quarantine: quarantineKey(key) };
}

/** Arbitrary text cells: quotes, separators, line breaks, formulas, total rows, CJK, control characters, long runs. */
export const garbageCell: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom('"', ',', ';', '\t', '\n', '\r', ' ', 'a', '1', '中', '.', '-', '='), maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom('=SUM(A1:A9)', '+1', '-1', '@cmd', '=HYPERLINK("x")', '合计', 'Total', '""', '"', ' ', '', '1e309', 'NaN', '-0', '0x1F', '１２３') },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 120_000 }).map((n) => 'x'.repeat(n)) },
).map((s) => s.replace(/\u0000/g, '')); // a NUL byte makes the whole file binary (quarantined): its own property

/** Every rejection names its line, a reason, and (when one value is at fault) its column. */
export function wellFormed(e: ReportEntry, lastLine: number, columns: readonly string[]): boolean {
  return Number.isInteger(e.line) && e.line >= 2 && e.line <= lastLine && e.reason.trim().length > 3 && (e.column === '' || columns.includes(e.column));
}
