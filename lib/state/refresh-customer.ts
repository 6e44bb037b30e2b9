import type { MomentsConfig } from '../config/schema.ts';
import type { CustomerStore } from '../ingest/ports.ts';
import { stateOfFold, type CustomerState } from './customer-state.ts';
import { foldOrders, type StateFold } from './state-fold.ts';
import { configKey, fitFolds } from './checkpoints.ts';
import type { CustomerRecord } from '../ingest/ports.ts';
import { addDays, monthOf } from '../time.ts';
import type { DerivedState } from '../derive/derive.ts';
import type { OrderRecord } from '../orders/order.ts';
import { DUE_NEXT_NIGHT } from '../nightly/due.ts';

/**
 * Recomputes a customer's order state from its stored orders and writes it under optimistic concurrency: the
 * state item is read first (revision R), then the orders; the write succeeds only if the revision is still R.
 * Whoever wrote an order re-reads after writing it, so the last successful state write has seen every order.
 *
 * The derived state (stage, tier, their histories) is NOT folded here: a state write drops it (the orders, or a fact
 * the derivation reads such as the birthday, changed), and the customer is put in the due index for the next night
 * closed, whatever `asOf` is (DUE_NEXT_NIGHT), so that night's run re-derives it from the orders as of that night
 * (lib/nightly advanceCustomer). Folding a customer's
 * whole history is ~20x the cost of its state, and the nightly visits every changed customer anyway: this keeps
 * the ingest Lambda to parse, validate, store and aggregate.
 */
/** Orders a refresh reads in its first request: a customer with more resumes from its checkpoint when it can. */
export const HEAD_ORDERS = 25;

export async function refreshCustomer(
  store: CustomerStore,
  customerId: string,
  config: MomentsConfig,
  asOf: string,
  /** True when this caller wrote an order version (or a derivation fact): it must then write even if nothing changed. */
  wroteOrders: boolean,
  /** Rewrites a kept derivation (an erasure removes the birthday from it); the state is then always written. */
  mapDerived?: (d: DerivedState) => DerivedState,
  maxAttempts = 20,
  /**
   * The earliest day whose orders this caller changed, when it knows (every write of its own reported one): the
   * state then resumes from the state item's checkpoint if that is not later, and reads only the orders from it on.
   */
  changedFrom?: string,
): Promise<{ state: CustomerState; attempts: number; changed: boolean; resumed?: boolean }> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    // One request as before for a customer of a few orders; a longer one resumes from its checkpoint if it can.
    const page = store.loadCustomerHead ? await store.loadCustomerHead(customerId, HEAD_ORDERS) : { ...(await store.loadCustomer(customerId)), complete: true };
    const resumed = !page.complete && changedFrom !== undefined && !mapDerived ? await resume(store, page, config, asOf, changedFrom) : undefined;
    let rec: CustomerRecord;
    let state: CustomerState;
    let head: StateFold;
    if (resumed) ({ rec, state, head } = resumed);
    else {
      const full = page.complete ? page : await store.loadCustomer(customerId);
      const f = foldOrders(undefined, full.orders, config, asOf);
      rec = full;
      head = f.fold;
      state = stateOfFold(customerId, f.fold, config, asOf, f.nextOrderDate);
    }
    // A caller that wrote nothing (duplicate file, retried event) leaves an unchanged state alone: reads, no writes.
    if (!wroteOrders && !mapDerived && rec.state && JSON.stringify(rec.state) === JSON.stringify(state)) return { state, attempts: attempt, changed: false };
    // A state that changed may have changed through orders this caller did not see itself write (a write whose
    // answer was lost and came back 'unchanged' on retry): the derivation goes, and the night folds it again.
    // Only an erasure (mapDerived) keeps it, rewritten.
    const derived = mapDerived && rec.derived ? { derived: mapDerived(rec.derived) } : {};
    // The night's checkpoint stays when this change is on or after its day (and so does its key: same facts).
    const old = rec.folds;
    const keep = resumed && old?.derive && old.deriveKey && changedFrom !== undefined && old.derive.fold.until <= changedFrom;
    // Only a customer too long for one page keeps checkpoints: a short one is read whole anyway, and its state item
    // stays under 1 KB (one write unit).
    const folds = fitFolds(page.complete ? undefined : { key: configKey(config), head, ...(keep ? { derive: old.derive, deriveKey: old.deriveKey } : {}) });
    const ok = await store.saveState(state, rec.rev, { ...derived, ...(rec.health ? { health: rec.health } : {}), dueDate: DUE_NEXT_NIGHT, ...(folds ? { folds } : {}) });
    if (ok) return { state, attempts: attempt, changed: true, resumed: !!resumed };
    // Exponential backoff with full jitter: two invocations refreshing the same customers in the same order (parts
    // of one split file) must fall out of step, even on a slow store.
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(2_000, 10 * 2 ** attempt)));
  }
  throw new Error(`customer ${customerId}: state kept changing under ${maxAttempts} attempts`);
}

/**
 * The state from the state item's fold and the orders from its day on, when that fold is usable: made under this
 * configuration, not past `asOf`, not after the first changed day, and no original arriving for a refund it folded
 * without one. Undefined otherwise (the caller reads everything). `rec` is the state item as just read (before the
 * orders, as loadCustomer reads it).
 */
export async function resume(
  store: CustomerStore,
  rec: CustomerRecord,
  config: MomentsConfig,
  asOf: string,
  changedFrom: string,
): Promise<{ rec: CustomerRecord; state: CustomerState; head: StateFold } | undefined> {
  const customerId = rec.customerId;
  if (!store.loadOrdersFrom) return undefined;
  const head = rec.folds?.head;
  if (!head || rec.folds?.key !== configKey(config) || head.until > changedFrom || head.until > addDays(asOf, 1)) return undefined;
  const orders = await store.loadOrdersFrom(customerId, head.until);
  if (!orders) return undefined;
  const { originalMonth, originals } = await originalsBefore(store, customerId, orders, head.until, asOf);
  const r = foldOrders(head, orders, config, asOf, { originalMonth, originals });
  // Not exact (an original arrived for a refund folded without it) or unsafe (refund limits, exact totals): read all.
  if (!r.exact || r.unsafe) return undefined;
  return { rec, state: stateOfFold(customerId, r.fold, config, asOf, r.nextOrderDate), head: r.fold };
}

/**
 * The originals dated before `until` of the refunds among `orders` whose original is not among them, read by key (an
 * order's key is its id), a few items at most: the records (refund limits) and the months of the paid ones by `asOf`
 * (claw-backs).
 */
export async function originalsBefore(
  store: { loadOrders?(customerId: string, keys: readonly string[]): Promise<OrderRecord[]> },
  customerId: string,
  orders: readonly OrderRecord[],
  until: string,
  asOf: string,
): Promise<{ originalMonth: (orderId: string) => string | undefined; originals: (orderId: string) => OrderRecord | undefined }> {
  const have = new Set(orders.map((o) => o.orderId));
  const want = [...new Set(orders.flatMap((o) => (o.kind === 'refund' && o.originalOrderId && !have.has(o.originalOrderId) ? [o.originalOrderId] : [])))];
  const found = want.length && store.loadOrders ? await store.loadOrders(customerId, want) : [];
  const months = new Map<string, string>();
  const records = new Map<string, OrderRecord>();
  for (const o of found) {
    if (o.kind !== 'order' || o.localDate >= until) continue;
    records.set(o.orderId, o);
    if (o.status === 'paid' && o.localDate <= asOf) months.set(o.orderId, monthOf(o.localDate));
  }
  return { originalMonth: (id) => months.get(id), originals: (id) => records.get(id) };
}
