import { localClock, localDateOf, type QuietHours } from './timing.ts';

/**
 * Why a touch expired for lack of a free slot, the same words at planning and at sending. Two causes, never
 * confused: the frequency cap (other touches hold the window: they are named, campaign and day, no personal
 * data, so the log shows they existed) and quiet hours (they last from the time it was to go past its useful
 * date: the cap played no part, whatever other touches there are).
 */
export function capExpiry(by: { at: number; campaignId: string }[], cap: { maxTouches: number; windowDays: number }, usefulUntil: string, zone: string): string {
  const held = [...by].sort((a, b) => a.at - b.at).map((b) => `${b.campaignId} ${localDateOf(b.at, zone)}`);
  return (
    `frequency cap (${cap.maxTouches} per ${cap.windowDays} days): no free slot until past its useful date ${usefulUntil}; ` +
    `${held.length === 1 ? '1 other touch holds' : `${held.length} other touches hold`} the window: ${held.join(', ')}`
  );
}

/** `wanted`: sendAt on its day, or the time of the plan (or of the send attempt) when that is later. */
export function quietExpiry(wanted: number, usefulUntil: string, quiet: QuietHours, zone: string): string {
  return `no free slot before its useful date ${usefulUntil} ended: quiet hours ${quiet.start}-${quiet.end} (${zone}) last from ${localClock(wanted, zone)}, when it was to go, past it; the frequency cap played no part`;
}
