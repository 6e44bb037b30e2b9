import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSampleFiles } from '../../lib/cli/demo.ts';
import { ingestFiles } from '../../lib/cli/ingest-files.ts';
import { openLocal, type LocalRuntime } from '../../lib/cli/local-runtime.ts';
import { localTouches } from '../../lib/cli/local-touches.ts';
import { simulate } from '../../lib/cli/simulate.ts';
import { parseConfig } from '../../lib/config/schema.ts';
import { readSnsMessages } from '../../lib/local/sns-stub.ts';
import { profileValues, type ProfileFields } from '../../lib/members/profile.ts';
import { runNightly } from '../../lib/nightly/run-nightly.ts';
import { nightRunTime } from '../../lib/touches/timing.ts';
import type { TouchRecord } from '../../lib/touches/touch.ts';
import { moments } from '../support/cli.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome();
afterAll(() => t.cleanup());
const home = join(t.home, 'state');
const example = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8'));
// Every campaign on (the post-purchase thank-you too) and no control group: whatever can be planned, is.
const config = parseConfig({ ...example, campaigns: example.campaigns.map((c: object) => ({ ...c, enabled: true, holdOut: 0 })) });

async function withLocal<T>(asOf: string, fn: (rt: LocalRuntime) => Promise<T>): Promise<T> {
  process.env['MOMENTS_HOME'] = home;
  const rt = await openLocal({ asOf });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

async function touchesOf(rt: LocalRuntime, id?: string): Promise<TouchRecord[]> {
  const out: TouchRecord[] = [];
  for await (const x of rt.adapters.touches.scan()) if (!id || x.customerId === id) out.push(x);
  return out;
}

/** Every item of the table, raw, as the text DynamoDB holds. */
async function rawTable(rt: LocalRuntime): Promise<{ pk: string; text: string }[]> {
  const out: { pk: string; text: string }[] = [];
  let start: Record<string, never> | undefined;
  do {
    const r = await rt.adapters.dynamodb.send(new ScanCommand({ TableName: rt.stack.tableName, ExclusiveStartKey: start }));
    for (const i of r.Items ?? []) out.push({ pk: i['pk']?.S ?? '', text: JSON.stringify(i) });
    start = r.LastEvaluatedKey as typeof start;
  } while (start);
  return out;
}

function piiOf(p: ProfileFields): string[] {
  return [p.name, p.phone, p.phone?.replace(/^\+86/, ''), p.email, p.birthday].filter((x): x is string => !!x && x.length >= 2);
}

describe('personal-data requests (PIPL/GDPR) through the local stack', () => {
  it('erase removes the personal data everywhere, keeps the aggregates, stops every later send and member row; export returns everything; both audited', { timeout: 240_000 }, async () => {
    const files = join(t.home, 'files');
    const w = writeSampleFiles(files, { seed: 11, customers: 60, from: '2026-03-01', to: '2026-03-20' });

    // History with touches sent, then the customer asking for erasure: one with a profile, contact points and sent touches.
    const picked = await withLocal('2026-03-01', async (rt) => {
      await rt.adapters.config.activate(config, 'privacy-test');
      await simulate(rt, { ordersDir: files, membersFile: w.membersFile, from: '2026-03-01', to: '2026-03-20', config, configVersion: 'privacy-test' });
      const all = await touchesOf(rt);
      const sentTo = [...new Set(all.filter((x) => x.status === 'sent').map((x) => x.customerId))].sort();
      for (const id of sentTo) {
        const p = profileValues((await rt.adapters.customers.loadProfile(id)).profile);
        if (p.name && p.phone && p.email && p.birthday && p.smsConsent?.optIn) {
          // The customer had also replied STOP once, recorded before suppressions were kept under digests: the
          // entry is held under the phone number itself.
          await rt.adapters.dynamodb.send(
            new PutItemCommand({ TableName: rt.stack.tableName, Item: { pk: { S: 'SUP#sms' }, sk: { S: p.phone }, reason: { S: 'opted out with the SMS provider (STOP reply)' } } }),
          );
          const c = await rt.adapters.customers.loadCustomer(id);
          return { id, p, state: c.state!, derived: c.derived!, touches: all.filter((x) => x.customerId === id) };
        }
      }
      throw new Error('no customer with a full profile and a sent touch in the sample');
    });
    const X = picked.id;
    const pii = piiOf(picked.p);
    expect(picked.derived.birthday).toBe(picked.p.birthday);

    // Export before: everything held, the personal data included.
    const beforeFile = join(t.home, 'before.json');
    const eb = await moments(['customer', 'export', X, '--out', beforeFile, '--by', 'dpo', '--reason', 'access request'], home);
    expect(eb.code, eb.err).toBe(0);
    const before = JSON.parse(readFileSync(beforeFile, 'utf8'));
    expect(before.profile.name.value).toBe(picked.p.name);
    expect(before.profile.smsConsent.value).toMatchObject({ optIn: true });
    expect(before.profile.phone.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(before.orders.length).toBe(picked.state.orderCount + picked.state.cancelledCount + picked.state.refundCount);
    expect(before.touches.length).toBe(picked.touches.length);
    expect(before.suppressions).toEqual([expect.objectContaining({ channel: 'sms', key: picked.p.phone, reason: 'opted out with the SMS provider (STOP reply)' })]);

    // Erase, twice (idempotent), and an unknown id.
    const er = await moments(['customer', 'erase', X, '--by', 'dpo', '--reason', `ticket 7: ${picked.p.name} asked by phone ${picked.p.phone}`], home);
    expect(er.code, er.err).toBe(0);
    expect(er.out).toContain(`customer ${X}: personal data erased`);
    expect(er.out).toMatch(/removed: name, phone, email, birthday.*contact points: sms, email/);
    const again = await moments(['customer', 'erase', X, '--by', 'dpo', '--json'], home);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ outcome: 'already-erased' });
    const unknown = await moments(['customer', 'erase', 'NO-SUCH-ID'], home);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no customer NO-SUCH-ID');

    await withLocal('2026-03-21', async (rt) => {
      // A late bounce for a message sent before the erasure (SES notifications arrive later) holds no address either.
      await rt.adapters.touches.suppress('email', picked.p.email!, 'permanent bounce (SES)');
      expect(await rt.adapters.touches.isSuppressed('email', picked.p.email!)).toBe('permanent bounce (SES)');
      // The personal data is nowhere in the customer's items, the touch log or the suppression list.
      const items = (await rawTable(rt)).filter((i) => [`C#${X}`, `T#${X}`, `AUDIT#${X}`, 'SUP#sms', 'SUP#email'].includes(i.pk));
      expect(items.length).toBeGreaterThan(5);
      for (const v of pii) for (const i of items) expect(i.text, `${v} in ${i.pk}`).not.toContain(v);
      expect(await rt.adapters.customers.loadProfile(X)).toMatchObject({ erased: { complete: true } });
      // Opt-out still honoured, by digest.
      expect(await rt.adapters.touches.isSuppressed('sms', picked.p.phone!)).toBe('opted out with the SMS provider (STOP reply)');

      // Anonymous aggregates intact: the same orders, spend, points, tier and stage.
      const c = await rt.adapters.customers.loadCustomer(X);
      expect(c.orders.length).toBe(before.orders.length);
      expect(c.state).toMatchObject({ totalSpend: picked.state.totalSpend, orderCount: picked.state.orderCount, pointsBalance: picked.state.pointsBalance });
      expect(c.derived).toMatchObject({ stage: picked.derived.stage, tier: picked.derived.tier });
      expect(c.derived?.birthday).toBeUndefined();
      // The touch log keeps its outcomes (campaign results), without the name.
      const log = await touchesOf(rt, X);
      expect(log.map((x) => [x.key, x.status === 'planned' || x.status === 'deferred' ? 'suppressed' : x.status])).toEqual(
        picked.touches.map((x) => [x.key, x.status === 'planned' || x.status === 'deferred' ? 'suppressed' : x.status]),
      );
      for (const x of log) expect((x.vars['customer'] as { name: unknown }).name).toBeNull();

      // A touch the nightly queued for them just before the erasure (a race) is refused by the sender.
      const local = localTouches(rt);
      const racing: TouchRecord = { ...picked.touches[0]!, key: `${X}|tier-change|up@2026-03-20`, campaignId: 'tier-change', moment: 'tier-change', periodKey: 'up@2026-03-20', status: 'planned', reason: 'planned on sms', channel: 'sms', plannedFor: '2026-03-21T02:00:00.000Z', usefulUntil: '2026-03-24T15:59:59.999Z', decisions: [], rev: 0 };
      delete racing.messageId;
      delete racing.sentAt;
      expect(await rt.adapters.touches.create(racing)).toBe(true);
      await local.queue.enqueue([{ key: racing.key, notBefore: racing.plannedFor }]);
      const smsBefore = readSnsMessages(rt.stack.home).length;
      const d = await local.deliver(Date.parse('2026-03-21T03:00:00Z'), config);
      local.save();
      local.close();
      expect(d.other['suppressed']).toBeGreaterThanOrEqual(1);
      const refused = await rt.adapters.touches.get(racing.key);
      expect(refused).toMatchObject({ status: 'suppressed', reason: 'erased' });
      // The racing touch carried the name in its variables (planned from the profile before the tombstone): gone too.
      expect((refused!.vars['customer'] as { name: unknown }).name).toBeNull();
      expect(readSnsMessages(rt.stack.home).slice(smsBefore).filter((m) => JSON.stringify(m).includes(picked.p.phone!))).toEqual([]);

      // A later member row for them is rejected with the reason; the new values are not stored.
      const members = join(files, 'members-2026-03-21.csv');
      writeFileSync(members, `customer_id,name,phone,email\n${X},"${picked.p.name!.replace(/"/g, '""')}",13011112222,again@example.com\n`);
      const [ms] = await ingestFiles(rt, [members]);
      expect(ms).toMatchObject({ rows: 1, applied: 0, rejected: 1 });
      const report = (await streamText(rt.adapters.objects.read(ms!.report!))).split('\n');
      expect(report[1]).toMatch(new RegExp(`^2,customer_id,${X},customer's personal data was erased on \\d{4}-\\d{2}-\\d{2}`));
      const profileItem = (await rawTable(rt)).find((i) => i.pk === `C#${X}` && i.text.includes('#PROFILE'))!;
      for (const v of ['13011112222', 'again@example.com', picked.p.name!]) expect(profileItem.text).not.toContain(v);

      // A later order still counts toward the anonymous aggregates; the nightly plans the others' touches, none for them.
      const ys = (await touchesOf(rt)).map((x) => x.customerId).filter((id) => id !== X);
      const Y = [...new Set(ys)].sort()[0]!;
      const orders = join(files, 'orders-2026-03-21.csv');
      writeFileSync(orders, `order_id,customer_id,ordered_at,amount,status,store_id\nPX1,${X},2026-03-21 11:00,88.00,paid,S01\nPY1,${Y},2026-03-21 11:30,66.00,paid,S01\n`);
      rt.setAsOf('2026-03-21');
      const [os] = await ingestFiles(rt, [orders]);
      expect(os).toMatchObject({ applied: 2, rejected: 0 });
      expect((await rt.adapters.customers.loadCustomer(X)).state?.orderCount).toBe(picked.state.orderCount + 1);
      const xBefore = (await touchesOf(rt, X)).length;
      const planning = localTouches(rt);
      await runNightly('2026-03-22', {
        customers: rt.adapters.customers,
        ledger: rt.adapters.nightly,
        config,
        touches: { ...planning.planning('privacy-test', (night) => nightRunTime(night, config)), cutoffs: (await rt.adapters.nightly.getSnapshot())?.cutoffs },
      });
      planning.save();
      planning.close();
      expect((await touchesOf(rt, Y)).some((x) => x.campaignId === 'thank-you' && x.periodKey === '2026-03-21')).toBe(true);
      expect(await touchesOf(rt, X)).toHaveLength(xBefore);
      expect(planning.queue.items.some((q) => q.body.includes(`"${X}|`))).toBe(false);
    });

    // Export after: the aggregates and the log, no profile; the audit shows every request, without the erased data.
    const ea = await moments(['customer', 'export', X], home);
    expect(ea.code, ea.err).toBe(0);
    const after = JSON.parse(ea.out);
    expect(after).toMatchObject({ customerId: X, profile: null, erasure: { complete: true }, suppressions: [] });
    expect(after.orders.length).toBe(before.orders.length + 1);
    for (const v of pii) expect(ea.out, v).not.toContain(v);

    const au = await moments(['customer', 'audit', X, '--json'], home);
    expect(au.code, au.err).toBe(0);
    const entries = au.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(entries.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`)).toEqual(['export:exported', 'erase:erased', 'erase:already-erased', 'export:exported']);
    expect(entries[1]).toMatchObject({ operator: 'dpo', reason: 'ticket 7: [erased] asked by phone [erased]', summary: { fieldsRemoved: expect.arrayContaining(['name', 'phone', 'email', 'birthday']) } });
    for (const v of pii) expect(au.out, v).not.toContain(v);
  });
});

async function streamText(it: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of it) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '');
}
