import { formatMinor } from '../money.ts';

/**
 * Locale-aware formatting behind the message filters (`money`, `points`, `date_local`) and the localised
 * unsubscribe wording. Intl formatters are cached: building one costs far more than using it.
 */

const canonical = new Map<string, string>();

/**
 * Canonical BCP 47 tag ("zh_cn" → "zh-CN"). Underscores are accepted as a common spelling of hyphens.
 * Throws RangeError for a tag that is not BCP 47.
 */
export function normaliseLocale(locale: string): string {
  let c = canonical.get(locale);
  if (c === undefined) {
    const tags = Intl.getCanonicalLocales(locale.trim().replace(/_/g, '-'));
    c = tags[0];
    if (c === undefined) throw new RangeError(`not a BCP 47 locale: "${locale}"`);
    canonical.set(locale, c);
  }
  return c;
}

export function isChineseLocale(locale: string): boolean {
  return /^zh(?:-|$)/i.test(locale.trim().replace(/_/g, '-'));
}

function isTraditionalChinese(locale: string): boolean {
  return /^zh-(?:hant|tw|hk|mo)\b/i.test(locale.trim().replace(/_/g, '-'));
}

/** "退订" / "退訂" / "Unsubscribe". */
export function unsubscribeLabel(locale: string): string {
  if (isTraditionalChinese(locale)) return '退訂';
  if (isChineseLocale(locale)) return '退订';
  return 'Unsubscribe';
}

const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function numberFormat(locale: string, currency?: string): Intl.NumberFormat {
  const key = `${locale}|${currency ?? ''}`;
  let f = numberFormats.get(key);
  if (f === undefined) {
    const tag = normaliseLocale(locale);
    f = currency
      ? new Intl.NumberFormat(tag, { style: 'currency', currency })
      : new Intl.NumberFormat(tag, { maximumFractionDigits: 0 });
    numberFormats.set(key, f);
  }
  return f;
}

/** Locale for dates: a bare "en" reads day-month-year ("31 March 2026"), as English speakers in China expect. */
function dateLocale(locale: string): string {
  const tag = normaliseLocale(locale);
  return tag === 'en' ? 'en-GB' : tag;
}

function dateFormat(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}`;
  let f = dateFormats.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat(dateLocale(locale), { year: 'numeric', month: 'long', day: 'numeric', timeZone });
    dateFormats.set(key, f);
  }
  return f;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}

/** Number from a number or a numeric string; throws a readable error otherwise. */
function toNumber(value: unknown, what: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(?:\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new TypeError(`${what}: expected a number, got ${describe(value)}`);
  return n;
}

/** 12345 CNY → "¥123.45" (zh-CN), "CN¥123.45" (en). Minor units are converted exactly, without floating point. */
export function formatMoney(minor: unknown, currency: string, locale: string): string {
  const n = toNumber(minor, 'money');
  if (!Number.isSafeInteger(n)) throw new TypeError(`money: expected integer minor units, got ${describe(minor)}`);
  // A decimal string keeps every digit (Intl.NumberFormat formats string decimals exactly).
  return numberFormat(locale, currency).format(formatMinor(n, currency) as `${number}`);
}

/** 12680 → "12,680" (zh-CN, en), "12.680" (de). */
export function formatPoints(points: unknown, locale: string): string {
  return numberFormat(locale).format(toNumber(points, 'points'));
}

const YMD = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A calendar date (YYYY-MM-DD) → "2026年3月31日" (zh-CN) / "31 March 2026" (en), as written (no zone shift).
 * An instant (epoch milliseconds, Date, or ISO date-time with an offset) is shown as its date in `timeZone`.
 */
export function formatDateLocal(value: unknown, locale: string, timeZone: string): string {
  if (typeof value === 'string') {
    const m = YMD.exec(value.trim());
    if (m) {
      const y = Number(m[1]);
      const mo = Number(m[2]);
      const d = Number(m[3]);
      const ms = Date.UTC(y, mo - 1, d);
      const back = new Date(ms);
      if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
        throw new RangeError(`date_local: not a calendar date: ${describe(value)}`);
      }
      return dateFormat(locale, 'UTC').format(ms);
    }
    if (/^\d{4}-\d{2}-\d{2}T/.test(value.trim())) {
      const ms = Date.parse(value);
      if (Number.isFinite(ms)) return dateFormat(locale, timeZone).format(ms);
    }
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    return dateFormat(locale, timeZone).format(value);
  } else if (value instanceof Date && Number.isFinite(value.getTime())) {
    return dateFormat(locale, timeZone).format(value);
  }
  throw new TypeError(`date_local: expected a date (YYYY-MM-DD), got ${describe(value)}`);
}
