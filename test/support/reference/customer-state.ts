/** Reference customer state (see ./points.ts): the first version of lib/state/customer-state.ts, kept as the oracle. */
import type { MomentsConfig } from '../../../lib/config/schema.ts';
import type { OrderRecord } from '../../../lib/orders/order.ts';
import { formatMinor } from '../../../lib/money.ts';
import type { CustomerState } from '../../../lib/state/customer-state.ts';
import { referencePoints } from './points.ts';


const regionsCache = new WeakMap<MomentsConfig, Map<string, string>>();
function storeRegions(config: MomentsConfig): Map<string, string> {
  let m = regionsCache.get(config);
  if (!m) regionsCache.set(config, (m = new Map(config.stores.filter((s) => s.region).map((s) => [s.id, s.region!] as const))));
  return m;
}

/**
 * The refunds that count, written apart from lib/state/refund-limits.ts: taken in time order (then key), a refund
 * naming an original this customer has, in the same currency, counts only while the refunds of that original
 * accepted so far plus it stay within the original's amount (nothing for a cancelled original).
 */
export function referenceCountedRefunds(allOrders: readonly OrderRecord[]): Set<string> {
  const accepted: OrderRecord[] = [];
  const sorted = allOrders.filter((o) => o.kind === 'refund').sort((a, b) => a.orderedAt - b.orderedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const r of sorted) {
    const orig = r.originalOrderId === undefined ? undefined : allOrders.find((o) => o.kind === 'order' && o.orderId === r.originalOrderId);
    if (!orig || orig.currency !== r.currency) {
      accepted.push(r);
      continue;
    }
    const limit = orig.status === 'paid' ? orig.amountMinor : 0;
    const sofar = accepted.filter((a) => a.originalOrderId === r.originalOrderId && a.currency === r.currency).reduce((n, a) => n + a.amountMinor, 0);
    if (sofar + r.amountMinor <= limit) accepted.push(r);
  }
  return new Set(accepted.map((r) => r.key));
}

const byOrderTime = (a: OrderRecord, b: OrderRecord) => a.orderedAt - b.orderedAt || (a.orderId < b.orderId ? -1 : 1);

/** A Map's entries as a plain object in ascending key order (JSON and Object.entries keep that order). */
function sortedRecord(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  let prev = '';
  let sorted = true;
  for (const k of m.keys()) {
    if (k < prev) sorted = false;
    prev = k;
  }
  // Orders are added in time order, so the keys nearly always arrive sorted already.
  if (sorted) for (const [k, v] of m) out[k] = v;
  else for (const k of [...m.keys()].sort()) out[k] = m.get(k)!;
  return out;
}

/** The value most orders have (ties: the most recent, then the smaller), without building intermediate arrays. */
function mostFrequent(orders: readonly OrderRecord[], valueOf: (o: OrderRecord) => string | undefined): string | null {
  const count = new Map<string, number>();
  const last = new Map<string, number>();
  for (const o of orders) {
    const v = valueOf(o);
    if (!v) continue;
    count.set(v, (count.get(v) ?? 0) + 1);
    const at = last.get(v);
    if (at === undefined || o.orderedAt > at) last.set(v, o.orderedAt);
  }
  let best: string | null = null;
  let bn = -1;
  let bl = -1;
  // Ties go to the most recent, then the smaller id, so the answer does not depend on row order.
  for (const [v, n] of count) {
    const l = last.get(v)!;
    if (n > bn || (n === bn && (l > bl || (l === bl && best !== null && v < best)))) {
      best = v;
      bn = n;
      bl = l;
    }
  }
  return best;
}

/**
 * Design principle 1: a customer's state is a pure function of the customer's order versions (latest of each),
 * the configuration and the date. Orders dated after `asOf` are ignored.
 */
export function referenceCustomerState(
  customerId: string,
  allOrders: readonly OrderRecord[],
  config: MomentsConfig,
  asOf: string,
): CustomerState {
  const brandCurrency = config.brand.currency;
  const regionOfStore = storeRegions(config);
  // One pass to split the orders; this runs for every customer an ingest touches.
  const orders: OrderRecord[] = [];
  const paid: OrderRecord[] = [];
  const refunds: OrderRecord[] = [];
  let cancelledCount = 0;
  let nextOrderDate: string | null = null;
  const counted = referenceCountedRefunds(allOrders);
  // A refund that does not count is as if it were not there (its points too).
  for (const o of allOrders.filter((x) => x.kind !== 'refund' || counted.has(x.key))) {
    if (o.localDate > asOf) {
      if (nextOrderDate === null || o.localDate < nextOrderDate) nextOrderDate = o.localDate;
      continue;
    }
    orders.push(o);
    if (o.kind === 'refund') refunds.push(o);
    else if (o.status === 'paid') paid.push(o);
    else if (o.status === 'cancelled') cancelledCount++;
  }
  paid.sort(byOrderTime);

  const byMonth = new Map<string, number>();
  const byDay = new Map<string, number>();
  const other: Record<string, number> = {};
  let total = 0;
  let refundedMinor = 0;
  const add = (o: OrderRecord, amount: number) => {
    if (o.currency !== brandCurrency) {
      other[o.currency] = (other[o.currency] ?? 0) + amount;
      return;
    }
    total += amount;
    const m = o.localDate.slice(0, 7);
    byMonth.set(m, (byMonth.get(m) ?? 0) + amount);
    byDay.set(o.localDate, (byDay.get(o.localDate) ?? 0) + amount);
  };
  for (const o of paid) add(o, o.amountMinor);
  for (const r of refunds) {
    add(r, -r.amountMinor);
    if (r.currency === brandCurrency) refundedMinor += r.amountMinor;
  }

  const days: string[] = [];
  for (const o of paid) if (days[days.length - 1] !== o.localDate) days.push(o.localDate);
  // Paid orders are in time order, so their dates nearly always are too; dedupe again after a sort if not.
  for (let i = 1; i < days.length; i++)
    if (days[i - 1]! >= days[i]!) {
      days.splice(0, days.length, ...[...new Set(days)].sort());
      break;
    }
  const first = paid[0];
  const points = referencePoints(orders, asOf, config);
  const homeStoreId = mostFrequent(paid, (o) => o.storeId);
  const otherKeys = Object.keys(other).sort();

  return {
    customerId,
    asOf,
    firstOrderDate: days[0] ?? null,
    lastOrderDate: days[days.length - 1] ?? null,
    firstOrderAmount: first ? formatMinor(first.amountMinor, first.currency) : null,
    firstOrderAmountMinor: first ? first.amountMinor : null,
    firstOrderStoreId: first?.storeId ?? null,
    ...(first?.products?.length ? { firstOrderProducts: first.products } : {}),
    orderCount: paid.length,
    purchaseDays: days.length,
    totalSpend: formatMinor(total, brandCurrency),
    totalSpendMinor: total,
    currency: brandCurrency,
    ...(otherKeys.length ? { otherCurrencies: Object.fromEntries(otherKeys.map((c) => [c, formatMinor(other[c]!, c)])) } : {}),
    spendByMonth: sortedRecord(byMonth),
    refundCount: refunds.length,
    refundedMinor,
    cancelledCount,
    pointsBalance: points.balance,
    pointsExpiring: points.lots.filter((l) => l.remaining > 0).map((l) => ({ points: l.remaining, expiresOn: l.expiresOn })),
    pointsLots: points.lots,
    pointsExpired: points.expired,
    pointsShortfall: points.shortfall,
    homeStoreId,
    region: mostFrequent(paid, (o) => o.region ?? (o.storeId ? regionOfStore.get(o.storeId) : undefined)),
    purchaseDates: days,
    spendByDay: sortedRecord(byDay),
    nextOrderDate,
  };
}
