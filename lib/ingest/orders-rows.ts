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
import { FileOrderIds, type Decision, type Overruled } from './file-order-ids.ts';
import type { OrderRecord, RowError } from '../orders/order.ts';

export function ordersRowHandler(
  header: string[],
  config: MomentsConfig,
  defaultVersionMs: number,
  store: CustomerStore,
  /** A part of a split file: the decisions worked out for the whole file when it was planned, by line. */
  planned?: ReadonlyMap<number, Decision>,
): RowHandler<OrderRecord> {
  const map = mapHeader<OrderColumn>(header, ORDER_COLUMNS, ORDER_HEADER_ALIASES, config.columns.orders, REQUIRED_ORDER_COLUMNS);
  const parseRow = compileOrderRow(map.index, { config, storeZones: storeZoneMap(config), defaultVersionMs, hasUpdatedAt: map.index.updated_at !== undefined });
  const touched = new Map<string, boolean>();
  const currencies: Record<string, number> = {};
  const ids = new FileOrderIds();
  const touch = (id: string, wrote: boolean) => {
    // Look up before setting: a Map.set on a present key costs about twice a get (measured).
    const was = touched.get(id);
    if (wrote ? was !== true : was === undefined) touched.set(id, wrote);
  };
  // Lines of earlier batches whose order write came back 'unchanged': a later row that rejects one takes it back from that count.
  const unchangedLines = new Set<number>();
  return {
    missing: map.missing,
    ignored: map.ignored,
    parse(fields, line) {
      return parseRow(fields, line);
    },
    async applyAll(orders, lines) {
      // Per row: the record to write (undefined: not written); the errors of rows refused.
      const write: (OrderRecord | undefined)[] = orders.slice();
      const refusedAt = new Map<number, RowError[]>();
      const refused: RowError[][] = [];
      const removals: Overruled[] = [];
      const slotOf = new Map<number, number>();
      let unchanged = 0;
      let replaced = 0;
      let unmatchedRefunds = 0;
      const decide = (i: number, d: Decision) => {
        if ('v' in d) {
          write[i] = d.v === orders[i]!.version ? orders[i] : { ...orders[i]!, version: d.v };
          if (d.replaced) replaced++;
        } else if ('skip' in d) {
          write[i] = undefined;
          if (d.skip === 'unchanged') unchanged++;
          if (d.replaced) replaced++;
        } else {
          write[i] = undefined;
          refusedAt.set(i, d.reject);
          if (d.replaced) replaced++;
        }
      };
      /** An earlier row overruled: in this batch before it is written, else taken back from the store. */
      const overrule = (e: Overruled, d: Decision) => {
        const j = slotOf.get(e.line);
        // A later row of the same customer's order replaces it in the store by its chained version.
        if ('skip' in d && d.skip === 'replaced' && j === undefined) return;
        if (j !== undefined) {
          // A row replaced before it was written was an applied row all the same: not 'unchanged'.
          if ('skip' in d && d.skip === 'unchanged' && write[j] === undefined) return;
          return decide(j, d);
        }
        removals.push(e);
        touch(e.customerId, true);
        if ('reject' in d) {
          refused.push(d.reject);
          currencies[e.currency] = (currencies[e.currency] ?? 0) - 1;
          if (unchangedLines.has(e.line)) unchanged--;
        }
      };
      for (let i = 0; i < orders.length; i++) {
        const line = lines[i]!;
        slotOf.set(line, i);
        const d = planned ? planned.get(line) : ids.see(orders[i]!, line, overrule);
        if (d) decide(i, d);
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

      for (const [i, outcome] of outcomeAt) if (outcome === 'unchanged' && orders[i]!.kind === 'order') unchangedLines.add(lines[i]!);
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
