import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { InputLimitError, MAX_BLANK_RUN } from '../../lib/csv/limits.ts';
import { openText } from '../../lib/csv/open-text.ts';
import { readCsv, UNCLOSED_QUOTE, type CsvSkip, type ReadCsvOptions } from '../../lib/csv/read-csv.ts';
import fc from 'fast-check';
import { isUtf8WithCjk, rowEncodingProblem } from '../../lib/csv/row-encoding.ts';

async function* chunks(buf: Buffer, size = 7): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
async function textOf(buf: Buffer, size?: number) {
  const o = await openText(chunks(buf, size));
  if ('error' in o) return o;
  let t = '';
  for await (const s of o.text) t += s;
  return { ...o, t };
}

describe('openText', () => {
  const csv = '订单号,会员号,实付金额\r\n0001,00042,"1,299.00"\r\n';
  it('detects UTF-8 with and without BOM and strips the BOM', async () => {
    expect(await textOf(Buffer.from(csv))).toMatchObject({ encoding: 'utf8', t: csv });
    expect(await textOf(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv)]))).toMatchObject({ encoding: 'utf8', t: csv });
  });
  it('detects GBK (read as GB18030) even when a character is split across chunks', async () => {
    expect(await textOf(iconv.encode(csv, 'gbk'), 3)).toMatchObject({ encoding: 'gb18030', t: csv });
  });
  it('decides at the first non-ASCII byte when the sniffed 256 KiB are all ASCII (found by fuzzing)', async () => {
    const ascii = `a,b\r\n${'x'.repeat(300_000)},1\r\n`;
    const gbk = Buffer.concat([Buffer.from(ascii), iconv.encode(csv, 'gbk')]);
    expect(await textOf(gbk, 64 * 1024)).toMatchObject({ encoding: 'gb18030', t: ascii + csv });
    const utf8 = Buffer.concat([Buffer.from(ascii), Buffer.from(csv)]);
    expect(await textOf(utf8, 1000)).toMatchObject({ encoding: 'utf8', t: ascii + csv });
    expect(await textOf(Buffer.from(ascii), 4096)).toMatchObject({ encoding: 'utf8', t: ascii });
  });
  it('gunzips .csv.gz content', async () => {
    expect(await textOf(gzipSync(iconv.encode(csv, 'gbk')))).toMatchObject({ encoding: 'gb18030', compressed: true, t: csv });
  });
  it('reads Excel "Unicode text" (UTF-16LE with BOM)', async () => {
    expect(await textOf(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]))).toMatchObject({ encoding: 'utf16le', t: csv });
  });
  it('refuses empty, binary and workbook uploads with a reason', async () => {
    expect(await textOf(Buffer.alloc(0))).toEqual({ error: 'empty file' });
    expect(await textOf(Buffer.from('  \r\n'))).toEqual({ error: 'empty file' });
    expect(await textOf(Buffer.from([1, 2, 0, 4, 5]))).toMatchObject({ error: expect.stringContaining('binary') });
    expect(await textOf(Buffer.from('PK\x03\x04rest'))).toMatchObject({ error: expect.stringContaining('xlsx') });
  });
});

describe('readCsv', () => {
  async function rows(text: string, parts = 1) {
    const skips: CsvSkip[] = [];
    const size = Math.ceil(text.length / parts);
    async function* src() {
      for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
    }
    const out = [];
    for await (const r of readCsv(src(), (s) => skips.push(s))) out.push(r);
    return { out, skips };
  }
  it('gives the line each record starts on, with quoted commas and newlines and CRLF', async () => {
    const text = 'a,b\r\n1,"x, y"\r\n2,"multi\r\nline\r\nvalue"\r\n\r\n3,z\r\n';
    for (const parts of [1, 3, 11]) {
      const { out } = await rows(text, parts);
      expect(out.map((r) => [r.line, r.fields])).toEqual([
        [1, ['a', 'b']],
        [2, ['1', 'x, y']],
        [3, ['2', 'multi\r\nline\r\nvalue']],
        [6, ['']],
        [7, ['3', 'z']],
      ]);
    }
  });
  it('sniffs semicolon and tab delimiters from the header', async () => {
    expect((await rows('a;b\n1;2\n')).out[1]?.fields).toEqual(['1', '2']);
    expect((await rows('a\tb\n1\t2,5\n')).out[1]?.fields).toEqual(['1', '2,5']);
  });
  it('stops at an unclosed quote past 1 MiB (no quadratic re-reading), keeps what came before; a long line without quotes is just long', async () => {
    const big = 'x'.repeat(1_200_000);
    const { out, skips } = await rows(`a,b\n1,2\n3,"${big}\n4,5\n`, 40);
    expect(out.map((r) => r.fields)).toEqual([['a', 'b'], ['1', '2']]);
    expect(skips.map((s) => [s.line, s.reason])).toEqual([[3, UNCLOSED_QUOTE]]);
    const long = await rows(`a,b\n1,${big}\n4,5\n`, 40);
    expect(long.out.map((r) => [r.line, r.fields[0], r.fields[1]?.length])).toEqual([[1, 'a', 1], [2, '1', big.length], [3, '4', 1]]);
    expect(long.skips).toEqual([]);
  });
  it('reports an unclosed quote with its line and keeps what came before', async () => {
    const { out, skips } = await rows('a,b\n1,2\n3,"oops\n4,5\n');
    expect(out.map((r) => r.fields)).toEqual([['a', 'b'], ['1', '2']]);
    expect(skips).toHaveLength(1);
    expect(skips[0]?.line).toBe(3);
  });
});

describe('bounds while streaming (issue 12 item 6)', () => {
  const limits = { maxFieldChars: 1000, maxLineChars: 5000 };
  async function read(src: AsyncIterable<string>, opts: ReadCsvOptions) {
    const out: { line: number; fields: string[] }[] = [];
    const skips: CsvSkip[] = [];
    try {
      for await (const r of readCsv(src, (s) => skips.push(s), opts)) out.push(r);
    } catch (e) {
      return { out, skips, error: e };
    }
    return { out, skips, error: undefined };
  }
  async function* pieces(...parts: string[]) {
    for (const p of parts) yield p;
  }

  it('a field past maxFieldChars and a row past maxLineChars stop the reader with the line and the setting', async () => {
    const field = await read(pieces('a,b\n1,2\n3,' + 'x'.repeat(1001) + '\n4,5\n'), { limits });
    expect(field.error).toBeInstanceOf(InputLimitError);
    expect((field.error as InputLimitError).line).toBe(3);
    expect((field.error as Error).message).toMatch(/^line 3: a field of 1,001 characters, longer than 1,000 characters \(ingest\.maxFieldChars\)/);
    const row = await read(pieces('a,b,c,d,e,f\n' + Array(6).fill('y'.repeat(900)).join(',') + '\n'), { limits });
    expect((row.error as Error).message).toMatch(/^line 2: a row of 5,405 characters, longer than 5,000 characters \(ingest\.maxLineChars\)/);
    // Without bounds (as before) the same text is read.
    expect((await read(pieces('a,b\n3,' + 'x'.repeat(1001) + '\n'), {})).error).toBeUndefined();
  });

  it('an endless row stops once it passes maxLineChars, without reading the rest of the input', async () => {
    let pulled = 0;
    async function* endless() {
      yield 'a,b\n1,2\n3,';
      for (;;) {
        pulled += 1000;
        yield 'x'.repeat(1000);
      }
    }
    const r = await read(endless(), { limits });
    expect((r.error as Error).message).toBe('line 3: a row longer than 5,000 characters (ingest.maxLineChars), still unfinished');
    expect(r.out.map((x) => x.fields)).toEqual([['a', 'b'], ['1', '2']]);
    expect(pulled).toBeLessThan(10_000);
  });

  it('an unclosed quote stops the reading there: the rest is not even read (was: decoded to the end, then skipped)', async () => {
    let pulled = 0;
    async function* endless() {
      yield 'a,b\n1,2\n3,"';
      for (;;) {
        pulled += 64 * 1024;
        if (pulled > 64 * 1024 ** 2) throw new Error('read on past the unclosed quote');
        yield 'x'.repeat(64 * 1024);
      }
    }
    const r = await read(endless(), {});
    expect(r.error).toBeUndefined();
    expect(r.skips.map((s) => [s.line, s.reason])).toEqual([[3, UNCLOSED_QUOTE]]);
    expect(pulled).toBeLessThan(2 * 1024 ** 2);
  });

  it('more than MAX_BLANK_RUN blank lines in a row is a bomb; fewer are skipped as always', async () => {
    const bomb = await read(pieces('a,b\n1,2\n', '\n'.repeat(MAX_BLANK_RUN + 10), '3,4\n'), { limits });
    expect((bomb.error as Error).message).toBe(`more than 100,000 blank lines in a row at line ${3 + MAX_BLANK_RUN}: not an export`);
    const fine = await read(pieces('a,b\n1,2\n', '\n'.repeat(1000), '3,4\n'), { limits });
    expect(fine.error).toBeUndefined();
    expect(fine.out.at(-1)).toMatchObject({ line: 1003, fields: ['3', '4'] });
  });

  it('maxDecompressedBytes stops a gzip bomb at the bound while streaming; within the sniffed prefix the upload is refused', async () => {
    const row = 'O1,c1,2026-03-05,1.00\n';
    const gz = gzipSync(Buffer.from('order_id,customer_id,ordered_at,amount\n' + row.repeat(200_000))); // 4.4 MB from ~20 KB
    expect(gz.length).toBeLessThan(100_000);
    const opened = await openText(chunks(gz, 16 * 1024), { maxDecompressedBytes: 1024 * 1024 });
    if ('error' in opened) throw new Error(opened.error);
    let read = 0;
    const error = await (async () => {
      try {
        for await (const t of opened.text) read += t.length;
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(InputLimitError);
    expect(error?.message).toBe('the gzip content expands to more than 1 MiB (ingest.maxDecompressedBytes): a compression bomb, or more than one export');
    expect(read).toBeLessThanOrEqual(1024 * 1024);
    expect(await openText(chunks(gz, 16 * 1024), { maxDecompressedBytes: 100_000 })).toEqual({
      error: 'the gzip content expands to more than 100,000 bytes (ingest.maxDecompressedBytes): a compression bomb, or more than one export',
    });
    expect(await openText(chunks(Buffer.from(row.repeat(10_000))), { maxDecompressedBytes: 100_000 })).toEqual({ error: 'more than 100,000 bytes (ingest.maxDecompressedBytes): more than one export' });
  });
});

describe('rows in a wrong encoding (issue 12 item 5)', () => {
  const gbk = (s: string) => iconv.encode(s, 'gbk');
  it('a row that is invalid in the encoding, or UTF-8 in a GB18030 file, is named; a genuine row is not', () => {
    expect(rowEncodingProblem(['c1', iconv.decode(gbk('张伟'), 'utf8')], 'utf8')).toMatch(/^bytes invalid in UTF-8/);
    expect(rowEncodingProblem(['c1', iconv.decode(Buffer.from([0x81, 0x2c]), 'gb18030')], 'gb18030')).toMatch(/^bytes invalid in GB18030/);
    expect(rowEncodingProblem(['c1', iconv.decode(Buffer.from('张伟'), 'gb18030')], 'gb18030')).toMatch(/^mixed encoding: the file is GB18030 \(GBK\) but this row is UTF-8/);
    expect(rowEncodingProblem(['c1', '\uD83D'], 'utf16le')).toMatch(/^bytes invalid in UTF-16LE/);
    for (const name of ['张伟', '欧阳娜娜', '司马相如', '王小明', 'José']) {
      expect(rowEncodingProblem(['c1', name], 'utf8')).toBeUndefined();
      expect(rowEncodingProblem(['c1', iconv.decode(gbk(name), 'gb18030')], 'gb18030')).toBeUndefined();
    }
  });

  it('the reader gives such records as skips at their line, quoted or not, and reads on', async () => {
    const utf8 = (s: string) => Buffer.from(s);
    // A UTF-8 file with one GBK row: sniffed as UTF-8 (most of its non-ASCII lines are), the GBK row rejected.
    const bytes = Buffer.concat([utf8('id,name\n1,张三\n2,'), gbk('李四'), utf8('\n3,"王\n五"\n4,'), gbk('赵六'), utf8(',"x"\n5,孙七\n6,周八\n')]);
    const o = await openText(chunks(bytes, 5));
    if ('error' in o) throw new Error(o.error);
    expect(o.encoding).toBe('utf8');
    const skips: CsvSkip[] = [];
    const out = [];
    for await (const r of readCsv(o.text, (s) => skips.push(s), { encoding: () => o.encoding })) out.push([r.line, r.fields]);
    expect(out).toEqual([[1, ['id', 'name']], [2, ['1', '张三']], [4, ['3', '王\n五']], [7, ['5', '孙七']], [8, ['6', '周八']]]);
    expect(skips.map((s) => [s.line, s.reason.split(':')[0]])).toEqual([[3, 'bytes invalid in UTF-8'], [6, 'bytes invalid in UTF-8']]);
  });

  it('the hand-written UTF-8 check agrees with a fatal TextDecoder, on random bytes and on encoded text', () => {
    const CJK = /[\u2E80-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFF00-\uFFEF\u{20000}-\u{3FFFF}]/u;
    const oracle = (b: Uint8Array) => {
      try {
        return CJK.test(new TextDecoder('utf-8', { fatal: true }).decode(b));
      } catch {
        return false;
      }
    };
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => new Uint8Array(Buffer.from(s))));
    const cut = fc.tuple(bytes, fc.nat(24)).map(([b, n]) => b.subarray(0, Math.min(n, b.length)));
    fc.assert(fc.property(fc.oneof(bytes, cut), (b) => {
        expect(isUtf8WithCjk(b)).toBe(oracle(b));
      }), { numRuns: 3000 });
  });
});

