import type { CustomerRecord } from '../ingest/ports.ts';

/** Customers with spend in each currency other than the brand's (their state's `otherCurrencies`). */
export function otherCurrencyCustomers(customers: Iterable<CustomerRecord>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of customers) for (const k of Object.keys(c.state?.otherCurrencies ?? {})) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/**
 * The banner the report opens with while any customer has spend outside brand.currency: that spend is in no
 * total, point, tier or spend figure of the report, which would otherwise look like a brand of zero spenders.
 */
export function currencyBanner(byCurrency: Record<string, number>, brandCurrency: string, customersWithOrders: number): string | undefined {
  const entries = Object.entries(byCurrency).filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : 1));
  if (!entries.length) return undefined;
  const list = entries.map(([c, n], i) => `${c} for ${n.toLocaleString('en')}${i === 0 ? (n === 1 ? ' customer' : ' customers') : ''}`).join(', ');
  return (
    `Spend outside the brand currency ${brandCurrency}: ${list} (of ${customersWithOrders.toLocaleString('en')} customers with orders). ` +
    `That spend is in no total spend, points, tier or spend figure here. If the exports are in another currency, set brand.currency in the configuration.`
  );
}
