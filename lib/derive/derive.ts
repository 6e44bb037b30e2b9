import type { MomentsConfig } from '../config/schema.ts';
import { pAliveThresholdTime, rfmFromPurchaseDates } from '../model/bgnbd.ts';
import type { OrderRecord } from '../orders/order.ts';
import { stateOfFold, type CustomerState } from '../state/customer-state.ts';
import { foldOrders, type StateFold } from '../state/state-fold.ts';
import { byDayTimeKey } from '../state/points.ts';
import { refundsOverFrom, refundsOverOriginal } from '../state/refund-limits.ts';
import { addDays, monthOf } from '../time.ts';
import { advanceState } from '../state/advance-state.ts';
import { touchTriggerDates } from '../touches/plan.ts';
import { evaluateStage } from './lifecycle.ts';
import { computeMetrics, purchaseDaysIn, spendIn, type ActiveModel } from './metrics.ts';
import { advanceTier, qualificationChangeDates, qualifyingSpend, type TierState } from './tiers.ts';

/** What the derivation needs beyond the orders: facts from the member profile. */
export interface CustomerFacts {
  birthday?: string | null | undefined;
}

export interface StageEntry {
  stage: string;
  since: string;
  rule: string;
}

/** One customer's contribution to the brand health figures on a night (rolling-year window). */
export interface HealthContribution {
  active: boolean;
  returning: boolean;
  store: string | null;
  region: string | null;
  /** Trailing 365-day net spend in minor units (value pyramid), 0 when inactive. */
  trailingSpendMinor: number;
}

/** Everything the nightly keeps up to date on a customer, beside the order-derived state. */
export interface DerivedState {
  asOf: string;
  stage: string;
  stageSince: string;
  stageRule: string;
  stageHistory: StageEntry[];
  tier: TierState | null;
  pointsExpiringSoon: number;
  /** From the member profile (YYYY-MM-DD or --MM-DD): birthday touches join the due dates. */
  birthday?: string | null;
  /** Next date the state can change by time alone; the due index is keyed on it. */
  nextDue: string | null;
}

const FAR = '9999-12-31';

function pointsExpiringSoon(state: CustomerState, date: string, config: MomentsConfig): number {
  const until = addDays(date, config.nightly.expiringSoonDays);
  return state.pointsLots.filter((l) => l.expiresOn >= date && l.expiresOn <= until).reduce((s, l) => s + l.remaining, 0);
}

const thresholdCache = new WeakMap<MomentsConfig, Map<string, number[]>>();

/** Metric thresholds used by the rules, per metric (cached per configuration object). */
function thresholds(config: MomentsConfig, metric: string): number[] {
  let m = thresholdCache.get(config);
  if (!m) thresholdCache.set(config, (m = new Map()));
  let out = m.get(metric);
  if (!out) {
    out = [];
    for (const r of config.lifecycle.rules) {
      const c = (r.when as Record<string, Record<string, number | undefined>>)[metric];
      if (c) for (const v of Object.values(c)) if (typeof v === 'number') out.push(v);
    }
    m.set(metric, out);
  }
  return out;
}

function usesMetric(config: MomentsConfig, metric: string): boolean {
  return config.lifecycle.rules.some((r) => metric in r.when);
}

/**
 * Every date after `date` on which something can change by time alone: a threshold of a days-since metric,
 * a purchase day leaving a window, a points lot entering the expiring-soon window or expiring, a tier review
 * or downgrade, the qualification window sliding, pAlive crossing a rule's threshold, a future-dated order.
 * Over-including is harmless (an evaluation that changes nothing); missing one would not be.
 */
export function changeDates(state: CustomerState, derived: DerivedState, date: string, config: MomentsConfig, model?: ActiveModel): string[] {
  const c: string[] = [];
  const days = state.purchaseDates;
  const first = days[0];
  const last = days[days.length - 1];
  const push = (d: string) => {
    if (d > date) c.push(d);
  };
  if (last) {
    for (const v of thresholds(config, 'daysSinceLastOrder')) {
      push(addDays(last, Math.ceil(v)));
      push(addDays(last, Math.floor(v) + 1));
    }
    const gaps = days.slice(1).map((d, i) => (Date.parse(d) - Date.parse(days[i]!)) / 86_400_000);
    if (gaps.length) {
      const s = [...gaps].sort((a, b) => a - b);
      const m = s.length >> 1;
      const typical = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
      for (const v of thresholds(config, 'recencyRatio')) {
        push(addDays(last, Math.ceil(v * typical)));
        push(addDays(last, Math.floor(v * typical) + 1));
      }
    }
    // Windows: the rolling-year health window always; 90/180-day ones only when a rule uses them.
    const windows = [365, ...(usesMetric(config, 'purchaseDaysLast90') ? [90] : []), ...(usesMetric(config, 'purchaseDaysLast180') ? [180] : [])];
    for (const d of days) for (const n of windows) push(addDays(d, n));
  }
  if (first) {
    for (const v of thresholds(config, 'daysSinceFirstOrder')) {
      push(addDays(first, Math.ceil(v)));
      push(addDays(first, Math.floor(v) + 1));
    }
    push(addDays(first, 365)); // becomes a "customer before the window" for the returning ratio
  }
  // Refund days move the trailing spend too. The tier qualification window sliding matters only where it
  // raises spend (a net-refund day leaving it can earn an upgrade); spend falling only counts at a review.
  for (const d of Object.keys(state.spendByDay)) push(addDays(d, 365));
  const refundDays = Object.fromEntries(Object.entries(state.spendByDay).filter(([, v]) => v < 0));
  for (const d of qualificationChangeDates(refundDays, config)) {
    push(d);
    push(addDays(d, 1));
  }
  for (const l of state.pointsLots) {
    // Even a used-up lot leaves the state when it expires.
    push(addDays(l.expiresOn, 1));
    if (l.remaining > 0) push(addDays(l.expiresOn, -config.nightly.expiringSoonDays));
  }
  if (derived.tier) {
    push(derived.tier.reviewOn);
    if (derived.tier.downgradeOn) push(derived.tier.downgradeOn);
  }
  if (state.nextOrderDate) push(state.nextOrderDate);
  if (model && first && days.length > 1) {
    const obs = rfmFromPurchaseDates(days, date, model.unitDays);
    for (const p of thresholds(config, 'pAlive')) {
      const T = obs && pAliveThresholdTime(model.params, obs, p);
      if (T !== undefined && T !== null && Number.isFinite(T)) {
        const d = Math.ceil(T * model.unitDays);
        push(addDays(first, Math.max(0, d - 1)));
        push(addDays(first, d));
        push(addDays(first, d + 1));
      }
    }
  }
  return c;
}

/** One evaluation at `date` of everything derived from the order state and the previous evaluation. */
export function advanceDerived(
  prev: DerivedState | undefined,
  state: CustomerState,
  date: string,
  config: MomentsConfig,
  model?: ActiveModel,
  facts: CustomerFacts = { birthday: prev?.birthday ?? null },
): DerivedState {
  const metrics = computeMetrics(state, date, model);
  const { stage, rule } = evaluateStage(metrics, config);
  const history = prev?.stageHistory ?? [];
  const changed = !prev || prev.stage !== stage;
  const stageHistory = changed ? [...history, { stage, since: date, rule }] : history;
  const tier = state.orderCount > 0 || prev?.tier ? advanceTier(prev?.tier ?? undefined, qualifyingSpend(state.spendByDay, date, config), date, config) : null;
  const next: DerivedState = {
    asOf: date,
    stage,
    stageSince: changed ? date : prev!.stageSince,
    stageRule: changed ? rule : prev!.stageRule,
    stageHistory,
    tier,
    pointsExpiringSoon: pointsExpiringSoon(state, date, config),
    ...(facts.birthday ? { birthday: facts.birthday } : {}),
    nextDue: null,
  };
  const dates = [...changeDates(state, next, date, config, model), ...touchTriggerDates(state, next, date, config)];
  next.nextDue = dates.length ? dates.reduce((m, d) => (d < m ? d : m), FAR) : null;
  return next;
}

export function healthContribution(state: CustomerState, date: string): HealthContribution {
  const active = purchaseDaysIn(state.purchaseDates, date, 365) > 0;
  const first = state.purchaseDates[0];
  const returning = active && ((!!first && first <= addDays(date, -365)) || purchaseDaysIn(state.purchaseDates, date, 365) >= 2);
  return {
    active,
    returning,
    store: state.homeStoreId,
    region: state.region,
    trailingSpendMinor: active ? spendIn(state.spendByDay, date, 365) : 0,
  };
}

/**
 * Where a derivation can resume (lib/state/state-fold.ts for the orders' side): the fold of the orders dated before
 * `fold.until`, the last evaluation before that day and the next date time alone could change anything after it
 * (its nextDue without the next order, which may since have changed). Valid while no order dated before
 * `fold.until` changed, and for the same configuration, model and member facts (the caller's to check).
 */
export interface DeriveCheckpoint {
  fold: StateFold;
  derived: DerivedState | null;
  state: CustomerState | null;
  timeDue: string | null;
}

/**
 * The state and derived state at `asOf`, evaluated event by event from the first order: at each order date and
 * at each date the previous evaluation said something could change. Late-arriving orders rewrite the history they
 * belong to. From a checkpoint (`opts.from`), `orders` need only hold the orders dated on or after its
 * `fold.until` and the result is the same as from the first order (test/unit/derive-resume.test.ts); each first
 * evaluation in a new month after the start offers a checkpoint to `opts.onCheckpoint`.
 */
/** A derivation resumed from a checkpoint that the orders from its day on cannot carry on exactly: derive from all orders. */
export class CannotResume extends Error {}

export function deriveFromOrders(
  customerId: string,
  orders: readonly OrderRecord[],
  config: MomentsConfig,
  asOf: string,
  model?: ActiveModel,
  facts: CustomerFacts = {},
  opts: {
    from?: DeriveCheckpoint;
    originalMonth?: (orderId: string) => string | undefined;
    /** Resuming: the originals dated before the checkpoint's day of refunds among `orders` (refund limits). */
    originals?: (orderId: string) => OrderRecord | undefined;
    onCheckpoint?: (cp: DeriveCheckpoint) => void;
  } = {},
): { state: CustomerState; derived: DerivedState; checkpoint: DeriveCheckpoint } {
  const from = opts.from;
  const start = from?.fold.until ?? '';
  // Orders in (day, time, key) order once; each evaluation folds on only the days since the last one.
  const sorted = orders.filter((o) => o.localDate >= start).sort(byDayTimeKey);
  // Refund limits once, over every order given (from the checkpoint on, after the refunds it folded, when resuming).
  const byId = new Map<string, OrderRecord>();
  for (const o of orders) if (o.kind === 'order') byId.set(o.orderId, o);
  const originals = (id: string) => byId.get(id) ?? opts.originals?.(id);
  let over: ReadonlyMap<string, string> | null;
  if (!from) over = refundsOverOriginal(orders);
  else {
    const j = refundsOverFrom(from.fold.refs, orders, start, originals);
    if (j.unsafe) throw new CannotResume(j.unsafe);
    over = j.over;
  }
  // A step the fold cannot take from where it is (beyond the bounds of exact sums, lib/state/exact-totals.ts) is
  // folded afresh from every order; a resumed derivation has not got them all and gives up (CannotResume).
  const step = (r: ReturnType<typeof foldOrders>, d: string): ReturnType<typeof foldOrders> => {
    if (!r.unsafe) return r;
    if (from) throw new CannotResume(r.unsafe);
    return foldOrders(undefined, sorted, config, d, foldOpts);
  };
  const orderDates: string[] = [];
  for (const o of sorted) if (o.localDate <= asOf && orderDates[orderDates.length - 1] !== o.localDate) orderDates.push(o.localDate);
  // A refund's original among all the orders given (dated up to the evaluation day), else the caller's lookup.
  const paidOn = new Map<string, string>();
  for (const o of sorted) if (o.kind === 'order' && o.status === 'paid') paidOn.set(o.orderId, o.localDate);
  let evalDay = '';
  const foldOpts = {
    over,
    originals,
    originalMonth: (id: string) => {
      const d = paidOn.get(id);
      return d !== undefined && d <= evalDay ? monthOf(d) : d === undefined ? opts.originalMonth?.(id) : undefined;
    },
  };

  let fold: StateFold | undefined = from?.fold;
  let derived: DerivedState | undefined = from?.derived ?? undefined;
  // The checkpoint's next order may have changed since: it is the first order from the checkpoint on.
  let s: CustomerState | undefined = from?.state ? { ...from.state, nextOrderDate: sorted[0]?.localDate ?? null } : undefined;
  let next = 0; // sorted[next..] not folded yet
  let monthStart: { month: string; fold: StateFold | undefined; at: number } | undefined;
  let i = 0; // orderDates[i..] not evaluated yet
  const firstTime = from ? (from.timeDue ?? undefined) : undefined;
  let d: string | undefined = orderDates[0] !== undefined && (!firstTime || orderDates[0] < firstTime) ? orderDates[0] : firstTime;
  let month = from && from.derived ? monthOf(from.derived.asOf) : '';
  let evaluated = false;
  while (d !== undefined && d <= asOf) {
    evaluated = true;
    const m = monthOf(d);
    if (opts.onCheckpoint && month !== '' && m !== month && derived && s && `${m}-01` > start) {
      // The fold so far holds exactly the orders before this evaluation day, so before the month's first day too.
      const until = `${m}-01`;
      const cpFold = foldOrders(fold, [], config, addDays(until, -1)).fold;
      const dates = [...changeDates({ ...s, nextOrderDate: null }, derived, derived.asOf, config, model), ...touchTriggerDates(s, derived, derived.asOf, config)];
      opts.onCheckpoint({ fold: cpFold, derived, state: s, timeDue: dates.length ? dates.reduce((a, b) => (b < a ? b : a)) : null });
    }
    month = m;
    // From the orders on an order date; between order dates only time moves (lots expire), as in the nightly.
    if (s && orderDates[i] !== d) s = advanceState(s, d);
    else {
      let end = next;
      while (end < sorted.length && sorted[end]!.localDate <= d) end++;
      evalDay = d;
      if (monthStart?.month !== m) {
        // The month's first day: where to refold from if an original turns up for a refund folded before it.
        monthStart = { month: m, fold: fold && foldOrders(fold, [], config, addDays(`${m}-01`, -1)).fold, at: next };
      }
      const r = step(foldOrders(fold, sorted.slice(next, end), config, d, foldOpts), d);
      fold = r.exact ? r.fold : step(foldOrders(monthStart.fold, sorted.slice(monthStart.at, end), config, d, foldOpts), d).fold;
      next = end;
      s = stateOfFold(customerId, fold, config, d, sorted[end]?.localDate ?? null);
    }
    derived = advanceDerived(derived, s, d, config, model, facts);
    while (i < orderDates.length && orderDates[i]! <= d) i++;
    const nextOrder = orderDates[i];
    const nextDue = derived.nextDue ?? undefined;
    d = nextOrder && (!nextDue || nextOrder < nextDue) ? nextOrder : nextDue;
  }
  // Resumed with nothing to evaluate: the checkpoint's next date still needs the first order after it.
  if (!evaluated && derived && from) {
    const o = s?.nextOrderDate ?? null;
    const t = from.timeDue;
    derived = { ...derived, nextDue: o !== null && (t === null || o < t) ? o : t };
  }
  evalDay = asOf;
  let last = step(foldOrders(fold, sorted.slice(next), config, asOf, foldOpts), asOf);
  if (!last.exact && monthStart) last = step(foldOrders(monthStart.fold, sorted.slice(monthStart.at), config, asOf, foldOpts), asOf);
  const state = stateOfFold(customerId, last.fold, config, asOf, last.nextOrderDate);
  if (!derived || !s) {
    derived = advanceDerived(undefined, state, asOf, config, model, facts);
    return { state, derived, checkpoint: { fold: last.fold, derived: null, state: null, timeDue: null } };
  }
  // Where the next derivation goes on: every order up to asOf folded; the last evaluation and what time alone
  // would change after it (its next order left out: that may change before then).
  const dates = [...changeDates({ ...s, nextOrderDate: null }, derived, derived.asOf, config, model), ...touchTriggerDates(s, derived, derived.asOf, config)];
  const checkpoint = { fold: last.fold, derived, state: s, timeDue: dates.length ? dates.reduce((a, b) => (b < a ? b : a)) : null };
  return { state, derived, checkpoint };
}
