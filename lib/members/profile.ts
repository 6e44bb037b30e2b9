/** A value with the version it came from (fieldVersion); the newest version of each field wins. */
export interface Versioned<T> {
  value: T;
  ver: string;
}

const pad = (n: number, width: number) => String(Math.max(0, Math.trunc(n))).padStart(width, '0');

/**
 * A member field's version, `time|upload|line`: the row's time (its updated_at, else the export day), then when the
 * file was received (a corrected file of the same export day, uploaded later, wins), then the row's line in the
 * original file (a later row of one file wins; a split file's parts keep their original lines). Fixed width, so
 * comparing the strings compares the three parts in that order, and the merge needs no apply order: rows are applied
 * concurrently. A version stored before the upload and line were added is the time alone, a prefix of any version of
 * the same time, so it compares as the lowest of that time. (lib/privacy reads the time back as the first part.)
 */
export function fieldVersion(timeMs: number, uploadMs: number, line: number): string {
  return `${pad(timeMs, 15)}|${pad(uploadMs, 15)}|${pad(line, 10)}`;
}

export interface Consent {
  optIn: boolean;
  /** ISO instant the consent was given or withdrawn (the row's updated_at, else the export date). */
  at: string;
  source: string;
}

export interface ProfileFields {
  name: string | null;
  phone: string | null;
  email: string | null;
  birthday: string | null;
  locale: string | null;
  timeZone: string | null;
  smsConsent: Consent | null;
  emailConsent: Consent | null;
}

export type ProfileField = keyof ProfileFields;
export const PROFILE_FIELDS: readonly ProfileField[] = [
  'name',
  'phone',
  'email',
  'birthday',
  'locale',
  'timeZone',
  'smsConsent',
  'emailConsent',
];

export interface MemberProfile {
  customerId: string;
  fields: Partial<{ [K in ProfileField]: Versioned<ProfileFields[K]> }>;
}

function optedOut(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as Partial<Consent>).optIn === false;
}

function newer(a: Versioned<unknown>, b: Versioned<unknown>): boolean {
  if (a.ver !== b.ver) return a.ver > b.ver;
  // Same version (same time, upload and line) and different content: nothing orders them, so privacy decides: an
  // opt-out wins over an opt-in (for every channel). Otherwise any fixed rule keeps the merge commutative; both
  // together are one total order.
  const ao = optedOut(a.value);
  const bo = optedOut(b.value);
  if (ao !== bo) return ao;
  return JSON.stringify(a.value) > JSON.stringify(b.value);
}

/** Field-wise merge by version: commutative, associative and idempotent, so arrival order cannot matter. */
export function mergeProfile(base: MemberProfile | undefined, update: MemberProfile): MemberProfile {
  const out: MemberProfile = { customerId: update.customerId, fields: { ...(base?.fields ?? {}) } };
  for (const f of PROFILE_FIELDS) {
    const u = update.fields[f];
    if (!u) continue;
    const cur = out.fields[f];
    if (!cur || newer(u, cur)) (out.fields as Record<string, Versioned<unknown>>)[f] = u;
  }
  return out;
}

export function profileValues(p: MemberProfile | undefined): ProfileFields {
  const v = <K extends ProfileField>(k: K): ProfileFields[K] | null => (p?.fields[k]?.value ?? null) as ProfileFields[K] | null;
  return {
    name: v('name'),
    phone: v('phone'),
    email: v('email'),
    birthday: v('birthday'),
    locale: v('locale'),
    timeZone: v('timeZone'),
    smsConsent: v('smsConsent'),
    emailConsent: v('emailConsent'),
  };
}

export function sameProfile(a: MemberProfile | undefined, b: MemberProfile): boolean {
  return JSON.stringify(a?.fields ?? {}) === JSON.stringify(b.fields);
}
