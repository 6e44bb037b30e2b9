import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSampleFiles } from '../../lib/cli/demo.ts';
import { openLocal } from '../../lib/cli/local-runtime.ts';
import { localTouches } from '../../lib/cli/local-touches.ts';
import { simulate } from '../../lib/cli/simulate.ts';
import { validateConfigJson } from '../../lib/config/validate.ts';
import { readSnsMessages } from '../../lib/local/sns-stub.ts';
import { profileValues } from '../../lib/members/profile.ts';
import { runNightly } from '../../lib/nightly/run-nightly.ts';
import { addDays } from '../../lib/time.ts';
import { inQuietHours, localDateOf } from '../../lib/touches/timing.ts';
import { touchExportRows, type TouchRecord } from '../../lib/touches/touch.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome();
afterAll(() => t.cleanup());

describe('a year of touches on the shipped sample, every guarantee checked over the touch log', () => {
  it('exactly once, consent, quiet hours, cap, deadlines, control groups; the log matches what SES and SMS received', { timeout: 600_000 }, async () => {
    const from = '2025-09-01';
    const to = '2026-09-30';
    const w = writeSampleFiles(join(t.home, 'files'), { seed: 11, customers: 300, from, to });
    process.env['MOMENTS_HOME'] = join(t.home, 'state');
    const rt = await openLocal({ asOf: from });
    const checked = validateConfigJson(JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8')));
    const config = checked.config!;
    await rt.adapters.config.activate(config, 'test-v1');
    try {
      const days = await simulate(rt, { ordersDir: join(t.home, 'files'), membersFile: w.membersFile, from, to, config, configVersion: 'test-v1' });
      expect(days).toHaveLength(395);

      const local = localTouches(rt);
      const touches: TouchRecord[] = [];
      for await (const x of local.store.scan()) touches.push(x);
      const rows = touches.flatMap(touchExportRows);
      const sent = touches.filter((x) => x.status === 'sent');
      expect(sent.length).toBeGreaterThan(200);
      for (const s of ['held-out', 'suppressed', 'expired']) expect(rows.some((r) => r.status === s), s).toBe(true);
      expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['sent', 'held-out', 'suppressed', 'deferred', 'expired']));

      // What the log says was sent is exactly what the providers received.
      const sms = readSnsMessages(rt.stack.home);
      const emails = ((await (await fetch(`${rt.stack.endpoints.ses}/store`)).json()) as { emails: { messageId: string }[] }).emails;
      expect(new Set(sent.filter((x) => x.channel === 'sms').map((x) => x.messageId))).toEqual(new Set(sms.map((m) => m.messageId)));
      expect(new Set(sent.filter((x) => x.channel === 'email').map((x) => x.messageId))).toEqual(new Set(emails.map((m) => m.messageId)));
      expect(sms.length + emails.length).toBe(sent.length);

      const profiles = new Map<string, ReturnType<typeof profileValues>>();
      for (const x of sent) if (!profiles.has(x.customerId)) profiles.set(x.customerId, profileValues((await rt.adapters.customers.loadProfile(x.customerId)).profile));
      const cap = config.contactPolicy.frequencyCap;
      const byCustomer = new Map<string, number[]>();
      for (const x of sent) {
        // Never twice: one sent decision per touch key.
        expect(x.decisions.filter((d) => d.status === 'sent')).toHaveLength(1);
        // Never without consent on that channel, never to a missing address.
        const p = profiles.get(x.customerId)!;
        expect(x.channel === 'sms' ? p.smsConsent?.optIn : p.emailConsent?.optIn, x.key).toBe(true);
        // Never in quiet hours, never after its useful date.
        const at = Date.parse(x.sentAt!);
        expect(inQuietHours(at, x.timeZone, config.contactPolicy.quietHours), x.key).toBe(false);
        expect(at).toBeLessThanOrEqual(Date.parse(x.usefulUntil));
        // Never after the deadline it announces minus the lead time.
        if (x.deadline && x.leadDays !== undefined) expect(localDateOf(at, x.timeZone) <= addDays(x.deadline, -x.leadDays), x.key).toBe(true);
        byCustomer.set(x.customerId, [...(byCustomer.get(x.customerId) ?? []), at]);
      }
      // The cap across campaigns: no window of W days holds more than N sends.
      for (const [id, times] of byCustomer) {
        times.sort((a, b) => a - b);
        for (let i = cap.maxTouches; i < times.length; i++) expect(times[i]! - times[i - cap.maxTouches]!, id).toBeGreaterThanOrEqual(cap.windowDays * 86_400_000);
      }
      // Control groups: the held-out share of each campaign lies in its binomial 99% interval.
      for (const c of config.campaigns.filter((c) => c.enabled)) {
        const mine = touches.filter((x) => x.campaignId === c.id);
        if (mine.length < 30) continue;
        const held = mine.filter((x) => x.status === 'held-out').length;
        const sd = Math.sqrt(mine.length * c.holdOut * (1 - c.holdOut));
        expect(Math.abs(held - mine.length * c.holdOut), c.id).toBeLessThanOrEqual(2.576 * sd + 1);
      }
      // Every touch says which configuration planned it.
      expect(new Set(touches.map((x) => x.configVersion))).toEqual(new Set(['test-v1']));

      // A rerun nightly and a second delivery change nothing.
      const before = touches.length;
      expect(await runNightly(to, { customers: rt.adapters.customers, ledger: rt.adapters.nightly, config, touches: { ...local.planning('test-v1', () => new Date()) } })).toEqual([]);
      const again = await local.deliver(Date.parse('2026-10-02T00:00:00Z'), config);
      expect(again.sent).toBe(0);
      let after = 0;
      for await (const _ of local.store.scan()) after++;
      expect(after).toBe(before);
      expect(readSnsMessages(rt.stack.home)).toHaveLength(sms.length);
      local.close();
    } finally {
      await rt.close();
    }
  });
});
