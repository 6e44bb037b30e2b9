import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CDNOW_DIR = resolve(import.meta.dirname, '../../../shared/data/cdnow');
export const hasCdnow = existsSync(join(CDNOW_DIR, 'CDNOW_master.txt'));

/**
 * Splits the CDNOW master file (whitespace-separated, no order ids) into one orders CSV per day, as a shop would
 * export them. Each row is an order; its id is customer-date-sequence, since the data has none.
 */
export function writeCdnowDailyFiles(dir: string): { files: string[]; rows: number } {
  mkdirSync(dir, { recursive: true });
  const lines = readFileSync(join(CDNOW_DIR, 'CDNOW_master.txt'), 'utf8').split(/\r?\n/).slice(1);
  const byDay = new Map<string, string[]>();
  const seq = new Map<string, number>();
  let rows = 0;
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const [cust, date, , dollars] = f as [string, string, string, string];
    const k = `${cust}-${date}`;
    const n = (seq.get(k) ?? 0) + 1;
    seq.set(k, n);
    const list = byDay.get(date) ?? [];
    list.push(`${k}-${n},${cust},${date},${dollars},USD,paid`);
    byDay.set(date, list);
    rows++;
  }
  const files: string[] = [];
  for (const [date, list] of [...byDay].sort()) {
    const path = join(dir, `cdnow-orders-${date}.csv`);
    writeFileSync(path, 'order_id,customer_id,ordered_at,amount,currency,status\n' + list.join('\n') + '\n');
    files.push(path);
  }
  return { files, rows };
}

export interface CdnowRef {
  first_date: string;
  last_date: string;
  n_distinct_days: number;
  n_orders: number;
  total_spend: number;
}

export function readCdnowReference(): Map<string, CdnowRef> {
  const [header, ...lines] = readFileSync(join(CDNOW_DIR, 'ref_summary_master_19980630.csv'), 'utf8').trim().split(/\r?\n/);
  const cols = header!.split(',');
  const idx = (c: string) => cols.indexOf(c);
  const out = new Map<string, CdnowRef>();
  for (const l of lines) {
    const f = l.split(',');
    out.set(String(Number(f[idx('customer_id')])), {
      first_date: f[idx('first_date')]!,
      last_date: f[idx('last_date')]!,
      n_distinct_days: Number(f[idx('n_distinct_days')]),
      n_orders: Number(f[idx('n_orders')]),
      total_spend: Number(f[idx('total_spend')]),
    });
  }
  return out;
}

/** The CDNOW sample (2,357 customers) as monthly order files: customer = master id, one order per row. */
export function writeCdnowSampleMonthlyFiles(dir: string): { files: string[]; rows: number } {
  mkdirSync(dir, { recursive: true });
  const lines = readFileSync(join(CDNOW_DIR, 'CDNOW_sample.txt'), 'utf8').split(/\r?\n/);
  const byMonth = new Map<string, string[]>();
  let rows = 0;
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const [master, , date, , dollars] = f as [string, string, string, string, string];
    const month = date.slice(0, 6);
    const list = byMonth.get(month) ?? [];
    list.push(`S${++rows},${master},${date},${dollars},USD,paid`);
    byMonth.set(month, list);
  }
  const files: string[] = [];
  for (const [month, list] of [...byMonth].sort()) {
    const path = join(dir, `cdnow-sample-${month}.csv`);
    writeFileSync(path, 'order_id,customer_id,ordered_at,amount,currency,status\n' + list.join('\n') + '\n');
    files.push(path);
  }
  return { files, rows };
}

/**
 * CDNOW has no member data. For touch simulations each sample customer gets a generated member record (seeded):
 * a mobile number, an email for some, a birthday, and SMS/email consent for most but not all.
 */
export function writeCdnowSampleMembers(path: string, seed = 7): number {
  const lines = readFileSync(join(CDNOW_DIR, 'CDNOW_sample.txt'), 'utf8').split(/\r?\n/);
  const ids = [...new Set(lines.map((l) => l.trim().split(/\s+/)[0]).filter((x): x is string => !!x))];
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const rows = ids.map((id, i) => {
    const phone = `+1 415 555 ${String(1000 + (i % 9000)).padStart(4, '0')}`;
    const email = rnd() < 0.6 ? `c${id}@example.com` : '';
    const bday = `19${60 + Math.floor(rnd() * 40)}-${String(1 + Math.floor(rnd() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}`;
    return [id, `Customer ${id}`, phone, email, bday, 'en', 'America/Los_Angeles', rnd() < 0.7 ? '1' : '0', rnd() < 0.5 ? '1' : '0'].join(',');
  });
  writeFileSync(path, 'customer_id,name,phone,email,birthday,locale,time_zone,sms_opt_in,email_opt_in\n' + rows.join('\n') + '\n');
  return rows.length;
}

/** The CDNOW sample as daily order files (customer = master id), for day-by-day replays. */
export function writeCdnowSampleDailyFiles(dir: string): number {
  mkdirSync(dir, { recursive: true });
  const byDay = new Map<string, string[]>();
  let n = 0;
  for (const line of readFileSync(join(CDNOW_DIR, 'CDNOW_sample.txt'), 'utf8').split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const [master, , date, , dollars] = f as [string, string, string, string, string];
    byDay.set(date, [...(byDay.get(date) ?? []), `S${++n},${master},${date},${dollars},USD,paid`]);
  }
  for (const [date, list] of byDay) writeFileSync(join(dir, `cdnow-${date}.csv`), 'order_id,customer_id,ordered_at,amount,currency,status\n' + list.join('\n') + '\n');
  return byDay.size;
}
