import type { MomentsConfig } from '../config/schema.ts';
import { ORDER_COLUMNS, ORDER_HEADER_ALIASES, REQUIRED_ORDER_COLUMNS, type OrderColumn } from '../csv/headers.ts';
import { compileOrderRow, storeZoneMap } from '../orders/parse-order-row.ts';
import { refreshCustomer } from '../state/refresh-customer.ts';
import { mapHeader } from './header-map.ts';
import type { AnonymousSales, CustomerStore } from './ports.ts';
import { addAnonymous, anonymousIds } from './anonymous-sales.ts';
import type { RowHandler } from './row-handler.ts';
import type { OrderRecord } from '../orders/order.ts';

export function ordersRowHandler(
  header: string[],
  config: MomentsConfig,
  defaultVersionMs: number,
  store: CustomerStore,
): RowHandler<OrderRecord> {
  const map = mapHeader<OrderColumn>(header, ORDER_COLUMNS, ORDER_HEADER_ALIASES, config.columns.orders, REQUIRED_ORDER_COLUMNS);
  const parseRow = compileOrderRow(map.index, { config, storeZones: storeZoneMap(config), defaultVersionMs, hasUpdatedAt: map.index.updated_at !== undefined });
  const touched = new Map<string, boolean>();
  const changedFrom = new Map<string, string | null>();
  const currencies: Record<string, number> = {};
  const anonymous = anonymousIds(config);
  const sales: AnonymousSales = { rows: 0, netMinor: 0 };
  return {
    missing: map.missing,
    ignored: map.ignored,
    parse(fields, line) {
      return parseRow(fields, line);
    },
    async applyAll(all) {
      // Walk-in sales (brand.anonymousCustomerIds) are counted for the file, never stored under a customer.
      let orders = all;
      if (anonymous.size) {
        orders = [];
        for (const o of all) {
          if (!anonymous.has(o.customerId)) orders.push(o);
          else {
            addAnonymous(sales, o, config.brand.currency);
            currencies[o.currency] = (currencies[o.currency] ?? 0) + 1;
          }
        }
      }
      const from: (string | undefined)[] = [];
      const outcomes = await store.putOrders(orders, from);
      let unchanged = 0;
      // Every customer with a valid row is touched (refreshed at the end); `true` when this run wrote for them.
      for (let i = 0; i < orders.length; i++) {
        const order = orders[i]!;
        const id = order.customerId;
        currencies[order.currency] = (currencies[order.currency] ?? 0) + 1;
        // Look up before setting: a Map.set on a present key costs about twice a get (measured).
        const was = touched.get(id);
        // The earliest day this run changed per customer; null once any of its rows is unknown there (a store that
        // cannot tell, or a row already stored: maybe by a run that died before refreshing), so it reads everything.
        const day = from[i];
        const sofar = changedFrom.get(id);
        if (outcomes[i] !== 'written' || day === undefined) changedFrom.set(id, null);
        else if (sofar === undefined || (sofar !== null && day < sofar)) changedFrom.set(id, day);
        if (outcomes[i] === 'written') {
          if (was !== true) touched.set(id, true);
        } else {
          unchanged++;
          if (was === undefined) touched.set(id, false);
        }
      }
      return { unchanged, refused: [] };
    },
    touched: () => touched,
    currencies: () => currencies,
    anonymous: () => (sales.rows ? { ...sales } : undefined),
    async finish(customerId, wrote, asOf) {
      await refreshCustomer(store, customerId, config, asOf, wrote, undefined, undefined, changedFrom.get(customerId) ?? undefined);
    },
  };
}
