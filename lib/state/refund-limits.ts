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
  return judge(refunds, (id) => originals.get(id), () => 0).over;
}

/** What a fold keeps of the refunds naming one original id (lib/state/state-fold.ts): counted amount, last order time. */
export interface RefundedOriginal {
  minor: number;
  at: number;
}

const byTimeThenKey = (a: OrderRecord, b: OrderRecord) => a.orderedAt - b.orderedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function judge(
  refunds: OrderRecord[],
  originalOf: (id: string) => OrderRecord | undefined,
  before0: (id: string) => number,
): { over: Map<string, string> | null } {
  refunds.sort(byTimeThenKey);
  const refunded = new Map<string, number>();
  let out: Map<string, string> | null = null;
  for (const r of refunds) {
    const orig = originalOf(r.originalOrderId!);
    if (!orig || orig.currency !== r.currency) continue;
    const before = refunded.get(orig.orderId) ?? before0(orig.orderId);
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
  return { over: out };
}

/**
 * refundsOverOriginal for a fold resumed at `from` (lib/state/state-fold.ts): the refunds among `orders` dated from
 * `from` on, judged after those the checkpoint folded (`refs`: what they counted per original). `originalOf` gives an
 * original dated before `from` (read by key). The same answer as over the whole history, or `unsafe` (the caller
 * reads everything): an order named by a refund before `from` is among the orders from it on (it may have changed
 * since, and with it what that refund counted), or a refund from `from` on is not later in order time than every
 * refund of its original before `from` (a row's brand day and its order time can disagree).
 */
export function refundsOverFrom(
  refs: Readonly<Record<string, RefundedOriginal>>,
  orders: readonly OrderRecord[],
  from: string,
  originalOf: (id: string) => OrderRecord | undefined,
): { over: Map<string, string> | null; unsafe?: string } {
  let refunds: OrderRecord[] | undefined;
  let originals: Map<string, OrderRecord> | undefined;
  for (const o of orders) {
    if (o.localDate < from) continue;
    if (o.kind === 'order') {
      if (Object.hasOwn(refs, o.orderId)) return { over: null, unsafe: `order ${o.orderId} is named by a refund folded before ${from}` };
      (originals ??= new Map()).set(o.orderId, o);
    } else if (o.originalOrderId) {
      const ref = refs[o.originalOrderId];
      if (ref && o.orderedAt <= ref.at) return { over: null, unsafe: `refund ${o.key} is before a refund of ${o.originalOrderId} folded before ${from}` };
      (refunds ??= []).push(o);
    }
  }
  if (!refunds) return { over: null };
  return judge(refunds, (id) => originals?.get(id) ?? originalOf(id), (id) => refs[id]?.minor ?? 0);
}
