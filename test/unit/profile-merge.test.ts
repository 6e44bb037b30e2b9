import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../lib/config/schema.ts';
import { parseMemberRow } from '../../lib/members/parse-member-row.ts';
import { mergeProfile, profileValues, type Consent, type MemberProfile } from '../../lib/members/profile.ts';

const consent = fc.record({ optIn: fc.boolean(), at: fc.constantFrom('2026-03-05T00:00:00.000Z', '2026-03-06T00:00:00.000Z'), source: fc.constantFrom('a.csv', 'b.csv') });
const update = fc.record({
  ver: fc.constantFrom('2026-03-05', '2026-03-06'),
  sms: fc.option(consent, { nil: undefined }),
  email: fc.option(consent, { nil: undefined }),
  name: fc.option(fc.constantFrom('Wu', '吴', 'Li'), { nil: undefined }),
});
type U = typeof update extends fc.Arbitrary<infer T> ? T : never;

const asProfile = (u: U): MemberProfile => ({
  customerId: 'C1',
  fields: {
    ...(u.sms ? { smsConsent: { value: u.sms, ver: u.ver } } : {}),
    ...(u.email ? { emailConsent: { value: u.email, ver: u.ver } } : {}),
    ...(u.name ? { name: { value: u.name, ver: u.ver } } : {}),
  },
});
const fold = (us: U[]) => us.reduce<MemberProfile | undefined>((p, u) => mergeProfile(p, asProfile(u)), undefined);

describe('member profile merge', () => {
  it('is order-independent, and at the newest version an opt-out on record wins over any opt-in (every channel)', () => {
    fc.assert(
      fc.property(fc.array(update, { minLength: 1, maxLength: 8 }), fc.infiniteStream(fc.nat()), (us, draws) => {
        const shuffled = [...us];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = draws.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const a = fold(us);
        expect(fold(shuffled)).toEqual(a);
        for (const [k, f] of [['sms', 'smsConsent'], ['email', 'emailConsent']] as const) {
          const given = us.filter((u) => u[k]);
          if (!given.length) continue;
          const newest = given.map((u) => u.ver).sort().at(-1);
          // Expected from the inputs: among the newest version's values for the channel, any opt-out decides.
          const expectOptIn = given.filter((u) => u.ver === newest).every((u) => (u[k] as Consent).optIn);
          expect(profileValues(a)[f]?.optIn).toBe(expectOptIn);
        }
      }),
      { numRuns: 500 },
    );
  });
});

// Rows as the ingest makes them: no updated_at, so every row gets the end of the export day named in the file.
const DAY_END = Date.parse('2026-03-05T16:00:00Z') - 1;
const T1 = Date.parse('2026-03-06T01:00:00Z');
const T2 = T1 + 1;
function row(optIn: boolean, at: { line: number; uploadMs: number; updatedAt?: string }, name = optIn ? 'In' : 'Out'): MemberProfile {
  const flag = optIn ? 'yes' : 'no';
  const { profile } = parseMemberRow(
    { customer_id: 'C1', name, sms_opt_in: flag, email_opt_in: flag, ...(at.updatedAt ? { updated_at: at.updatedAt } : {}) },
    { config: defaultConfig, defaultVersionMs: DAY_END, uploadMs: at.uploadMs, line: at.line, file: 'members-2026-03-05.csv' },
  );
  return profile!;
}
/** The merge of the rows in every apply order: all must agree. */
function mergedEveryWay(...rows: MemberProfile[]): MemberProfile {
  const orders = rows.length === 2 ? [rows, [...rows].reverse()] : [rows];
  const results = orders.map((o) => o.reduce<MemberProfile | undefined>((p, u) => mergeProfile(p, u), undefined)!);
  for (const r of results) expect(r).toEqual(results[0]);
  return results[0]!;
}
const seen = (p: MemberProfile) => {
  const v = profileValues(p);
  return { name: v.name, sms: v.smsConsent?.optIn, email: v.emailConsent?.optIn };
};

describe('member profile merge: what orders two rows of one time', () => {
  it('within one file the later row wins, either way round, for consent and every other field', () => {
    // Opt-in on line 2, opt-out on line 3: the opt-out (the member's last row) stands.
    expect(seen(mergedEveryWay(row(true, { line: 2, uploadMs: T1 }), row(false, { line: 3, uploadMs: T1 })))).toEqual({ name: 'Out', sms: false, email: false });
    // Opt-out on line 2, opt-in on line 3: the re-opt-in stands (not the opt-out, not the JSON order).
    expect(seen(mergedEveryWay(row(false, { line: 2, uploadMs: T1 }), row(true, { line: 3, uploadMs: T1 })))).toEqual({ name: 'In', sms: true, email: true });
    // Lines compare as numbers: line 10 is after line 9.
    expect(seen(mergedEveryWay(row(false, { line: 9, uploadMs: T1 }), row(true, { line: 10, uploadMs: T1 })))).toEqual({ name: 'In', sms: true, email: true });
  });

  it('across two files of the same export day the later upload wins, either way round, whatever the lines', () => {
    expect(seen(mergedEveryWay(row(true, { line: 900, uploadMs: T1 }), row(false, { line: 2, uploadMs: T2 })))).toEqual({ name: 'Out', sms: false, email: false });
    expect(seen(mergedEveryWay(row(false, { line: 900, uploadMs: T1 }), row(true, { line: 2, uploadMs: T2 })))).toEqual({ name: 'In', sms: true, email: true });
  });

  it("the row's own time still comes first: an updated_at later than the export day beats a later row and upload", () => {
    const laterTime = row(false, { line: 2, uploadMs: T1, updatedAt: '2026-03-05T12:00:00+08:00' });
    const laterRowAndUpload = row(true, { line: 3, uploadMs: T2, updatedAt: '2026-03-05T11:00:00+08:00' });
    expect(seen(mergedEveryWay(laterTime, laterRowAndUpload))).toEqual({ name: 'Out', sms: false, email: false });
  });

  it('an exact tie (same time, upload and line) still resolves to the opt-out, for every channel', () => {
    expect(seen(mergedEveryWay(row(true, { line: 4, uploadMs: T1 }, 'X'), row(false, { line: 4, uploadMs: T1 }, 'X')))).toEqual({ name: 'X', sms: false, email: false });
  });

  it('a version stored before upload and line were part of it compares as the lowest of its time', () => {
    // The stored form then: the time alone, 15 digits.
    const old = (optIn: boolean, ms: number): MemberProfile => ({
      customerId: 'C1',
      fields: { smsConsent: { value: { optIn, at: new Date(ms).toISOString(), source: 'old.csv' }, ver: String(ms).padStart(15, '0') } },
    });
    expect(profileValues(mergedEveryWay(old(false, DAY_END), row(true, { line: 0, uploadMs: 0 }))).smsConsent?.optIn).toBe(true);
    // A later time still wins over any upload and line.
    expect(profileValues(mergedEveryWay(old(false, DAY_END + 1), row(true, { line: 99, uploadMs: T2 }))).smsConsent?.optIn).toBe(false);
  });

  it('is order-independent over rows of any times, uploads and lines; the greatest (time, upload, line) decides', () => {
    // Values whose digit counts differ, so a comparison of unpadded text would get them wrong.
    const one = fc.record({
      time: fc.constantFrom(DAY_END, DAY_END + 1),
      upload: fc.constantFrom(0, 9, 10, T1, T2),
      line: fc.constantFrom(1, 2, 9, 10, 100),
      sms: fc.option(fc.boolean(), { nil: undefined }),
      name: fc.option(fc.constantFrom('Wu', '吴', 'Li'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(one, { minLength: 1, maxLength: 8 }), fc.infiniteStream(fc.nat()), (rs, draws) => {
        const asRow = (r: (typeof rs)[number]): MemberProfile =>
          parseMemberRow(
            { customer_id: 'C1', ...(r.name ? { name: r.name } : {}), ...(r.sms !== undefined ? { sms_opt_in: r.sms ? '1' : '0' } : {}) },
            { config: defaultConfig, defaultVersionMs: r.time, uploadMs: r.upload, line: r.line, file: 'm.csv' },
          ).profile!;
        const shuffled = [...rs];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = draws.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const fold = (xs: typeof rs) => xs.reduce<MemberProfile | undefined>((p, r) => mergeProfile(p, asRow(r)), undefined);
        const a = fold(rs);
        expect(fold(shuffled)).toEqual(a);
        // Expected from the inputs, by numbers: the rows at the greatest (time, upload, line) that give the field.
        const cmp = (x: (typeof rs)[number], y: (typeof rs)[number]) => x.time - y.time || x.upload - y.upload || x.line - y.line;
        const top = <K extends 'sms' | 'name'>(k: K) => {
          const given = rs.filter((r) => r[k] !== undefined);
          const best = given.reduce<(typeof rs)[number] | undefined>((b, r) => (!b || cmp(r, b) > 0 ? r : b), undefined);
          return best ? given.filter((r) => cmp(r, best) === 0).map((r) => r[k]!) : [];
        };
        const sms = top('sms');
        if (sms.length) expect(profileValues(a).smsConsent?.optIn).toBe(sms.every((x) => x)); // an exact tie: the opt-out
        const names = [...new Set(top('name'))];
        if (names.length === 1) expect(profileValues(a).name).toBe(names[0]);
      }),
      { numRuns: 500 },
    );
  });
});
