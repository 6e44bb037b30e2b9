import Papa from 'papaparse';

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

export interface CsvSkip {
  line: number;
  raw: string;
  reason: string;
}

/** What a batch holds: records, and in their place the records that could not be read. */
export type CsvItem = CsvRecord | CsvSkip;

export const isSkip = (i: CsvItem): i is CsvSkip => 'reason' in i;

export const UNCLOSED_QUOTE = 'a quoted field opened here is never closed; the rest of the file could not be split into rows';
export const BAD_CLOSING_QUOTE = 'a quote is closed in the middle of a field';

/**
 * An unfinished record longer than this is an unclosed quote, not a field: real fields are short, and waiting
 * for more input would re-scan an ever longer remainder (quadratic) and hold the rest of the file in memory.
 */
const MAX_RECORD_CHARS = 1 << 20;

/** Picks the delimiter Excel or the shop platform used from the header line. */
export function sniffDelimiter(firstLine: string): string {
  const counts = [',', ';', '\t', '|'].map((d) => [d, firstLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]![1] > 0 ? counts[0]![0] : ',';
}

/** The line break the file's first line ends with (Papa Parse splits records on one kind). */
function sniffNewline(text: string): '\r\n' | '\n' | '\r' {
  const i = text.search(/\r|\n/);
  if (i < 0 || text[i] === '\n') return '\n';
  return text[i + 1] === '\n' ? '\r\n' : '\r';
}

function countBreaks(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13) {
      n++;
      if (s.charCodeAt(i + 1) === 10) i++;
    }
  }
  return n;
}

function fieldBreaks(fields: string[]): number {
  let n = 0;
  for (const f of fields) if (f.includes('\n') || f.includes('\r')) n += countBreaks(f);
  return n;
}

/**
 * Streams CSV as batches of records (one batch per decoded chunk), each with the line it starts on, through
 * Papa Parse's core parser (4x csv-parse on our 1M-row file, see BENCHMARKS.md). Quoted commas, quotes and
 * newlines are fields; a record cut by a chunk boundary is carried into the next chunk. Malformed records do
 * not stop the file: they come in the batch as skips with their line and reason.
 */
export async function* readCsvBatches(text: AsyncIterable<string>): AsyncGenerator<CsvItem[]> {
  let parser: Papa.Parser | undefined;
  let newline: '\r\n' | '\n' | '\r' = '\n';
  let rest = '';
  let line = 1;
  let stopped = false;

  const take = (input: string, final: boolean): CsvItem[] => {
    const r = parser!.parse(input, 0, !final) as Papa.ParseResult<string[]> & { meta: { cursor: number } };
    const out: CsvItem[] = [];
    const bad = new Map<number, string>();
    for (const e of r.errors) {
      if (e.row === undefined) continue;
      bad.set(e.row, e.code === 'MissingQuotes' ? UNCLOSED_QUOTE : e.code === 'InvalidQuotes' ? BAD_CLOSING_QUOTE : `malformed CSV: ${e.message}`);
    }
    // Without a quote in the input no field can hold a line break, unless the file mixes line endings.
    const plain = !input.includes('"') && (newline === '\r\n' ? !/[^\r]\n|\r(?!\n)/.test(input) : !input.includes(newline === '\n' ? '\r' : '\n'));
    for (let i = 0; i < r.data.length; i++) {
      const fields = r.data[i]!;
      // A record ended by CRLF in a file whose first line ends in LF keeps its CR: it is not part of the value.
      if (newline === '\n') {
        const last = fields[fields.length - 1];
        if (last !== undefined && last.endsWith('\r')) fields[fields.length - 1] = last.slice(0, -1);
      }
      const reason = bad.get(i);
      out.push(reason ? { line, raw: fields.join(',').slice(0, 1000), reason } : { line, fields });
      line += 1 + (plain ? 0 : fieldBreaks(fields));
    }
    rest = final ? '' : input.slice(r.meta.cursor);
    return out;
  };

  for await (const chunk of text) {
    if (stopped || chunk.length === 0) continue;
    if (!parser) {
      const nl = chunk.search(/\r|\n/);
      // The header line may straddle chunks: wait for its end (or the end of the input).
      if (nl < 0 && rest.length + chunk.length < MAX_RECORD_CHARS) {
        rest += chunk;
        continue;
      }
      const head = rest + chunk;
      rest = '';
      const end = head.search(/\r|\n/);
      newline = sniffNewline(head);
      parser = new Papa.Parser({ delimiter: sniffDelimiter(end >= 0 ? head.slice(0, end) : head), newline, quoteChar: '"' });
      const items = take(head, false);
      if (items.length) yield items;
      continue;
    }
    const items = take(rest + chunk, false);
    if (rest.length >= MAX_RECORD_CHARS) {
      // The rest of the file is one unfinished quoted field: report it once and read no further.
      items.push({ line, raw: rest.slice(0, 1000), reason: UNCLOSED_QUOTE });
      rest = '';
      stopped = true;
    }
    if (items.length) yield items;
  }
  if (stopped) return;
  if (!parser) {
    if (!rest) return;
    const end = rest.search(/\r|\n/);
    newline = sniffNewline(rest);
    parser = new Papa.Parser({ delimiter: sniffDelimiter(end >= 0 ? rest.slice(0, end) : rest), newline, quoteChar: '"' });
  }
  if (rest) {
    // The last record has no line break after it.
    const items = take(rest, true);
    if (items.length) yield items;
  }
}

/** Record by record, for callers that do not need batches; skips go to `onSkip` in file order. */
export async function* readCsv(text: AsyncIterable<string>, onSkip: (s: CsvSkip) => void): AsyncGenerator<CsvRecord> {
  for await (const batch of readCsvBatches(text))
    for (const item of batch) {
      if (isSkip(item)) onSkip(item);
      else yield item;
    }
}
