import { addDays, daysBetween } from '../time.ts';

/**
 * The one rule of when a moment happens (design principle 4). A moment is for a local day D: the birthday, the
 * statement day, lot expiry minus a step, order day plus a delay, the day a stage or tier changed plus its delay.
 * The night that closes D-1 (brand zone) plans it, and it is delivered on D at `sendAt` in the customer's zone;
 * quiet hours and the cap move it only later, and only up to D + `usefulDays`. Nights are closed the day after,
 * so the run for night D-1 happens on D: the earliest a plan can reach the customer is the day itself.
 */

/** The moment day a night plans: the day after the night it closes. */
export function momentDayOf(night: string): string {
  return addDays(night, 1);
}

/** The night that plans the moments of local day `day`: the one closing the day before. */
export function planningNight(day: string): string {
  return addDays(day, -1);
}

/**
 * Whether the moment of `day` is planned by `night`: on its planning night, or on a later one while D is still
 * within `usefulDays` of the day that night plans (nights missed or run late catch up; the touch key keeps it once).
 */
export function plannedBy(day: string, night: string, usefulDays: number): boolean {
  const planned = momentDayOf(night);
  return day <= planned && daysBetween(day, planned) <= usefulDays;
}

/** Last local date the moment of `day` is still worth delivering. */
export function usefulUntil(day: string, usefulDays: number): string {
  return addDays(day, usefulDays);
}

/**
 * A message announcing `deadline` must reach the customer at least `leadDays` before it (the statement's
 * promise): arriving on local day `arrival` keeps it, or the reason it does not.
 */
export function leadTimeBroken(arrival: string, deadline: string | undefined, leadDays: number | undefined): string | null {
  if (!deadline || leadDays === undefined) return null;
  const left = daysBetween(arrival, deadline);
  if (left >= leadDays) return null;
  return (
    `would arrive ${left} days before the deadline it announces (${deadline}), less than ${leadDays}; ` +
    'not sent as a statement: the points-expiry reminder covers lots that close'
  );
}
