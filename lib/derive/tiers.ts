import type { MomentsConfig } from '../config/schema.ts';
import { parseAmount } from '../money.ts';
import { addDays, addMonths } from '../time.ts';

export interface TierState {
  tier: string;
  since: string;
  /** Next review date; a failed review starts the grace period. */
  reviewOn: string;
  /** Set while a failed review's grace period runs: the downgrade date. */
  downgradeOn: string | null;
  history: { tier: string; from: string; reason: string }[];
}

export { addMonths };

/** Net spend (minor units) counting towards tiers at `date`. */
export function qualifyingSpend(spendByDay: Record<string, number>, date: string, config: MomentsConfig): number {
  const q = config.tiers.qualification;
  const from = q.type === 'rolling' ? addMonths(date, -q.months) : `${date.slice(0, 4)}-01-01`;
  let s = 0;
  for (const [d, v] of Object.entries(spendByDay)) if ((q.type === 'rolling' ? d > from : d >= from) && d <= date) s += v;
  return s;
}

/** Dates after which qualifying spend can fall by time alone (a day leaving the window). */
export function qualificationChangeDates(spendByDay: Record<string, number>, config: MomentsConfig): string[] {
  const q = config.tiers.qualification;
  const days = Object.keys(spendByDay);
  if (q.type === 'rolling') return days.map((d) => addMonths(d, q.months));
  return [...new Set(days.map((d) => `${Number(d.slice(0, 4)) + 1}-01-01`))];
}

function ladder(config: MomentsConfig): { name: string; min: number }[] {
  return config.tiers.ladder.map((t) => {
    const a = parseAmount(t.minSpend, config.brand.currency);
    return { name: t.name, min: 'minor' in a ? a.minor : Number.POSITIVE_INFINITY };
  });
}

function earned(spend: number, config: MomentsConfig): number {
  const l = ladder(config);
  let best = 0;
  l.forEach((t, i) => {
    if (spend >= t.min) best = i;
  });
  return best;
}

function nextReview(since: string, config: MomentsConfig): string {
  const r = config.tiers.review;
  if (r.type === 'anniversary') return addMonths(since, 12);
  const y = Number(since.slice(0, 4));
  const thisYear = `${y}-${r.monthDay}`;
  return thisYear > since ? thisYear : `${y + 1}-${r.monthDay}`;
}

/**
 * One step of the tier machine at `date`: upgrade at once when spend reaches a higher tier; at a review date
 * keep the tier if spend still earns it, otherwise downgrade after the grace period unless earned back.
 */
export function advanceTier(prev: TierState | undefined, spend: number, date: string, config: MomentsConfig): TierState {
  const names = config.tiers.ladder.map((t) => t.name);
  const e = earned(spend, config);
  if (!prev) {
    const tier = names[e]!;
    return { tier, since: date, reviewOn: nextReview(date, config), downgradeOn: null, history: [{ tier, from: date, reason: 'joined' }] };
  }
  let cur = names.indexOf(prev.tier);
  if (cur < 0) cur = 0; // a tier removed from the ladder: start over from the bottom
  if (e > cur) {
    const tier = names[e]!;
    return { tier, since: date, reviewOn: nextReview(date, config), downgradeOn: null, history: [...prev.history, { tier, from: date, reason: 'upgrade' }] };
  }
  let s: TierState = prev;
  if (s.downgradeOn && e >= cur) s = { ...s, downgradeOn: null, reviewOn: nextReview(s.reviewOn, config) };
  if (s.downgradeOn && date >= s.downgradeOn) {
    const tier = names[e]!;
    return { tier, since: date, reviewOn: nextReview(date, config), downgradeOn: null, history: [...s.history, { tier, from: date, reason: 'downgrade' }] };
  }
  if (!s.downgradeOn && date >= s.reviewOn) {
    if (e >= cur) s = { ...s, reviewOn: nextReview(s.reviewOn, config) };
    else {
      const downgradeOn = addDays(s.reviewOn, config.tiers.graceDays);
      if (date >= downgradeOn) {
        const tier = names[e]!;
        return { tier, since: date, reviewOn: nextReview(date, config), downgradeOn: null, history: [...s.history, { tier, from: date, reason: 'downgrade' }] };
      }
      s = { ...s, downgradeOn };
    }
  }
  return s;
}
