import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';
import type { MomentsConfig } from '../config/schema.ts';
import type { MemberColumn } from '../csv/headers.ts';
import { MAX_FIELD_CHARS, reportedValue, tooLong } from '../field-limits.ts';
import type { RowError } from '../orders/order.ts';
import { isIsoDate, isValidZone, parseTimestamp } from '../time.ts';
import { fieldVersion, type Consent, type MemberProfile, type Versioned } from './profile.ts';

export type MemberRow = Partial<Record<MemberColumn, string>>;

const ID_RE = new RegExp(`^[\\p{L}\\p{N}][\\p{L}\\p{N}._:#/-]{0,${MAX_FIELD_CHARS.id - 1}}$`, 'u');
const emailSchema = z.email();
const YES = new Set(['1', 'y', 'yes', 'true', 't', '是', '订阅', '同意', 'opt_in', 'opted_in']);
const NO = new Set(['0', 'n', 'no', 'false', 'f', '否', '退订', '不同意', 'opt_out', 'opted_out']);

export interface MemberRowContext {
  config: MomentsConfig;
  defaultVersionMs: number;
  /** When the file was received (its first arrival, for a replay or a part of a split file): orders equal times. */
  uploadMs: number;
  /** The row's line in the original file: orders equal times within one upload. */
  line: number;
  file: string;
}

export function normalisePhone(raw: string, region: string): string | undefined {
  const p = parsePhoneNumberFromString(raw, region as CountryCode);
  return p && p.isValid() ? p.number : undefined;
}

function parseBirthday(raw: string): string | undefined {
  const t = raw.trim();
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  const iso = compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : t.replace(/\//g, '-').replace(/-(\d)(?=-|$)/g, '-0$1');
  if (isIsoDate(iso) && iso >= '1900-01-01') return iso;
  // Month and day only ("03-15"): the year is often not collected.
  const md = /^(\d{1,2})-(\d{1,2})$/.exec(t.replace(/\//g, '-'));
  if (md && isIsoDate(`2000-${md[1]!.padStart(2, '0')}-${md[2]!.padStart(2, '0')}`))
    return `--${md[1]!.padStart(2, '0')}-${md[2]!.padStart(2, '0')}`;
  return undefined;
}

function parseLocale(raw: string): string | undefined {
  const t = raw.trim().replace('_', '-');
  try {
    const [loc] = Intl.getCanonicalLocales(t);
    return loc;
  } catch {
    return undefined;
  }
}

/**
 * Validates one member row field by field. A bad id rejects the row; any other bad value is rejected alone and
 * the rest of the row is applied. Cells that are present but empty clear the field (the export is a snapshot).
 */
export function parseMemberRow(
  row: MemberRow,
  ctx: MemberRowContext,
): { profile?: MemberProfile; errors: RowError[] } {
  const errors: RowError[] = [];
  const err = (column: string, value: string | undefined, reason: string) =>
    errors.push({ line: ctx.line, column, value: reportedValue(value ?? ''), reason });
  const customerId = (row.customer_id ?? '').trim();
  if (!customerId) {
    err('customer_id', row.customer_id, 'missing customer id');
    return { errors };
  }
  if (!ID_RE.test(customerId)) {
    err('customer_id', row.customer_id, tooLong('id', customerId) ?? 'customer id has characters an id cannot have');
    return { errors };
  }
  const zone = ctx.config.brand.timeZone;
  let versionMs = ctx.defaultVersionMs;
  if (row.updated_at?.trim()) {
    const p = parseTimestamp(row.updated_at, zone);
    if ('error' in p) err('updated_at', row.updated_at, p.error);
    else versionMs = p.epochMs;
  }
  const ver = fieldVersion(versionMs, ctx.uploadMs, ctx.line);
  const at = new Date(versionMs).toISOString();
  const fields: MemberProfile['fields'] = {};
  const set = <T>(k: keyof MemberProfile['fields'], value: T) => {
    (fields as Record<string, Versioned<T>>)[k] = { value, ver };
  };

  // Each stored text is bounded (lib/field-limits.ts): an over-long value is rejected alone, the others are kept.
  if (row.name !== undefined) {
    const t = row.name.trim();
    const long = tooLong('name', t);
    if (long) err('name', row.name, long);
    else set('name', t || null);
  }
  if (row.phone !== undefined) {
    const t = row.phone.trim();
    const long = tooLong('phone', t);
    if (!t) set('phone', null);
    else if (long) err('phone', row.phone, long);
    else {
      const e164 = normalisePhone(t, ctx.config.brand.phoneRegion);
      if (e164) set('phone', e164);
      else err('phone', row.phone, `not a valid phone number (region ${ctx.config.brand.phoneRegion} assumed without +country code)`);
    }
  }
  if (row.email !== undefined) {
    const t = row.email.trim().toLowerCase();
    const long = tooLong('email', t);
    if (!t) set('email', null);
    else if (long) err('email', row.email, long);
    else if (emailSchema.safeParse(t).success) set('email', t);
    else err('email', row.email, 'not a valid email address');
  }
  if (row.birthday !== undefined) {
    const t = row.birthday.trim();
    if (!t) set('birthday', null);
    else {
      const b = parseBirthday(t);
      if (b) set('birthday', b);
      else err('birthday', row.birthday, 'expected a date YYYY-MM-DD (or MM-DD)');
    }
  }
  if (row.locale !== undefined) {
    const t = row.locale.trim();
    const long = tooLong('locale', t);
    if (!t) set('locale', null);
    else if (long) err('locale', row.locale, long);
    else {
      const l = parseLocale(t);
      if (l) set('locale', l);
      else err('locale', row.locale, 'not a language tag such as zh-CN or en');
    }
  }
  if (row.time_zone !== undefined) {
    const t = row.time_zone.trim();
    const long = tooLong('timeZone', t);
    if (!t) set('timeZone', null);
    else if (long) err('time_zone', row.time_zone, long);
    else if (isValidZone(t)) set('timeZone', t);
    else err('time_zone', row.time_zone, 'not an IANA time zone such as Asia/Shanghai');
  }
  for (const [col, key] of [
    ['sms_opt_in', 'smsConsent'],
    ['email_opt_in', 'emailConsent'],
  ] as const) {
    const raw = row[col];
    if (raw === undefined || !raw.trim()) continue; // blank consent cell: unknown, keep what we had
    const t = raw.trim().toLowerCase();
    if (YES.has(t) || NO.has(t)) {
      const c: Consent = { optIn: YES.has(t), at, source: ctx.file };
      set(key, c);
    } else err(col, raw, 'expected 1/0, Y/N, true/false or 是/否');
  }
  return { profile: { customerId, fields }, errors };
}
