import type { MomentsConfig } from '../config/schema.ts';
import { deriveFromOrders, type DerivedState } from '../derive/derive.ts';
import type { ActiveModel } from '../derive/metrics.ts';
import type { CustomerStore } from '../ingest/ports.ts';
import type { CustomerState } from './customer-state.ts';
import { profileValues } from '../members/profile.ts';

/**
 * Recomputes a customer's state (and derived state: stage, tier, ...) from its stored orders and writes it under
 * optimistic concurrency: the state item is read first (revision R), then the orders; the write succeeds only
 * if the revision is still R. Whoever wrote an order re-reads after writing it, so the last successful state
 * write has seen every order. The customer is put in the due index for `asOf`, so that night's run counts it.
 */
export async function refreshCustomer(
  store: CustomerStore,
  customerId: string,
  config: MomentsConfig,
  asOf: string,
  /** True when this caller wrote an order version: it must then write (see above) even if nothing changed. */
  wroteOrders: boolean,
  model?: ActiveModel,
  maxAttempts = 20,
): Promise<{ state: CustomerState; derived: DerivedState; attempts: number; changed: boolean }> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const rec = await store.loadCustomer(customerId);
    const facts = { birthday: profileValues(rec.profile).birthday };
    const { state, derived } = deriveFromOrders(customerId, rec.orders, config, asOf, model, facts);
    // A caller that wrote nothing (duplicate file, retried event) leaves an unchanged state alone: reads, no writes.
    if (!wroteOrders && rec.state && JSON.stringify({ s: rec.state, d: rec.derived }) === JSON.stringify({ s: state, d: derived }))
      return { state, derived, attempts: attempt, changed: false };
    const dueDate = rec.dueDate && rec.dueDate < asOf ? rec.dueDate : asOf;
    const ok = await store.saveState(state, rec.rev, { derived, ...(rec.health ? { health: rec.health } : {}), dueDate });
    if (ok) return { state, derived, attempts: attempt, changed: true };
    await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
  }
  throw new Error(`customer ${customerId}: state kept changing under ${maxAttempts} attempts`);
}
