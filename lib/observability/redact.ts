/**
 * Personal data must never reach the logs. Two nets, both applied to everything a log line carries:
 * - by key: the value of any key that names personal data (phone, email, name, address, birthday, ... and the
 *   Chinese export headers for them) is replaced whole, whatever it holds;
 * - by value: in every string (messages, error messages, stack traces, SDK error fields, object keys), anything
 *   that looks like an email address or a phone number is replaced, because errors carry them in free text
 *   (SES: "Email address is not verified ... a@b.c").
 * Customer ids stay: they are pseudonymous keys operators need to follow a customer through the logs.
 */

export const REDACTED = '[redacted]';
export const EMAIL_MASK = '[email]';
export const PHONE_MASK = '[phone]';

/** Substrings of a normalised key (lower case, no `_`, `-`, `.` or spaces) that name personal data. */
const PII_KEY_PARTS = ['phone', 'mobile', 'email', 'mailbox', 'address', 'birth', 'msisdn'];
/** Keys that are personal data only as a whole word: `name` is, `functionName` or `tableName` is not. */
const PII_KEYS = new Set([
  'name', 'fullname', 'firstname', 'lastname', 'givenname', 'familyname', 'surname', 'middlename', 'nickname',
  'displayname', 'realname', 'username', 'customername', 'membername', 'contactname', 'recipientname',
  'tel', 'dob', 'to', 'cc', 'bcc', 'recipient', 'recipients',
  // Rendered messages and their headers are personalised ("{{ customer.name }}, ...").
  'subject', 'html', 'text', 'sms',
]);
/** Chinese header names for the same (会员资料 exports): 姓名, 手机号, 邮箱, 生日, 地址, ... */
const PII_KEY_PARTS_ZH = ['姓名', '名字', '昵称', '联系人', '手机', '电话', '邮箱', '邮件', '地址', '住址', '生日', '出生'];

export function isPiiKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[\s_.-]+/g, '');
  return PII_KEYS.has(k) || PII_KEY_PARTS.some((p) => k.includes(p)) || PII_KEY_PARTS_ZH.some((p) => key.includes(p));
}

// An address, also a broken one ("foo@" in a reject reason): a local part right before an `@`, and whatever
// domain follows. A `/` before the `@` is a path (node_modules/@aws-sdk/...), not a mailbox.
const EMAIL_RE = /[\p{L}\p{N}._%+!#$&*=?^~-]+@(?:[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*)?/gu;
// International: `+` (or 00 and a country code) then digit groups: +8613812345678, +86 138 1234 5678,
// (+86) 138-1234-5678, +1 (415) 555-0100, 0086 13812345678. A `+` right after a digit is a UTC offset.
const INTERNATIONAL_RE = /(?:(?<!\p{N})\+\s?|(?<![\p{L}\p{N}])00(?=[1-9]))\(?\d{1,4}\)?(?:[\s.-]?\(?\d{1,5}\)?){1,6}/gu;
// Chinese mobiles written nationally, in any text (Chinese text has no spaces around them):
// 13812345678, 138 1234 5678, 138-1234-5678, 86 13812345678, also glued to letters (a008613812345678).
// Longer digit runs (epoch ms, versions) are not.
const CN_MOBILE_RE = /(?<!\d)(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)/g;
// Chinese landlines with their area code set apart: 021-68888888, (0571) 8888 8888, 010 1234 5678.
const CN_LANDLINE_RE = /(?<!\d)(?:\(0\d{2,3}\)\s?|0\d{2,3}[\s-])\d{3,4}[\s-]?\d{4}(?!\d)/g;

function digitCount(s: string): number {
  let n = 0;
  for (const c of s) if (c >= '0' && c <= '9') n++;
  return n;
}

/** Masks email addresses and phone numbers in free text. */
export function redactText(text: string): string {
  if (!/[@\d]/.test(text)) return text;
  return text
    .replace(EMAIL_RE, EMAIL_MASK)
    .replace(INTERNATIONAL_RE, (m) => (digitCount(m) >= 7 ? PHONE_MASK : m))
    .replace(CN_MOBILE_RE, PHONE_MASK)
    .replace(CN_LANDLINE_RE, PHONE_MASK);
}

export interface RedactOptions {
  /** Turns an Error into loggable fields (the log formatter's own formatError); the result is taken as safe. */
  formatError?: (e: Error) => Record<string, unknown>;
}

/** An Error as plain fields with its texts masked; `name` (the error class) is kept, it is not a person's name. */
export function redactError(e: Error, opts: RedactOptions = {}): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  for (const k of Object.keys(e)) own[k] = (e as unknown as Record<string, unknown>)[k];
  const { name: _n, message: _m, stack: _s, cause: _c, ...extra } = own;
  return {
    name: redactText(String(e.name)),
    message: redactText(String(e.message)),
    ...(e.stack ? { stack: redactText(e.stack) } : {}),
    ...(e.cause !== undefined ? { cause: redact(e.cause, opts) } : {}),
    ...(redact(extra, opts) as Record<string, unknown>),
  };
}

const MAX_EMBEDDED_JSON = 256 * 1024;

/**
 * A string that holds JSON (an SNS notification's Message, an SQS body) is redacted as the structure it is, so
 * its keys count too; any other string is masked as text.
 */
function redactString(s: string): string {
  const t = s.trimStart();
  if ((t.startsWith('{') || t.startsWith('[')) && s.length <= MAX_EMBEDDED_JSON) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch {
      return redactText(s);
    }
    if (typeof parsed === 'object' && parsed !== null) return JSON.stringify(redact(parsed));
  }
  return redactText(s);
}

/**
 * A deep copy of `value` with personal data removed (the input is never modified: callers log objects they
 * go on using). Errors become plain fields; cycles become "[circular]".
 */
export function redact(value: unknown, opts: RedactOptions = {}): unknown {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactString(v);
    if (typeof v !== 'object' || v === null) return v;
    if (v instanceof Error) return opts.formatError ? opts.formatError(v) : redactError(v, opts);
    if (v instanceof Date) return v;
    if (seen.has(v)) return '[circular]';
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) out = v.map(walk);
    else if (v instanceof Map) out = walk(Object.fromEntries(v));
    else if (v instanceof Set) out = walk([...v]);
    else if (Buffer.isBuffer(v)) out = `[${v.length} bytes]`;
    else {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[redactText(k)] = isPiiKey(k) && x !== undefined && x !== null && x !== '' ? REDACTED : walk(x);
      out = o;
    }
    seen.delete(v);
    return out;
  };
  return walk(value);
}
