import type { LocalRuntime } from '../../lib/cli/local-runtime.ts';
import { localTouches } from '../../lib/cli/local-touches.ts';
import type { MomentsConfig } from '../../lib/config/schema.ts';
import { readSnsMessages } from '../../lib/local/sns-stub.ts';
import { profileValues } from '../../lib/members/profile.ts';
import { addDays } from '../../lib/time.ts';
import { inQuietHours, localDateOf } from '../../lib/touches/timing.ts';
import { touchExportRows, type TouchRecord } from '../../lib/touches/touch.ts';
import { expect } from 'vitest';

/** Every delivery guarantee of the touches issue, checked over the touch log of a simulation. */
export async function checkTouchGuarantees(rt: LocalRuntime, config: MomentsConfig, opts: { minSent: number; version: string }) {
      const local = localTouches(rt);
      const touches: TouchRecord[] = [];
      for await (const x of local.store.scan()) touches.push(x);
      const rows = touches.flatMap(touchExportRows);
      const sent = touches.filter((x) => x.status === 'sent');
      expect(sent.length).toBeGreaterThanOrEqual(opts.minSent);
      for (const s of ['held-out', 'suppressed']) expect(rows.some((r) => r.status === s), s).toBe(true);
      for (const r of rows) expect(['sent', 'held-out', 'suppressed', 'deferred', 'expired', 'failed']).toContain(r.status);
      // Nothing failed for want of a reason: every decision says why.
      for (const r of rows) expect(String(r.reason).length, String(r.touchKey)).toBeGreaterThan(3);

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
      expect(new Set(touches.map((x) => x.configVersion))).toEqual(new Set([opts.version]));

  return { local, touches, sms };
}
