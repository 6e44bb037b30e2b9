import type { DerivedState } from '../derive/derive.ts';
import type { Channel } from '../config/campaigns-schema.ts';
import { ERASED_REASON } from '../members/erasure.ts';
import { PROFILE_FIELDS, profileValues, type MemberProfile, type ProfileField, type ProfileFields } from '../members/profile.ts';
import { decide, type TouchRecord } from '../touches/touch.ts';

/**
 * What an erasure removes and what it keeps, as pure functions over the data (the orchestration is in
 * erase-customer.ts).
 *
 * Removed: every field of the member profile (name, phone, email, birthday, locale, time zone, SMS and email
 * consent), the contact points they give, the birthday copied into the derived state, the name copied into touch
 * variables, the addresses quoted in touch decisions, suppression entries held under the address (kept as a digest).
 * Kept: orders, the state and derived tier/stage (keyed by the pseudonymous customer id, no personal data), the
 * touch log's decisions (campaign results and the exactly-once record need them), and the audit.
 */

export const REDACTED = '[erased]';
const DEFAULT_LOCALE = 'zh-CN';

export interface ContactPoint {
  channel: Channel;
  address: string;
}

export interface PersonalData {
  /** Profile fields that hold a value. */
  fields: ProfileField[];
  contactPoints: ContactPoint[];
  values: ProfileFields;
}

export function personalData(profile: MemberProfile | undefined): PersonalData {
  const values = profileValues(profile);
  const fields = PROFILE_FIELDS.filter((f) => values[f] !== null && values[f] !== undefined);
  const contactPoints: ContactPoint[] = [];
  if (values.phone) contactPoints.push({ channel: 'sms', address: values.phone });
  if (values.email) contactPoints.push({ channel: 'email', address: values.email });
  return { fields, contactPoints, values };
}

/** Anything shaped like an E.164 number or an email address: touch reasons may quote an address the profile no longer has. */
export const ANY_PHONE = /\+\d{6,15}/g;
export const ANY_EMAIL = /[^\s@:;,()<>"']+@[^\s@:;,()<>"']+\.[^\s@:;,()<>"']+/g;

/** Redacts anything shaped like an address (what the sender can do without the erased values). */
export const redactAnyAddress = (text: string): string => text.replace(ANY_EMAIL, REDACTED).replace(ANY_PHONE, REDACTED);

function scrubValue(v: unknown, redact: (s: string) => string, exact: ReadonlySet<string>): unknown {
  if (typeof v === 'string') return exact.has(v) ? null : redact(v);
  if (Array.isArray(v)) return v.map((x) => scrubValue(x, redact, exact));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrubValue(x, redact, exact)]));
  return v;
}

export interface TouchScrubContext {
  values: ProfileFields;
  /** The zone a touch falls back to when its own came from the profile (home store, else brand). */
  fallbackZone: string;
  now: Date;
  /** For decisions' reasons (written by moments: they quote addresses only); default: anything shaped like an address. */
  redactReasons?: (text: string) => string;
  /** For variables, which may carry the name inside longer text; default as for reasons. */
  redactVars?: (text: string) => string;
}

const PENDING = new Set<TouchRecord['status']>(['planned', 'deferred']);

/**
 * A touch as kept after erasure, or undefined when nothing in it changes: the name in its variables is gone, any
 * personal value quoted in variables or decisions is redacted, a locale or zone taken from the profile is replaced
 * by the default, and a touch still waiting is stopped (suppressed, reason "erased"). Its key, campaign, period,
 * channel, times and outcome stay: they are what campaign results and the exactly-once guarantee rest on.
 */
export function scrubTouch(t: TouchRecord, ctx: TouchScrubContext): TouchRecord | undefined {
  const redact = ctx.redactReasons ?? redactAnyAddress;
  const redactVars = ctx.redactVars ?? redact;
  const exact = new Set([ctx.values.name, ctx.values.birthday].filter((x): x is string => !!x));
  const vars = scrubValue(t.vars, redactVars, exact) as Record<string, unknown>;
  const customer = vars['customer'];
  if (customer && typeof customer === 'object' && !Array.isArray(customer)) vars['customer'] = { ...customer, name: null };
  let next: TouchRecord = {
    ...t,
    vars,
    reason: redact(t.reason),
    decisions: t.decisions.map((d) => ({ ...d, reason: redact(d.reason) })),
    ...(ctx.values.timeZone && t.timeZone === ctx.values.timeZone ? { timeZone: ctx.fallbackZone } : {}),
    ...(ctx.values.locale && t.locale === ctx.values.locale ? { locale: DEFAULT_LOCALE } : {}),
  };
  if (PENDING.has(t.status)) next = decide(next, ctx.now, 'suppressed', ERASED_REASON);
  return JSON.stringify(next) === JSON.stringify(t) ? undefined : next;
}

/** What an erasure did, for the audit entry and the command's output: names and counts, never values. */
export interface ErasureSummary {
  fieldsRemoved: ProfileField[];
  contactPointsRemoved: Channel[];
  suppressionsHashed: number;
  touchesScrubbed: number;
  touchesStopped: number;
  derivedRecomputed: boolean;
  kept: { orders: number; touches: number; state: boolean };
}

/** The derivation keeps its stage and tier; the birthday it held goes (a due date it gave may stay: harmless). */
export function withoutBirthday(d: DerivedState): DerivedState {
  const { birthday: _, ...rest } = d;
  return rest;
}
