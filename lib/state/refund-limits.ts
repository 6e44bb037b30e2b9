import { formatMinor } from '../money.ts';
import type { OrderRecord } from '../orders/order.ts';

/**
 * The refunds that do not count (issue 12, item 4), with why: a refund naming its original order counts only against
 * this customer's order of that id, and only up to what remains of it (its amount, less the refunds of it already
 * counted, taken in order time then key; a cancelled order has nothing left). Over that, the refund counts for nothing,
 * so no total goes below what was paid. One rule for the ingest, which rejects such a refund when it arrives after
 * its original (lib/ingest/orders-rows.ts), and for the state, which leaves out one stored before its original
 * arrived, so the result does not depend on which came first.
 *
 * Not checked: a refund without an original id, or whose original this customer does not have (yet): it counts
 * as before. A refund in another currency than its original (minor units are not comparable).
 *
 * Refunds are rare: a customer without one naming its original costs one pass over the orders and no allocation.
 */
export function refundsOverOriginal(orders: readonly OrderRecord[]): Map<string, string> | null {
  let refunds: OrderRecord[] | undefined;
  for (const o of orders) if (o.kind === 'refund' && o.originalOrderId) (refunds ??= []).push(o);
  if (!refunds) return null;
  const originals = new Map<string, OrderRecord>();
  for (const o of orders) if (o.kind === 'order') originals.set(o.orderId, o);
  refunds.sort((a, b) => a.orderedAt - b.orderedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const refunded = new Map<string, number>();
  let out: Map<string, string> | null = null;
  for (const r of refunds) {
    const orig = originals.get(r.originalOrderId!);
    if (!orig || orig.currency !== r.currency) continue;
    const before = refunded.get(orig.orderId) ?? 0;
    if (orig.status !== 'paid') {
      (out ??= new Map()).set(r.key, `order ${orig.orderId} is ${orig.status}: nothing of it to refund`);
      continue;
    }
    if (r.amountMinor > orig.amountMinor - before) {
      const f = (n: number) => formatMinor(n, r.currency);
      (out ??= new Map()).set(
        r.key,
        `refund of ${f(r.amountMinor)} is more than what remains of order ${orig.orderId} (${f(orig.amountMinor)} paid, ${f(before)} refunded before)`,
      );
      continue;
    }
    refunded.set(orig.orderId, before + r.amountMinor);
  }
  return out;
}
