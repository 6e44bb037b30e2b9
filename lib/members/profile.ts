/** A value with the version (export time) it came from; the newest version of each field wins. */
export interface Versioned<T> {
  value: T;
  ver: string;
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
  // Same version, different content: nothing orders them, so privacy decides: an opt-out wins over an opt-in
  // (for every channel). Otherwise any fixed rule keeps the merge commutative; both together are one total order.
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
