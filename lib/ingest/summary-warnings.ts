import type { FileSummary } from './ports.ts';
import { formatMinor } from '../money.ts';

/**
 * What a file's summary says the user would otherwise not see: rows in a currency other than the brand's (kept in
 * the customer's `otherCurrencies`, so they add nothing to totalSpend, points or tiers) and columns the ingest did
 * not use, and walk-in sales booked under an anonymous customer id. One definition for the CLI line, `--json`, the ledger entry and the Lambda's log.
 */
export function summaryWarnings(
  s: Pick<FileSummary, 'kind' | 'currencies' | 'brandCurrency' | 'ignoredColumns' | 'uncounted' | 'replaced' | 'unmatchedRefunds' | 'anonymous'>,
): string[] {
  const out: string[] = [];
  const rows = (n: number) => `${n} ${n === 1 ? 'row' : 'rows'}`;
  if (s.replaced)
    out.push(
      `${rows(s.replaced)} replaced by a later row of the same order_id and version in this file (the later row is what counts). ` +
        `Order ids are brand-wide: if two stores number their orders alike, export store-prefixed ids (or map such a column as order_id)`,
    );
  if (s.unmatchedRefunds)
    out.push(`${s.unmatchedRefunds} ${s.unmatchedRefunds === 1 ? 'refund names' : 'refunds name'} an original order not known yet: applied without checking it against that order`);
  const brand = s.brandCurrency;
  if (s.anonymous?.rows)
    out.push(
      `${s.anonymous.rows} ${s.anonymous.rows === 1 ? 'row' : 'rows'} under an anonymous customer id (brand.anonymousCustomerIds): ` +
        `walk-in sales, net ${formatMinor(s.anonymous.netMinor, brand ?? 'CNY')}${brand ? ` ${brand}` : ''}, counted for this file and not as a customer`,
    );
  if (brand && s.currencies)
    for (const [currency, n] of Object.entries(s.currencies).sort(([a], [b]) => (a < b ? -1 : 1)))
      if (currency !== brand && n > 0)
        out.push(
          `${rows(n)} in ${currency}, not the brand currency ${brand} (brand.currency in the configuration): ` +
            `kept apart as otherCurrencies, they count in no totalSpend, points or tier`,
        );
  if (s.ignoredColumns?.length)
    out.push(`columns not used: ${s.ignoredColumns.join(', ')} (map a column under "columns.${s.kind}" in the configuration to read it)`);
  for (const u of s.uncounted ?? []) out.push(`customer ${u.customerId}: ${u.reason}`);
  return out;
}

/** Customers with uncounted orders a summary lists: enough to find them, and the ledger item stays small. */
export const MAX_UNCOUNTED_LISTED = 20;

/** Lists (one per part of a split file) as one, by customer id, at most MAX_UNCOUNTED_LISTED. */
export function listUncounted(lists: readonly (FileSummary['uncounted'] | undefined)[]): FileSummary['uncounted'] {
  const all = lists.flatMap((l) => l ?? []);
  const seen = new Set<string>();
  return all
    .sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0))
    .filter((u) => !seen.has(u.customerId) && (seen.add(u.customerId), true))
    .slice(0, MAX_UNCOUNTED_LISTED);
}

/** Per-currency row counts added up (a split file's parts). */
export function addCurrencies(parts: readonly (Record<string, number> | undefined)[]): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const p of parts)
    for (const [c, n] of Object.entries(p ?? {})) {
      out ??= {};
      out[c] = (out[c] ?? 0) + n;
    }
  return out;
}
