import type { MomentsConfig } from '../config/schema.ts';
import type { DerivedState } from '../derive/derive.ts';
import type { ErasureMark } from '../members/erasure.ts';
import { profileValues, type MemberProfile } from '../members/profile.ts';
import { valueSegment, type ValueCutoffs } from '../nightly/health.ts';
import type { CustomerState } from '../state/customer-state.ts';
import { planCustomerTouches } from './decide-plan.ts';
import { proposeTouches } from './plan.ts';
import type { TouchQueue, TouchStore } from './ports.ts';
import type { TouchRecord } from './touch.ts';

export interface TouchPlanning {
  store: TouchStore;
  queue: TouchQueue;
  loadProfile(customerId: string): Promise<{ profile?: MemberProfile; erased?: ErasureMark }>;
  configVersion: string;
  /** When the run for `night` happens (the real clock on AWS; the night's scheduled time in replays). */
  now: (night: string) => Date;
  cutoffs?: ValueCutoffs | undefined;
}

/**
 * The night's touches for one customer: proposed from its state, decided (control group, consent, timing, cap),
 * recorded once per touch key, and queued. Safe to repeat: an existing key is not recorded again, but is queued
 * again while it waits, in case the earlier run died between the two.
 */
export async function planNightTouches(
  state: CustomerState,
  derived: DerivedState,
  trailingSpendMinor: number,
  night: string,
  config: MomentsConfig,
  p: TouchPlanning,
): Promise<TouchRecord[]> {
  if (config.campaigns.length === 0) return [];
  const { profile, erased } = await p.loadProfile(state.customerId);
  // An erased customer is never planned for (nor are touches on record queued again): not even a suppressed record.
  if (erased) return [];
  const values = profileValues(profile);
  const proposals = proposeTouches({ state, derived, profile: values, valueSegment: valueSegment(trailingSpendMinor, p.cutoffs) }, night, config);
  if (proposals.length === 0) return [];
  const recent = await p.store.recent(state.customerId);
  const known = new Map(recent.map((t) => [t.key, t]));
  const fresh = proposals.filter((x) => !known.has(x.key));
  const storeZone = config.stores.find((s) => s.id === state.homeStoreId)?.timeZone;
  const decided = planCustomerTouches(fresh, values, recent, { config, configVersion: p.configVersion, now: p.now(night), storeZone });
  const queue: { key: string; notBefore: string }[] = [];
  for (const t of decided) if ((await p.store.create(t)) && t.status === 'planned') queue.push({ key: t.key, notBefore: t.plannedFor });
  for (const x of proposals) {
    const t = known.get(x.key);
    if (t && (t.status === 'planned' || t.status === 'deferred')) queue.push({ key: t.key, notBefore: t.plannedFor });
  }
  if (queue.length) await p.queue.enqueue(queue);
  return decided;
}
