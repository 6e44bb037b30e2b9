import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, type MomentsConfig } from '../../lib/config/schema.ts';
import type { ProfileFields } from '../../lib/members/profile.ts';
import { MemoryTouchStore } from '../../lib/testing/memory-ports.ts';
import { planCustomerTouches } from '../../lib/touches/decide-plan.ts';
import type { TouchProposal } from '../../lib/touches/plan.ts';
import { sendTouch } from '../../lib/touches/send.ts';
import type { TouchRecord } from '../../lib/touches/touch.ts';

/** A touch that expires for lack of a free slot says which: the cap (naming the touches that hold it) or quiet hours. */
const example = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8'));
const configWith = (policy: object): MomentsConfig =>
  parseConfig({ ...example, contactPolicy: { ...example.contactPolicy, ...policy }, campaigns: example.campaigns.map((c: object) => ({ ...c, holdOut: 0 })) });
const profile: ProfileFields = {
  name: '王小明',
  phone: '+8613812345678',
  email: 'wang@example.com',
  birthday: null,
  locale: 'zh-CN',
  timeZone: null,
  smsConsent: { optIn: true, at: '2026-01-01T00:00:00Z', source: 'm.csv' },
  emailConsent: { optIn: true, at: '2026-01-01T00:00:00Z', source: 'm.csv' },
};
// Day D is 2026-03-17 in Shanghai; useful on D only. The nightly runs at 02:30 on D.
const proposal: TouchProposal = {
  key: 'C1|second-purchase|x', customerId: 'C1', campaignId: 'second-purchase', moment: 'second-purchase', periodKey: 'x',
  triggerDate: '2026-03-17', usefulUntil: '2026-03-17', priority: 50, vars: {},
};
const now = new Date('2026-03-16T18:30:00Z');
const other = (campaignId: string, plannedFor: string, status: TouchRecord['status'] = 'planned') =>
  ({ key: `C1|${campaignId}|y`, customerId: 'C1', campaignId, status, plannedFor, decisions: [] }) as unknown as TouchRecord;
const plan = (config: MomentsConfig, recent: TouchRecord[], at = now) => planCustomerTouches([proposal], profile, recent, { config, configVersion: 'v', now: at })[0]!;

describe('a touch that expires for lack of a free slot, at planning', () => {
  it('the cap: other touches hold every slot until its useful date ended; they are named', () => {
    const t = plan(configWith({ frequencyCap: { maxTouches: 1, windowDays: 3 } }), [other('birthday', '2026-03-16T02:00:00.000Z')]);
    expect(t.status).toBe('expired');
    expect(t.reason).toBe(
      'frequency cap (1 per 3 days): no free slot until past its useful date 2026-03-17; 1 other touch holds the window: birthday 2026-03-16',
    );
  });

  it('quiet hours, with no other touch: no free slot, and it does not blame the cap', () => {
    // sendAt 22:00 lies in quiet hours 21:00-09:00: the first allowed time is 09:00 on D+1, past its useful date.
    const t = plan(configWith({ sendAt: '22:00', quietHours: { start: '21:00', end: '09:00' } }), []);
    expect(t.status).toBe('expired');
    expect(t.reason).toBe(
      'no free slot before its useful date 2026-03-17 ended: quiet hours 21:00-09:00 (Asia/Shanghai) last from 2026-03-17 22:00, when it was to go, past it; the frequency cap played no part',
    );
  });

  it('quiet hours, with other touches that leave the cap room: still quiet hours', () => {
    const t = plan(configWith({ sendAt: '22:00', frequencyCap: { maxTouches: 2, windowDays: 7 } }), [other('birthday', '2026-03-15T02:00:00.000Z')]);
    expect(t.reason).toMatch(/^no free slot before its useful date 2026-03-17 ended: quiet hours .* the frequency cap played no part$/);
  });

  it('a plan made late on its day, when quiet hours begin: the time it was to go is the plan time', () => {
    const t = plan(configWith({ sendAt: '10:00' }), [], new Date('2026-03-17T12:30:00Z')); // 20:30 in Shanghai
    expect(t.status).toBe('planned');
    const late = plan(configWith({ sendAt: '10:00' }), [], new Date('2026-03-17T13:30:00Z')); // 21:30: quiet already
    expect(late.reason).toContain('last from 2026-03-17 21:30, when it was to go');
  });

  it('any policy, any other touches: the reason names the cap exactly when, without the other touches, it would have been planned', () => {
    const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 30)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    fc.assert(
      fc.property(
        fc.record({
          start: hhmm, end: hhmm, sendAt: hhmm,
          maxTouches: fc.integer({ min: 1, max: 2 }), windowDays: fc.integer({ min: 1, max: 3 }),
          usefulDays: fc.integer({ min: 0, max: 2 }), nowHours: fc.integer({ min: 0, max: 40 }),
          others: fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 3 }),
        }),
        (s) => {
          fc.pre(s.start !== s.end);
          const config = configWith({ quietHours: { start: s.start, end: s.end }, sendAt: s.sendAt, frequencyCap: { maxTouches: s.maxTouches, windowDays: s.windowDays } });
          const p = { ...proposal, usefulUntil: `2026-03-${17 + s.usefulDays}` };
          const at = new Date(Date.parse('2026-03-16T16:00:00Z') + s.nowHours * 3_600_000);
          const recent = s.others.map((h, i) => other(`c${i}`, new Date(Date.parse('2026-03-15T00:00:00Z') + h * 3_600_000).toISOString()));
          const ctx = { config, configVersion: 'v', now: at };
          const [t] = planCustomerTouches([p], profile, recent, ctx);
          const [alone] = planCustomerTouches([p], profile, [], ctx);
          if (t!.status !== 'expired') return;
          expect(/^frequency cap/.test(t!.reason), t!.reason).toBe(alone!.status === 'planned');
          if (/^frequency cap/.test(t!.reason)) expect(t!.reason).toMatch(/other touch(es)? holds? the window: c\d/);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('a touch that expires for lack of a free slot, at sending', () => {
  async function planned(config: MomentsConfig, sentBefore: TouchRecord[] = []) {
    const store = new MemoryTouchStore();
    for (const s of sentBefore) await store.create({ ...plan(config, []), ...s, rev: 0 } as TouchRecord);
    const t = plan(config, []);
    await store.create(t);
    const fields = Object.fromEntries(Object.entries(profile).map(([k, v]) => [k, { value: v, ver: '1' }]));
    return (clock: string) =>
      sendTouch(t.key, {
        touches: store,
        loadProfile: async () => ({ profile: { customerId: 'C1', fields } }),
        providers: { sendSms: async () => ({ messageId: 's' }), sendEmail: async () => ({ messageId: 'e' }) },
        config,
        now: () => new Date(clock),
        sleep: async () => {},
      }).then(async () => (await store.get(t.key))!);
  }

  it('the cap: touches sent since hold the window until its useful date ended; they are named', async () => {
    const config = configWith({ frequencyCap: { maxTouches: 1, windowDays: 3 } });
    const send = await planned(config, [
      { ...other('birthday', '2026-03-17T01:00:00.000Z', 'sent'), sentAt: '2026-03-17T01:00:00.000Z' } as TouchRecord,
    ]);
    const t = await send('2026-03-17T02:00:00Z');
    expect(t.status).toBe('expired');
    expect(t.reason).toBe('frequency cap (1 per 3 days): no free slot until past its useful date 2026-03-17; 1 other touch holds the window: birthday 2026-03-17');
  });

  it('quiet hours from the time of the attempt past its useful date: no other touch, no word of the cap', async () => {
    const send = await planned(configWith({}));
    const t = await send('2026-03-17T14:00:00Z'); // 22:00 in Shanghai, quiet until 09:00 on D+1
    expect(t.status).toBe('expired');
    expect(t.reason).toBe(
      'no free slot before its useful date 2026-03-17 ended: quiet hours 21:00-09:00 (Asia/Shanghai) last from 2026-03-17 22:00, when it was to go, past it; the frequency cap played no part',
    );
  });
});
