import type { MomentsConfig } from '../config/schema.ts';
import type { OrderRecord } from '../orders/order.ts';
import { addDays, monthOf } from '../time.ts';
import { addGross, beyondExact, cutAtBounds, noGross, type Gross, type UncountedOrders } from './exact-totals.ts';
import { byDayTimeKey, copyPointsFold, expireBefore, newPointsFold, pointsDay, type PointsFold } from './points.ts';
import { refundsOverFrom, refundsOverOriginal, type RefundedOriginal } from './refund-limits.ts';

/** The paid order with the smallest (time, id): the customer's first order. */
export interface FirstOrder {
  orderedAt: number;
  orderId: string;
  amountMinor: number;
  currency: string;
  storeId: string | null;
  products?: string[];
}

/** [value, paid orders, last order time] triples: home store and region (see bestOf). */
export type Tally = (string | number)[];

/**
 * Everything a customer's state is made of, folded over the orders dated before `until` (brand-zone day), in day
 * order. The fold is exact for any split of the days, so a checkpoint taken at a day boundary plus the orders from
 * that day on gives the state a fold from the first order gives (test/unit/state-fold.test.ts): the cost of a
 * refresh can follow what changed, not the length of the history. Plain data, so it can be stored as JSON.
 */
export interface StateFold {
  /** First day not folded in: every order dated before it is, none on or after it. */
  until: string;
  paid: number;
  cancelled: number;
  refunds: number;
  refundedMinor: number;
  /** Net in the brand currency; other currencies apart. */
  totalMinor: number;
  other: Record<string, number>;
  byMonth: Record<string, number>;
  byDay: Record<string, number>;
  /** Distinct days with a paid order, ascending. */
  days: string[];
  first: FirstOrder | null;
  stores: Tally;
  regions: Tally;
  points: PointsFold;
  /**
   * Originals named by refunds of the month `openMonth` that were not found (not among the orders folded so far):
   * a paid order of that id arriving later in the same month would have given such a refund its own lot first.
   */
  openRefunds: string[];
  openMonth: string;
  /**
   * Per original id named by a refund folded in: what those refunds counted against it and the latest order time
   * (lib/state/refund-limits.ts refundsOverFrom). Refunds naming their original are rare: a few entries.
   */
  refs: Record<string, RefundedOriginal>;
  /** The sums lib/state/exact-totals.ts bounds, over the paid orders and refunds folded in. */
  gross: Gross;
  /** Orders left out beyond those bounds: a fold with any is not resumed (the cut is in order time, not day order). */
  uncounted?: UncountedOrders;
}

/**
 * A dictionary (null prototype): each customer's days form a different set of keys, and an ordinary object would get
 * a hidden class per key sequence, about a million per 100,000 customers (measured: 2x the time, 1.3x the memory).
 */
function dict(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

export function emptyFold(): StateFold {
  return {
    until: '0000-01-01',
    paid: 0,
    cancelled: 0,
    refunds: 0,
    refundedMinor: 0,
    totalMinor: 0,
    other: dict(),
    byMonth: dict(),
    byDay: dict(),
    days: [],
    first: null,
    stores: [],
    regions: [],
    points: newPointsFold(),
    openRefunds: [],
    openMonth: '',
    refs: Object.create(null) as Record<string, RefundedOriginal>,
    gross: noGross(),
  };
}

/** A deep copy: a fold is mutated as it goes on, its checkpoints must not be. */
export function copyFold(f: StateFold): StateFold {
  return {
    ...f,
    other: Object.assign(dict(), f.other),
    byMonth: Object.assign(dict(), f.byMonth),
    byDay: Object.assign(dict(), f.byDay),
    days: [...f.days],
    first: f.first ? { ...f.first, ...(f.first.products ? { products: [...f.first.products] } : {}) } : null,
    stores: [...f.stores],
    regions: [...f.regions],
    points: copyPointsFold(f.points),
    openRefunds: [...f.openRefunds],
    refs: Object.assign(Object.create(null) as Record<string, RefundedOriginal>, ...Object.entries(f.refs).map(([k, v]) => ({ [k]: { ...v } }))),
    gross: { ...f.gross },
    ...(f.uncounted ? { uncounted: { ...f.uncounted } } : {}),
  };
}

export interface FoldOptions {
  /**
   * The month of the paid order `orderId`, for a refund whose original is dated before the fold's start (so not
   * among `orders`): a store looks it up by key. Without it such a refund claws back from the oldest lots.
   */
  originalMonth?: (orderId: string) => string | undefined;
  /** Called with a copy of the fold at each first day of a month that has orders, before that day's orders. */
  onCheckpoint?: (checkpoint: StateFold) => void;
  /**
   * An original order dated before the fold's start (not among `orders`), any status: refund limits need its amount.
   * A store reads it by key.
   */
  originals?: (orderId: string) => OrderRecord | undefined;
  /** The refunds that do not count, when the caller judged them over the whole history (refundsOverOriginal). */
  over?: ReadonlyMap<string, string> | null;
}

const regionsCache = new WeakMap<MomentsConfig, Map<string, string>>();
function storeRegions(config: MomentsConfig): Map<string, string> {
  let m = regionsCache.get(config);
  if (!m) regionsCache.set(config, (m = new Map(config.stores.filter((s) => s.region).map((s) => [s.id, s.region!] as const))));
  return m;
}

/**
 * Folds into `from` (a checkpoint, not changed; a fresh fold when undefined) the orders dated on or after its
 * `until` and on or before `asOf`. `orders` must hold every order dated from `until` on (earlier ones are ignored;
 * the checkpoint has them). Returns the fold as of the end of `asOf` and the earliest order dated after `asOf`.
 */
export function foldOrders(
  from: StateFold | undefined,
  orders: readonly OrderRecord[],
  config: MomentsConfig,
  asOf: string,
  opts: FoldOptions = {},
): { fold: StateFold; nextOrderDate: string | null; exact: boolean; unsafe?: string } {
  const f = from ? copyFold(from) : emptyFold();
  // Exact unless a paid order of this call is the original of a refund the checkpoint folded without it.
  let exact = true;
  const start = f.until;
  const brand = config.brand.currency;
  const regionOfStore = storeRegions(config);
  // Refund limits (lib/state/refund-limits.ts) over every order, not only those up to asOf. A fresh fold is given the
  // whole history; a resumed one judges the refunds from its start on after the checkpoint's, or cannot go on.
  let byId: Map<string, OrderRecord> | undefined;
  const originalOf = (id: string): OrderRecord | undefined => {
    if (!byId) {
      byId = new Map();
      for (const o of orders) if (o.kind === 'order') byId.set(o.orderId, o);
    }
    return byId.get(id) ?? opts.originals?.(id);
  };
  let over: ReadonlyMap<string, string> | null;
  if (opts.over !== undefined) over = opts.over;
  else if (!from) over = refundsOverOriginal(orders);
  else {
    const j = refundsOverFrom(from.refs, orders, start, originalOf);
    if (j.unsafe) return { fold: f, nextOrderDate: null, exact: false, unsafe: j.unsafe };
    over = j.over;
  }
  const due: OrderRecord[] = [];
  let nextOrderDate: string | null = null;
  let sorted = true;
  for (const o of orders) {
    if (o.localDate < start) continue;
    // A refund that does not count is as if it were not there (but for what it tells of its original: refs below).
    if (o.localDate > asOf) {
      if (over !== null && o.kind === 'refund' && over.has(o.key)) continue;
      if (nextOrderDate === null || o.localDate < nextOrderDate) nextOrderDate = o.localDate;
      continue;
    }
    if (sorted && due.length && byDayTimeKey(due[due.length - 1]!, o) > 0) sorted = false;
    due.push(o);
  }
  if (!sorted) due.sort(byDayTimeKey);

  // Exact totals (lib/state/exact-totals.ts): beyond the bounds, the paid orders and refunds from the crossing one on
  // in order time are left out. Order time and brand day can disagree, so only a fresh fold cuts; a resumed one that
  // would cross (or whose checkpoint did) cannot go on.
  const counts = (o: OrderRecord) => (o.kind === 'refund' ? !over?.has(o.key) : o.status === 'paid');
  const g = { ...f.gross };
  for (const o of due) if (counts(o)) addGross(g, o, brand);
  let cut: Set<OrderRecord> | undefined;
  if (from && (from.uncounted || beyondExact(g, config) !== undefined))
    return { fold: f, nextOrderDate: null, exact: false, unsafe: 'beyond the bounds of exact sums' };
  if (!from && beyondExact(g, config) !== undefined) {
    const counted = due.filter(counts);
    const c = cutAtBounds(counted, config);
    const kept = new Set(c.orders);
    cut = new Set(counted.filter((o) => !kept.has(o)));
    if (c.uncounted) f.uncounted = c.uncounted;
  }

  // A refund's original: among the orders folded here (dated up to asOf; the last of an id), else the caller's.
  let paidById: Map<string, string> | undefined;
  const originalMonth = (id: string): string | undefined => {
    if (!paidById) {
      paidById = new Map();
      for (const o of due) if (o.kind === 'order' && o.status === 'paid' && !cut?.has(o)) paidById.set(o.orderId, o.localDate);
    }
    const d = paidById.get(id);
    const m = d !== undefined ? monthOf(d) : opts.originalMonth?.(id);
    if (m === undefined) f.openRefunds.push(id);
    return m;
  };

  // A checkpoint at each new month's first day after the start; none before the first order (that is a fresh fold).
  let month = from && from.paid + from.cancelled + from.refunds > 0 ? monthOf(addDays(start, -1)) : '';
  for (let i = 0; i < due.length; ) {
    const date = due[i]!.localDate;
    let end = i + 1;
    while (end < due.length && due[end]!.localDate === date) end++;
    const m = monthOf(date);
    // No checkpoints in a fold with a cut: the cut up to an earlier day may be another.
    if (opts.onCheckpoint && !cut && m !== month && month !== '' && `${m}-01` > start) opts.onCheckpoint(settle(copyFold(f), `${m}-01`));
    month = m;
    if (f.openMonth !== m) {
      f.openRefunds = [];
      f.openMonth = m;
    }
    let paidToday = false;
    let day: OrderRecord[] | undefined;
    for (let k = i; k < end; k++) {
      const o = due[k]!;
      const refund = o.kind === 'refund';
      if (refund && o.originalOrderId) {
        const ref = (f.refs[o.originalOrderId] ??= { minor: 0, at: o.orderedAt });
        if (o.orderedAt > ref.at) ref.at = o.orderedAt;
        const orig = over?.has(o.key) ? undefined : originalOf(o.originalOrderId);
        if (orig && orig.currency === o.currency) ref.minor += o.amountMinor;
      }
      if (refund && over?.has(o.key)) continue;
      if (cut?.has(o)) continue;
      (day ??= []).push(o);
      if (counts(o)) addGross(f.gross, o, brand);
      if (!refund && o.status === 'cancelled') f.cancelled++;
      if (!refund && o.status !== 'paid') continue;
      if (refund) f.refunds++;
      else {
        f.paid++;
        paidToday = true;
        if (f.openRefunds.length && f.openRefunds.includes(o.orderId)) exact = false;
        const first = f.first;
        if (!first || o.orderedAt < first.orderedAt || (o.orderedAt === first.orderedAt && o.orderId < first.orderId))
          f.first = {
            orderedAt: o.orderedAt,
            orderId: o.orderId,
            amountMinor: o.amountMinor,
            currency: o.currency,
            storeId: o.storeId ?? null,
            ...(o.products?.length ? { products: o.products } : {}),
          };
        if (o.storeId) tally(f.stores, o.storeId, o.orderedAt);
        const region = o.region ?? (o.storeId ? regionOfStore.get(o.storeId) : undefined);
        if (region) tally(f.regions, region, o.orderedAt);
      }
      const amount = refund ? -o.amountMinor : o.amountMinor;
      if (o.currency !== brand) {
        f.other[o.currency] = (f.other[o.currency] ?? 0) + amount;
        continue;
      }
      if (refund) f.refundedMinor += o.amountMinor;
      f.totalMinor += amount;
      f.byMonth[m] = (f.byMonth[m] ?? 0) + amount;
      f.byDay[date] = (f.byDay[date] ?? 0) + amount;
    }
    if (paidToday) f.days.push(date);
    if (day) pointsDay(f.points, day, 0, day.length, config, originalMonth);
    i = end;
  }
  return { fold: asOf >= start ? settle(f, addDays(asOf, 1)) : f, nextOrderDate, exact };
}

/**
 * One form for a fold up to `until`, however it got there: lots that expired before its last day are gone (the replay
 * drops them lazily, at the next event). Lots expiring on that last day stay: the state of that day still has them.
 */
function settle(f: StateFold, until: string): StateFold {
  expireBefore(f.points, addDays(until, -1));
  if (f.points.head) {
    f.points.lots = f.points.lots.slice(f.points.head);
    f.points.head = 0;
  }
  f.until = until;
  // A refund's original can only change its claw-back within the refund's month.
  if (f.openMonth < monthOf(until)) {
    f.openRefunds = [];
    f.openMonth = '';
  }
  return f;
}

function tally(t: Tally, v: string, at: number): void {
  for (let i = 0; i < t.length; i += 3) {
    if (t[i] !== v) continue;
    (t[i + 1] as number)++;
    if (at > (t[i + 2] as number)) t[i + 2] = at;
    return;
  }
  t.push(v, 1, at);
}

/** The value most paid orders have (ties: the most recent, then the smaller), so row order does not matter. */
export function bestOf(t: Tally): string | null {
  let best: string | null = null;
  let bn = -1;
  let bl = -1;
  for (let i = 0; i < t.length; i += 3) {
    const v = t[i] as string;
    const n = t[i + 1] as number;
    const l = t[i + 2] as number;
    if (n > bn || (n === bn && (l > bl || (l === bl && best !== null && v < best)))) {
      best = v;
      bn = n;
      bl = l;
    }
  }
  return best;
}
