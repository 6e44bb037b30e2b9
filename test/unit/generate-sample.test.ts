import { describe, it, expect } from 'vitest';
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import { isValidPhoneNumber } from 'libphonenumber-js';
import {
  generateSample,
  ordersCsv,
  ordersCsvWithInfo,
  membersCsv,
  membersCsvWithInfo,
  orderRowsForBench,
  sampleFileName,
  ORDER_HEADERS_ZH,
  MEMBER_HEADERS_ZH,
  ORDER_BAD_KINDS,
  type OrderRow,
  type SampleData,
} from '../../lib/sample/generate-sample.ts';
import {
  MEMBER_COLUMNS,
  MEMBER_HEADER_ALIASES,
  ORDER_COLUMNS,
  ORDER_HEADER_ALIASES,
} from '../../lib/csv/headers.ts';

const OPTS = { seed: 42, customers: 3000, from: '2026-01-01', to: '2026-06-30' } as const;
const sample: SampleData = generateSample(OPTS);
const allRows = sample.days.flatMap((d) => d.orders.map((o) => ({ ...o, date: d.date })));

function epochDay(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 86_400_000;
}

/** First appearance of each paid order: order_id -> row with its export date. */
function firstPaid(): Map<string, OrderRow & { date: string }> {
  const m = new Map<string, OrderRow & { date: string }>();
  for (const r of allRows) if (r.status === 'paid' && !m.has(r.order_id)) m.set(r.order_id, r);
  return m;
}

function purchaseDaysByCustomer(): Map<string, number[]> {
  const cancelled = new Set(allRows.filter((r) => r.status === 'cancelled').map((r) => r.order_id));
  const by = new Map<string, number[]>();
  for (const r of firstPaid().values()) {
    if (cancelled.has(r.order_id)) continue;
    let a = by.get(r.customer_id);
    if (!a) by.set(r.customer_id, (a = []));
    a.push(epochDay(r.date));
  }
  for (const a of by.values()) a.sort((x, y) => x - y);
  return by;
}

function parseCsv(buf: Buffer | string): string[][] {
  return parse(buf, { bom: true, relax_column_count: true }) as string[][];
}

function argmax(xs: number[]): number {
  let best = 0;
  xs.forEach((x, i) => {
    if (x > (xs[best] ?? -Infinity)) best = i;
  });
  return best;
}

describe('generateSample', () => {
  it('is deterministic: same seed gives identical data and byte-identical CSV', () => {
    const again = generateSample(OPTS);
    expect(again).toEqual(sample);
    const day = sample.days[40]!;
    const opts = { chineseHeaders: true, gbk: true, crlf: true, badRows: 5, totalRow: true, seed: 9 };
    expect(ordersCsv(again.days[40]!.orders, opts).equals(ordersCsv(day.orders, opts))).toBe(true);
    expect(membersCsv(again.members, { badRows: 3 }).equals(membersCsv(sample.members, { badRows: 3 }))).toBe(true);
    const other = generateSample({ ...OPTS, seed: 43 });
    expect(other).not.toEqual(sample);
  });


  it('has realistic stores and ids with leading zeros', () => {
    expect(sample.stores.length).toBeGreaterThanOrEqual(8);
    expect(sample.stores.length).toBeLessThanOrEqual(12);
    expect(sample.stores.filter((s) => s.id === 'WEB')).toHaveLength(1);
    for (const s of sample.stores) expect(s.id).toMatch(/^(S\d{3}|WEB)$/);
    expect(sample.stores.some((s) => s.id.startsWith('S00'))).toBe(true);
    expect(sample.stores.some((s) => s.region.includes(','))).toBe(true);
    expect(sample.stores.some((s) => s.region.includes('\n'))).toBe(true);

    for (const r of allRows) if (r.customer_id !== '') expect(r.customer_id).toMatch(/^\d{7}$/);
    for (const m of sample.members) expect(m.customer_id).toMatch(/^\d{7}$/);
    expect(allRows.some((r) => r.customer_id.startsWith('000'))).toBe(true);
    expect(sample.days).toHaveLength(181);
    expect(sample.days[0]!.date).toBe('2026-01-01');
    expect(sample.days.at(-1)!.date).toBe('2026-06-30');
  });

  it('keeps leading zeros and tricky values through CSV (quoting, CRLF, BOM)', () => {
    const rows = sample.days.flatMap((d) => d.orders);
    for (const opts of [{}, { crlf: true, bom: true }, { quoteAll: true }]) {
      const buf = ordersCsv(rows, opts);
      const parsed = parseCsv(buf);
      expect(parsed[0]).toEqual([...ORDER_COLUMNS]);
      expect(parsed.slice(1)).toEqual(rows.map((r) => ORDER_COLUMNS.map((c) => r[c])));
    }
    expect(ordersCsv(rows, { bom: true }).subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(true);
    expect(ordersCsv(rows.slice(0, 3), { crlf: true }).toString('utf8')).toMatch(/\r\n$/);
    expect(ordersCsv(rows, {}).toString('utf8')).toContain('"西南\n成都"');
    const members = parseCsv(membersCsv(sample.members, { crlf: true }));
    expect(members.slice(1)).toEqual(sample.members.map((m) => MEMBER_COLUMNS.map((c) => m[c])));
  });

  it('puts the mode of the repeat-purchase interval in the critical 15-30 days', () => {
    const intervals: number[] = [];
    const second: number[] = [];
    for (const days of purchaseDaysByCustomer().values()) {
      for (let i = 1; i < days.length; i++) {
        intervals.push(days[i]! - days[i - 1]!);
        if (i === 1) second.push(days[1]! - days[0]!);
      }
    }
    expect(intervals.length).toBeGreaterThan(500);
    for (const xs of [intervals, second]) {
      const by15 = new Array<number>(20).fill(0);
      const by5 = new Array<number>(60).fill(0);
      for (const x of xs) {
        by15[Math.min(19, Math.floor(x / 15))]!++;
        by5[Math.min(59, Math.floor(x / 5))]!++;
      }
      expect(argmax(by15)).toBe(1); // [15, 30)
      expect(argmax(by5) * 5).toBeGreaterThanOrEqual(15);
      expect(argmax(by5) * 5).toBeLessThan(30);
      // heavy tail: some intervals far beyond the mode
      expect(xs.filter((x) => x > 60).length).toBeGreaterThan(0);
    }
  });

  it('has mostly one-time buyers, a few heavy buyers, and first-order value predicting later value', () => {
    const by = purchaseDaysByCustomer();
    const counts = [...by.values()].map((d) => d.length);
    const oneTime = counts.filter((n) => n === 1).length / counts.length;
    expect(oneTime).toBeGreaterThan(0.5);
    expect(oneTime).toBeLessThan(0.7);
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(5);

    const amounts = new Map<string, number[]>();
    for (const r of firstPaid().values()) {
      expect(r.amount).toMatch(/^\d+\.\d{2}$/);
      let a = amounts.get(r.customer_id);
      if (!a) amounts.set(r.customer_id, (a = []));
      a.push(Number(r.amount));
    }
    const xs: number[] = [];
    const ys: number[] = [];
    for (const a of amounts.values()) {
      if (a.length < 2) continue;
      xs.push(a[0]!);
      ys.push(a.slice(1).reduce((s, v) => s + v, 0) / (a.length - 1));
    }
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    const mx = mean(xs);
    const my = mean(ys);
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    xs.forEach((x, i) => {
      sxy += (x - mx) * (ys[i]! - my);
      sxx += (x - mx) ** 2;
      syy += (ys[i]! - my) ** 2;
    });
    expect(sxy / Math.sqrt(sxx * syy)).toBeGreaterThan(0.3);
  });

  it('mixes ordered_at formats, channels, points and duplicates', () => {
    const local = allRows.filter((r) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(r.ordered_at)).length;
    const offset = allRows.filter((r) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/.test(r.ordered_at)).length;
    const dateOnly = allRows.filter((r) => /^\d{8}$/.test(r.ordered_at)).length;
    expect(local + offset + dateOnly).toBe(allRows.length);
    expect(local).toBeGreaterThan(allRows.length / 2);
    expect(offset).toBeGreaterThan(0);
    expect(dateOnly).toBeGreaterThan(0);
    expect(allRows.some((r) => r.ordered_at.endsWith('+06:00'))).toBe(true); // Urumqi counter
    for (const r of allRows) expect(r.channel).toBe(r.store_id === 'WEB' ? 'online' : 'store');
    expect(allRows.some((r) => r.points_redeemed !== '')).toBe(true);
    const dupes = sample.days.some((d) => {
      const keys = d.orders.map((o) => JSON.stringify(o));
      return new Set(keys).size < keys.length;
    });
    expect(dupes).toBe(true);
  });

  it('re-exports cancelled orders on a later day with updated_at', () => {
    const paid = firstPaid();
    const cancelled = allRows.filter((r) => r.status === 'cancelled');
    expect(cancelled.length).toBeGreaterThan(0);
    for (const c of cancelled) {
      const p = paid.get(c.order_id);
      expect(p).toBeDefined();
      expect(c.date > p!.date).toBe(true);
      expect(c.updated_at).not.toBe('');
      expect(c.amount).toBe(p!.amount);
    }
  });

  it('writes refunds as their own rows referencing earlier orders', () => {
    const paid = firstPaid();
    const refunds = allRows.filter((r) => r.status === 'refunded');
    expect(refunds.length).toBeGreaterThan(20);
    const withOriginal = refunds.filter((r) => r.original_order_id !== '');
    expect(withOriginal.length).toBeGreaterThan(refunds.length / 2);
    expect(withOriginal.length).toBeLessThan(refunds.length);
    const partial = withOriginal.filter((r) => r.amount !== paid.get(r.original_order_id)?.amount);
    expect(partial.length).toBeGreaterThan(0);
    for (const r of refunds) {
      expect(r.order_id).toMatch(/^R\d+$/);
      expect(Number(r.amount)).toBeGreaterThan(0);
    }
    for (const r of withOriginal) {
      const o = paid.get(r.original_order_id);
      expect(o).toBeDefined();
      expect(o!.date < r.date).toBe(true);
      expect(o!.customer_id).toBe(r.customer_id);
      expect(Math.round(Number(r.amount) * 100)).toBeLessThanOrEqual(Math.round(Number(o!.amount) * 100));
    }
  });

  it('has realistic members, some buyers missing from the export, some members without orders', () => {
    const buyers = new Set(allRows.map((r) => r.customer_id));
    const members = new Set(sample.members.map((m) => m.customer_id));
    expect([...buyers].some((b) => !members.has(b))).toBe(true);
    expect([...members].some((m) => !buyers.has(m))).toBe(true);
    expect(new Set(sample.members.map((m) => m.customer_id)).size).toBe(sample.members.length);

    for (const m of sample.members) {
      expect(isValidPhoneNumber(m.phone, 'CN')).toBe(true);
      if (m.email) expect(m.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
      if (m.birthday) {
        expect(m.birthday).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(new Date(`${m.birthday}T00:00:00Z`).toISOString().slice(0, 10)).toBe(m.birthday);
      }
      expect(['zh-CN', 'en']).toContain(m.locale);
      expect(['', 'Asia/Shanghai', 'Asia/Urumqi']).toContain(m.time_zone);
      expect(['1', '0', 'Y', 'N']).toContain(m.sms_opt_in);
      expect(['1', '0', 'Y', 'N']).toContain(m.email_opt_in);
    }
    const phones = sample.members.map((m) => m.phone);
    expect(phones.some((p) => /^1\d{10}$/.test(p))).toBe(true);
    expect(phones.some((p) => p.startsWith('+86 '))).toBe(true);
    expect(phones.some((p) => /^1\d{2}-\d{4}-\d{4}$/.test(p))).toBe(true);
    expect(sample.members.some((m) => m.email === '')).toBe(true);
    expect(sample.members.some((m) => /^[A-Za-z]/.test(m.name))).toBe(true);
    expect(sample.members.filter((m) => /[\u4e00-\u9fa5]/.test(m.name)).length).toBeGreaterThan(sample.members.length / 2);
  });

  it('rejects invalid options', () => {
    expect(() => generateSample({ ...OPTS, from: '2026-02-30' })).toThrow(/from/);
    expect(() => generateSample({ ...OPTS, from: '2026-07-01' })).toThrow(/before/);
    expect(() => generateSample({ ...OPTS, timeZone: 'Mars/Olympus' })).toThrow(/timeZone/);
  });
});

describe('CSV encodings and headers', () => {
  const rows = sample.days[30]!.orders;

  it('GBK output decodes to the Chinese headers and is not valid UTF-8', () => {
    const buf = ordersCsv(rows, { chineseHeaders: true, gbk: true });
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(buf)).toThrow();
    const text = iconv.decode(buf, 'gbk');
    const parsed = parseCsv(text);
    expect(parsed[0]).toEqual(ORDER_COLUMNS.map((c) => ORDER_HEADERS_ZH[c]));
    expect(parsed[0]!.slice(0, 4)).toEqual(['订单号', '会员号', '下单时间', '实付金额']);
    expect(text).toBe(ordersCsv(rows, { chineseHeaders: true }).toString('utf8'));
    const statuses = new Set(parsed.slice(1).map((r) => r[ORDER_COLUMNS.indexOf('status')]));
    for (const s of statuses) expect(['已支付', '已取消', '已退款']).toContain(s);

    const mbuf = membersCsv(sample.members, { chineseHeaders: true, gbk: true });
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(mbuf)).toThrow();
    const mtext = iconv.decode(mbuf, 'gbk');
    expect(mtext.split('\n')[0]).toBe('会员号,姓名,手机号,邮箱,生日,语言,时区,短信订阅,邮件订阅,更新时间');
    expect(mtext).toBe(membersCsv(sample.members, { chineseHeaders: true }).toString('utf8'));
  });

  it('uses Chinese headers the header aliases understand', () => {
    for (const c of ORDER_COLUMNS) expect(ORDER_HEADER_ALIASES[ORDER_HEADERS_ZH[c]]).toBe(c);
    for (const c of MEMBER_COLUMNS) expect(MEMBER_HEADER_ALIASES[MEMBER_HEADERS_ZH[c]]).toBe(c);
  });

  it('injects exactly the requested number of bad order rows, and a total row', () => {
    const n = 7;
    const info = ordersCsvWithInfo(rows, { badRows: n, totalRow: true, seed: 3 });
    expect(info.badRows).toBe(n);
    expect(info.bad).toHaveLength(n);
    expect(new Set(info.bad.map((b) => b.kind))).toEqual(new Set(ORDER_BAD_KINDS));
    expect(info.dataRows).toBe(rows.length + n);

    const parsed = parseCsv(info.buffer);
    const total = parsed.at(-1)!;
    expect(total[0]).toBe('Total');
    expect(total[1]).toBe('');
    const data = parsed.slice(1, -1);
    expect(data).toHaveLength(rows.length + n);

    const col = (name: (typeof ORDER_COLUMNS)[number]) => ORDER_COLUMNS.indexOf(name);
    const isBad = (r: string[]) => {
      const at = r[col('ordered_at')]!;
      const m = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(at);
      const dateOk =
        !!m && new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)).getUTCDate() === +m[3]!;
      return (
        !dateOk ||
        !/^\d+\.\d{2}$/.test(r[col('amount')]!) ||
        !/^\d{7}$/.test(r[col('customer_id')]!) ||
        !['paid', 'cancelled', 'refunded'].includes(r[col('status')]!)
      );
    };
    expect(data.filter(isBad)).toHaveLength(n);
    expect(data.some((r) => r[col('customer_id')] === '=HYPERLINK("x")')).toBe(true);
    const sum = data
      .map((r) => r[col('amount')]!)
      .filter((a) => /^\d+\.\d{2}$/.test(a))
      .reduce((s, a) => s + Math.round(Number(a) * 100), 0);
    expect(total[col('amount')]).toBe((sum / 100).toFixed(2));

    const zh = parseCsv(ordersCsv(rows, { chineseHeaders: true, totalRow: true }));
    expect(zh.at(-1)![0]).toBe('合计');
  });

  it('injects exactly the requested number of bad member fields', () => {
    const n = 6;
    const info = membersCsvWithInfo(sample.members, { badRows: n, seed: 5 });
    expect(info.badRows).toBe(n);
    const parsed = parseCsv(info.buffer).slice(1);
    const ci = (c: (typeof MEMBER_COLUMNS)[number]) => MEMBER_COLUMNS.indexOf(c);
    const bad = parsed.filter(
      (r) =>
        !isValidPhoneNumber(r[ci('phone')]!, 'CN') ||
        (r[ci('email')] !== '' && !/^[^@\s]+@[^@\s]+\.[a-z]+$/.test(r[ci('email')]!)) ||
        r[ci('birthday')] === '1990-02-30',
    );
    expect(bad).toHaveLength(n);
    expect(bad.map((r) => r[0]).sort()).toEqual(info.bad.map((b) => b.key).sort());
    expect(() => membersCsv(sample.members.slice(0, 2), { badRows: 3 })).toThrow(RangeError);
  });

  it('names sample files', () => {
    expect(sampleFileName('orders', '2026-03-05')).toBe('orders-2026-03-05.csv');
    expect(sampleFileName('members', '2026-03-05')).toBe('members-2026-03-05.csv');
    expect(() => sampleFileName('orders', '20260305')).toThrow();
  });
});

describe('orderRowsForBench', () => {
  it('streams a header then plain paid orders and ~3% refunds of earlier orders', () => {
    const lines = [...orderRowsForBench(1, 20_000, 5_000)];
    expect(lines).toHaveLength(20_001);
    expect(lines[0]).toBe(`${ORDER_COLUMNS.join(',')}\n`);
    const parsed = parseCsv(lines.join('')).slice(1);
    expect(parsed).toHaveLength(20_000);
    const seen = new Set<string>();
    // Cents left of each paid order: a refund never takes more than what remains (the ingest would reject it).
    const left = new Map<string, number>();
    const cents = (a: string) => Math.round(Number(a) * 100);
    let refunds = 0;
    for (const r of parsed) {
      expect(r).toHaveLength(ORDER_COLUMNS.length);
      expect(r[1]).toMatch(/^\d{7}$/);
      if (r[5] === 'refunded') {
        refunds++;
        expect(seen.has(r[10]!)).toBe(true);
        const remains = left.get(r[10]!)! - cents(r[3]!);
        expect(remains, `refund ${r[0]} of ${r[10]}`).toBeGreaterThanOrEqual(0);
        left.set(r[10]!, remains);
      } else {
        expect(r[5]).toBe('paid');
        seen.add(r[0]!);
        left.set(r[0]!, cents(r[3]!));
      }
    }
    expect(refunds / parsed.length).toBeGreaterThan(0.02);
    expect(refunds / parsed.length).toBeLessThan(0.04);
    expect(lines.join('')).toBe([...orderRowsForBench(1, 20_000, 5_000)].join(''));
  });

  it('is lazy: a million-row stream is a generator, read row by row', () => {
    // A generator computes each row when asked, so the benchmarks never hold a million rows (no timing: it flakes).
    const it = orderRowsForBench(2, 1_000_000, 100_000);
    expect(Object.prototype.toString.call(it)).toBe('[object Generator]');
    const first = Array.from({ length: 10 }, () => it.next().value);
    expect(first.every((l) => typeof l === 'string' && l.endsWith('\n'))).toBe(true);
  });
});
