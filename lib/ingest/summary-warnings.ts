import type { FileSummary } from './ports.ts';
import { formatMinor } from '../money.ts';

/**
 * What a file's summary says the user would otherwise not see: rows in a currency other than the brand's (kept in
 * the customer's `otherCurrencies`, so they add nothing to totalSpend, points or tiers) and columns the ingest did
 * not use, and walk-in sales booked under an anonymous customer id. One definition for the CLI line, `--json`, the ledger entry and the Lambda's log.
 */
export function summaryWarnings(s: Pick<FileSummary, 'kind' | 'currencies' | 'brandCurrency' | 'ignoredColumns' | 'anonymous'>): string[] {
  const out: string[] = [];
  const brand = s.brandCurrency;
  if (s.anonymous?.rows)
    out.push(
      `${s.anonymous.rows} ${s.anonymous.rows === 1 ? 'row' : 'rows'} under an anonymous customer id (brand.anonymousCustomerIds): ` +
        `walk-in sales, net ${formatMinor(s.anonymous.netMinor, brand ?? 'CNY')}${brand ? ` ${brand}` : ''}, counted for this file and not as a customer`,
    );
  if (brand && s.currencies)
    for (const [currency, rows] of Object.entries(s.currencies).sort(([a], [b]) => (a < b ? -1 : 1)))
      if (currency !== brand && rows > 0)
        out.push(
          `${rows} ${rows === 1 ? 'row' : 'rows'} in ${currency}, not the brand currency ${brand} (brand.currency in the configuration): ` +
            `kept apart as otherCurrencies, they count in no totalSpend, points or tier`,
        );
  if (s.ignoredColumns?.length)
    out.push(`columns not used: ${s.ignoredColumns.join(', ')} (map a column under "columns.${s.kind}" in the configuration to read it)`);
  return out;
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
