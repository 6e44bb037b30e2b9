import { endOfLocalDay, isIsoDate } from '../time.ts';

export function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Export date written into the file name (orders-2026-03-05.csv, 订单导出_20260305.csv.gz), if any. */
export function exportDateFromName(key: string): string | undefined {
  const m = /(?:^|\D)(20\d{2}|19\d{2})-?(\d{2})-?(\d{2})(?!\d)/.exec(baseName(key));
  if (!m) return undefined;
  const d = `${m[1]}-${m[2]}-${m[3]}`;
  return isIsoDate(d) ? d : undefined;
}

/**
 * The version a row gets when it has no updated_at: the end of the export day named in the file, else the time
 * the object was stored. Either way a later export replaces an earlier one whatever order they arrive in.
 */
export function defaultVersionMs(key: string, lastModifiedMs: number, zone: string): number {
  const d = exportDateFromName(key);
  return d ? endOfLocalDay(d, zone) : lastModifiedMs;
}

export function rejectReportKey(key: string): string {
  return `rejected/${baseName(key)}.errors.csv`;
}

/** Beside a quarantined file: why the ingest could not read it. */
export const REASON_SUFFIX = '.reason.txt';

export function quarantineKey(key: string): string {
  return `quarantine/${baseName(key)}`;
}

export function fileKind(key: string): 'orders' | 'members' | undefined {
  if (key.startsWith('incoming/orders/')) return 'orders';
  if (key.startsWith('incoming/members/')) return 'members';
  return undefined;
}
