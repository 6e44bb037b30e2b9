import { EMAIL_MASK, PHONE_MASK, redactText } from '../observability/redact.ts';
import { randomUUID } from 'node:crypto';
import type { MomentsConfig } from '../config/schema.ts';
import { ERASED_REASON, type ErasureMark } from '../members/erasure.ts';
import { scrubTouch } from '../privacy/erase.ts';
import { profileValues, type MemberProfile } from '../members/profile.ts';
import { addDays } from '../time.ts';
import { capExpiry, quietExpiry } from './expiry-reasons.ts';
import { leadTimeBroken } from './moment-day.ts';
import { ThrottledError, type Providers, type TouchStore } from './ports.ts';
import { renderTouch } from './render-touch.ts';
import { inQuietHours, localDateOf, localTime, nextAllowed } from './timing.ts';
import { decide, FINAL, type TouchRecord } from './touch.ts';

export interface SendDeps {
  touches: TouchStore;
  loadProfile(customerId: string): Promise<{ profile?: MemberProfile; erased?: ErasureMark }>;
  providers: Providers;
  config: MomentsConfig;
  now: () => Date;
  /** Waits for a send slot of the channel's configured rate. */
  throttle?: (channel: 'sms' | 'email') => Promise<void>;
  sleep?: (ms: number) => Promise<void>;
}

/** `channel` says how the touch was (to be) sent, for the send metrics; `repeat`: it was final before this delivery. */
export type SendOutcome =
  | { done: true; status: TouchRecord['status']; channel?: TouchRecord['channel']; repeat?: true }
  /** Not yet: deliver the message again after this many seconds. */
  | { done: false; retryAfterSeconds: number; reason: string; channel?: TouchRecord['channel'] };

const RECENT = new Set(['sent', 'sending']);

/** The last day a touch is of use, in its zone (usefulUntil is that day's last millisecond). */
const usefulDate = (t: TouchRecord) => localDateOf(Date.parse(t.usefulUntil), t.timeZone);

/**
 * Delivers one touch, exactly once. The touch record is the intent; before calling the provider its status
 * moves to `sending` (a conditional write: only one sender can win it), after the call to `sent` with the
 * provider's message id. A message that finds a touch already `sending` cannot know whether the provider
 * accepted it (the sender died in between): it is NOT sent again and is logged as failed, outcome unknown.
 * Everything that may have changed since planning is checked again here: consent and suppression, the
 * useful date, the announced deadline, quiet hours, the frequency cap.
 */
export async function sendTouch(key: string, deps: SendDeps): Promise<SendOutcome> {
  const now = deps.now();
  let t = await deps.touches.get(key);
  if (!t) return { done: true, status: 'failed' };
  if (FINAL.has(t.status)) return { done: true, status: t.status, channel: t.channel, repeat: true };
  const policy = deps.config.contactPolicy;
  const save = async (next: TouchRecord): Promise<boolean> => {
    const ok = await deps.touches.update({ ...next, rev: t!.rev + 1 }, t!.rev);
    if (ok) t = { ...next, rev: t!.rev + 1 };
    return ok;
  };
  const finish = async (status: TouchRecord['status'], reason: string, extra: Partial<TouchRecord> = {}): Promise<SendOutcome> => {
    if (!(await save(decide(t!, now, status, reason, extra)))) return sendTouch(key, deps); // raced: look again
    return { done: true, status, channel: t!.channel };
  };

  if (t.status === 'sending')
    return finish('failed', `outcome unknown: the sender stopped after handing it to the provider (attempt ${t.attempt ?? '?'}); not sent again so it cannot arrive twice`);
  const planned = Date.parse(t.plannedFor);
  if (now.getTime() < planned) return { done: false, retryAfterSeconds: Math.ceil((planned - now.getTime()) / 1000), reason: 'not yet' };
  const held = await deps.loadProfile(t.customerId);
  if (held.erased) {
    // A touch planned before the customer's personal data was erased is never sent, and keeps no copy of it.
    const stopped = scrubTouch(t, { values: profileValues(undefined), fallbackZone: t.timeZone, now }) ?? decide(t, now, 'suppressed', ERASED_REASON);
    if (!(await save(stopped))) return sendTouch(key, deps);
    return { done: true, status: stopped.status };
  }
  if (now.getTime() > Date.parse(t.usefulUntil)) return finish('expired', `past its useful date ${t.usefulUntil}`);

  const profile = profileValues(held.profile);
  const channel = t.channel!;
  const consent = channel === 'sms' ? profile.smsConsent : profile.emailConsent;
  const address = channel === 'sms' ? profile.phone : profile.email;
  if (!consent?.optIn) return finish('suppressed', `${channel} consent withdrawn ${consent?.at.slice(0, 10) ?? ''}`.trim());
  if (!address) return finish('suppressed', `no ${channel === 'sms' ? 'phone number' : 'email address'} any more`);
  const suppressed = await deps.touches.isSuppressed(channel, address);
  // Reasons name the channel, never the address: the touch log is exported and kept, addresses are personal data.
  if (suppressed) return finish('suppressed', `the ${channel === 'sms' ? 'phone number' : 'email address'} is suppressed: ${suppressed}`);
  if (channel === 'sms' && (await deps.providers.smsOptedOut?.(address))) {
    await deps.touches.suppress('sms', address, 'opted out with the SMS provider (STOP reply)');
    return finish('suppressed', 'the phone number opted out with the SMS provider');
  }

  const today = localDateOf(now.getTime(), t.timeZone);
  const late = leadTimeBroken(today, t.deadline, t.leadDays);
  if (late) return finish('expired', late);
  if (inQuietHours(now.getTime(), t.timeZone, policy.quietHours)) {
    const at = nextAllowed(now.getTime(), t.timeZone, policy.quietHours);
    if (at > Date.parse(t.usefulUntil)) return finish('expired', quietExpiry(now.getTime(), usefulDate(t), policy.quietHours, t.timeZone));
    if (!(await save(decide(t, now, 'deferred', `quiet hours ${policy.quietHours.start}-${policy.quietHours.end} (${t.timeZone})`, { plannedFor: new Date(at).toISOString() }))))
      return sendTouch(key, deps);
    return { done: false, retryAfterSeconds: Math.ceil((at - now.getTime()) / 1000), reason: 'quiet hours', channel };
  }
  const windowMs = policy.frequencyCap.windowDays * 86_400_000;
  const recent = (await deps.touches.recent(t.customerId)).filter(
    (x) => x.key !== key && RECENT.has(x.status) && Math.abs(Date.parse(x.sentAt ?? x.plannedFor) - now.getTime()) < windowMs,
  );
  if (recent.length >= policy.frequencyCap.maxTouches) {
    const at = localTime(addDays(today, 1), policy.sendAt, t.timeZone);
    if (at > Date.parse(t.usefulUntil)) {
      const by = recent.map((x) => ({ at: Date.parse(x.sentAt ?? x.plannedFor), campaignId: x.campaignId }));
      return finish('expired', capExpiry(by, policy.frequencyCap, usefulDate(t), t.timeZone));
    }
    if (!(await save(decide(t, now, 'deferred', `frequency cap: ${recent.length} touches in ${policy.frequencyCap.windowDays} days`, { plannedFor: new Date(at).toISOString() }))))
      return sendTouch(key, deps);
    return { done: false, retryAfterSeconds: Math.ceil((at - now.getTime()) / 1000), reason: 'frequency cap', channel };
  }

  const r = renderTouch(t, profile.name, deps.config);
  if ('error' in r) return finish('failed', r.error);
  const rendered = 'sms' in r ? { sms: r.sms } : { email: r.email };

  // Intent: only one sender can move the touch to sending.
  const attempt = randomUUID();
  if (!(await save(decide(t, now, 'sending', `handing to ${channel} provider`, { attempt })))) {
    // Lost the write, or only its answer (the SDK resent a write that had landed): ours if it carries our attempt.
    const cur = await deps.touches.get(key);
    if (cur?.status !== 'sending' || cur.attempt !== attempt) return sendTouch(key, deps);
    t = cur;
  }
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let accepted: { messageId: string } | undefined;
  for (let i = 0; !accepted; i++) {
    try {
      await deps.throttle?.(channel);
      accepted =
        channel === 'sms' ? await deps.providers.sendSms(address, rendered.sms!) : await deps.providers.sendEmail(address, policy.emailFrom, rendered.email!);
    } catch (e) {
      if (e instanceof ThrottledError && i < 5) {
        await sleep(Math.min(200 * 2 ** i, 5_000) * (0.5 + Math.random() / 2));
        continue;
      }
      // Refused, or a 5xx or timeout after which it may have been accepted: either way not sent again.
      const err = e as Error;
      // A provider's message can quote the address ("Email address is not verified: ..."): masked in the log.
      const message = redactText(err.message.split(address).join(channel === 'sms' ? PHONE_MASK : EMAIL_MASK));
      return finish('failed', `${channel} provider call failed (${err.name}: ${message}); not retried, so it cannot arrive twice`);
    }
  }
  // Outcome. If this write is lost (the container dies here), the next delivery finds the touch still
  // `sending` and logs it as outcome unknown instead of sending it again.
  return finish('sent', `sent by ${channel}`, { messageId: accepted.messageId, sentAt: deps.now().toISOString() });
}
