import type { MomentsConfig } from '../config/schema.ts';
import type { CustomerStore } from '../ingest/ports.ts';
import { computeCustomerState, type CustomerState } from './customer-state.ts';
import type { DerivedState } from '../derive/derive.ts';
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
): Promise<{ state: CustomerState; attempts: number; changed: boolean }> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const rec = await store.loadCustomer(customerId);
    const state = computeCustomerState(customerId, rec.orders, config, asOf);
    // A caller that wrote nothing (duplicate file, retried event) leaves an unchanged state alone: reads, no writes.
    if (!wroteOrders && !mapDerived && rec.state && JSON.stringify(rec.state) === JSON.stringify(state)) return { state, attempts: attempt, changed: false };
    // A state that changed may have changed through orders this caller did not see itself write (a write whose
    // answer was lost and came back 'unchanged' on retry): the derivation goes, and the night folds it again.
    // Only an erasure (mapDerived) keeps it, rewritten.
    const derived = mapDerived && rec.derived ? { derived: mapDerived(rec.derived) } : {};
    const ok = await store.saveState(state, rec.rev, { ...derived, ...(rec.health ? { health: rec.health } : {}), dueDate: DUE_NEXT_NIGHT });
    if (ok) return { state, attempts: attempt, changed: true };
    // Exponential backoff with full jitter: two invocations refreshing the same customers in the same order (parts
    // of one split file) must fall out of step, even on a slow store.
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(2_000, 10 * 2 ** attempt)));
  }
  throw new Error(`customer ${customerId}: state kept changing under ${maxAttempts} attempts`);
}
