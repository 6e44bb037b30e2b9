import type { MomentsConfig } from '../config/schema.ts';
import { ORDER_COLUMNS, ORDER_HEADER_ALIASES, REQUIRED_ORDER_COLUMNS, type OrderColumn } from '../csv/headers.ts';
import { parseOrderRow, storeZoneMap } from '../orders/parse-order-row.ts';
import { refreshCustomer } from '../state/refresh-customer.ts';
import { mapHeader, pick } from './header-map.ts';
import type { CustomerStore } from './ports.ts';
import type { RowHandler } from './row-handler.ts';
import type { ActiveModel } from '../derive/metrics.ts';

export function ordersRowHandler(
  header: string[],
  config: MomentsConfig,
  defaultVersionMs: number,
  store: CustomerStore,
  model?: ActiveModel,
): RowHandler {
  const map = mapHeader<OrderColumn>(header, ORDER_COLUMNS, ORDER_HEADER_ALIASES, config.columns.orders, REQUIRED_ORDER_COLUMNS);
  const storeZones = storeZoneMap(config);
  const hasUpdatedAt = map.index.updated_at !== undefined;
  const touched = new Map<string, boolean>();
  return {
    missing: map.missing,
    ignored: map.ignored,
    parse(fields, line) {
      const parsed = parseOrderRow(pick(fields, map), { config, storeZones, defaultVersionMs, line, hasUpdatedAt });
      if (Array.isArray(parsed)) return { rejectRow: true, errors: parsed };
      if (!touched.has(parsed.customerId)) touched.set(parsed.customerId, false);
      return {
        rejectRow: false,
        errors: [],
        apply: async () => {
          const outcome = await store.putOrder(parsed);
          if (outcome === 'written') touched.set(parsed.customerId, true);
          return outcome;
        },
      };
    },
    touched: () => touched,
    async finish(customerId, wrote, asOf) {
      await refreshCustomer(store, customerId, config, asOf, wrote, model);
    },
  };
}
