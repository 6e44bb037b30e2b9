import { addDays, today } from '../time.ts';

/**
 * The due-index date of a customer the ingest changed. It sorts before every night, so the next night closed,
 * whatever its date and whatever the ingest's date, finds the customer (design.md: `moments nightly` derives every
 * customer changed since the last closed night). A brand loading its history today and closing yesterday, or a
 * replay closing a night before the upload, would otherwise never see the customers its files changed.
 */
export const DUE_NEXT_NIGHT = '0000-01-01';

/** The latest night that can be closed: yesterday in the brand's zone (today has not ended). */
export function latestClosableNight(zone: string, nowMs = Date.now()): string {
  return addDays(today(zone, nowMs), -1);
}

/**
 * Why a night cannot be closed yet, or undefined. A night closed before its day ended would never count the
 * orders that arrive later that day: their customers would be due for a night that is already closed.
 */
export function nightNotClosable(night: string, zone: string, nowMs = Date.now()): string | undefined {
  const latest = latestClosableNight(zone, nowMs);
  return night > latest ? `${night} has not ended in ${zone} yet: the latest night that can be closed is ${latest} (yesterday)` : undefined;
}
