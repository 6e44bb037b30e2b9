import type { MomentsConfig } from '../config/schema.ts';
import { ORDER_COLUMNS, ORDER_HEADER_ALIASES, REQUIRED_ORDER_COLUMNS, type OrderColumn } from '../csv/headers.ts';
import { compileOrderRow, storeZoneMap } from '../orders/parse-order-row.ts';
import { refreshCustomer } from '../state/refresh-customer.ts';
import { refundsOverOriginal } from '../state/refund-limits.ts';
import { formatMinor } from '../money.ts';
import { mapPool } from '../pool.ts';
import { mapHeader } from './header-map.ts';
import type { CustomerStore } from './ports.ts';
import type { RowHandler } from './row-handler.ts';
import type { OrderRecord, RowError } from '../orders/order.ts';

/** What this file said last about an order id (orders, not refunds): one entry per order id of the file. */
interface Said {
  customerId: string;
  /** The version this file stores for it (a chained one when a later row of the same version replaced it). */
  version: string;
  line: number;
  currency: string;
  /** Index in the batch being applied, or -1 once that batch is written. */
  slot: number;
  /** The write came back 'unchanged' (so a later refusal takes it back from the unchanged count too). */
  unchanged: boolean;
  /** Two customers for this id in this version: no row of that version is applied. */
  contested: boolean;
}

/** The epoch-ms part of a version (lib/orders/order.ts): the first 15 characters. */
const timeOf = (version: string) => version.slice(0, 15);
/** The content-hash part of a plain (unchained) version. */
const hashOf = (version: string) => version.slice(16);

/**
 * A later row of the same order and version replaces an earlier one: its version is the earlier one's with its own
 * hash appended, which sorts just above it (a longer string with the same beginning) and below any version that was
 * above the earlier one. A re-upload of the file computes the same versions, so it changes nothing.
 */
const chained = (earlier: string, later: string) => `${earlier}~${hashOf(later)}`;

export function ordersRowHandler(
  header: string[],
  config: MomentsConfig,
  defaultVersionMs: number,
  store: CustomerStore,
): RowHandler<OrderRecord> {
  const map = mapHeader<OrderColumn>(header, ORDER_COLUMNS, ORDER_HEADER_ALIASES, config.columns.orders, REQUIRED_ORDER_COLUMNS);
  const parseRow = compileOrderRow(map.index, { config, storeZones: storeZoneMap(config), defaultVersionMs, hasUpdatedAt: map.index.updated_at !== undefined });
  const touched = new Map<string, boolean>();
  const currencies: Record<string, number> = {};
  // Order ids are brand-wide (README, "How state stays exact"): an id names one order of one customer.
  const said = new Map<string, Said>();
  const touch = (id: string, wrote: boolean) => {
    // Look up before setting: a Map.set on a present key costs about twice a get (measured).
    const was = touched.get(id);
    if (wrote ? was !== true : was === undefined) touched.set(id, wrote);
  };
  return {
    missing: map.missing,
    ignored: map.ignored,
    parse(fields, line) {
      return parseRow(fields, line);
    },
    async applyAll(orders, lines) {
      // Per row: the record to write (undefined: not written), or its errors.
      const write: (OrderRecord | undefined)[] = orders.slice();
      const refusedAt = new Map<number, RowError[]>();
      const refused: RowError[][] = [];
      const removals: { customerId: string; key: string; version: string }[] = [];
      const thisBatch: Said[] = [];
      let unchanged = 0;
      let replaced = 0;
      let unmatchedRefunds = 0;

      /** Takes back a row this file applied: from this batch before it is written, or from the store. */
      const takeBack = (p: Said, key: string, errors?: RowError[]) => {
        if (p.slot >= 0) {
          write[p.slot] = undefined;
          if (errors) refusedAt.set(p.slot, errors);
          return;
        }
        removals.push({ customerId: p.customerId, key, version: p.version });
        if (errors) {
          refused.push(errors);
          currencies[p.currency] = (currencies[p.currency] ?? 0) - 1;
          if (p.unchanged) unchanged--;
        }
      };
      const contest = (line: number, id: string, other: string, otherLine: number): RowError[] => [
        {
          line,
          column: 'order_id',
          value: id,
          reason: `order ${id} is under customer ${other} too (line ${otherLine}), in the same version: an order id belongs to one customer, neither row is applied`,
        },
      ];

      for (let i = 0; i < orders.length; i++) {
        const o = orders[i]!;
        if (o.kind !== 'order') continue;
        const line = lines[i]!;
        const p = said.get(o.key);
        const entry = (): Said => {
          const e: Said = { customerId: o.customerId, version: o.version, line, currency: o.currency, slot: i, unchanged: false, contested: false };
          said.set(o.key, e);
          thisBatch.push(e);
          return e;
        };
        if (!p) {
          entry();
          continue;
        }
        const t = timeOf(o.version);
        const pt = timeOf(p.version);
        if (t < pt) {
          // An earlier version than this file's latest for the id: stored or not, it changes nothing.
          if (p.customerId !== o.customerId || p.contested) {
            write[i] = undefined;
            unchanged++;
          }
          continue;
        }
        if (t > pt) {
          // A later version: under another customer it moves the order, and the earlier customer loses it.
          if (p.customerId !== o.customerId && !p.contested) {
            takeBack(p, o.key);
            touch(p.customerId, true);
            if (p.slot >= 0) unchanged++; // the earlier row, never written: superseded
          }
          entry();
          continue;
        }
        if (p.contested) {
          write[i] = undefined;
          refusedAt.set(i, [{ line, column: 'order_id', value: o.orderId, reason: `order ${o.orderId} is under two customers in this version (line ${p.line}): not applied` }]);
          continue;
        }
        if (p.customerId !== o.customerId) {
          write[i] = undefined;
          refusedAt.set(i, contest(line, o.orderId, p.customerId, p.line));
          takeBack(p, o.key, contest(p.line, o.orderId, o.customerId, line));
          if (p.slot < 0) touch(p.customerId, true);
          p.contested = true;
          p.slot = -1;
          continue;
        }
        if (o.version === p.version) continue; // an identical duplicate: the store says unchanged
        // Same customer, same version, other content: the later row wins (two stores' 1001 for one customer too).
        const v = p.version.endsWith(hashOf(o.version)) ? p.version : chained(p.version, o.version);
        const rec = v === o.version ? o : { ...o, version: v };
        write[i] = rec;
        if (v !== p.version) {
          replaced++;
          if (p.slot >= 0) write[p.slot] = undefined; // replaced before it was written
        }
        p.version = v;
        p.line = line;
        p.currency = o.currency;
        if (p.slot < 0) thisBatch.push(p);
        p.slot = i;
      }

      // Refunds naming their original are checked once this batch's orders are stored (lib/state/refund-limits.ts).
      const plain: number[] = [];
      const linked = new Map<string, number[]>();
      for (let i = 0; i < write.length; i++) {
        const o = write[i];
        if (!o) continue;
        if (o.kind !== 'refund' || !o.originalOrderId) {
          plain.push(i);
          continue;
        }
        const owner = said.get(o.originalOrderId);
        if (owner && !owner.contested && owner.customerId !== o.customerId) {
          write[i] = undefined;
          refusedAt.set(i, [
            {
              line: lines[i]!,
              column: 'original_order_id',
              value: o.originalOrderId,
              reason: `order ${o.originalOrderId} belongs to customer ${owner.customerId} (line ${owner.line}), not ${o.customerId}: the refund is not applied`,
            },
          ]);
          continue;
        }
        const list = linked.get(o.customerId);
        if (list) list.push(i);
        else linked.set(o.customerId, [i]);
      }

      const outcomes = await store.putOrders(plain.map((i) => write[i]!));
      for (const r of removals) await store.removeOrder(r.customerId, r.key, r.version);
      const outcomeAt = new Map<number, 'written' | 'unchanged'>();
      for (let j = 0; j < plain.length; j++) outcomeAt.set(plain[j]!, outcomes[j]!);

      if (linked.size) {
        const checked: number[] = [];
        await mapPool(linked.keys(), 4, async (customerId) => {
          const rows = linked.get(customerId)!;
          const { orders: stored } = await store.loadCustomer(customerId);
          const byKey = new Map(stored.map((o) => [o.key, o] as const));
          for (const i of rows) byKey.set(write[i]!.key, write[i]!);
          const all = [...byKey.values()];
          const over = refundsOverOriginal(all);
          for (const i of rows) {
            const o = write[i]!;
            const why = over?.get(o.key);
            checked.push(i);
            // Reported, and stored all the same: it counts for nothing (the state leaves it out by the same rule), and a
            // later version of its original that leaves room for it must count it whichever file came first.
            if (why !== undefined)
              refusedAt.set(i, [{ line: lines[i]!, column: 'amount', value: formatMinor(o.amountMinor, o.currency), reason: `${why}: not counted` }]);
            else if (!all.some((x) => x.kind === 'order' && x.orderId === o.originalOrderId)) unmatchedRefunds++;
          }
        });
        checked.sort((a, b) => a - b);
        const more = await store.putOrders(checked.map((i) => write[i]!));
        for (let j = 0; j < checked.length; j++) outcomeAt.set(checked[j]!, more[j]!);
      }

      for (const p of thisBatch) {
        if (p.slot >= 0) p.unchanged = outcomeAt.get(p.slot) === 'unchanged';
        p.slot = -1;
      }
      // Every customer with a valid row is touched (refreshed at the end); `true` when this run wrote for them.
      for (let i = 0; i < orders.length; i++) {
        const errors = refusedAt.get(i);
        if (errors) {
          refused.push(errors);
          if (outcomeAt.get(i) === 'written') touch(orders[i]!.customerId, true);
          continue;
        }
        const order = orders[i]!;
        currencies[order.currency] = (currencies[order.currency] ?? 0) + 1;
        const outcome = outcomeAt.get(i);
        if (outcome === 'written') touch(order.customerId, true);
        else {
          if (outcome === 'unchanged') unchanged++;
          touch(order.customerId, false);
        }
      }
      return { unchanged, refused, replaced, unmatchedRefunds };
    },
    touched: () => touched,
    currencies: () => currencies,
    async finish(customerId, wrote, asOf) {
      await refreshCustomer(store, customerId, config, asOf, wrote);
    },
  };
}
