import { createHash } from 'node:crypto';
import type { Campaign, Channel } from '../config/campaigns-schema.ts';
import type { MomentsConfig } from '../config/schema.ts';
import type { ProfileFields } from '../members/profile.ts';
import { addDays } from '../time.ts';
import { leadTimeBroken } from './moment-day.ts';
import type { TouchProposal } from './plan.ts';
import { capExpiry, quietExpiry } from './expiry-reasons.ts';
import { inQuietHours, localDateOf, localTime, nextAllowed } from './timing.ts';
import { decide, type TouchRecord } from './touch.ts';

/** A stable number in [0, 1) per customer and campaign: the same customer stays in or out of a campaign's control group. */
export function holdOutDraw(customerId: string, campaignId: string): number {
  return createHash('sha256').update(`${campaignId}\u0000${customerId}`).digest().readUInt32BE(0) / 2 ** 32;
}

export interface PlanContext {
  config: MomentsConfig;
  configVersion: string;
  now: Date;
  /** Home store time zone, if configured. */
  storeZone?: string | undefined;
}

export function customerZone(profile: ProfileFields | undefined, ctx: PlanContext): string {
  return profile?.timeZone ?? ctx.storeZone ?? ctx.config.brand.timeZone;
}

/** The first channel of the campaign the customer consented to and can be reached on. */
export function pickChannel(c: Campaign, profile: ProfileFields | undefined): { channel: Channel } | { reason: string } {
  const why: string[] = [];
  for (const ch of c.channels) {
    const consent = ch === 'sms' ? profile?.smsConsent : profile?.emailConsent;
    const address = ch === 'sms' ? profile?.phone : profile?.email;
    if (!consent?.optIn) why.push(`${ch}: ${consent ? `opted out ${consent.at.slice(0, 10)}` : 'no consent on record'}`);
    else if (!address) why.push(`${ch}: no ${ch === 'sms' ? 'phone number' : 'email address'}`);
    else return { channel: ch };
  }
  return { reason: why.join('; ') };
}

const SENT_OR_PLANNED = new Set(['sent', 'sending', 'planned', 'deferred']);

/**
 * Delivery decisions taken when touches are planned: control group, channel and consent, the send time in the
 * customer's zone outside quiet hours, and the frequency cap across campaigns (higher priority first; a lower
 * one moves to the next free day, or expires when that is past its useful date).
 */
export function planCustomerTouches(
  proposals: TouchProposal[],
  profile: ProfileFields | undefined,
  recent: TouchRecord[],
  ctx: PlanContext,
): TouchRecord[] {
  const { config } = ctx;
  const policy = config.contactPolicy;
  const zone = customerZone(profile, ctx);
  const locale = profile?.locale ?? 'zh-CN';
  const campaigns = new Map(config.campaigns.map((c) => [c.id, c]));
  // The slots taken, with the campaign that took each: an expiry for the cap names them.
  const booked = recent.filter((t) => SENT_OR_PLANNED.has(t.status)).map((t) => ({ at: Date.parse(t.sentAt ?? t.plannedFor), campaignId: t.campaignId }));
  const out: TouchRecord[] = [];
  const sorted = [...proposals].sort((a, b) => b.priority - a.priority || (a.key < b.key ? -1 : 1));
  for (const p of sorted) {
    const c = campaigns.get(p.campaignId)!;
    // Day D at sendAt in the customer's zone; a plan made after that (a zone far ahead of the brand, a night
    // run late) goes as early as allowed from now, never earlier than D.
    const onTime = localTime(p.triggerDate, policy.sendAt, zone);
    let at = Math.max(onTime, ctx.now.getTime());
    const usefulUntil = localTime(addDays(p.usefulUntil, 1), '00:00', zone) - 1;
    const late = localDateOf(at, zone) > p.triggerDate;
    let t: TouchRecord = {
      key: p.key,
      customerId: p.customerId,
      campaignId: p.campaignId,
      moment: p.moment,
      periodKey: p.periodKey,
      channel: null,
      status: 'planned',
      reason: '',
      plannedFor: new Date(at).toISOString(),
      usefulUntil: new Date(usefulUntil).toISOString(),
      priority: p.priority,
      configVersion: ctx.configVersion,
      ...(p.deadline ? { deadline: p.deadline } : {}),
      ...(p.leadDays !== undefined ? { leadDays: p.leadDays } : {}),
      timeZone: zone,
      locale,
      vars: p.vars,
      decisions: [],
      rev: 0,
    };
    if (holdOutDraw(p.customerId, p.campaignId) < c.holdOut) {
      out.push(decide(t, ctx.now, 'held-out', `control group (${Math.round(c.holdOut * 100)}% held out)`));
      continue;
    }
    const ch = pickChannel(c, profile);
    if ('reason' in ch) {
      out.push(decide(t, ctx.now, 'suppressed', ch.reason));
      continue;
    }
    t = { ...t, channel: ch.channel };
    if (late) {
      const why = `planned at ${ctx.now.toISOString()}, after its day ${p.triggerDate} had ended in ${zone}`;
      if (at > usefulUntil) {
        out.push(decide(t, ctx.now, 'expired', `${why}, past its useful date ${p.usefulUntil}`));
        continue;
      }
      t = decide(t, ctx.now, 'deferred', `${why}: sent as early as allowed`, { plannedFor: new Date(at).toISOString() });
    }
    const wanted = at;
    if (inQuietHours(at, zone, policy.quietHours)) {
      at = nextAllowed(at, zone, policy.quietHours);
      t = decide(t, ctx.now, 'deferred', `quiet hours ${policy.quietHours.start}-${policy.quietHours.end} (${zone})`, { plannedFor: new Date(at).toISOString() });
    }
    // Frequency cap: move day by day until the window around the send time has room.
    const windowMs = policy.frequencyCap.windowDays * 86_400_000;
    const around = (when: number) => booked.filter((b) => b.at > when - windowMs && b.at < when + windowMs);
    // The touches holding the first slot that was free of quiet hours but not of the cap: only when there is such
    // a slot is the cap what expires the touch.
    let blockedBy: typeof booked | undefined;
    while (around(at).length >= policy.frequencyCap.maxTouches && at <= usefulUntil) {
      blockedBy ??= around(at);
      // The next day's send time, itself kept out of quiet hours (sendAt may lie inside them).
      at = nextAllowed(localTime(addDays(localDateOf(at, zone), 1), policy.sendAt, zone), zone, policy.quietHours);
    }
    const moved = blockedBy !== undefined;
    if (at > usefulUntil) {
      const why = blockedBy ? capExpiry(blockedBy, policy.frequencyCap, p.usefulUntil, zone) : quietExpiry(wanted, p.usefulUntil, policy.quietHours, zone);
      out.push(decide(t, ctx.now, 'expired', why));
      continue;
    }
    // The statement's promise, checked on the day it will now arrive.
    const broken = leadTimeBroken(localDateOf(at, zone), p.deadline, p.leadDays);
    if (broken) {
      out.push(decide(t, ctx.now, 'expired', broken));
      continue;
    }
    if (moved)
      t = decide(t, ctx.now, 'deferred', `frequency cap: ${policy.frequencyCap.maxTouches} touches per ${policy.frequencyCap.windowDays} days, higher-priority touches first`, {
        plannedFor: new Date(at).toISOString(),
      });
    t = decide(t, ctx.now, 'planned', `planned on ${ch.channel}`, { plannedFor: new Date(at).toISOString() });
    booked.push({ at, campaignId: p.campaignId });
    out.push(t);
  }
  return out;
}
