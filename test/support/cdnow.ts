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
