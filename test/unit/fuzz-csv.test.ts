/**
 * Fuzzing the CSV reading path (encoding detection, gunzip, CSV parsing with line numbers, order rows) through
 * ingestObject on the in-memory ports: no input makes it throw; a file that cannot be read is quarantined with a
 * reason and changes nothing; otherwise every row the test wrote is counted, applied or rejected, and every
 * rejected row is in the report at the line it starts on.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ORDER_COLUMNS } from '../../lib/csv/headers.ts';
import { stringify } from 'csv-stringify/sync';
import { breaks, buildFile, garbageCell, ingestBytes, wellFormed, wrapping } from '../support/fuzz-files.ts';

const KEY = 'incoming/orders/orders-2026-03-05.csv';
const HEADER = ['order_id', 'customer_id', 'ordered_at', 'amount', 'status', 'store_id', 'products'];

/** Rows that must be applied whatever surrounds them. An order id belongs to one customer (two customers for one id in
 * one file are both rejected), so the id picks the customer; the customer is prefixed to keep the id space small. */
const goodRow = fc
  .record({
    id: fc.integer({ min: 1, max: 40 }),
    customer: fc.constantFrom('c1', 'c2', '会员003', 'A-4'),
    day: fc.integer({ min: 1, max: 28 }),
    cents: fc.integer({ min: 0, max: 10_000_000 }),
    status: fc.constantFrom('paid', '已支付', 'cancelled', '', '交易成功'),
    products: fc.constantFrom('', 'SKU1;SKU2', '商品A|商品B'),
  })
  .map((r) => [`O${r.id}-${r.customer}`, r.customer, `2026-03-${String(r.day).padStart(2, '0')} 10:00:00`, (r.cents / 100).toFixed(2), r.status, 'S1', r.products]);

/** Ragged rows of arbitrary cells: usually rejected, sometimes (by chance) a valid order. At least two cells, so never a blank line. */
const garbageRow = fc.array(garbageCell, { minLength: 2, maxLength: 10 });

const rows = fc.array(fc.oneof({ weight: 2, arbitrary: goodRow.map((cells) => ({ good: true, cells })) }, { weight: 3, arbitrary: garbageRow.map((cells) => ({ good: false, cells })) }), {
  maxLength: 25,
});

describe('fuzz: order files', () => {
  it('generated rows in any encoding, wrapping and quoting: every row applied or rejected, each rejection at its line', async () => {
    await fc.assert(
      fc.asyncProperty(rows, wrapping, async (generated, w) => {
        const file = buildFile(HEADER, generated.map((r) => r.cells), w);
        const { summary, report } = await ingestBytes(KEY, file.bytes);
        expect(summary.status).toBe('processed');
        expect(summary.rows).toBe(generated.length);
        expect(summary.applied + summary.rejected).toBe(summary.rows);
        for (const e of report) expect(wellFormed(e, file.lastLine, ORDER_COLUMNS), JSON.stringify(e)).toBe(true);
        // Each rejected row is listed, at the line it starts on; a good row never is.
        const rejectedLines = new Set(report.map((e) => e.line));
        expect(rejectedLines.size).toBe(summary.rejected);
        generated.forEach((r, i) => {
          if (r.good) expect(rejectedLines.has(file.startLines[i]!), `row ${i} ${JSON.stringify(r.cells)}`).toBe(false);
        });
        for (const l of rejectedLines) expect(file.startLines).toContain(l);
        expect(summary.applied).toBeGreaterThanOrEqual(generated.filter((r) => r.good).length);
        // A formula-looking value is neutralised in the report.
        for (const e of report) expect(/^[=+\-@]/.test(e.value)).toBe(false);
      }),
      {
        numRuns: 150,
        // Found by this property: 300 KB of ASCII before the first GBK byte was sniffed as UTF-8 and 已支付 garbled.
        examples: [
          [
            [
              { good: false, cells: ['x'.repeat(100_000), 'x'.repeat(100_000), 'x'.repeat(100_000)] },
              { good: true, cells: ['O10', 'c1', '2026-03-01 10:00:00', '10000.00', '已支付', 'S1', ''] },
            ],
            { encoding: 'gb18030', gzip: false, eol: '\r\n', delimiter: ',' },
          ],
        ],
      },
    );
  });

  it('arbitrary bytes, raw or behind a BOM, gzip or ZIP magic: quarantined with a reason or read, never a crash', async () => {
    const prefix = fc.constantFrom(
      Buffer.alloc(0),
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0xfe, 0xff]),
      Buffer.from([0x1f, 0x8b]),
      Buffer.from('PK\x03\x04'),
      Buffer.from(HEADER.join(',') + '\n'),
      Buffer.from('订单号,会员号,下单时间,实付金额\r\n'),
    );
    const body = fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.string({ unit: 'binary', maxLength: 600 }).map((s) => new Uint8Array(Buffer.from(s))));
    await fc.assert(
      fc.asyncProperty(prefix, body, fc.boolean(), async (p, b, gzip) => {
        const raw = Buffer.concat([p, Buffer.from(b)]);
        const { summary, report, ports, quarantine } = await ingestBytes(KEY, gzip ? gzipSync(raw) : raw);
        if (summary.status === 'quarantined') {
          // Nothing applied, the upload moved aside with a reason a person can read.
          expect(summary.reason!.length).toBeGreaterThan(5);
          expect(ports.objects.text(`${quarantine}.reason.txt`)).toContain(summary.reason!);
          expect(ports.objects.objects.has(quarantine)).toBe(true);
          expect(ports.objects.objects.has(KEY)).toBe(false);
          expect(ports.customers.orders.size + ports.customers.states.size).toBe(0);
          return;
        }
        expect(summary.applied + summary.rejected).toBe(summary.rows);
        const lastLine = 1 + breaks(raw.toString('latin1')) + 1;
        for (const e of report) expect(Number.isInteger(e.line) && e.line >= 2 && e.reason.length > 3, JSON.stringify(e)).toBe(true);
        expect(report.every((e) => e.line <= lastLine * 2)).toBe(true);
        expect(new Set(report.map((e) => e.line)).size).toBeLessThanOrEqual(summary.rejected);
        if (summary.rejected > 0) expect(report.length).toBeGreaterThan(0);
      }),
      // Found by this property: gzip magic with a cut or corrupt stream threw from the sniff instead of quarantining.
      { numRuns: 300, examples: [[Buffer.from([0x1f, 0x8b]), new Uint8Array(0), false], [Buffer.from([0x1f, 0x8b]), new Uint8Array([8, 0, 1, 2]), false]] },
    );
  });

  it('unbalanced quotes and stray separators after a good header: every record counted once, the file still read', async () => {
    const line = fc.array(fc.constantFrom('"', '""', ',', 'a', '1', ' ', '中', '2026-03-05', '\r', 'O1,c1,2026-03-05,1.00'), { maxLength: 12 }).map((p) => p.join(''));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), async (lines, eol) => {
        const text = [HEADER.join(','), ...lines].join(eol) + eol;
        const { summary, report } = await ingestBytes(KEY, Buffer.from(text));
        expect(summary.status).toBe('processed');
        expect(summary.applied + summary.rejected).toBe(summary.rows);
        // No more rows than non-blank lines; a quote can only merge lines, never invent them.
        expect(summary.rows).toBeLessThanOrEqual(breaks(text) - 1);
        for (const e of report) expect(e.line >= 2 && e.line <= 2 + breaks(text) && e.reason.length > 3, JSON.stringify(e)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('rows in the other encoding after the sniffed part (GBK in UTF-8, UTF-8 in GBK): each rejected at its line, its neighbours applied, nothing garbled stored', async () => {
    // Chinese in these cells is never valid UTF-8 as GBK bytes (checked below), so a GBK row in a UTF-8 file is always
    // detectable; UTF-8 Chinese read as GBK always is (lib/csv/row-encoding.ts).
    const chinese = ['会员003', '张伟', '欧阳娜娜'];
    const isUtf8 = (b: Buffer) => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(b);
        return true;
      } catch {
        return false;
      }
    };
    for (const c of chinese) expect(isUtf8(iconv.encode(c, 'gbk')), c).toBe(false);
    const row = fc.record({ good: goodRow, customer: fc.constantFrom(...chinese, 'c1'), foreign: fc.boolean() }).map((r) => {
      const cells = [...r.good, ''];
      cells[1] = r.customer;
      // A foreign row is told by its Chinese: one without any would be the same bytes in either encoding.
      if (r.foreign && cells[1] === 'c1') cells[1] = chinese[0]!;
      return { cells, foreign: r.foreign };
    });
    const header = [...HEADER, 'note'];
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 12 }), fc.constantFrom('utf8' as const, 'gb18030' as const), fc.boolean(), fc.constantFrom('\r\n', '\n'), async (generated, encoding, gzip, eol) => {
        const other = encoding === 'utf8' ? 'gb18030' : 'utf8';
        const opts = { record_delimiter: eol === '\r\n' ? ('windows' as const) : ('unix' as const) };
        // Past the 256 KiB the encoding is sniffed from (280 KB in GBK, 420 KB in UTF-8), in an unused column.
        const padding = ['O0', '会员000', '2026-03-01 10:00:00', '1.00', 'paid', 'S1', '', '备注'.repeat(70_000)];
        let text = stringify([header, padding], opts);
        const parts = [iconv.encode(text, encoding)];
        const startLines: number[] = [];
        for (const [i, r] of generated.entries()) {
          // Order ids are brand-wide: each row its own order, so that only the encoding decides what is rejected.
          r.cells[0] = `E${i + 1}`;
          startLines.push(1 + breaks(text));
          const line = stringify([r.cells], opts);
          text += line;
          parts.push(iconv.encode(line, r.foreign ? other : encoding));
        }
        const bytes = Buffer.concat(parts);
        const { summary, report, ports } = await ingestBytes(KEY, gzip ? gzipSync(bytes) : bytes);
        expect(summary).toMatchObject({ status: 'processed', encoding, rows: generated.length + 1 });
        const foreignLines = startLines.filter((_, i) => generated[i]!.foreign);
        expect(report.map((e) => e.line).sort((a, b) => a - b)).toEqual(foreignLines);
        for (const e of report) expect(e.reason, JSON.stringify(e)).toMatch(encoding === 'utf8' ? /^bytes invalid in UTF-8: / : /^(bytes invalid in GB18030 \(GBK\)|mixed encoding): /);
        expect(summary.applied).toBe(1 + generated.filter((r) => !r.foreign).length);
        // What was stored is what the rows in the file's own encoding say, never a replacement character or a garble.
        const written = new Set(['会员000', ...generated.filter((r) => !r.foreign).map((r) => r.cells[1]!)]);
        expect(new Set(ports.customers.orders.keys())).toEqual(written);
        expect(JSON.stringify([...ports.customers.orders.values()].map((m) => [...m.values()]))).not.toContain('\uFFFD');
      }),
      { numRuns: 40 },
    );
  });
});

