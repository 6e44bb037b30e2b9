import { describe, expect, it } from 'vitest';
import { parseConfig, type MomentsConfig } from '../../lib/config/schema.ts';
import { deriveFromOrders } from '../../lib/derive/derive.ts';
import type { ProfileFields } from '../../lib/members/profile.ts';
import type { OrderRecord } from '../../lib/orders/order.ts';
import { MemoryTouchStore } from '../../lib/testing/memory-ports.ts';
import { holdOutDraw, planCustomerTouches } from '../../lib/touches/decide-plan.ts';
import { proposeTouches, type TouchProposal } from '../../lib/touches/plan.ts';
import { ThrottledError, type Providers } from '../../lib/touches/ports.ts';
import { sendTouch } from '../../lib/touches/send.ts';
import { inQuietHours } from '../../lib/touches/timing.ts';
import { addDays } from '../../lib/time.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const example = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8'));
const config: MomentsConfig = parseConfig({ ...example, campaigns: example.campaigns.map((c: { holdOut: number }) => ({ ...c, holdOut: 0 })) });

function order(date: string, amount: number, id = date): OrderRecord {
  return { key: id, orderId: id, customerId: 'C1', kind: 'order', status: 'paid', orderedAt: Date.parse(`${date}T04:00:00Z`), localDate: date, amountMinor: amount, currency: 'CNY', version: '0|x' };
}
const profile: ProfileFields = {
  name: '王小明',
  phone: '+8613812345678',
  email: 'wang@example.com',
  birthday: '1990-05-20',
  locale: 'zh-CN',
  timeZone: null,
  smsConsent: { optIn: true, at: '2026-01-01T00:00:00Z', source: 'm.csv' },
  emailConsent: { optIn: true, at: '2026-01-01T00:00:00Z', source: 'm.csv' },
};
function view(orders: OrderRecord[], night: string) {
  const { state, derived } = deriveFromOrders('C1', orders, config, night, undefined, { birthday: profile.birthday });
  return { state, derived, profile, valueSegment: 'core' };
}
const ids = (ps: TouchProposal[]) => ps.map((p) => `${p.campaignId}:${p.periodKey}`).sort();
/** Proposals on a night, as `campaign:period@day` (the day the customer should receive it). */
const on = (orders: OrderRecord[], night: string) =>
  proposeTouches(view(orders, night), night, config).map((p) => `${p.campaignId}:${p.periodKey}@${p.triggerDate}`);

describe('planning: which moments fall on a night (the night closing D-1 plans day D)', () => {
  it('second-purchase nudge 15-30 days after a single purchase, not after a second one', () => {
    // Day 15 after 2026-03-01 is 03-16: the night of 03-15 plans it.
    expect(on([order('2026-03-01', 50000)], '2026-03-15')).toContain('second-purchase:2026-03-01@2026-03-16');
    expect(ids(proposeTouches(view([order('2026-03-01', 50000)], '2026-03-14'), '2026-03-14', config))).not.toContain('second-purchase:2026-03-01');
    expect(ids(proposeTouches(view([order('2026-03-01', 50000)], '2026-04-01'), '2026-04-01', config))).not.toContain('second-purchase:2026-03-01');
    const two = [order('2026-03-01', 50000), order('2026-03-10', 50000)];
    expect(ids(proposeTouches(view(two, '2026-03-16'), '2026-03-16', config)).filter((x) => x.startsWith('second'))).toEqual([]);
  });
  it('statements list only lots whose deadline leaves the lead time; closer ones are left to the reminder', () => {
    // Points earned in March 2025 expire 2026-03-31; April's on 2026-04-30. Statement on 2026-03-28 (lead 7 days),
    // planned by the night of 03-27.
    const c2 = parseConfig({ ...example, campaigns: example.campaigns.map((c: { id: string }) => (c.id === 'monthly-statement' ? { ...c, dayOfMonth: 28, holdOut: 0 } : c)) });
    const orders = [order('2025-03-10', 500000), order('2025-04-10', 300000)];
    const { state, derived } = deriveFromOrders('C1', orders, c2, '2026-03-27');
    const statements = (night: string) => proposeTouches({ state, derived, profile, valueSegment: 'core' }, night, c2).filter((p) => p.moment === 'statement');
    expect(statements('2026-03-26')).toEqual([]);
    const [st] = statements('2026-03-27');
    expect(st).toMatchObject({ periodKey: '2026-03', triggerDate: '2026-03-28', deadline: '2026-04-30', leadDays: 7 });
    expect((st!.vars['points'] as { expiring: unknown[] }).expiring).toEqual([{ points: 3000, expiresOn: '2026-04-30' }]);
  });
  it('points-expiry reminders at each step before a lot expires', () => {
    // The lot expires 2026-03-31: steps 30 and 7 are the days 03-01 and 03-24, planned the nights before.
    const orders = [order('2025-03-10', 500000)];
    expect(on(orders, '2026-02-27').filter((x) => x.startsWith('points-expiry'))).toEqual([]);
    expect(on(orders, '2026-02-28')).toContain('points-expiry:2025-03@30@2026-03-01');
    expect(on(orders, '2026-03-22').filter((x) => x.includes('@7'))).toEqual([]);
    expect(on(orders, '2026-03-23')).toContain('points-expiry:2025-03@7@2026-03-24');
  });
  it('birthday on the day, win-back the day after entering declining', () => {
    expect(on([order('2026-01-05', 1000)], '2026-05-18').filter((x) => x.startsWith('birthday'))).toEqual([]);
    expect(on([order('2026-01-05', 1000)], '2026-05-19')).toContain('birthday:2026@2026-05-20');
    const v = view([order('2025-01-05', 1000), order('2025-02-05', 1000), order('2025-03-05', 1000)], '2025-06-10');
    const entered = v.derived.stageHistory.find((h) => h.stage === 'declining');
    expect(entered).toBeDefined();
    const night = entered!.since;
    expect(on([order('2025-01-05', 1000), order('2025-02-05', 1000), order('2025-03-05', 1000)], night)).toContain(
      `win-back:declining@${night}@${addDays(night, 1)}`,
    );
  });
});

describe('delivery decisions at planning', () => {
  const now = new Date('2026-03-16T18:30:00Z'); // 02:30 in Shanghai, the nightly's run time
  const p = (campaignId: string, priority: number, usefulUntil = '2026-03-20'): TouchProposal => ({
    key: `C1|${campaignId}|x`, customerId: 'C1', campaignId, moment: 'second-purchase', periodKey: 'x', triggerDate: '2026-03-17', usefulUntil, priority, vars: {},
  });
  const ctx = { config, configVersion: 'v1', now };

  it('plans at the send time in the customer zone, never in quiet hours', () => {
    const [t] = planCustomerTouches([p('second-purchase', 70)], profile, [], ctx);
    expect(t).toMatchObject({ status: 'planned', channel: 'sms', plannedFor: '2026-03-17T02:00:00.000Z' });
    expect(inQuietHours(Date.parse(t!.plannedFor), 'Asia/Shanghai', config.contactPolicy.quietHours)).toBe(false);
  });
  it('no consent on any of its channels: suppressed with the reason', () => {
    const [t] = planCustomerTouches([p('second-purchase', 70)], { ...profile, smsConsent: { optIn: false, at: '2026-02-01T00:00:00Z', source: 'm' } }, [], ctx);
    expect(t).toMatchObject({ status: 'suppressed', reason: 'sms: opted out 2026-02-01' });
  });
  it('the cap sends the higher priority first and defers the lower, or expires it past its useful date', () => {
    const cfg = parseConfig({ ...example, contactPolicy: { ...example.contactPolicy, frequencyCap: { maxTouches: 1, windowDays: 2 } }, campaigns: example.campaigns.map((c: object) => ({ ...c, holdOut: 0 })) });
    const out = planCustomerTouches([p('second-purchase', 70), p('birthday', 90), p('win-back', 60, '2026-03-17')], profile, [], { ...ctx, config: cfg });
    const by = Object.fromEntries(out.map((t) => [t.campaignId, t]));
    expect(by['birthday']).toMatchObject({ status: 'planned', plannedFor: '2026-03-17T02:00:00.000Z' });
    expect(by['second-purchase']).toMatchObject({ status: 'planned', plannedFor: '2026-03-19T02:00:00.000Z' });
    expect(by['second-purchase']!.decisions.map((d) => d.status)).toEqual(['deferred', 'planned']);
    expect(by['win-back']).toMatchObject({ status: 'expired' });
  });
  it('the control group is a stable hash: its share lies in the binomial 99% interval', () => {
    const n = 20_000;
    const share = 0.1;
    let held = 0;
    for (let i = 0; i < n; i++) if (holdOutDraw(`C${i}`, 'win-back') < share) held++;
    const sd = Math.sqrt(n * share * (1 - share));
    expect(Math.abs(held - n * share)).toBeLessThan(2.576 * sd);
    expect(holdOutDraw('C1', 'win-back')).toBe(holdOutDraw('C1', 'win-back'));
  });
});

describe('the sender: exactly once', () => {
  async function setup(overrides: Partial<ProfileFields> = {}) {
    const store = new MemoryTouchStore();
    const [t] = planCustomerTouches(
      [{ key: 'C1|second-purchase|2026-03-01', customerId: 'C1', campaignId: 'second-purchase', moment: 'second-purchase', periodKey: '2026-03-01', triggerDate: '2026-03-17', usefulUntil: '2026-03-31', priority: 70, vars: { customer: { name: '王小明' } } }],
      profile,
      [],
      { config, configVersion: 'v1', now: new Date('2026-03-16T18:30:00Z') },
    );
    await store.create(t!);
    const sent: string[] = [];
    const providers: Providers = {
      sendSms: async (to, text) => {
        sent.push(`${to}:${text}`);
        return { messageId: `m${sent.length}` };
      },
      sendEmail: async () => ({ messageId: 'e' }),
    };
    let clock = new Date('2026-03-17T02:00:00Z');
    const deps = {
      touches: store,
      loadProfile: async () => ({ profile: { customerId: 'C1', fields: Object.fromEntries(Object.entries({ ...profile, ...overrides }).map(([k, v]) => [k, { value: v, ver: '1' }])) } }),
      providers,
      config,
      now: () => clock,
      sleep: async () => {},
    };
    return { store, sent, deps, setClock: (d: Date) => (clock = d), key: t!.key };
  }

  it('sends once; a redelivered message does nothing', async () => {
    const s = await setup();
    expect(await sendTouch(s.key, s.deps)).toEqual({ done: true, status: 'sent', channel: 'sms' });
    // The redelivery is marked as a repeat, so the send metrics count the decision once.
    expect(await sendTouch(s.key, s.deps)).toEqual({ done: true, status: 'sent', channel: 'sms', repeat: true });
    expect(s.sent).toHaveLength(1);
    expect(s.sent[0]).toMatch(/^\+8613812345678:【Lumière Cosmetics】/);
    expect((await s.store.get(s.key))?.messageId).toBe('m1');
  });
  it('a sender that dies after the provider accepted never produces a second send', async () => {
    const s = await setup();
    s.store.beforeUpdate = (t) => {
      if (t.status === 'sent') throw new Error('container died');
    };
    await expect(sendTouch(s.key, s.deps)).rejects.toThrow('container died');
    s.store.beforeUpdate = () => {};
    expect(await sendTouch(s.key, s.deps)).toEqual({ done: true, status: 'failed', channel: 'sms' });
    expect(s.sent).toHaveLength(1);
    expect((await s.store.get(s.key))?.reason).toMatch(/^outcome unknown/);
  });
  it('an opt-out after planning applies: suppressed, nothing sent', async () => {
    const s = await setup({ smsConsent: { optIn: false, at: '2026-03-16T00:00:00Z', source: 'm2.csv' } });
    expect(await sendTouch(s.key, s.deps)).toEqual({ done: true, status: 'suppressed', channel: 'sms' });
    expect(s.sent).toHaveLength(0);
  });
  it('too early waits; in quiet hours it is deferred to the next allowed time, not dropped', async () => {
    const s = await setup();
    s.setClock(new Date('2026-03-17T01:00:00Z'));
    expect(await sendTouch(s.key, s.deps)).toMatchObject({ done: false, retryAfterSeconds: 3600 });
    s.setClock(new Date('2026-03-17T14:00:00Z')); // 22:00 in Shanghai
    expect(await sendTouch(s.key, s.deps)).toMatchObject({ done: false, reason: 'quiet hours' });
    expect((await s.store.get(s.key))?.plannedFor).toBe('2026-03-18T01:00:00.000Z');
    s.setClock(new Date('2026-03-18T01:00:00Z'));
    expect(await sendTouch(s.key, s.deps)).toEqual({ done: true, status: 'sent', channel: 'sms' });
  });
  it('throttling is retried with backoff; a hard refusal fails with the reason', async () => {
    const s = await setup();
    let calls = 0;
    s.deps.providers.sendSms = async () => {
      if (++calls < 3) throw new ThrottledError('Rate exceeded');
      return { messageId: 'ok' };
    };
    expect(await sendTouch(s.key, s.deps)).toEqual({ done: true, status: 'sent', channel: 'sms' });
    expect(calls).toBe(3);
    const s2 = await setup();
    let to = '';
    s2.deps.providers.sendSms = async (phone) => {
      to = phone;
      throw new Error(`Invalid parameter: PhoneNumber ${phone} (also +86 139 0000 0000)`);
    };
    expect(await sendTouch(s2.key, s2.deps)).toEqual({ done: true, status: 'failed', channel: 'sms' });
    // The touch log keeps the provider's reason, never the number it quoted.
    const logged = await s2.deps.touches.get(s2.key);
    expect(logged?.reason).toMatch(/^sms provider call failed \(Error: Invalid parameter: PhoneNumber \[phone\]/);
    expect(JSON.stringify(logged)).not.toContain(to);
    expect(JSON.stringify(logged)).not.toContain('139 0000');
  });
  it('an SMS over the campaign\'s maxSmsSegments (default 2) is not sent: logged failed with the reason', async () => {
    // A name within its bound (200 characters) still makes a message of several billed parts.
    const withName = (max?: number): MomentsConfig => ({
      ...config,
      campaigns: config.campaigns.map((c) =>
        c.id === 'second-purchase' ? { ...c, ...(max ? { maxSmsSegments: max } : {}), templates: { 'zh-CN': { sms: '{{ customer.name }}您好，30天内再次购买可享双倍积分。回T退订' } } } : c,
      ),
    });
    const s = await setup({ name: '王'.repeat(200) });
    s.deps.config = withName();
    expect(await sendTouch(s.key, s.deps)).toEqual({ done: true, status: 'failed', channel: 'sms' });
    expect(s.sent).toHaveLength(0);
    expect((await s.store.get(s.key))?.reason).toMatch(/^SMS of 4 segments \(2\d\d UCS-2 characters\), more than the campaign's maxSmsSegments 2; not sent$/);
    // A campaign that allows that many sends it.
    const s2 = await setup({ name: '王'.repeat(200) });
    s2.deps.config = withName(4);
    expect(await sendTouch(s2.key, s2.deps)).toEqual({ done: true, status: 'sent', channel: 'sms' });
    expect(s2.sent).toHaveLength(1);
  });
  it('past its useful date: expired', async () => {
    const s = await setup();
    s.setClock(new Date('2026-04-02T02:00:00Z'));
    expect(await sendTouch(s.key, s.deps)).toEqual({ done: true, status: 'expired', channel: 'sms' });
  });
});
