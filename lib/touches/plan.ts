import type { Campaign } from '../config/campaigns-schema.ts';
import type { MomentsConfig } from '../config/schema.ts';
import type { DerivedState } from '../derive/derive.ts';
import type { ProfileFields } from '../members/profile.ts';
import type { CustomerState } from '../state/customer-state.ts';
import { qualifyingSpend } from '../derive/tiers.ts';
import { parseAmount } from '../money.ts';
import { addDays, daysBetween } from '../time.ts';
import { momentDayOf, planningNight, plannedBy, usefulUntil } from './moment-day.ts';

/** A moment the planner found for a customer on a night: one touch key, before any delivery decision. */
export interface TouchProposal {
  key: string;
  customerId: string;
  campaignId: string;
  moment: Campaign['moment'];
  periodKey: string;
  /** The local day D the moment is for: the customer should receive it on D (lib/touches/moment-day.ts). */
  triggerDate: string;
  /** Last local date the touch is still worth sending. */
  usefulUntil: string;
  priority: number;
  /** The deadline the message announces (statement, expiry reminder), YYYY-MM-DD. */
  deadline?: string;
  /** Statement: how many days before the deadline it must arrive. */
  leadDays?: number;
  vars: Record<string, unknown>;
}

export interface CustomerView {
  state: CustomerState;
  derived: DerivedState;
  profile?: ProfileFields | undefined;
  valueSegment: string;
}

export const touchKey = (customerId: string, campaignId: string, periodKey: string) => `${customerId}|${campaignId}|${periodKey}`;

/** The next occurrence (on or after `date`) of a birthday written YYYY-MM-DD or --MM-DD. */
export function nextBirthday(birthday: string, date: string): string {
  const md = birthday.slice(-5);
  const y = Number(date.slice(0, 4));
  const fix = (yy: number) => (md === '02-29' && !(yy % 4 === 0 && (yy % 100 !== 0 || yy % 400 === 0)) ? `${yy}-02-28` : `${yy}-${md}`);
  const thisYear = fix(y);
  return thisYear >= date ? thisYear : fix(y + 1);
}

const dayOfMonth = (month: string, day: number) => `${month.slice(0, 8)}${String(day).padStart(2, '0')}`;

/** Statement day of the month of `date` (or of the next month when `date` is past it). */
function statementDay(c: Extract<Campaign, { moment: 'statement' }>, date: string): string {
  const d = dayOfMonth(date, c.dayOfMonth);
  return d >= date ? d : dayOfMonth(addDays(`${date.slice(0, 8)}01`, 32), c.dayOfMonth);
}

/** The latest statement day on or before `date` (this month's, or last month's when this one is still ahead). */
function lastStatementDay(c: Extract<Campaign, { moment: 'statement' }>, date: string): string {
  const d = dayOfMonth(date, c.dayOfMonth);
  return d <= date ? d : dayOfMonth(addDays(`${date.slice(0, 8)}01`, -1), c.dayOfMonth);
}

const earliest = (a: string, b: string) => (a < b ? a : b);

/** The day a stage or tier changed plus the campaign's delay: the stage is known once that night closes. */
const afterChange = (since: string, c: { delayDays: number }) => addDays(since, c.delayDays);

function wouldFailReview(state: CustomerState, derived: DerivedState, config: MomentsConfig): boolean {
  const t = derived.tier;
  if (!t) return false;
  const rung = config.tiers.ladder.find((l) => l.name === t.tier);
  if (!rung) return false;
  const min = parseAmount(rung.minSpend, config.brand.currency);
  return 'minor' in min && qualifyingSpend(state.spendByDay, t.reviewOn, config) < min.minor;
}

/**
 * Nights after `date` on which a campaign could have something for this customer: the planning night (D-1) of
 * each moment day D. They join the due index, so the nightly looks at the customer exactly then and at no other time.
 */
export function touchTriggerDates(state: CustomerState, derived: DerivedState, date: string, config: MomentsConfig): string[] {
  const out: string[] = [];
  const push = (day: string | undefined) => {
    const night = day && planningNight(day);
    if (night && night > date) out.push(night);
  };
  // The first moment day a night after `date` can plan.
  const first = momentDayOf(addDays(date, 1));
  for (const c of config.campaigns) {
    if (!c.enabled) continue;
    switch (c.moment) {
      case 'statement':
        if (state.pointsBalance > 0) push(statementDay(c, first));
        break;
      case 'points-expiry':
        for (const l of state.pointsLots) if (l.remaining > 0) for (const s of c.stepsDays) push(addDays(l.expiresOn, -s));
        break;
      case 'second-purchase':
        if (state.purchaseDays === 1 && state.firstOrderDate) push(addDays(state.firstOrderDate, c.fromDay));
        break;
      case 'tier-change': {
        if (c.downgradeWarningDays !== null && derived.tier) push(addDays(derived.tier.reviewOn, -c.downgradeWarningDays));
        const up = derived.tier?.history.at(-1);
        if (c.upgrade && up?.reason === 'upgrade') push(afterChange(up.from, c));
        break;
      }
      case 'birthday':
        if (derived.birthday) push(addDays(nextBirthday(derived.birthday, addDays(first, c.daysBefore)), -c.daysBefore));
        break;
      case 'post-purchase':
        if (state.lastOrderDate) push(addDays(state.lastOrderDate, c.delayDays));
        break;
      case 'win-back': {
        // Entering a stage is a change date already; a delay past the next day needs its own wake-up.
        const h = derived.stageHistory.at(-1);
        if (h && c.onStages.includes(h.stage)) push(afterChange(h.since, c));
        break;
      }
    }
  }
  return out;
}

function inAudience(c: Campaign, v: CustomerView): boolean {
  const a = c.audience;
  if (a.stages && !a.stages.includes(v.derived.stage)) return false;
  if (a.tiers && !(v.derived.tier && a.tiers.includes(v.derived.tier.tier))) return false;
  if (a.valueSegments && !a.valueSegments.includes(v.valueSegment as never)) return false;
  if (a.regions && !(v.state.region && a.regions.includes(v.state.region))) return false;
  if (a.minPointsBalance !== undefined && v.state.pointsBalance < a.minPointsBalance) return false;
  return true;
}

/**
 * The touches a customer is due on `night`: those for the moment day that night plans (the next day), or for an
 * earlier day still within its `usefulDays` (catch-up), per campaign, with touch key and template variables.
 */
export function proposeTouches(v: CustomerView, night: string, config: MomentsConfig): TouchProposal[] {
  const out: TouchProposal[] = [];
  const s = v.state;
  const d = v.derived;
  const base = {
    customer: { id: s.customerId, name: v.profile?.name ?? null, tier: d.tier?.tier ?? null, stage: d.stage, homeStoreId: s.homeStoreId },
    points: {
      balance: s.pointsBalance,
      expiring: s.pointsLots.filter((l) => l.remaining > 0).map((l) => ({ points: l.remaining, expiresOn: l.expiresOn })),
    },
    tier: d.tier ? { name: d.tier.tier, since: d.tier.since, reviewOn: d.tier.reviewOn } : null,
  };
  const add = (c: Campaign, periodKey: string, triggerDate: string, usefulUntil: string, extra: Partial<TouchProposal> = {}, vars: Record<string, unknown> = {}) =>
    out.push({
      key: touchKey(s.customerId, c.id, periodKey),
      customerId: s.customerId,
      campaignId: c.id,
      moment: c.moment,
      periodKey,
      triggerDate,
      usefulUntil,
      priority: c.priority,
      ...extra,
      vars: { ...base, campaign: { id: c.id }, ...vars },
    });
  for (const c of config.campaigns) {
    if (!c.enabled || !inAudience(c, v)) continue;
    const until = (t: string) => usefulUntil(t, c.usefulDays);
    const live = (t: string) => plannedBy(t, night, c.usefulDays);
    const planned = momentDayOf(night);
    switch (c.moment) {
      case 'statement': {
        const t = lastStatementDay(c, planned);
        if (!live(t) || s.pointsBalance <= 0) break;
        // Lots too close to announce in time are left to the expiry reminder; the statement lists the rest.
        const lots = s.pointsLots.filter(
          (l) => l.remaining > 0 && l.expiresOn <= addDays(t, c.horizonDays) && daysBetween(t, l.expiresOn) >= c.leadDays,
        );
        const deadline = lots.map((l) => l.expiresOn).sort()[0];
        const earned = s.pointsLots.filter((l) => l.month === addDays(`${t.slice(0, 8)}01`, -1).slice(0, 7)).reduce((n, l) => n + l.earned, 0);
        add(c, t.slice(0, 7), t, until(t), { ...(deadline ? { deadline } : {}), leadDays: c.leadDays }, {
          points: { balance: s.pointsBalance, earnedLastMonth: earned, expiring: lots.map((l) => ({ points: l.remaining, expiresOn: l.expiresOn })) },
          deadline: deadline ?? null,
        });
        break;
      }
      case 'points-expiry':
        for (const l of s.pointsLots) {
          if (l.remaining <= 0) continue;
          for (const step of c.stepsDays) {
            const t = addDays(l.expiresOn, -step);
            // Caught up after the lot closed: still proposed, so the planner logs it expired rather than nothing.
            if (!live(t)) continue;
            const u = earliest(until(t), l.expiresOn);
            add(c, `${l.month}@${step}`, t, u, { deadline: l.expiresOn }, { lot: { points: l.remaining, expiresOn: l.expiresOn }, deadline: l.expiresOn });
          }
        }
        break;
      case 'win-back':
        for (const h of d.stageHistory) {
          const t = afterChange(h.since, c);
          if (c.onStages.includes(h.stage) && live(t) && d.stage === h.stage) add(c, `${h.stage}@${h.since}`, t, until(t));
        }
        break;
      case 'second-purchase': {
        if (s.purchaseDays !== 1 || !s.firstOrderDate) break;
        const t = addDays(s.firstOrderDate, c.fromDay);
        const last = addDays(s.firstOrderDate, c.toDay);
        if (t <= planned && planned <= last) add(c, s.firstOrderDate, t, last);
        break;
      }
      case 'tier-change': {
        const t = d.tier;
        if (!t) break;
        const up = [...t.history].reverse().find((h) => h.reason === 'upgrade');
        const upDay = up && afterChange(up.from, c);
        if (c.upgrade && up && upDay && up.tier === t.tier && live(upDay)) add(c, `up@${up.from}`, upDay, until(upDay));
        if (c.downgradeWarningDays !== null && !t.downgradeOn) {
          const w = addDays(t.reviewOn, -c.downgradeWarningDays);
          if (live(w) && planned < t.reviewOn && wouldFailReview(s, d, config))
            add(c, `warn@${t.reviewOn}`, w, earliest(until(w), addDays(t.reviewOn, -1)), { deadline: t.reviewOn }, { deadline: t.reviewOn });
        }
        break;
      }
      case 'birthday': {
        if (!d.birthday) break;
        const t = addDays(nextBirthday(d.birthday, addDays(planned, c.daysBefore - c.usefulDays)), -c.daysBefore);
        if (live(t)) add(c, t.slice(0, 4), t, until(t));
        break;
      }
      case 'post-purchase': {
        if (!s.lastOrderDate) break;
        const t = addDays(s.lastOrderDate, c.delayDays);
        if (live(t)) add(c, s.lastOrderDate, t, until(t));
        break;
      }
    }
  }
  return out;
}
