import { DateTime, IANAZone } from 'luxon';

/**
 * Calendar and time-zone arithmetic (design principle 4). Luxon does the zone rules; offsets are cached per
 * zone and hour because ingest converts millions of timestamps and most share a handful of hours.
 */

export interface ParsedInstant {
  /** Epoch milliseconds. */
  epochMs: number;
  /** True when the text carried only a calendar date. */
  dateOnly: boolean;
  /** For date-only values: the calendar date as written (YYYY-MM-DD). */
  date?: string;
}

const HOUR = 3_600_000;
// Per zone, keyed by number (no key string built per call): UTC hour -> offset, and local y/m/d/h -> offset.
const localToUtcOffset = new Map<string, Map<number, number>>();
const utcToLocalOffset = new Map<string, Map<number, number>>();
function zoneCache(caches: Map<string, Map<number, number>>, zone: string): Map<number, number> {
  let m = caches.get(zone);
  if (!m) caches.set(zone, (m = new Map()));
  return m;
}

export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function daysInMonth(y: number, m: number): number {
  return m === 2 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0) ? 29 : MONTH_DAYS[m - 1]!;
}

function validYmd(y: number, m: number, d: number): boolean {
  return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

/** Offset (minutes east of UTC) in `zone` at the UTC instant. */
export function offsetAt(zone: string, epochMs: number): number {
  const cache = zoneCache(utcToLocalOffset, zone);
  const hour = Math.floor(epochMs / HOUR);
  let off = cache.get(hour);
  if (off === undefined) {
    off = DateTime.fromMillis(epochMs, { zone }).offset;
    cache.set(hour, off);
  }
  return off;
}

/** UTC epoch ms of a wall-clock time in `zone`, or undefined when the time does not exist (DST gap). */
function wallToEpoch(zone: string, y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | undefined {
  const cache = zoneCache(localToUtcOffset, zone);
  const key = ((y * 100 + mo) * 100 + d) * 100 + h;
  let off = cache.get(key);
  if (off === undefined) {
    const dt = DateTime.fromObject({ year: y, month: mo, day: d, hour: h, minute: 0 }, { zone });
    // NaN marks a wall-clock hour that does not exist (DST gap), cached like any other.
    off = !dt.isValid || dt.hour !== h ? Number.NaN : dt.offset;
    cache.set(key, off);
  }
  if (Number.isNaN(off)) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms) - off * 60_000;
}

const DATE_ONLY = /^(\d{4})(?:-(\d{2})-(\d{2})|(\d{2})(\d{2})|\/(\d{1,2})\/(\d{1,2}))$/;
const DATE_TIME =
  /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses an order timestamp: a date (YYYY-MM-DD, YYYYMMDD, YYYY/M/D) or a date-time with or without an offset.
 * Without an offset the wall-clock time is read in `zone`.
 */
export function parseTimestamp(text: string, zone: string): ParsedInstant | { error: string } {
  const t = text.trim();
  const fast = parseCommonLocal(t, zone);
  if (fast) return fast;
  let m = DATE_ONLY.exec(t);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2] ?? m[4] ?? m[6]);
    const d = Number(m[3] ?? m[5] ?? m[7]);
    if (!validYmd(y, mo, d)) return { error: 'not a calendar date' };
    const date = ymd(y, mo, d);
    const epochMs = wallToEpoch(zone, y, mo, d, 0, 0, 0, 0) ?? Date.UTC(y, mo - 1, d);
    return { epochMs, dateOnly: true, date };
  }
  m = DATE_TIME.exec(t);
  if (!m) return { error: 'expected a date (YYYY-MM-DD, YYYYMMDD) or a date-time' };
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6] ?? 0);
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  if (!validYmd(y, mo, d)) return { error: 'not a calendar date' };
  if (h > 23 || mi > 59 || s > 59) return { error: 'not a time of day' };
  const tz = m[8];
  if (tz) {
    let off = 0;
    if (tz !== 'Z') {
      const sign = tz.startsWith('-') ? -1 : 1;
      const digits = tz.slice(1).replace(':', '');
      off = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
      if (Math.abs(off) > 14 * 60) return { error: 'offset out of range' };
    }
    return { epochMs: Date.UTC(y, mo - 1, d, h, mi, s, ms) - off * 60_000, dateOnly: false };
  }
  const epochMs = wallToEpoch(zone, y, mo, d, h, mi, s, ms);
  if (epochMs === undefined) return { error: `time does not exist in ${zone} (daylight-saving gap)` };
  return { epochMs, dateOnly: false };
}

/** Digits of `t` from `a` to `b` (exclusive) as a number, or -1 if any is not a digit. */
function digitsAt(t: string, a: number, b: number): number {
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * The two shapes nearly every POS export uses, `YYYY-MM-DD` and `YYYY-MM-DD HH:MM:SS` (no offset), read without
 * regular expressions; anything else (or anything invalid) returns undefined and takes the general path.
 */
function parseCommonLocal(t: string, zone: string): ParsedInstant | undefined {
  if ((t.length !== 10 && t.length !== 19) || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45) return undefined;
  const y = digitsAt(t, 0, 4);
  const mo = digitsAt(t, 5, 7);
  const d = digitsAt(t, 8, 10);
  if (y < 0 || mo < 0 || d < 0 || !validYmd(y, mo, d)) return undefined;
  if (t.length === 10) return { epochMs: wallToEpoch(zone, y, mo, d, 0, 0, 0, 0) ?? Date.UTC(y, mo - 1, d), dateOnly: true, date: t };
  const sep = t.charCodeAt(10);
  if ((sep !== 32 && sep !== 84) || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return undefined;
  const h = digitsAt(t, 11, 13);
  const mi = digitsAt(t, 14, 16);
  const sec = digitsAt(t, 17, 19);
  if (h < 0 || mi < 0 || sec < 0 || h > 23 || mi > 59 || sec > 59) return undefined;
  const epochMs = wallToEpoch(zone, y, mo, d, h, mi, sec, 0);
  return epochMs === undefined ? undefined : { epochMs, dateOnly: false };
}

export function ymd(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Calendar date (YYYY-MM-DD) of the instant in `zone`. */
export function localDate(epochMs: number, zone: string): string {
  return dateOfDayNumber(Math.floor((epochMs + offsetAt(zone, epochMs) * 60_000) / 86_400_000));
}

/** Instant at which the calendar date ends in `zone` (last millisecond of the day). */
export function endOfLocalDay(date: string, zone: string): number {
  return DateTime.fromISO(date, { zone }).endOf('day').toMillis();
}

// Calendar dates as day numbers, cached both ways: the nightly's date arithmetic runs millions of times.
const dayNumbers = new Map<string, number>();
const dayStrings = new Map<number, string>();

/** Days since 1970-01-01 of a YYYY-MM-DD date. */
export function dayNumber(date: string): number {
  let n = dayNumbers.get(date);
  if (n === undefined) {
    n = Math.round(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000);
    if (dayNumbers.size > 200_000) dayNumbers.clear();
    dayNumbers.set(date, n);
  }
  return n;
}

export function dateOfDayNumber(n: number): string {
  let s = dayStrings.get(n);
  if (s === undefined) {
    s = new Date(n * 86_400_000).toISOString().slice(0, 10);
    if (dayStrings.size > 200_000) dayStrings.clear();
    dayStrings.set(n, s);
  }
  return s;
}

const monthStrings = new Map<string, string>();

/** YYYY-MM of a YYYY-MM-DD date, one string per month: months key the state's spend and points lots, and a key
 * string seen before is found in V8's string table at once, where a fresh slice is hashed and looked up each time. */
export function monthOf(date: string): string {
  let m = monthStrings.get(date);
  if (m === undefined) {
    m = date.slice(0, 7);
    if (monthStrings.size > 200_000) monthStrings.clear();
    monthStrings.set(date, m);
  }
  return m;
}

export function addDays(date: string, days: number): string {
  return dateOfDayNumber(dayNumber(date) + days);
}

export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/** Same day `months` later, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(date: string, months: number): string {
  const total = Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1 + months;
  const y = Math.floor(total / 12);
  const m = (total % 12) + 1;
  return ymd(y, m, Math.min(Number(date.slice(8, 10)), daysInMonth(y, m)));
}

/** Last calendar day of the month `months` after the month of `date` (YYYY-MM-DD). */
const monthEnds = new Map<number, Map<string, string>>();

export function endOfMonthPlus(month: string, months: number): string {
  let byMonth = monthEnds.get(months);
  if (!byMonth) monthEnds.set(months, (byMonth = new Map()));
  let out = byMonth.get(month);
  if (out === undefined) byMonth.set(month, (out = computeEndOfMonthPlus(month, months)));
  return out;
}

function computeEndOfMonthPlus(month: string, months: number): string {
  const y = Number(month.slice(0, 4));
  const mo = Number(month.slice(5, 7));
  const total = y * 12 + (mo - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  return ymd(ny, nm, daysInMonth(ny, nm));
}

export function isIsoDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return !!m && validYmd(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** Today's calendar date in `zone`. */
export function today(zone: string, now = Date.now()): string {
  return localDate(now, zone);
}
