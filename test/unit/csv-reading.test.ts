import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { openText } from '../../lib/csv/open-text.ts';
import { readCsv, UNCLOSED_QUOTE, type CsvSkip } from '../../lib/csv/read-csv.ts';

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
