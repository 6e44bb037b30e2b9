import type { MomentsConfig } from '../config/schema.ts';
import type { OrderRecord } from '../orders/order.ts';
import type { AnonymousSales } from './ports.ts';

const cache = new WeakMap<MomentsConfig, ReadonlySet<string>>();

/**
 * brand.anonymousCustomerIds as a set: the ids a POS books walk-in sales under (散客). One such id collects every
 * walk-in sale of a brand; kept as a customer it would be the brand's biggest, its history re-read by every file.
 */
export function anonymousIds(config: MomentsConfig): ReadonlySet<string> {
  let s = cache.get(config);
  if (!s) cache.set(config, (s = new Set(config.brand.anonymousCustomerIds)));
  return s;
}

/** Adds one anonymous order row: it counts as a row; paid orders add and refunds take off in the brand currency. */
export function addAnonymous(acc: AnonymousSales, o: OrderRecord, brandCurrency: string): void {
  acc.rows++;
  if (o.currency !== brandCurrency) return;
  if (o.kind === 'refund') acc.netMinor -= o.amountMinor;
  else if (o.status === 'paid') acc.netMinor += o.amountMinor;
}

/** Per-file figures added up (a split file's parts); undefined when no part had any. */
export function addAnonymousSales(parts: readonly (AnonymousSales | undefined)[]): AnonymousSales | undefined {
  let out: AnonymousSales | undefined;
  for (const p of parts)
    if (p) {
      out ??= { rows: 0, netMinor: 0 };
      out.rows += p.rows;
      out.netMinor += p.netMinor;
    }
  return out;
}
