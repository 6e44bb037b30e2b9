import type { MomentsConfig } from '../config/schema.ts';
import { advanceDerived, CannotResume, deriveFromOrders, healthContribution, type DeriveCheckpoint, type DerivedState } from '../derive/derive.ts';
import { configKey, deriveKey, fitFolds, type FoldCheckpoints } from '../state/checkpoints.ts';
import { HEAD_ORDERS, originalsBefore } from '../state/refresh-customer.ts';
import type { MemberProfile } from '../members/profile.ts';
import type { ActiveModel } from '../derive/metrics.ts';
import type { CustomerRecord, HealthMark } from '../ingest/ports.ts';
import { mapPool, Pool } from '../pool.ts';
import { advanceState } from '../state/advance-state.ts';
import type { CustomerState } from '../state/customer-state.ts';
import { addDays } from '../time.ts';
import { applyContribution, emptyTotals, mergeTotals, valueCutoffs, type HealthSnapshot, type HealthTotals } from './health.ts';
import type { NightlyCustomers, NightlyLedger } from './ports.ts';
import { planNightTouches, type TouchPlanning } from '../touches/plan-night.ts';
import { SHARDS } from './shard.ts';
import { profileValues } from '../members/profile.ts';
import { keepModel } from '../model/keep-model.ts';

export interface NightlyDeps {
  customers: NightlyCustomers;
  ledger: NightlyLedger;
  config: MomentsConfig;
  model?: ActiveModel;
  concurrency?: number;
  /** When set, each processed customer's touches for the night are planned and queued. */
  touches?: TouchPlanning;
}

type Advanced = { rec: CustomerRecord; state: CustomerState; derived: DerivedState; folds?: FoldCheckpoints };

/** A due customer brought to `night`: from its stored state when no order is in between, else from its orders. */
export async function advanceCustomer(
  rec: CustomerRecord,
  night: string,
  deps: NightlyDeps,
): Promise<Advanced | undefined> {
  let state = rec.state;
  let derived = rec.derived;
  if (!state) return undefined;
  // No derivation: the ingest wrote orders (or a birthday) since the last one; fold it from the orders. A state
  // computed past the night (an erasure keeps the derivation but recomputes the state as of its own day) is folded
  // too: the night counts only what was known up to its end.
  if (!derived || (state.nextOrderDate && state.nextOrderDate <= night) || state.asOf > night) {
    const c = deps.customers;
    // One request for a customer of a few orders, as before; a longer one resumes from its checkpoint if it can.
    const page = c.loadCustomerHead ? await c.loadCustomerHead(rec.customerId, HEAD_ORDERS) : undefined;
    const resumed = page && !page.complete && state.asOf <= night ? await resumeDerivation(page, night, deps) : undefined;
    if (resumed) return resumed;
    const full = page?.complete ? page : await c.loadCustomer(rec.customerId);
    const facts = { birthday: profileValues(full.profile).birthday };
    const r = deriveFromOrders(rec.customerId, full.orders, deps.config, night, deps.model, facts);
    // Checkpoints only for a customer too long for one page (see refreshCustomer).
    return { rec: full, state: r.state, derived: r.derived, ...(page && !page.complete ? { folds: foldsOf(r.checkpoint, deps, facts.birthday) } : {}) };
  }
  while (derived.nextDue && derived.nextDue <= night) {
    const e = derived.nextDue;
    state = advanceState(state, e);
    derived = advanceDerived(derived, state, e, deps.config, deps.model);
  }
  return { rec, state: advanceState(state, night), derived, ...(rec.folds ? { folds: rec.folds } : {}) };
}

function foldsOf(cp: DeriveCheckpoint, deps: NightlyDeps, birthday: string | null | undefined): FoldCheckpoints {
  return { key: configKey(deps.config), head: cp.fold, derive: cp, deriveKey: deriveKey(deps.config, deps.model?.version, birthday) };
}

/**
 * The derivation resumed from the state item's checkpoint (lib/state/checkpoints.ts), from the state item and profile
 * just read and the orders from the checkpoint's day on. Undefined when the store cannot or the checkpoint does not
 * fit (another configuration, model or birthday, or a day after the night), and the caller derives from all orders.
 */
async function resumeDerivation(rec: CustomerRecord & { profile?: MemberProfile }, night: string, deps: NightlyDeps): Promise<Advanced | undefined> {
  const c = deps.customers;
  const cp = rec.folds?.derive;
  if (!c.loadOrdersFrom || !cp || !rec.state || rec.state.asOf > night || cp.fold.until > addDays(night, 1)) return undefined;
  const birthday = profileValues(rec.profile).birthday;
  if (rec.folds?.deriveKey !== deriveKey(deps.config, deps.model?.version, birthday)) return undefined;
  const orders = await c.loadOrdersFrom(rec.customerId, cp.fold.until);
  if (!orders) return undefined;
  const { originalMonth, originals } = await originalsBefore(c, rec.customerId, orders, cp.fold.until, night);
  let r: ReturnType<typeof deriveFromOrders>;
  try {
    r = deriveFromOrders(rec.customerId, orders, deps.config, night, deps.model, { birthday }, { from: cp, originalMonth, originals });
  } catch (e) {
    // Refund limits or exact totals that the orders from the checkpoint on cannot settle: derived from all orders.
    if (e instanceof CannotResume) return undefined;
    throw e;
  }
  return { rec, state: r.state, derived: r.derived, folds: foldsOf(r.checkpoint, deps, birthday) };
}

/**
 * The due query failing part-way leaves no write of this attempt in flight (the pool does the same for a failed
 * task): the retry reads the night index, then the due index, and a state landing in between would be in neither.
 */
async function* settleOnError<T>(items: AsyncIterable<T>, pool: Pool): AsyncGenerator<T> {
  try {
    yield* items;
  } catch (e) {
    await pool.settle();
    throw e;
  }
}

export interface SegmentResult {
  night: string;
  shard: number;
  done: boolean;
  processed: number;
}

/**
 * One segment of one night: every customer of the shard due on or before the night. Safe to stop at any point
 * and run again: customers already counted for this night are found through the night index and their counted
 * delta is taken again, instead of being recounted.
 */
export async function processSegment(
  night: string,
  prevNight: string | null,
  shard: number,
  deps: NightlyDeps,
  budget: { maxCustomers?: number } = {},
): Promise<SegmentResult> {
  const totals: HealthTotals = (prevNight && (await deps.ledger.getShardTotals(shard, prevNight))) || emptyTotals();
  const seen = new Set<string>();
  for await (const rec of deps.customers.queryNight(shard, night)) {
    if (!rec.health) continue;
    seen.add(rec.customerId);
    applyContribution(totals, rec.health.prev, -1);
    applyContribution(totals, rec.health.contrib, 1);
  }
  let processed = 0;
  let stopped = false;
  const pool = new Pool(deps.concurrency ?? 8);
  for await (const due of settleOnError(deps.customers.queryDue(shard, night), pool)) {
    if (seen.has(due.customerId)) continue;
    if (budget.maxCustomers !== undefined && processed >= budget.maxCustomers) {
      stopped = true;
      break;
    }
    seen.add(due.customerId);
    processed++;
    await pool.run(async () => {
      let rec: CustomerRecord = due;
      for (let attempt = 1; ; attempt++) {
        const r = await advanceCustomer(rec, night, deps);
        if (!r) return;
        const contrib = healthContribution(r.state, night);
        const before = r.rec.health;
        const prev = before?.night === night ? before.prev : (before?.contrib ?? null);
        const health: HealthMark = { contrib, night, prev };
        // Orders dated after the night are not counted yet: the state's nextOrderDate is among the derivation's
        // change dates, so the customer comes back on that night.
        const dueDate = r.derived.nextDue;
        // Touches before the state write: if the segment dies in between, the rerun plans them again
        // (touch keys make that harmless); after it, the customer would count as done for the night.
        if (deps.touches) await planNightTouches(r.state, r.derived, contrib.trailingSpendMinor, night, deps.config, deps.touches);
        const folds = fitFolds(r.folds);
        if (await deps.customers.saveState(r.state, r.rec.rev, { derived: r.derived, health, dueDate, ...(folds ? { folds } : {}) })) {
          applyContribution(totals, prev, -1);
          applyContribution(totals, contrib, 1);
          return;
        }
        // Ingest wrote this customer meanwhile: take the new state item and redo.
        if (attempt >= 20) throw new Error(`customer ${due.customerId}: state kept changing during the nightly`);
        rec = await deps.customers.loadState(due.customerId);
      }
    });
  }
  await pool.drain();
  if (stopped) return { night, shard, done: false, processed };
  await deps.ledger.putShardTotals(shard, night, mergeTotals([totals]), seen.size);
  return { night, shard, done: true, processed };
}

/** Merges the shard totals of a finished night into the brand snapshot and moves the cursor. */
export async function finishNight(night: string, deps: NightlyDeps): Promise<HealthSnapshot> {
  const parts = await deps.ledger.listShardTotals(night);
  const missing = Array.from({ length: SHARDS }, (_, i) => i).filter((i) => !parts.some((p) => p.shard === i));
  if (missing.length) throw new Error(`night ${night}: segments ${missing.join(', ')} have not finished`);
  const totals = mergeTotals(parts.map((p) => p.totals));
  const snapshot: HealthSnapshot = {
    night,
    totals,
    cutoffs: valueCutoffs(totals.spend, deps.config.valueSegments),
    returningRatio: totals.brand.active ? totals.brand.returning / totals.brand.active : null,
    customersProcessed: parts.reduce((s, p) => s + p.processed, 0),
  };
  await deps.ledger.putSnapshot(snapshot);
  await deps.ledger.setCursor(night);
  return snapshot;
}

/** The nights to run to bring the base to `asOf`: every missed night in order, none already done. */
export function nightsToRun(cursor: string | null, asOf: string): string[] {
  if (cursor && asOf <= cursor) return [];
  const out: string[] = [];
  for (let d = cursor ? addDays(cursor, 1) : asOf; d <= asOf; d = addDays(d, 1)) out.push(d);
  return out;
}

export interface NightPlan {
  owner: string;
  nights: { night: string; prevNight: string | null; shards: number[]; owner: string; last: boolean }[];
  /** Why nothing was planned, when another run holds the lease. */
  skipped?: string;
}

/** A run's hold on the nightly: long enough for the slowest catch-up, short enough to recover from a crash. */
export const LEASE_MS = 20 * 3_600_000;

/**
 * What the state machine iterates: each missed night in order, each with every shard. Two runs at once (a
 * manual start beside the scheduled one) would race on the shard totals, so a run first takes the lease;
 * a run that cannot plans nothing. `force` takes over a lease left by a run that died.
 */
export async function planNights(asOf: string, ledger: NightlyLedger, owner: string, force = false): Promise<NightPlan> {
  const lease = await ledger.acquireLease(owner, Date.now() + LEASE_MS, force);
  if (!lease.ok)
    return {
      owner,
      nights: [],
      skipped: `another nightly run (${lease.holder ?? 'unknown'}) holds the lease until ${lease.until ? new Date(lease.until).toISOString() : '?'}`,
    };
  const cursor = await ledger.getCursor();
  let prev = cursor;
  const shards = Array.from({ length: SHARDS }, (_, i) => i);
  const nights = nightsToRun(cursor, asOf);
  if (nights.length === 0) await ledger.releaseLease(owner);
  return {
    owner,
    nights: nights.map((night, i) => {
      const n = { night, prevNight: prev, shards, owner, last: i === nights.length - 1 };
      prev = night;
      return n;
    }),
  };
}

/** Runs (or catches up) the nightly locally: the same steps the state machine runs on AWS. */
export async function runNightly(
  asOf: string,
  deps: NightlyDeps,
  onNight?: (s: HealthSnapshot) => void,
  opts: { force?: boolean } = {},
): Promise<HealthSnapshot[]> {
  const plan = await planNights(asOf, deps.ledger, `local-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, opts.force);
  if (plan.skipped) throw new Error(`${plan.skipped}; use --force if that run died`);
  const out: HealthSnapshot[] = [];
  try {
    // Before the first night's segments, so that night's customers already get pAlive (as the plan step on AWS).
    const first = plan.nights[0];
    if (first) {
      const { model } = await keepModel(first.night, { base: deps.customers, ledger: deps.ledger, config: deps.config.model });
      if (model) deps = { ...deps, model };
    }
    for (const n of plan.nights) {
      await mapPool(n.shards, 4, async (shard) => {
        while (!(await processSegment(n.night, n.prevNight, shard, deps, { maxCustomers: 5_000 })).done);
      });
      const snap = await finishNight(n.night, deps);
      onNight?.(snap);
      out.push(snap);
    }
  } finally {
    await deps.ledger.releaseLease(plan.owner);
  }
  return out;
}
