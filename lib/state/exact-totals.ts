import type { MomentsConfig } from '../config/schema.ts';
import { formatMinor } from '../money.ts';
import type { OrderRecord } from '../orders/order.ts';
import { pointsFor } from './points.ts';

/**
 * A customer's sums stay exact in doubles, or they are not made.
 *
 * Every money sum of a customer's state (total, by month, by day, refunded, each other currency; the tiers'
 * qualifying spend and the lifecycle's netSpendLast365 add up the same days) adds a subset of the customer's
 * amounts, with signs. Each partial sum is therefore at most the customer's gross, the sum of |amount| of its paid
 * orders and refunds, in magnitude. Amounts are integers (minor units); while the gross is at most
 * MAX_CUSTOMER_GROSS_MINOR = 10^15 < 2^53, every partial sum is an integer below 2^53, which a double holds exactly,
 * so every addition is exact. Points alike: earned, clawed back and redeemed points sum to at most
 * floor(gross in brand currency as major units x pointsPerUnit) plus the points redeemed, kept at most
 * MAX_CUSTOMER_POINTS. A single order row is at most MAX_ORDER_AMOUNT_MINOR (10^12, rejected above at the ingest), so
 * a customer reaches the bound only after about a thousand orders of that size, ten billion yuan each.
 *
 * Past a bound the sums would lose precision silently. Instead the orders are taken in time order (then by key,
 * so the cut does not depend on row or upload order) and those from the first that would cross a bound on are not
 * counted: the state says how many and why (`uncounted`), and the ingest warns about the customer.
 */
export const MAX_CUSTOMER_GROSS_MINOR = 1e15;
export const MAX_CUSTOMER_POINTS = 1e15;

export interface UncountedOrders {
  orders: number;
  /** Key of the first order left out (time order). */
  fromKey: string;
  reason: string;
}

const counts = (o: OrderRecord) => o.kind === 'refund' || o.status === 'paid';
const byTimeThenKey = (a: OrderRecord, b: OrderRecord) => a.orderedAt - b.orderedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Bounds on a customer's sums: gross |amount| (all currencies), gross in the brand currency, points redeemed. */
export interface Gross {
  minor: number;
  brandMinor: number;
  redeemed: number;
  /** Paid orders and refunds added. */
  orders: number;
}

/**
 * Why these sums would not be exact, or undefined when they are. Each order's points are rounded down on their own,
 * so their sum is at most the points of the summed amount (plus one per order for pointsFor's rounding guard).
 */
export function beyondExact(g: Gross, config: MomentsConfig): string | undefined {
  const brand = config.brand.currency;
  if (g.minor > MAX_CUSTOMER_GROSS_MINOR)
    return `the customer's orders and refunds would add up to more than ${MAX_CUSTOMER_GROSS_MINOR} minor units (${formatMinor(MAX_CUSTOMER_GROSS_MINOR, brand)} ${brand}), beyond which sums are not exact`;
  if (pointsFor(g.brandMinor, brand, config) + g.redeemed + g.orders > MAX_CUSTOMER_POINTS)
    return `the customer's points would add up to more than ${MAX_CUSTOMER_POINTS}, beyond which sums are not exact`;
  return undefined;
}

/** Adds one paid order or refund to `g`. */
export function addGross(g: Gross, o: OrderRecord, brand: string): void {
  g.minor += o.amountMinor;
  if (o.currency === brand) g.brandMinor += o.amountMinor;
  g.redeemed += o.pointsRedeemed ?? 0;
  g.orders++;
}

export const noGross = (): Gross => ({ minor: 0, brandMinor: 0, redeemed: 0, orders: 0 });

/**
 * For a customer whose orders together are beyond the bounds (beyondExact): the orders kept, in their order, without
 * the paid orders and refunds from the first (by time, then key) that crosses a bound, and what was left out.
 */
export function cutAtBounds(orders: readonly OrderRecord[], config: MomentsConfig): { orders: OrderRecord[]; uncounted?: UncountedOrders } {
  const brand = config.brand.currency;
  const timed = orders.filter(counts).sort(byTimeThenKey);
  const g = noGross();
  for (let i = 0; i < timed.length; i++) {
    addGross(g, timed[i]!, brand);
    const why = beyondExact(g, config);
    if (why === undefined) continue;
    const left = new Set(timed.slice(i));
    const from = timed[i]!.key;
    return {
      orders: orders.filter((o) => !left.has(o)),
      uncounted: { orders: left.size, fromKey: from, reason: `${left.size} orders from ${from} on are not counted: ${why}` },
    };
  }
  return { orders: [...orders] };
}
