import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, type MomentsConfig } from '../../lib/config/schema.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { profileValues } from '../../lib/members/profile.ts';
import { personalData, scrubTouch, REDACTED, withoutBirthday } from '../../lib/privacy/erase.ts';
import { redactorFor } from '../../lib/privacy/redact.ts';
import { eraseCustomer, type EraseDeps } from '../../lib/privacy/erase-customer.ts';
import { exportCustomer } from '../../lib/privacy/export-customer.ts';
import { suppressionDigest } from '../../lib/privacy/suppression-key.ts';
import { refreshCustomer } from '../../lib/state/refresh-customer.ts';
import { MemoryAuditLog, MemoryCustomerStore, MemoryLedger, MemoryNightlyLedger, MemoryObjectStore, MemoryTouchStore } from '../../lib/testing/memory-ports.ts';
import { runNightly } from '../../lib/nightly/run-nightly.ts';
import { planNightTouches } from '../../lib/touches/plan-night.ts';
import { sendTouch } from '../../lib/touches/send.ts';
import type { TouchRecord } from '../../lib/touches/touch.ts';

const example = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8'));
const config: MomentsConfig = parseConfig({ ...example, campaigns: example.campaigns.map((c: object) => ({ ...c, holdOut: 0, enabled: true })) });

const PII = ['王小明', '+8613812345678', '13812345678', 'wang@example.com', '1990-05-20', 'Europe/Paris', '+8613800000001'];

const MEMBERS =
  'customer_id,name,phone,email,birthday,locale,time_zone,sms_opt_in,email_opt_in,updated_at\n' +
  'C1,王小明,13812345678,Wang@Example.com,1990-05-20,en,Europe/Paris,1,1,2026-03-01 09:00\n' +
  'C2,李雷,13900001111,li@example.com,1985-01-02,zh-CN,,1,0,2026-03-01 09:00\n';
const ORDERS = 'order_id,customer_id,ordered_at,amount,status,store_id\nA1,C1,2026-03-05 10:00,100.00,paid,S01\nA2,C1,2026-03-20 10:00,50.00,paid,S01\nB1,C2,2026-03-06,80.00,paid,S01\n';

function touch(over: Partial<TouchRecord>): TouchRecord {
  return {
    key: 'C1|second-purchase|2026-03-05',
    customerId: 'C1',
    campaignId: 'second-purchase',
    moment: 'second-purchase',
    periodKey: '2026-03-05',
    channel: 'sms',
    status: 'sent',
    reason: 'sent by sms',
    plannedFor: '2026-03-20T02:00:00.000Z',
    usefulUntil: '2026-04-04T15:59:59.999Z',
    priority: 70,
    configVersion: 'v1',
    timeZone: 'Europe/Paris',
    locale: 'en',
    vars: { customer: { id: 'C1', name: '王小明', tier: 'member' }, campaign: { id: 'second-purchase' } },
    decisions: [
      { at: '2026-03-19T18:00:00.000Z', status: 'planned', reason: 'planned on sms' },
      { at: '2026-03-20T02:00:00.000Z', status: 'sent', reason: 'sent by sms' },
    ],
    messageId: 'm-1',
    sentAt: '2026-03-20T02:00:01.000Z',
    rev: 0,
    ...over,
  };
}

async function world() {
  const objects = new MemoryObjectStore();
  const customers = new MemoryCustomerStore();
  const ledger = new MemoryLedger();
  const touches = new MemoryTouchStore();
  const audit = new MemoryAuditLog();
  let n = 0;
  const ingest = async (key: string, body: string) => {
    await objects.put(key, body);
    return ingestObject({ key, etag: `e${++n}`, lastModifiedMs: 0 }, { objects, customers, ledger, config, asOf: '2026-03-31' });
  };
  await ingest('incoming/members/members-2026-03-01.csv', MEMBERS);
  await ingest('incoming/orders/orders-2026-03-31.csv', ORDERS);
  // The nightly derives stage, tier and the birthday's due dates from what was ingested.
  await runNightly('2026-03-31', { customers, ledger: new MemoryNightlyLedger(), config });
  await touches.create(touch({}));
  await touches.create(
    touch({
      key: 'C1|monthly-statement|2026-03',
      campaignId: 'monthly-statement',
      moment: 'statement',
      periodKey: '2026-03',
      status: 'suppressed',
      reason: '+8613800000001 is suppressed: complaint (SES)',
      decisions: [{ at: '2026-03-01T02:00:00.000Z', status: 'suppressed', reason: '+8613800000001 is suppressed: complaint (SES)' }],
      messageId: undefined,
      sentAt: undefined,
    }),
  );
  await touches.create(
    touch({
      key: 'C1|birthday|2026',
      campaignId: 'birthday',
      moment: 'birthday',
      periodKey: '2026',
      status: 'planned',
      reason: 'planned on sms',
      plannedFor: '2026-05-20T08:00:00.000Z',
      usefulUntil: '2026-05-23T21:59:59.999Z',
      vars: { customer: { id: 'C1', name: '王小明' }, greeting: 'Dear 王小明 (wang@example.com)' },
      decisions: [{ at: '2026-05-19T18:00:00.000Z', status: 'planned', reason: 'planned on sms' }],
      messageId: undefined,
      sentAt: undefined,
    }),
  );
  // Suppressions as written before they were kept under digests: held under the address itself.
  touches.suppressed.set('sms|+8613812345678', 'opted out with the SMS provider (STOP reply)');
  touches.suppressed.set('email|wang@example.com', 'complaint (SES)');
  let clock = new Date('2026-04-02T03:00:00.000Z');
  let ids = 0;
  const deps: EraseDeps = {
    customers,
    touches,
    audit,
    config,
    refreshDerived: async (id, asOf) => void (await refreshCustomer(customers, id, config, asOf, false, withoutBirthday)),
    now: () => clock,
    newId: () => `req-${++ids}`,
  };
  const dump = () =>
    JSON.stringify({
      profiles: [...customers.profiles],
      states: [...customers.states],
      orders: [...customers.orders].map(([k, m]) => [k, [...m]]),
      touches: [...touches.touches],
      suppressed: [...touches.suppressed],
      audit: audit.entries,
      // Uploaded exports under incoming/ are the brand's files as received (see README: not rewritten).
      reports: [...objects.objects].filter(([k]) => !k.startsWith('incoming/')).map(([k, b]) => [k, b.toString('utf8')]),
    });
  return { objects, customers, touches, audit, deps, ingest, dump, setClock: (d: Date) => (clock = d) };
}

describe('erasure: what goes and what stays (pure)', () => {
  const values = profileValues({
    customerId: 'C1',
    fields: {
      name: { value: '王小明', ver: '1' },
      phone: { value: '+8613812345678', ver: '1' },
      email: { value: 'wang@example.com', ver: '1' },
      birthday: { value: '1990-05-20', ver: '1' },
      locale: { value: 'en', ver: '1' },
      timeZone: { value: 'Europe/Paris', ver: '1' },
    },
  });

  it('lists every personal field held and the contact points they give', () => {
    const p = personalData({ customerId: 'C1', fields: { name: { value: 'A B', ver: '1' }, phone: { value: '+8613812345678', ver: '1' }, email: { value: null, ver: '1' } } });
    expect(p.fields).toEqual(['name', 'phone']);
    expect(p.contactPoints).toEqual([{ channel: 'sms', address: '+8613812345678' }]);
    expect(personalData(undefined)).toMatchObject({ fields: [], contactPoints: [] });
  });

  it('redacts the phone as people write it, the email in any case, and name and birthday only when asked', () => {
    const r = redactorFor(values, { identity: true });
    expect(r('call +86 138 1234 5678 or 138-1234-5678 or 13812345678, mail WANG@example.com; 王小明 born 1990-05-20')).toBe(
      `call ${REDACTED} or ${REDACTED} or ${REDACTED}, mail ${REDACTED}; ${REDACTED} born ${REDACTED}`,
    );
    expect(redactorFor(values, { identity: false })('王小明 1990-05-20')).toBe('王小明 1990-05-20');
    // A one-character name would match anywhere: it is not searched for.
    expect(redactorFor({ ...values, name: '王' }, { identity: true })('王府井 store')).toBe('王府井 store');
    expect(redactorFor(values, { identity: false, anyAddress: true })('+8613900000000 is suppressed; x@y.cn too')).toBe(`${REDACTED} is suppressed; ${REDACTED} too`);
  });

  it('scrubs a touch: the name, quoted addresses, the profile zone and locale; a waiting touch is stopped; outcomes stay', () => {
    const t = touch({ reason: 'planned on sms', status: 'deferred', decisions: [{ at: '2026-03-19T18:00:00.000Z', status: 'deferred', reason: 'quiet hours (+8613812345678)' }] });
    const s = scrubTouch(t, { values, fallbackZone: 'Asia/Shanghai', now: new Date('2026-04-01T00:00:00Z'), redactReasons: redactorFor(values, { identity: false }) })!;
    expect((s.vars['customer'] as { name: unknown }).name).toBeNull();
    expect(s).toMatchObject({ status: 'suppressed', reason: 'erased', timeZone: 'Asia/Shanghai', locale: 'zh-CN', key: t.key, campaignId: t.campaignId, plannedFor: t.plannedFor });
    expect(s.decisions.map((d) => [d.status, d.reason])).toEqual([
      ['deferred', `quiet hours (${REDACTED})`],
      ['suppressed', 'erased'],
    ]);
    const sent = scrubTouch(touch({}), { values, fallbackZone: 'Asia/Shanghai', now: new Date() })!;
    expect(sent).toMatchObject({ status: 'sent', messageId: 'm-1', sentAt: '2026-03-20T02:00:01.000Z' });
    // Scrubbing is idempotent: nothing left to change.
    expect(scrubTouch(sent, { values, fallbackZone: 'Asia/Shanghai', now: new Date() })).toBeUndefined();
  });
});

describe('eraseCustomer (memory ports with the adapters\' conditional-write semantics)', () => {
  it('removes the profile, contact points and every copy of them; keeps orders, state, tier and stage; audits without the data', async () => {
    const w = await world();
    const before = await w.customers.loadCustomer('C1');
    expect(before.derived?.birthday).toBe('1990-05-20');
    for (const v of PII) expect(w.dump(), v).toContain(v); // the check below is not vacuous

    const r = await eraseCustomer({ customerId: 'C1', operator: 'dpo', reason: 'ticket 42: 王小明 (13812345678) asked by mail' }, w.deps);
    expect(r.outcome).toBe('erased');
    expect(r.summary).toMatchObject({
      fieldsRemoved: ['name', 'phone', 'email', 'birthday', 'locale', 'timeZone', 'smsConsent', 'emailConsent'],
      contactPointsRemoved: ['sms', 'email'],
      suppressionsHashed: 2,
      touchesScrubbed: 3,
      touchesStopped: 1,
      derivedRecomputed: true,
      kept: { orders: 2, touches: 3, state: true },
    });
    const dump = w.dump();
    for (const v of PII) expect(dump, v).not.toContain(v);

    // The tombstone replaces the profile for every reader.
    expect(await w.customers.loadProfile('C1')).toEqual({ rev: 3, erased: { at: '2026-04-02T03:00:00.000Z', requestId: 'req-1', complete: true } });
    expect((await w.customers.readProfileItem('C1')).profile).toBeUndefined();
    // Aggregates: the same orders, spend, tier and stage.
    const after = await w.customers.loadCustomer('C1');
    expect(after.orders).toEqual(before.orders);
    expect(after.state).toEqual(before.state);
    expect(after.derived?.tier).toEqual(before.derived?.tier);
    expect(after.derived?.stage).toBe(before.derived?.stage);
    expect(after.derived?.birthday).toBeUndefined();
    // The other customer is untouched.
    expect(profileValues((await w.customers.loadProfile('C2')).profile).name).toBe('李雷');

    // Suppressions are still honoured, under the digest only.
    expect(await w.touches.isSuppressed('sms', '+8613812345678')).toBe('opted out with the SMS provider (STOP reply)');
    expect(await w.touches.findSuppressions('email', 'WANG@example.com')).toEqual([
      { channel: 'email', key: suppressionDigest('email', 'wang@example.com'), reason: 'complaint (SES)', at: null },
    ]);
    // A late bounce for the erased address (a message sent before) is recorded under the digest too.
    await w.touches.suppress('email', 'Wang@example.com', 'permanent bounce (SES)');
    expect(await w.touches.isSuppressed('email', 'wang@example.com')).toBe('permanent bounce (SES)');
    for (const v of PII) expect(w.dump(), v).not.toContain(v);
    // The touch log keeps its outcomes; the waiting touch was stopped.
    expect((await w.touches.get('C1|second-purchase|2026-03-05'))).toMatchObject({ status: 'sent', messageId: 'm-1' });
    expect((await w.touches.get('C1|birthday|2026'))).toMatchObject({ status: 'suppressed', reason: 'erased' });

    const [entry] = await w.audit.list('C1');
    expect(entry).toMatchObject({ action: 'erase', customerId: 'C1', operator: 'dpo', outcome: 'erased', reason: `ticket 42: ${REDACTED} (${REDACTED}) asked by mail` });
  });

  it('is idempotent: a second erasure changes nothing but is audited', async () => {
    const w = await world();
    await eraseCustomer({ customerId: 'C1', operator: 'dpo' }, w.deps);
    const once = w.dump();
    w.setClock(new Date('2026-04-03T00:00:00Z'));
    const again = await eraseCustomer({ customerId: 'C1', operator: 'dpo' }, w.deps);
    expect(again).toMatchObject({ outcome: 'already-erased', erasedAt: '2026-04-02T03:00:00.000Z' });
    expect(again.summary).toMatchObject({ fieldsRemoved: [], touchesScrubbed: 0, suppressionsHashed: 0 });
    const twice = JSON.parse(w.dump());
    expect({ ...twice, audit: [] }).toEqual({ ...JSON.parse(once), audit: [] });
    expect((await w.audit.list('C1')).map((e) => e.outcome)).toEqual(['erased', 'already-erased']);
  });

  it('an unknown id: nothing is written but the audit, outcome not-found', async () => {
    const w = await world();
    const before = w.dump();
    const r = await eraseCustomer({ customerId: 'NOPE', operator: 'dpo' }, w.deps);
    expect(r.outcome).toBe('not-found');
    expect(w.customers.profiles.has('NOPE')).toBe(false);
    expect({ ...JSON.parse(w.dump()), audit: [] }).toEqual({ ...JSON.parse(before), audit: [] });
    expect(await w.audit.list('NOPE')).toHaveLength(1);
  });

  it('an erasure that died half-way already stops sends and member rows, and the next run finishes it', async () => {
    const w = await world();
    w.touches.beforeUpdate = () => {
      throw new Error('container died');
    };
    await expect(eraseCustomer({ customerId: 'C1', operator: 'dpo' }, w.deps)).rejects.toThrow('container died');
    w.touches.beforeUpdate = () => {};
    expect((await w.customers.loadProfile('C1')).erased).toMatchObject({ complete: false });
    expect((await w.customers.loadProfile('C1')).profile).toBeUndefined();
    expect((await w.customers.loadCustomer('C1')).profile).toBeUndefined();
    const r = await eraseCustomer({ customerId: 'C1', operator: 'dpo' }, w.deps);
    // The first run had moved the suppressions; this one scrubs the touches the first could not.
    expect(r).toMatchObject({ outcome: 'erased', summary: { fieldsRemoved: expect.arrayContaining(['name', 'phone']), suppressionsHashed: 0, touchesScrubbed: 3 } });
    for (const v of PII) expect(w.dump(), v).not.toContain(v);
    expect((await w.customers.loadProfile('C1')).erased).toMatchObject({ requestId: 'req-1', complete: true });
  });

  it('a later member row is rejected in the reject report without its values; a later order still counts', async () => {
    const w = await world();
    await eraseCustomer({ customerId: 'C1', operator: 'dpo' }, w.deps);
    const s = await w.ingest(
      'incoming/members/members-2026-04-05.csv',
      'customer_id,name,phone,email\nC1,王小明,13812345678,wang@example.com\nC2,李雷,13900002222,li@example.com\n',
    );
    expect(s).toMatchObject({ rows: 2, applied: 1, rejected: 1, report: 'rejected/members-2026-04-05.csv.errors.csv' });
    const report = w.objects.text('rejected/members-2026-04-05.csv.errors.csv')!;
    expect(report).toMatch(/^\uFEFFline,column,value,reason\r?\n2,customer_id,C1,customer's personal data was erased on 2026-04-02 .*member rows for this id are not applied/);
    for (const v of PII) expect(w.dump(), v).not.toContain(v);
    expect(profileValues((await w.customers.loadProfile('C2')).profile).phone).toBe('+8613900002222');

    const o = await w.ingest('incoming/orders/orders-2026-04-06.csv', 'order_id,customer_id,ordered_at,amount\nA3,C1,2026-04-06,30.00\n');
    expect(o).toMatchObject({ applied: 1, rejected: 0 });
    const c = await w.customers.loadCustomer('C1');
    expect(c.orders).toHaveLength(3);
  });

  it('the nightly plans nothing for an erased customer and the sender refuses a touch already queued', async () => {
    const w = await world();
    const rec = await w.customers.loadCustomer('C1');
    const queued: string[] = [];
    const planning = {
      store: w.touches,
      queue: { enqueue: async (k: { key: string }[]) => void queued.push(...k.map((x) => x.key)) },
      loadProfile: (id: string) => w.customers.loadProfile(id),
      configVersion: 'v1',
      now: () => new Date('2026-05-19T18:00:00Z'),
    };
    // Before erasure the birthday night has a touch for C1 (the test would pass vacuously otherwise).
    const night = '2026-05-20';
    const { deriveFromOrders } = await import('../../lib/derive/derive.ts');
    const d = deriveFromOrders('C1', rec.orders, config, night, undefined, { birthday: '1990-05-20' });
    w.touches.touches.delete('C1|birthday|2026');
    expect((await planNightTouches(d.state, d.derived, 0, night, config, planning)).map((t) => t.campaignId)).toContain('birthday');
    w.touches.touches.delete('C1|birthday|2026');
    const created = w.touches.touches.size;
    queued.length = 0;

    await eraseCustomer({ customerId: 'C1', operator: 'dpo' }, w.deps);
    expect(await planNightTouches(d.state, d.derived, 0, night, config, planning)).toEqual([]);
    expect(w.touches.touches.size).toBe(created);
    expect(queued).toEqual([]);

    // A touch the nightly recorded just before the tombstone (a race): the sender refuses it.
    await w.touches.create(touch({ key: 'C1|tier-change|up@2026-05-01', campaignId: 'tier-change', moment: 'tier-change', status: 'planned', plannedFor: '2026-05-02T02:00:00.000Z', usefulUntil: '2026-05-10T00:00:00.000Z', messageId: undefined, sentAt: undefined, decisions: [] }));
    const sent: string[] = [];
    const out = await sendTouch('C1|tier-change|up@2026-05-01', {
      touches: w.touches,
      loadProfile: (id) => w.customers.loadProfile(id),
      providers: { sendSms: async (to) => (sent.push(to), { messageId: 'x' }), sendEmail: async (to) => (sent.push(to), { messageId: 'y' }) },
      config,
      now: () => new Date('2026-05-02T02:00:00Z'),
    });
    expect(out).toEqual({ done: true, status: 'suppressed' });
    expect(sent).toEqual([]);
    const refused = await w.touches.get('C1|tier-change|up@2026-05-01');
    expect(refused).toMatchObject({ status: 'suppressed', reason: 'erased' });
    expect((refused!.vars['customer'] as { name: unknown }).name).toBeNull();
  });
});

describe('exportCustomer', () => {
  it('returns everything held, with timestamps, and audits the request with counts only', async () => {
    const w = await world();
    const r = await exportCustomer({ customerId: 'C1', operator: 'dpo', reason: 'access request from 王小明' }, { ...w.deps, touches: w.touches });
    expect(r.found).toBe(true);
    const d = r.document;
    expect(d.profile?.['name']).toEqual({ value: '王小明', updatedAt: '2026-03-01T01:00:00.000Z' });
    expect(d.profile?.['smsConsent']?.value).toMatchObject({ optIn: true, source: 'members-2026-03-01.csv' });
    expect(d.erasure).toBeNull();
    expect(d.state).toMatchObject({ totalSpend: '150.00', orderCount: 2 });
    expect(d.derived?.stageHistory.length).toBeGreaterThan(0);
    expect(d.orders.map((o) => o.orderId)).toEqual(['A1', 'A2']);
    expect(Object.fromEntries(d.touches.map((t) => [t.campaignId, t.decisions.map((x) => x.status)]))).toEqual({
      'second-purchase': ['planned', 'sent'],
      'monthly-statement': ['suppressed'],
      birthday: ['planned'],
    });
    expect(d.suppressions.map((s) => s.channel).sort()).toEqual(['email', 'sms']);
    expect(d.audit).toEqual([r.audit]);
    expect(r.audit).toMatchObject({ action: 'export', outcome: 'exported', reason: `access request from ${REDACTED}`, summary: { profileFields: 8, orders: 2, touches: 3, suppressions: 2 } });
    for (const v of PII) expect(JSON.stringify(r.audit), v).not.toContain(v);

    await eraseCustomer({ customerId: 'C1', operator: 'dpo' }, w.deps);
    const after = (await exportCustomer({ customerId: 'C1', operator: 'dpo' }, { ...w.deps, touches: w.touches })).document;
    expect(after).toMatchObject({ profile: null, erasure: { complete: true }, suppressions: [] });
    expect(after.orders).toEqual(d.orders);
    expect(after.audit.map((e) => e.action)).toEqual(['export', 'erase', 'export']);
    for (const v of PII) expect(JSON.stringify(after), v).not.toContain(v);

    const none = await exportCustomer({ customerId: 'NOPE', operator: 'dpo' }, { ...w.deps, touches: w.touches });
    expect(none).toMatchObject({ found: false, audit: { outcome: 'not-found' } });
  });
});
