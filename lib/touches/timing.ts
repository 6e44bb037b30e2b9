import { DateTime } from 'luxon';

export interface QuietHours {
  start: string;
  end: string;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Epoch ms of a local date and HH:MM in `zone` (a DST gap moves it forward, as clocks do). */
export function localTime(date: string, hhmm: string, zone: string): number {
  return DateTime.fromISO(`${date}T${hhmm}`, { zone }).toMillis();
}

export function localDateOf(epochMs: number, zone: string): string {
  return DateTime.fromMillis(epochMs, { zone }).toISODate()!;
}

/** `YYYY-MM-DD HH:MM` in `zone`, for reasons a person reads. */
export function localClock(epochMs: number, zone: string): string {
  return DateTime.fromMillis(epochMs, { zone }).toFormat('yyyy-MM-dd HH:mm');
}

/** Quiet hours may wrap midnight (21:00-09:00). */
export function inQuietHours(epochMs: number, zone: string, q: QuietHours): boolean {
  const t = DateTime.fromMillis(epochMs, { zone });
  const m = t.hour * 60 + t.minute;
  const s = minutes(q.start);
  const e = minutes(q.end);
  return s <= e ? m >= s && m < e : m >= s || m < e;
}

/** The first moment at or after `epochMs` outside quiet hours. */
export function nextAllowed(epochMs: number, zone: string, q: QuietHours): number {
  if (!inQuietHours(epochMs, zone, q)) return epochMs;
  const t = DateTime.fromMillis(epochMs, { zone });
  const end = t.set({ hour: Number(q.end.slice(0, 2)), minute: Number(q.end.slice(3, 5)), second: 0, millisecond: 0 });
  return (end.toMillis() > epochMs ? end : end.plus({ days: 1 })).toMillis();
}

/** When the scheduled nightly for `night` runs: the next day at the configured local time, brand zone. */
export function nightRunTime(night: string, config: { brand: { timeZone: string }; nightly: { localTime: string } }): Date {
  const next = DateTime.fromISO(night, { zone: config.brand.timeZone }).plus({ days: 1 }).toISODate()!;
  return new Date(localTime(next, config.nightly.localTime, config.brand.timeZone));
}
