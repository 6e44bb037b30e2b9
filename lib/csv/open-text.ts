import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import iconv from 'iconv-lite';
import { formatSize, InputLimitError, isInputLimitError } from './limits.ts';

export type TextEncoding = 'utf8' | 'gb18030' | 'utf16le' | 'utf16be';

export interface OpenedText {
  encoding: TextEncoding;
  compressed: boolean;
  /** Decoded text, BOM removed, streamed. */
  text: AsyncIterable<string>;
}

const SNIFF_BYTES = 256 * 1024;

/** Reads until `n` bytes (or the end) are buffered, then hands back the prefix and an iterator over the rest. */
async function peek(source: AsyncIterable<Buffer>, n: number): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    chunks.push(b);
    size += b.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, rest: rest() };
}

function isValidUtf8Prefix(buf: Buffer): boolean {
  try {
    // stream: true tolerates a multi-byte character cut at the end of the sample.
    new TextDecoder('utf-8', { fatal: true }).decode(buf, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function isValidUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

/**
 * UTF-8 or GB18030, from a sample. Valid UTF-8 throughout is UTF-8. Otherwise line by line: a UTF-8 export with a
 * few GBK rows pasted in is still UTF-8 (those rows are rejected, lib/csv/row-encoding.ts), not a GBK file whose
 * every other row would be rejected. GBK text is valid UTF-8 only by chance, so a GBK file has next to no valid
 * lines with non-ASCII bytes. Line breaks are safe to cut at: 0x0A and 0x0D are never part of a character in either.
 */
function sniffUtf8OrGb(head: Buffer): TextEncoding {
  if (isValidUtf8Prefix(head)) return 'utf8';
  let valid = 0;
  let invalid = 0;
  let from = 0;
  for (;;) {
    const nl = head.indexOf(0x0a, from);
    // The sample's last line may be cut in the middle of a character: not counted.
    if (nl < 0) break;
    const line = head.subarray(from, nl);
    from = nl + 1;
    if (!NON_ASCII.test(line.toString('latin1'))) continue;
    if (isValidUtf8(line)) valid++;
    else invalid++;
  }
  return valid > invalid ? 'utf8' : 'gb18030';
}

/** Passes bytes through until more than `max` have come, then throws: a bomb stops at the bound, not at its end. */
async function* bounded(bytes: AsyncIterable<Buffer>, max: number, compressed: boolean): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const b of bytes) {
    n += b.length;
    if (n > max)
      throw new InputLimitError(
        compressed
          ? `the gzip content expands to more than ${formatSize(max, 'bytes')} (ingest.maxDecompressedBytes): a compression bomb, or more than one export`
          : `more than ${formatSize(max, 'bytes')} (ingest.maxDecompressedBytes): more than one export`,
      );
    yield b;
  }
}

/**
 * Turns an upload into text: gunzips (.csv.gz or gzip magic), detects the encoding from the first 256 KiB
 * (BOMs; valid UTF-8; else GB18030, the superset of GBK that Chinese Excel writes), and refuses what is not
 * text at all. Streams throughout: only the sniffed prefix is ever held. Past `maxDecompressedBytes` the text
 * stream throws an InputLimitError (or, within the sniffed prefix, the upload is refused with its message).
 */
export async function openText(source: AsyncIterable<Buffer>, opts: { maxDecompressedBytes?: number } = {}): Promise<OpenedText | { error: string }> {
  let { head, rest } = await peek(source, 4);
  let compressed = false;
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    compressed = true;
    const gunzip = createGunzip();
    const src = Readable.from(rest);
    src.on('error', (e) => gunzip.destroy(e));
    rest = src.pipe(gunzip);
  }
  if (opts.maxDecompressedBytes !== undefined) rest = bounded(rest, opts.maxDecompressedBytes, compressed);
  try {
    ({ head, rest } = await peek(rest, SNIFF_BYTES));
  } catch (e) {
    if (isInputLimitError(e)) return { error: e.message };
    // zlib's own errors (Z_DATA_ERROR, Z_BUF_ERROR): corrupt or cut short, it can never be read. A failed read
    // of the upload is thrown instead, so the event is retried.
    const code = (e as { code?: unknown } | null)?.code;
    if (compressed && typeof code === 'string' && code.startsWith('Z_')) return { error: `not a readable gzip file: ${(e as Error).message}` };
    throw e;
  }
  if (head.length === 0 || /^[\s\uFEFF]*$/.test(head.subarray(0, 64).toString('utf8')) && head.length < 64)
    return { error: 'empty file' };
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])))
    return { error: 'this is a ZIP archive (an .xlsx workbook?): export the sheet as CSV' };

  let encoding: TextEncoding;
  if (head[0] === 0xff && head[1] === 0xfe) encoding = 'utf16le';
  else if (head[0] === 0xfe && head[1] === 0xff) encoding = 'utf16be';
  else {
    if (head.includes(0)) return { error: 'binary content (NUL bytes): not a CSV text file' };
    // Nothing but ASCII in the sample, and more to come: the first byte that is not ASCII decides (a file can
    // open with 256 KiB of ASCII and have its GBK text further down).
    if (head.length >= SNIFF_BYTES && !NON_ASCII.test(head.toString('latin1'))) {
      const state = { encoding: 'utf8' as TextEncoding };
      return {
        get encoding() {
          return state.encoding;
        },
        compressed,
        text: asciiUntilDecided(rest, state),
      };
    }
    encoding = sniffUtf8OrGb(head);
  }
  return { encoding, compressed, text: decode(rest, encoding) };
}

const NON_ASCII = /[\x80-\xff]/;

function decode(bytes: AsyncIterable<Buffer>, encoding: TextEncoding): AsyncIterable<string> {
  const decoder = iconv.decodeStream(encoding, { stripBOM: true }) as NodeJS.ReadWriteStream & { destroy(e?: Error): void };
  const input = Readable.from(bytes);
  input.on('error', (e) => decoder.destroy(e));
  const decoded = input.pipe(decoder);
  return (async function* () {
    for await (const chunk of decoded) yield String(chunk);
  })();
}

/** ASCII passes through as it is in every candidate encoding; at the first other byte, sniff from there on. */
async function* asciiUntilDecided(bytes: AsyncIterable<Buffer>, state: { encoding: TextEncoding }): AsyncGenerator<string> {
  const it = bytes[Symbol.asyncIterator]();
  for (;;) {
    const r = await it.next();
    if (r.done) return;
    const text = r.value.toString('latin1');
    const i = text.search(NON_ASCII);
    if (i < 0) {
      yield text;
      continue;
    }
    if (i > 0) yield text.slice(0, i);
    const first = r.value.subarray(i);
    const remaining = (async function* () {
      yield first;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value;
      }
    })();
    const { head, rest } = await peek(remaining, SNIFF_BYTES);
    state.encoding = sniffUtf8OrGb(head);
    yield* decode(rest, state.encoding);
    return;
  }
}
