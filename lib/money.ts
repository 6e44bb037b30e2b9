/** Money in integer minor units per currency (design principle 4). */

const digitsCache = new Map<string, number>();

export function minorDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, d);
  }
  return d;
}

let currencies: Set<string> | undefined;

export function isKnownCurrency(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  // Built once: Intl.supportedValuesOf allocates the whole list on every call.
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(code);
}

/**
 * The largest amount one order row may have, 10^12 minor units (10,000,000,000.00 CNY): far above any real order,
 * and the bound the per-customer sums are proved exact from (lib/state/exact-totals.ts).
 */
export const MAX_ORDER_AMOUNT_MINOR = 1e12;

export const amountTooLarge = (currency: string): string =>
  `amount beyond ${formatMinor(MAX_ORDER_AMOUNT_MINOR, currency)} ${currency}, the most one order may have (so that a customer's totals stay exact)`;

const AMOUNT_RE = /^([+-])?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal amount ("1,234.50", "-89", "89.00") to minor units without floating point.
 * Returns an error string when the text is not an amount or has more decimals than the currency allows.
 */
export function parseAmount(text: string, currency: string): { minor: number } | { error: string } {
  const plain = plainAmount(text, minorDigits(currency));
  if (plain !== undefined) return { minor: plain };
  const t = text.trim().replace(/^[¥￥$]/, '');
  const m = AMOUNT_RE.exec(t);
  if (!m) return { error: 'not a decimal amount' };
  const digits = minorDigits(currency);
  const whole = (m[2] ?? '0').replace(/,/g, '');
  let frac = m[3] ?? '';
  if (frac.length > digits) {
    if (/^0*$/.test(frac.slice(digits))) frac = frac.slice(0, digits);
    else return { error: `more than ${digits} decimals for ${currency}` };
  }
  frac = frac.padEnd(digits, '0');
  const minor = Number(whole + frac);
  if (!Number.isSafeInteger(minor)) return { error: 'amount too large' };
  return { minor: m[1] === '-' ? -minor : minor };
}

/**
 * `123`, `-123`, `123.4`, `123.45` (up to the currency's decimals) read without regular expressions: the shape of
 * nearly every amount in an export. Anything else returns undefined and takes the general path.
 */
function plainAmount(t: string, digits: number): number | undefined {
  let i = t.charCodeAt(0) === 45 ? 1 : 0;
  let whole = 0;
  const start = i;
  for (; i < t.length; i++) {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
  }
  if (i === start || i - start > 15) return undefined;
  let frac = 0;
  let fracDigits = 0;
  if (i < t.length) {
    if (t.charCodeAt(i) !== 46 || i === t.length - 1) return undefined;
    for (i++; i < t.length; i++) {
      const c = t.charCodeAt(i) - 48;
      if (c < 0 || c > 9 || ++fracDigits > digits) return undefined;
      frac = frac * 10 + c;
    }
  }
  const minor = whole * 10 ** digits + frac * 10 ** (digits - fracDigits);
  if (!Number.isSafeInteger(minor)) return undefined;
  return t.charCodeAt(0) === 45 ? -minor : minor;
}

export function formatMinor(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const neg = minor < 0;
  const abs = String(Math.abs(minor)).padStart(digits + 1, '0');
  const s = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  return neg ? `-${s}` : s;
}
