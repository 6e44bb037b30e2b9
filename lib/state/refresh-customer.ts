import type { MomentsConfig } from '../config/schema.ts';
import type { CustomerStore } from '../ingest/ports.ts';
import { computeCustomerState, type CustomerState } from './customer-state.ts';

/**
 * Recomputes a customer's state from its stored orders and writes it under optimistic concurrency: the state
 * item is read first (revision R), then the orders; the write succeeds only if the revision is still R.
 * Whoever wrote an order re-reads after writing it, so the last successful state write has seen every order.
 */
export async function refreshCustomer(
  store: CustomerStore,
  customerId: string,
  config: MomentsConfig,
  asOf: string,
  /** True when this caller wrote an order version: it must then write (see above) even if nothing changed. */
  wroteOrders: boolean,
  maxAttempts = 20,
): Promise<{ state: CustomerState; attempts: number; changed: boolean }> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { rev, state: before, orders } = await store.loadCustomer(customerId);
    const state = computeCustomerState(customerId, orders, config, asOf);
    // A caller that wrote nothing (duplicate file, retried event) leaves an unchanged state alone: reads, no writes.
    if (!wroteOrders && before && JSON.stringify(before) === JSON.stringify(state)) return { state, attempts: attempt, changed: false };
    if (await store.saveState(state, rev)) return { state, attempts: attempt, changed: true };
    await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
  }
  throw new Error(`customer ${customerId}: state kept changing under ${maxAttempts} attempts`);
}
