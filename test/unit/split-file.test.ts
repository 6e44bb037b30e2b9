import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig, type MomentsConfig } from '../../lib/config/schema.ts';
import { ingestUpload, type UploadDeps } from '../../lib/ingest/ingest-upload.ts';
import { parsePartKey, PARTS_PREFIX, planKey, type SplitPlan } from '../../lib/ingest/part-meta.ts';
import type { FileSummary } from '../../lib/ingest/ports.ts';
import { profileValues } from '../../lib/members/profile.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';
import { randomRow, toFile } from '../support/random-files.ts';

const AS_OF = '2026-03-01';

/** The bucket: remembers the parts written, as the S3 trigger would deliver them, and counts reads. */
class Bucket extends MemoryObjectStore {
  events: string[] = [];
  reads = new Map<string, number>();
  override async put(key: string, body: string | Buffer): Promise<void> {
    await super.put(key, body);
    if (key.startsWith(PARTS_PREFIX)) this.events.push(key);
  }
  override read(key: string): AsyncIterable<Buffer> {
    this.reads.set(key, (this.reads.get(key) ?? 0) + 1);
    return super.read(key);
  }
}

function world(splitRows: number, config: MomentsConfig = defaultConfig) {
  const objects = new Bucket();
  const customers = new MemoryCustomerStore();
  const ledger = new MemoryLedger();
  const deps: UploadDeps = { objects, customers, ledger, config, asOf: AS_OF, concurrency: 4, splitRows };
  const upload = async (key: string, body: Buffer) => {
    await objects.put(key, body);
    return { key, etag: createHash('md5').update(body).digest('hex'), lastModifiedMs: Date.parse('2026-02-20T00:00:00Z') };
  };
  /** Delivers the pending part events, all at once (as concurrent invocations) or one by one in a shuffled order. */
  const deliverParts = async (how: { concurrent?: boolean; shuffle?: (keys: string[]) => string[]; twice?: boolean } = {}) => {
    const results: FileSummary[] = [];
    while (objects.events.length) {
      let keys = objects.events.splice(0);
      if (how.twice) keys = [...keys, ...keys];
      if (how.shuffle) keys = how.shuffle(keys);
      const run = (k: string) => ingestUpload({ key: k, etag: 'part-etag', lastModifiedMs: 0 }, deps);
      if (how.concurrent) results.push(...(await Promise.all(keys.map(run))));
      else for (const k of keys) results.push(await run(k));
    }
    return results;
  };
  const ingest = async (key: string, body: Buffer, how: Parameters<typeof deliverParts>[0] = {}) => {
    const obj = await upload(key, body);
    const first = await ingestUpload(obj, deps);
    await deliverParts(how);
    return { first, summary: await ledger.get(obj.key, obj.etag), obj };
  };
  const snapshot = () => ({
    states: Object.fromEntries([...customers.states].map(([id, { rev: _rev, ...s }]) => [id, s]).sort()),
    orders: Object.fromEntries([...customers.orders].map(([id, m]) => [id, Object.fromEntries([...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)))]).sort()),
    profiles: Object.fromEntries([...customers.profiles].map(([id, p]) => [id, p.profile]).sort()),
  });
  const text = (key: string) => objects.text(key);
  return { objects, customers, ledger, deps, ingest, deliverParts, upload, snapshot, text };
}

const HEADER = 'order_id,customer_id,ordered_at,amount,currency,status,store_id,channel,region,products\r\n';
function orderLines(n: number, opts: { bad?: (i: number) => boolean; quoted?: (i: number) => boolean; currency?: (i: number) => string } = {}): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const customer = opts.bad?.(i) ? '' : String(1 + (i % 7)).padStart(5, '0');
    const region = opts.quoted?.(i) ? `"华东 ${i}\r\nline two, ""quoted""\nline three"` : '华东';
    out.push(`O${i},${customer},2026-02-${String(1 + (i % 19)).padStart(2, '0')} 10:00:00,${(i % 50) + 1}.50,${opts.currency?.(i) ?? 'CNY'},paid,S001,store,${region},SKU-${i}\r\n`);
  }
  return out;
}

/** Same file ingested whole and split: same customers, orders, profiles, reject report and counts. */
const nonEmpty = <T,>(xs: T[] | undefined) => (xs?.length ? xs : undefined);

async function expectSameAsWhole(key: string, body: Buffer, splitRows: number, how: Parameters<ReturnType<typeof world>['deliverParts']>[0] = {}) {
  const whole = world(0);
  const w = await whole.ingest(key, body);
  const split = world(splitRows);
  const s = await split.ingest(key, body, how);
  expect(s.first.status).toBe('split');
  expect(s.summary).toBeDefined();
  const pick = (x: FileSummary | undefined) => ({
    status: x?.status, rows: x?.rows, applied: x?.applied, rejected: x?.rejected, rejectedFields: x?.rejectedFields,
    report: x?.report, encoding: x?.encoding, compressed: x?.compressed, file: x?.file, kind: x?.kind, ignoredColumns: x?.ignoredColumns,
    currencies: x?.currencies, brandCurrency: x?.brandCurrency,
    // Whether a refund's original was known when the refund was applied depends on which part ran first.
    warnings: how.concurrent ? nonEmpty(x?.warnings?.filter((w) => !w.includes('original order not known yet'))) : x?.warnings,
  });
  expect(pick(s.summary)).toEqual(pick(w.summary));
  // Which of two rows of one order is "already known" depends on which is written first (whole files too).
  if (!how.concurrent && !how.twice) expect(s.summary?.unchanged).toBe(w.summary?.unchanged);
  expect(split.snapshot()).toEqual(whole.snapshot());
  if (w.summary?.report) expect(split.text(w.summary.report)).toBe(whole.text(w.summary.report));
  return { whole, split, w, s };
}

describe('splitting a large file across invocations', () => {
  it('cuts at record boundaries into parts of at most N rows, each starting with the header, lines as in the original', async () => {
    const lines = orderLines(23);
    const body = Buffer.from(HEADER + lines.join(''));
    const w = world(5);
    const obj = await w.upload('incoming/orders/orders-2026-02-20.csv', body);
    const first = await ingestUpload(obj, w.deps);
    expect(first).toMatchObject({ status: 'split', parts: 5, rows: 23, plan: planKey(obj.key, obj.etag) });
    const plan = JSON.parse(w.text(planKey(obj.key, obj.etag))!) as SplitPlan;
    expect(plan.parts.map((p) => [p.rows, p.firstLine, p.lastLine, p.lineOffset])).toEqual([
      [5, 1, 6, 0],
      [5, 7, 11, 5],
      [5, 12, 16, 10],
      [5, 17, 21, 15],
      [3, 22, 24, 20],
    ]);
    expect(plan.original).toMatchObject({ key: obj.key, etag: obj.etag, file: 'orders-2026-02-20.csv', kind: 'orders', encoding: 'utf8', compressed: false });
    // Parts: the header, then the original rows verbatim; together, the original file.
    const parts = plan.parts.map((p) => w.text(p.key)!);
    for (const p of parts) expect(p.startsWith(HEADER)).toBe(true);
    expect(parts[4]).toBe(HEADER + lines.slice(20).join(''));
    expect(HEADER + parts.map((p) => p.slice(HEADER.length)).join('')).toBe(body.toString());
    // Nothing ingested yet: the parts do that, and the last one writes the file's summary.
    expect(w.customers.orders.size).toBe(0);
    expect(await w.ledger.get(obj.key, obj.etag)).toBeUndefined();
    await w.deliverParts();
    expect(await w.ledger.get(obj.key, obj.etag)).toMatchObject({ status: 'processed', rows: 23, applied: 23, parts: 5 });
    // Each processed part is removed; the plan stays.
    for (const p of plan.parts) expect(w.objects.objects.has(p.key)).toBe(false);
  });

  it('gives exactly the state and reject report of the unsplit ingest, with line numbers of the original file', async () => {
    const lines = orderLines(40, { bad: (i) => i % 9 === 4, quoted: (i) => i % 5 === 2 });
    const body = Buffer.from(HEADER + lines.join('') + 'TOTAL,,,"1,234.00",,,,,,\r\n');
    const { split, s, whole } = await expectSameAsWhole('incoming/orders/orders-2026-02-20.csv', body, 6);
    const report = split.text('rejected/orders-2026-02-20.csv.errors.csv')!;
    // Rows 4, 13, 22, 31 (0-based) miss their customer; quoted fields hold line breaks, so lines run ahead of rows.
    const lineOf = (row: number) => 2 + row + 2 * lines.slice(0, row).filter((l) => l.includes('line two')).length;
    for (const row of [4, 13, 22, 31]) expect(report).toContain(`\n${lineOf(row)},customer_id,,missing customer id`);
    expect(s.summary).toMatchObject({ parts: 7, rejected: 5, report: 'rejected/orders-2026-02-20.csv.errors.csv' });
    expect(whole.text('rejected/orders-2026-02-20.csv.errors.csv')).toBe(report);
  });

  it('parts add up to the currency counts and warnings of the whole file, not one warning per part', async () => {
    const cur = (i: number) => (i % 3 === 0 ? 'USD' : i % 7 === 1 ? 'EUR' : 'CNY');
    const lines = orderLines(31, { currency: cur, bad: (i) => i % 10 === 5 });
    const { s } = await expectSameAsWhole('incoming/orders/orders-2026-02-20.csv', Buffer.from(HEADER + lines.join('')), 4);
    const expected: Record<string, number> = {};
    for (let i = 0; i < 31; i++) if (i % 10 !== 5) expected[cur(i)] = (expected[cur(i)] ?? 0) + 1;
    expect(s.summary?.currencies).toEqual(expected);
    expect(s.summary?.warnings).toHaveLength(2);
    expect(s.summary?.warnings?.[0]).toContain(`${expected['EUR']} rows in EUR, not the brand currency CNY`);
    expect(s.summary?.warnings?.[1]).toContain(`${expected['USD']} rows in USD, not the brand currency CNY`);
  });

  it('never cuts a quoted field with line breaks, even where a cut would fall inside it', async () => {
    // Every row spans three lines: any cut by lines alone would land inside a quoted field.
    const lines = orderLines(12, { quoted: () => true });
    const body = Buffer.from(HEADER + lines.join(''));
    const { split, s } = await expectSameAsWhole('incoming/orders/orders-2026-02-20.csv', body, 5);
    const plan = JSON.parse(split.text(s.summary!.plan!)!) as SplitPlan;
    expect(plan.parts.map((p) => p.firstLine)).toEqual([1, 17, 32]);
    expect(plan.lines).toBe(1 + 12 * 3);
    const o = split.customers.orders.get('00001')!.get('O7')!;
    expect(o).toBeDefined();
  });

  it('splits gzip and GBK uploads into UTF-8 parts, with the same result', async () => {
    const gbkHeader = '订单号,会员号,下单时间,实付金额,币种,订单状态,门店编号,渠道,地区\r\n';
    const rows = Array.from({ length: 17 }, (_, i) => `D${i},${String(i % 4).padStart(6, '0')},2026-02-1${i % 9} 10:00:00,"1,2${String(i).padStart(2, '0')}.00",CNY,已支付,S001,门店,"华南, 广州"\r\n`);
    const gbk = iconv.encode(gbkHeader + rows.join('') + '合计,,,"1,399.00",,,,,\r\n', 'gbk');
    const g = await expectSameAsWhole('incoming/orders/订单导出_20260215.csv', gbk, 4);
    expect(g.s.summary).toMatchObject({ encoding: 'gb18030', parts: 5, rejected: 1 });
    const plan = JSON.parse(g.split.text(g.s.summary!.plan!)!) as SplitPlan;
    expect(plan.original.encoding).toBe('gb18030');
    // The plan keeps each part (processed parts are removed): rewrite one to check it is UTF-8 text.
    const gz = gzipSync(Buffer.from(HEADER + orderLines(30, { bad: (i) => i === 17 }).join('')));
    const z = await expectSameAsWhole('incoming/orders/orders-2026-02-21.csv.gz', gz, 7);
    expect(z.s.summary).toMatchObject({ compressed: true, parts: 5, rejected: 1 });
  });

  it('a UTF-8 row in a GBK upload is rejected in its part as when whole: parts are checked against the original encoding', async () => {
    const gbkHeader = '订单号,会员号,下单时间,实付金额,地区,备注\r\n';
    const row = (i: number) => `D${i},${String(i % 4).padStart(6, '0')},2026-02-1${i % 9} 10:00:00,12.00,华南,\r\n`;
    // Past the sniffed 256 KiB (in a column the ingest does not use), so the file is GBK; row 15 (line 17) was written in UTF-8.
    const padding = iconv.encode(`P0,000009,2026-02-10,1.00,华南,${'华'.repeat(140_000)}\r\n`, 'gbk');
    const body = Buffer.concat([iconv.encode(gbkHeader, 'gbk'), padding, ...Array.from({ length: 17 }, (_, i) => (i === 14 ? Buffer.from(row(i)) : iconv.encode(row(i), 'gbk')))]);
    const g = await expectSameAsWhole('incoming/orders/订单导出_20260215.csv', body, 4);
    expect(g.s.summary).toMatchObject({ encoding: 'gb18030', parts: 5, rows: 18, rejected: 1 });
    expect(g.split.text(g.s.summary!.report!)).toMatch(/\n17,,"D14,[^\n]*","mixed encoding: /);
    expect(g.split.customers.orders.get('000002')?.has('D14')).toBe(false);
  });

  it('a bomb found while planning the split is quarantined before anything is applied', async () => {
    const w = world(2, parseConfig({ ingest: { maxLineChars: 10_000 } }));
    const bomb = gzipSync(HEADER + orderLines(5).join('') + 'O9,00001,2026-02-01,' + 'x'.repeat(20_000_000));
    const { first } = await w.ingest('incoming/orders/orders-2026-02-20.csv.gz', bomb);
    expect(first).toMatchObject({ status: 'quarantined', applied: 0, reason: 'line 7: a row longer than 10,000 characters (ingest.maxLineChars), still unfinished' });
    expect(w.objects.events).toHaveLength(0);
    expect(w.customers.orders.size + w.customers.states.size).toBe(0);
    expect(w.text('quarantine/orders-2026-02-20.csv.gz.reason.txt')).toContain('Nothing from this file was applied.');
  });

  it('writes parts as UTF-8 CSV whatever the upload was', async () => {
    const w = world(3);
    const obj = await w.upload('incoming/orders/订单导出_20260215.csv.gz', gzipSync(iconv.encode(HEADER + orderLines(7).join(''), 'gbk')));
    await ingestUpload(obj, w.deps);
    const parts = w.objects.events.map((k) => w.objects.objects.get(k)!);
    expect(parts).toHaveLength(3);
    for (const p of parts) {
      expect(p[0]).not.toBe(0x1f); // not gzip
      expect(new TextDecoder('utf-8', { fatal: true }).decode(p)).toContain('华东');
    }
  });

  it('versions rows by the ORIGINAL file name, not the part name', async () => {
    const body = Buffer.from(HEADER + orderLines(9).join(''));
    const { split } = await expectSameAsWhole('incoming/orders/orders-2026-02-20.csv', body, 2);
    // No updated_at: the version is the end of the export day named in the original file (Asia/Shanghai).
    const o = split.customers.orders.get('00001')!.get('O0')!;
    expect(o.version.startsWith(String(Date.parse('2026-02-20T16:00:00Z') - 1).padStart(15, '0'))).toBe(true);
  });

  it('a members file splits too, profiles and prospects as when whole', async () => {
    const header = 'customer_id,name,phone,email,birthday,sms_opt_in,email_opt_in\n';
    const rows = Array.from({ length: 11 }, (_, i) => `M${i % 6},Name ${i},1380013800${i % 10},m${i}@example.com,${i === 3 ? 'not a date' : '1990-05-0' + (1 + (i % 9))},yes,no\n`);
    const m = await expectSameAsWhole('incoming/members/members-2026-02-20.csv', Buffer.from(header + rows.join('')), 4);
    expect(m.s.summary).toMatchObject({ kind: 'members', parts: 3, rejectedFields: 1 });
  });

  it("a member's later row wins across parts delivered in any order (rows keep their original lines), either way round", async () => {
    const header = 'customer_id,name,sms_opt_in\n';
    const filler = Array.from({ length: 7 }, (_, i) => `F${i},Filler ${i},yes\n`);
    for (const [before, last] of [['yes', 'no'], ['no', 'yes']] as const) {
      // M1's first row is in part 1, its last row in part 3; the parts arrive last first.
      const body = Buffer.from(header + `M1,First,${before}\n` + filler.join('') + `M1,Last,${last}\n`);
      const split = world(4);
      const { first: up, summary } = await split.ingest('incoming/members/members-2026-02-20.csv', body, { shuffle: (keys) => [...keys].reverse() });
      expect(up).toMatchObject({ status: 'split', parts: 3 });
      // Part 3 first wrote M1's last row; part 1's row, older by its line, then changed nothing.
      expect(summary).toMatchObject({ rows: 9, applied: 9, unchanged: 1 });
      const v = profileValues(split.customers.profiles.get('M1')?.profile);
      expect({ name: v.name, sms: v.smsConsent?.optIn }).toEqual({ name: 'Last', sms: last === 'yes' });
    }
  });

  it('an unclosed quote at the end is rejected from the line it opens on, as when whole', async () => {
    const body = Buffer.from(HEADER + orderLines(8).join('') + 'O99,00001,2026-02-01,1.00,CNY,paid,S001,store,华东,"never closed\r\nO100,00002,2026-02-01,1.00\r\n');
    const { s, split } = await expectSameAsWhole('incoming/orders/orders-2026-02-20.csv', body, 3);
    expect(s.summary).toMatchObject({ rows: 9, rejected: 1 });
    expect(split.text(s.summary!.report!)).toContain('\n10,,');
  });

  it('redelivered events, parts in any order and at once, double nothing', async () => {
    const body = Buffer.from(HEADER + orderLines(25, { bad: (i) => i % 6 === 1 }).join(''));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 9 }), fc.boolean(), fc.boolean(), fc.nat(), async (n, concurrent, twice, seed) => {
        const shuffle = (keys: string[]) => fc.sample(fc.shuffledSubarray(keys, { minLength: keys.length, maxLength: keys.length }), { numRuns: 1, seed })[0]!;
        const { split, s } = await expectSameAsWhole('incoming/orders/orders-2026-02-20.csv', body, n, { concurrent, twice, shuffle });
        split.customers.jitter = true;
        // The original's event again, and a re-upload of the same bytes: answered from the ledger.
        const again = await ingestUpload(s.obj, split.deps);
        expect(again).toEqual(s.summary);
        expect(split.objects.events).toHaveLength(0);
        expect(s.summary).toMatchObject({ rows: 25, applied: 21, rejected: 4 });
        // A part delivered twice at once is ingested twice, as a whole file would be: the later run finds its rows known.
        if (!(twice && concurrent)) expect(s.summary?.unchanged).toBe(0);
      }),
      { numRuns: 25 },
    );
  });

  it('an event for the original while its parts are still running re-cuts the same parts; nothing doubles', async () => {
    const body = Buffer.from(HEADER + orderLines(20).join(''));
    const whole = world(0);
    await whole.ingest('incoming/orders/orders-2026-02-20.csv', body);
    const w = world(6);
    const obj = await w.upload('incoming/orders/orders-2026-02-20.csv', body);
    await ingestUpload(obj, w.deps);
    const [p1] = w.objects.events.splice(0, 1);
    await ingestUpload({ key: p1!, etag: 'x', lastModifiedMs: 0 }, w.deps);
    // Redelivered before the rest were ingested: all four parts are written again.
    await ingestUpload(obj, w.deps);
    expect(new Set(w.objects.events).size).toBe(4);
    await w.deliverParts({ concurrent: true });
    expect(await w.ledger.get(obj.key, obj.etag)).toMatchObject({ rows: 20, applied: 20, parts: 4 });
    expect(w.snapshot()).toEqual(whole.snapshot());
  });

  it('a file of at most N rows is not split and is read from storage once', async () => {
    const w = world(10);
    const { first } = await w.ingest('incoming/orders/orders-2026-02-20.csv', Buffer.from(HEADER + orderLines(10).join('')));
    expect(first).toMatchObject({ status: 'processed', rows: 10, applied: 10 });
    expect(first.parts).toBeUndefined();
    expect(w.objects.reads.get('incoming/orders/orders-2026-02-20.csv')).toBe(1);
  });

  it('an unrecognised header is not split: the whole file is quarantined as before', async () => {
    const w = world(2);
    const { first } = await w.ingest('incoming/orders/orders-2026-02-20.csv', Buffer.from('a,b,c\n1,2,3\n4,5,6\n7,8,9\n'));
    expect(first).toMatchObject({ status: 'quarantined', quarantine: 'quarantine/orders-2026-02-20.csv' });
    expect(w.objects.events).toHaveLength(0);
  });

  it('random files split at random sizes equal the whole ingest', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(randomRow, { minLength: 4, maxLength: 40 }), fc.integer({ min: 1, max: 6 }), async (rows, n) => {
        const f = toFile('orders-2026-01-31.csv', rows);
        await expectSameAsWhole(f.key, f.body, Math.min(n, rows.length - 1));
      }),
      { numRuns: 40 },
    );
  });

  it('random files split at random sizes, parts at once: the state of the whole ingest', async () => {
    // Counts and reports can differ here, as for two files at once: whether a refund's original was known when the
    // refund was applied (so whether an over-large one is reported) depends on which part ran first. The state cannot.
    await fc.assert(
      fc.asyncProperty(fc.array(randomRow, { minLength: 4, maxLength: 40 }), fc.integer({ min: 1, max: 6 }), async (rows, n) => {
        const f = toFile('orders-2026-01-31.csv', rows);
        const whole = world(0);
        const w = await whole.ingest(f.key, f.body);
        const split = world(Math.min(n, rows.length - 1));
        const s = await split.ingest(f.key, f.body, { concurrent: true });
        expect(s.summary?.rows).toBe(w.summary?.rows);
        expect(split.snapshot()).toEqual(whole.snapshot());
      }),
      { numRuns: 40 },
    );
  });

  it('part keys lead back to their plan', () => {
    const k = 'incoming/parts/orders/订单 导出.csv/abc123/00002.csv';
    expect(parsePartKey(k)).toEqual({ planKey: 'splits/orders/订单 导出.csv/abc123/plan.json', index: 2 });
    expect(parsePartKey('incoming/orders/00002.csv')).toBeUndefined();
  });
});
