import type { MomentsConfig } from '../config/schema.ts';
import { ORDER_COLUMNS, ORDER_HEADER_ALIASES, REQUIRED_ORDER_COLUMNS, type OrderColumn } from '../csv/headers.ts';
import { compileOrderRow, storeZoneMap } from '../orders/parse-order-row.ts';
import { refreshCustomer } from '../state/refresh-customer.ts';
import { refundsOverOriginal } from '../state/refund-limits.ts';
import { formatMinor } from '../money.ts';
import { mapPool } from '../pool.ts';
import { mapHeader } from './header-map.ts';
import type { AnonymousSales, CustomerStore, OrderOwner } from './ports.ts';
import { addAnonymous, anonymousIds } from './anonymous-sales.ts';
import type { RowHandler } from './row-handler.ts';
import { FileOrderIds, type Decision, type Overruled } from './file-order-ids.ts';
import { claimOrder, type ClaimResult } from './order-owner.ts';
import type { OrderRecord, RowError } from '../orders/order.ts';

/** Owner claims in flight per batch (each a read-modify-write of one owner item). */
const OWNER_CONCURRENCY = 16;

export function ordersRowHandler(
  header: string[],
  config: MomentsConfig,
  defaultVersionMs: number,
  store: CustomerStore,
  opts: {
    /** A part of a split file: the decisions worked out for the whole file when it was planned, by line. */
    planned?: ReadonlyMap<number, Decision>;
    /** The file's name, for the reasons given to rows of other files its rows overrule. */
    file?: string;
  } = {},
): RowHandler<OrderRecord> {
  const { planned, file = '' } = opts;
  const map = mapHeader<OrderColumn>(header, ORDER_COLUMNS, ORDER_HEADER_ALIASES, config.columns.orders, REQUIRED_ORDER_COLUMNS);
  const parseRow = compileOrderRow(map.index, { config, storeZones: storeZoneMap(config), defaultVersionMs, hasUpdatedAt: map.index.updated_at !== undefined });
  const touched = new Map<string, boolean>();
  const changedFrom = new Map<string, string | null>();
  const currencies: Record<string, number> = {};
  const ids = new FileOrderIds();
  const touch = (id: string, wrote: boolean) => {
    // Look up before setting: a Map.set on a present key costs about twice a get (measured).
    const was = touched.get(id);
    if (wrote ? was !== true : was === undefined) touched.set(id, wrote);
  };
  // Lines of earlier batches whose order write came back 'unchanged': a later row that rejects one takes it back from that count.
  const unchangedLines = new Set<number>();
  const anonymous = anonymousIds(config);
  const sales: AnonymousSales = { rows: 0, netMinor: 0 };
  return {
    missing: map.missing,
    ignored: map.ignored,
    parse(fields, line) {
      return parseRow(fields, line);
    },
    async applyAll(all, allLines) {
      // Walk-in sales (brand.anonymousCustomerIds) are counted for the file, never stored under a customer.
      let orders = all;
      let lines = allLines;
      if (anonymous.size) {
        orders = [];
        lines = [];
        for (let i = 0; i < all.length; i++) {
          const o = all[i]!;
          if (!anonymous.has(o.customerId)) {
            orders.push(o);
            lines.push(allLines[i]!);
          } else {
            addAnonymous(sales, o, config.brand.currency);
            currencies[o.currency] = (currencies[o.currency] ?? 0) + 1;
          }
        }
      }
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
        // The row rejected now still claims the id, so that the owner item says contested and other files agree.
        if ('reject' in d) contestNow.add(current);
        if ('reject' in d) {
          refused.push(d.reject);
          currencies[e.currency] = (currencies[e.currency] ?? 0) - 1;
          if (unchangedLines.has(e.line)) unchanged--;
        }
      };
      let current = 0;
      const contestNow = new Set<number>();
      for (let i = 0; i < orders.length; i++) {
        const line = lines[i]!;
        current = i;
        slotOf.set(line, i);
        const d = planned ? planned.get(line) : ids.see(orders[i]!, line, overrule);
        if (d) decide(i, d);
      }

      // Order ids are brand-wide: each order row still to be written claims its id's owner item (lib/ingest/order-owner.ts).
      // (A refund is not checked against the owner of its original in another file: when the refund comes first its
      // customer's state could not tell, so the result would depend on which file came first. Within a file it is.)
      const byId = new Map<string, number[]>();
      const claimOf = (i: number) => write[i] ?? orders[i]!;
      for (let i = 0; i < write.length; i++) {
        const o = write[i] ?? (contestNow.has(i) ? orders[i] : undefined);
        if (o?.kind !== 'order') continue;
        const l = byId.get(o.orderId);
        if (l) l.push(i);
        else byId.set(o.orderId, [i]);
      }
      const owners = byId.size ? await store.readOwners([...byId.keys()]) : new Map<string, OrderOwner>();
      // A removal that finds nothing may be the retry of one that was done, its customer never recomputed: recomputed
      // anyway (written only if its state changed).
      // A removal can take out an order of any day, so its customer's refresh reads the whole history (changedFrom null).
      const remove = async (customerId: string, key: string, version: string) => {
        changedFrom.set(customerId, null);
        touch(customerId, await store.removeOrder(customerId, key, version));
      };
      await mapPool(byId.keys(), OWNER_CONCURRENCY, async (id) => {
        const rows = byId.get(id)!;
        let owner = owners.get(id);
        for (let attempt = 1; ; attempt++) {
          let next: Omit<OrderOwner, 'rev'> | undefined = owner;
          let changed = false;
          const results: ClaimResult[] = [];
          for (const i of rows) {
            const r = claimOrder(next, claimOf(i), file, lines[i]!);
            results.push(r);
            if (r.next) (next = r.next), (changed = true);
          }
          for (const r of results) if (r.removePrev) await remove(r.removePrev.customerId, id, r.removePrev.version);
          if (!changed || (await store.putOwner(id, next!, owner?.rev ?? 0))) {
            for (const r of results) for (const x of r.remove) await remove(x.customerId, id, x.version);
            results.forEach((r, j) => {
              const i = rows[j]!;
              if (r.outcome === 'write' || contestNow.has(i)) return; // a row rejected in the file keeps that reason
              write[i] = undefined;
              if (r.outcome === 'superseded') unchanged++;
              else refusedAt.set(i, [{ line: lines[i]!, column: 'order_id', value: id, reason: r.outcome.reject }]);
            });
            return;
          }
          if (attempt >= 20) throw new Error(`order ${id}: its owner item kept changing under ${attempt} attempts`);
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(500, 5 * 2 ** attempt)));
          owner = (await store.readOwners([id])).get(id);
        }
      });

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

      // A refund naming its original is checked against what was stored before this batch and the rows before it in the
      // file (not after it: a file split into parts must decide as the whole file does, parts in order).
      const storedBefore = new Map<string, OrderRecord[]>();
      await mapPool(linked.keys(), 4, async (customerId) => void storedBefore.set(customerId, (await store.loadCustomer(customerId)).orders));

      const fromAt = new Map<number, string | undefined>();
      const plainFrom: (string | undefined)[] = [];
      const outcomes = await store.putOrders(plain.map((i) => write[i]!), plainFrom);
      plain.forEach((i, j) => fromAt.set(i, plainFrom[j]));
      for (const r of removals) {
        changedFrom.set(r.customerId, null);
        await store.removeOrder(r.customerId, r.key, r.version);
      }
      // A claim another writer overruled between this one and the order's write: that writer may have removed the copy
      // before it was written, so the copy is removed here (the owner item is read after the write).
      const claimed = plain.filter((i) => write[i]!.kind === 'order');
      if (claimed.length) {
        const after = await store.readOwners([...new Set(claimed.map((i) => write[i]!.orderId))]);
        for (const i of claimed) {
          const o = write[i]!;
          if (after.get(o.orderId)?.customerId !== o.customerId) await remove(o.customerId, o.key, o.version);
        }
      }
      const outcomeAt = new Map<number, 'written' | 'unchanged'>();
      for (let j = 0; j < plain.length; j++) outcomeAt.set(plain[j]!, outcomes[j]!);

      if (linked.size) {
        const checked: number[] = [];
        for (const [customerId, rows] of linked) {
          const known = new Map(storedBefore.get(customerId)!.map((o) => [o.key, o] as const));
          // As the store keeps them: the highest version of each key.
          const add = (o: OrderRecord) => {
            const had = known.get(o.key);
            if (!had || had.version < o.version) known.set(o.key, o);
          };
          let j = 0;
          for (const i of rows) {
            for (; j < i; j++) if (write[j]?.customerId === customerId) add(write[j]!);
            const o = write[i]!;
            add(o);
            const all = [...known.values()];
            const why = refundsOverOriginal(all)?.get(o.key);
            checked.push(i);
            // Reported, and stored all the same: it counts for nothing (the state leaves it out by the same rule), and a
            // later version of its original that leaves room for it must count it whichever file came first.
            if (why !== undefined)
              refusedAt.set(i, [{ line: lines[i]!, column: 'amount', value: formatMinor(o.amountMinor, o.currency), reason: `${why}: not counted` }]);
            else if (!all.some((x) => x.kind === 'order' && x.orderId === o.originalOrderId)) unmatchedRefunds++;
          }
        }
        checked.sort((a, b) => a - b);
        const moreFrom: (string | undefined)[] = [];
        const more = await store.putOrders(checked.map((i) => write[i]!), moreFrom);
        for (let k = 0; k < checked.length; k++) outcomeAt.set(checked[k]!, more[k]!), fromAt.set(checked[k]!, moreFrom[k]);
      }

      for (const [i, outcome] of outcomeAt) if (outcome === 'unchanged' && orders[i]!.kind === 'order') unchangedLines.add(lines[i]!);
      // The earliest day this run changed per customer; null once any of its rows is unknown there (not written by this
      // run: a store that cannot tell, or a row already stored, maybe by a run that died before refreshing), so that
      // its refresh reads everything.
      for (let i = 0; i < orders.length; i++) {
        const id = orders[i]!.customerId;
        const day = outcomeAt.get(i) === 'written' ? fromAt.get(i) : undefined;
        const sofar = changedFrom.get(id);
        if (day === undefined) changedFrom.set(id, null);
        else if (sofar === undefined || (sofar !== null && day < sofar)) changedFrom.set(id, day);
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
    anonymous: () => (sales.rows ? { ...sales } : undefined),
    async finish(customerId, wrote, asOf) {
      const { state } = await refreshCustomer(store, customerId, config, asOf, wrote, undefined, undefined, changedFrom.get(customerId) ?? undefined);
      return state.uncounted?.reason;
    },
  };
}
