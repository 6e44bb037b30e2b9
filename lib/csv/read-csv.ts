import { Readable } from 'node:stream';
import { parse } from 'csv-parse';

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
  /** The record's text as read, its line break included (a split file's parts copy it verbatim). */
  raw: string;
}

export interface CsvSkip {
  line: number;
  raw: string;
  reason: string;
}

const BREAKS = /\r\n|\r|\n/g;
/** Line breaks in a record's raw text, counted as readCsv numbers lines. */
export function countBreaks(s: string): number {
  let n = 0;
  BREAKS.lastIndex = 0;
  while (BREAKS.exec(s)) n++;
  return n;
}

/** Picks the delimiter Excel or the shop platform used from the header line. */
export function sniffDelimiter(firstLine: string): string {
  const counts = [',', ';', '\t', '|'].map((d) => [d, firstLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]![1] > 0 ? counts[0]![0] : ',';
}

/**
 * Streams CSV records with the line each starts on (csv-parse's own line counter counts a quoted CRLF twice).
 * Malformed records do not stop the file: they are passed to `onSkip` with their line and reason.
 */
export async function* readCsv(
  text: AsyncIterable<string>,
  onSkip: (s: CsvSkip) => void,
  /** Line number of the first line (a part of a split file numbers its lines as in the original). */
  opts: { firstLine?: number } = {},
): AsyncGenerator<CsvRecord> {
  const it = text[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const firstText = first.value;
  const nl = firstText.search(/\r|\n/);
  const delimiter = sniffDelimiter(nl >= 0 ? firstText.slice(0, nl) : firstText);
  // No on_record/info: they make csv-parse build an info object per record (3x slower). Lines are counted here
  // from each record's raw text; a skipped record is placed by the record count csv-parse gives its error.
  const pending: { after: number; raw: string; reason: string }[] = [];
  const parser = parse({
    delimiter,
    raw: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
    on_skip: (err: (Error & { records?: number }) | undefined, raw?: string) => {
      pending.push({ after: err?.records ?? 0, raw: raw ?? '', reason: err?.message ?? 'malformed CSV record' });
    },
  } as unknown as Parameters<typeof parse>[0]);
  async function* all(): AsyncGenerator<string> {
    yield firstText;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  const src = Readable.from(all());
  src.on('error', (e) => parser.destroy(e));
  src.pipe(parser);
  let line = opts.firstLine ?? 1;
  let consumed = 0;
  // csv-parse's raw text leaves out the "\n" of a "\r\n" record delimiter (it skips the delimiter's second
  // character without recording it): put it back, so that raw is the text as read.
  let crlf: boolean | undefined;
  const asRead = (raw: string) => {
    crlf ??= (parser as unknown as { options: { record_delimiter: Buffer[] } }).options.record_delimiter.some((d) => d.length === 2);
    return crlf && raw.endsWith('\r') ? raw + '\n' : raw;
  };
  const flush = (upTo: number) => {
    while (pending.length && pending[0]!.after <= upTo) {
      const p = pending.shift()!;
      onSkip({ line, raw: asRead(p.raw), reason: p.reason });
      line += countBreaks(p.raw);
    }
  };
  for await (const rec of parser as AsyncIterable<{ record: string[]; raw: string }>) {
    flush(consumed);
    yield { line, fields: rec.record, raw: asRead(rec.raw) };
    line += countBreaks(rec.raw);
    consumed++;
  }
  flush(Number.POSITIVE_INFINITY);
}
