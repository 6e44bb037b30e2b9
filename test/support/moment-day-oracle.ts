import { DateTime } from 'luxon';

/**
 * When a moment for local day D should reach the customer, worked out minute by minute with luxon (not with the
 * planner's own helpers): at D's sendAt in the customer's zone, not before the night closing D-1 has run, and
 * never in quiet hours.
 */

const minutesOf = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3));

export function inQuiet(at: DateTime, q: { start: string; end: string }): boolean {
  const m = at.hour * 60 + at.minute;
  const [a, b] = [minutesOf(q.start), minutesOf(q.end)];
  return a <= b ? m >= a && m < b : m >= a || m < b;
}

/** The instant the brand's night closing D-1 runs: D at the nightly's local time in the brand zone. */
export function planningInstant(d: string, brandZone: string, nightlyAt: string): number {
  return DateTime.fromISO(`${d}T${nightlyAt}`, { zone: brandZone }).toMillis();
}

/** The earliest minute at or after D's sendAt (zone) and `plannedAt` that lies outside quiet hours. */
export function earliestAllowed(d: string, zone: string, plannedAt: number, sendAt: string, quiet: { start: string; end: string }): DateTime {
  const onTime = DateTime.fromISO(`${d}T${sendAt}`, { zone });
  let t = DateTime.fromMillis(Math.max(onTime.toMillis(), plannedAt), { zone }).startOf('minute');
  if (t.toMillis() < plannedAt) t = t.plus({ minutes: 1 });
  for (let i = 0; i < 2 * 24 * 60 && inQuiet(t, quiet); i++) t = t.plus({ minutes: 1 });
  return t;
}
