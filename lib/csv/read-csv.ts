import Papa from 'papaparse';
import { formatSize, InputLimitError, MAX_BLANK_RUN, type ReadLimits } from './limits.ts';
import type { TextEncoding } from './open-text.ts';
import { mayHaveEncodingProblem, rowEncodingProblem } from './row-encoding.ts';

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
  /** The record's text as read, line break included (only when asked for: splitting a file copies it). */
  raw?: string;
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

/** Line breaks in a record's raw text (CRLF is one), counted as the reader numbers lines. */
export function countBreaks(s: string): number {
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

export interface ReadCsvOptions {
  /** Give each record its text as read. */
  raw?: boolean;
  /** Number lines from here (a part of a split file). */
  firstLine?: number;
  /** Bounds on fields, records and blank lines in a row (MAX_BLANK_RUN); past one the reader throws an InputLimitError. Unset: none. */
  limits?: Pick<ReadLimits, 'maxFieldChars' | 'maxLineChars'>;
  /** The encoding the text was decoded from (a getter: it may be decided part-way); records not in it are skips. */
  encoding?: () => TextEncoding;
}

/**
 * Streams CSV as batches of records (one batch per decoded chunk), each with the line it starts on, through
 * Papa Parse's core parser (4x csv-parse on our 1M-row file, see BENCHMARKS.md). Quoted commas, quotes and
 * newlines are fields; a record cut by a chunk boundary is carried into the next chunk. Malformed records do
 * not stop the file: they come in the batch as skips with their line and reason.
 */
export async function* readCsvBatches(
  text: AsyncIterable<string>,
  opts: ReadCsvOptions = {},
): AsyncGenerator<CsvItem[]> {
  const maxField = opts.limits?.maxFieldChars ?? Infinity;
  const maxLine = opts.limits?.maxLineChars ?? Infinity;
  let blankRun = 0;
  let fast: Papa.Parser | undefined;
  let stepped: Papa.Parser | undefined;
  let steps: { fields: string[]; end: number; error?: string }[] = [];
  let newline: '\r\n' | '\n' | '\r' = '\n';
  let rest = '';
  let line = opts.firstLine ?? 1;
  let delimiter = ',';

  const reasonOf = (e: Papa.ParseError) =>
    e.code === 'MissingQuotes' ? UNCLOSED_QUOTE : e.code === 'InvalidQuotes' ? BAD_CLOSING_QUOTE : `malformed CSV: ${e.message}`;
  const start = (head: string) => {
    const end = head.search(/\r|\n/);
    newline = sniffNewline(head);
    delimiter = sniffDelimiter(end >= 0 ? head.slice(0, end) : head);
    fast = new Papa.Parser({ delimiter, newline, quoteChar: '"' });
    stepped = new Papa.Parser({
      delimiter,
      newline,
      quoteChar: '"',
      step: (r: Papa.ParseStepResult<string[]>) => {
        const err = r.errors[0];
        steps.push({ fields: (r.data as unknown as string[][])[0] ?? [], end: (r.meta as { cursor: number }).cursor, ...(err ? { error: reasonOf(err) } : {}) });
      },
    });
  };

  const take = (input: string, final: boolean): CsvItem[] => {
    const out: CsvItem[] = [];
    // Nearly every chunk: no quote and one kind of line break, so every record is one line.
    const plain = !input.includes('"') && (newline === '\r\n' ? !/[^\r]\n|\r(?!\n)/.test(input) : !input.includes(newline === '\n' ? '\r' : '\n'));
    if (plain) {
      const r = fast!.parse(input, 0, !final) as Papa.ParseResult<string[]> & { meta: { cursor: number } };
      // Without quotes a record's text is its fields joined; every record but a last unterminated one ends in a break.
      const n = r.data.length;
      const rawOf = (fields: string[], i: number) => fields.join(delimiter) + (final && i === n - 1 && !/[\r\n]$/.test(input) ? '' : newline);
      if (opts.raw) r.data.forEach((fields, i) => out.push({ line: line++, fields, raw: rawOf(fields, i) }));
      else for (const fields of r.data) out.push({ line: line++, fields });
      check(out, input, (i) => rawOf(r.data[i]!, i));
      rest = final ? '' : input.slice(r.meta.cursor);
      return out;
    }
    // Otherwise record by record with where each ends, so a record's lines are counted from its own text.
    steps = [];
    const r = stepped!.parse(input, 0, !final) as Papa.ParseResult<string[]> & { meta: { cursor: number } };
    let from = 0;
    for (const st of steps) {
      const raw = input.slice(from, st.end);
      from = st.end;
      const fields = st.fields;
      // A record ended by CRLF in a file whose first line ends in LF: the CR is not part of the last value.
      if (newline === '\n' && raw.endsWith('\r\n')) {
        const last = fields[fields.length - 1];
        if (last !== undefined && last.endsWith('\r')) fields[fields.length - 1] = last.slice(0, -1);
      }
      out.push(st.error ? { line, raw, reason: st.error } : opts.raw ? { line, fields, raw } : { line, fields });
      line += Math.max(1, countBreaks(raw));
    }
    check(out, input, (i) => (out[i] as CsvRecord).raw ?? input.slice(i === 0 ? 0 : steps[i - 1]!.end, steps[i]!.end));
    rest = final ? '' : input.slice(r.meta.cursor);
    return out;
  };

  /**
   * The bounds and the encoding, over the records just read from `input`. Each costs one test of the whole
   * chunk in the common case: no record is longer than its chunk, and a chunk without a suspect character has
   * no row in a wrong encoding.
   */
  const check = (out: CsvItem[], input: string, rawOf: (i: number) => string) => {
    if (opts.limits) for (const item of out) {
      if (isSkip(item)) {
        blankRun = 0;
        continue;
      }
      if (item.fields.length === 1 && item.fields[0]!.trim() === '') {
        if (++blankRun > MAX_BLANK_RUN) throw new InputLimitError(`more than ${MAX_BLANK_RUN.toLocaleString('en-US')} blank lines in a row at line ${item.line}: not an export`, item.line);
      } else blankRun = 0;
    }
    if (input.length > Math.min(maxField, maxLine))
      for (const item of out) {
        if (isSkip(item)) continue;
        let chars = item.fields.length - 1;
        for (const f of item.fields) {
          if (f.length > maxField) throw new InputLimitError(`line ${item.line}: a field of ${f.length.toLocaleString('en-US')} characters, longer than ${formatSize(maxField, 'characters')} (ingest.maxFieldChars)`, item.line);
          chars += f.length;
        }
        if (chars > maxLine) throw new InputLimitError(`line ${item.line}: a row of ${chars.toLocaleString('en-US')} characters, longer than ${formatSize(maxLine, 'characters')} (ingest.maxLineChars)`, item.line);
      }
    const encoding = opts.encoding?.();
    if (encoding && mayHaveEncodingProblem(input, encoding))
      out.forEach((item, i) => {
        if (isSkip(item)) return;
        const reason = rowEncodingProblem(item.fields, encoding);
        if (reason) out[i] = { line: item.line, raw: rawOf(i), reason };
      });
  };

  for await (const chunk of text) {
    if (chunk.length === 0) continue;
    if (!fast) {
      const nl = chunk.search(/\r|\n/);
      // The header line may straddle chunks: wait for its end (or the end of the input).
      if (nl < 0 && rest.length + chunk.length < Math.min(MAX_RECORD_CHARS, maxLine + 1)) {
        rest += chunk;
        continue;
      }
      const head = rest + chunk;
      rest = '';
      start(head);
      const items = take(head, false);
      if (items.length) yield items;
      continue;
    }
    const items = take(rest + chunk, false);
    if (rest.length >= MAX_RECORD_CHARS && rest.includes('"')) {
      // The rest of the file is one unfinished quoted field: report it once and read no further (not even to
      // the end: 2 GB of one field would take minutes only to be skipped).
      items.push({ line, raw: rest, reason: UNCLOSED_QUOTE });
      yield items;
      return;
    }
    if (rest.length > maxLine) {
      if (items.length) yield items;
      throw new InputLimitError(`line ${line}: a row longer than ${formatSize(maxLine, 'characters')} (ingest.maxLineChars), still unfinished`, line);
    }
    if (items.length) yield items;
  }
  if (!fast) {
    if (!rest) return;
    start(rest);
  }
  if (rest) {
    // The last record has no line break after it.
    const items = take(rest, true);
    if (items.length) yield items;
  }
}

/** Record by record, for callers that do not need batches; skips go to `onSkip` in file order. */
export async function* readCsv(
  text: AsyncIterable<string>,
  onSkip: (s: CsvSkip) => void,
  opts: ReadCsvOptions = {},
): AsyncGenerator<CsvRecord> {
  for await (const batch of readCsvBatches(text, opts))
    for (const item of batch) {
      if (isSkip(item)) onSkip(item);
      else yield item;
    }
}
