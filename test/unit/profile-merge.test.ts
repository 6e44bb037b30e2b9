import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
