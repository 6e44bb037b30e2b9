import type { Channel, Moment } from '../config/campaigns-schema.ts';

export const TOUCH_STATUSES = ['planned', 'sending', 'sent', 'held-out', 'suppressed', 'deferred', 'expired', 'failed'] as const;
export type TouchStatus = (typeof TOUCH_STATUSES)[number];

/** Final states: a redelivered message for such a touch does nothing. */
export const FINAL: ReadonlySet<TouchStatus> = new Set(['sent', 'held-out', 'suppressed', 'expired', 'failed']);

export interface TouchDecision {
  at: string;
  status: TouchStatus;
  reason: string;
  plannedFor?: string;
}

/** One touch: customer + campaign + period. Created once (conditional write); moves through its decisions. */
export interface TouchRecord {
  key: string;
  customerId: string;
  campaignId: string;
  moment: Moment;
  periodKey: string;
  channel: Channel | null;
  status: TouchStatus;
  reason: string;
  /** ISO instant it is to be sent at (customer-local send time, outside quiet hours). */
  plannedFor: string;
  /** ISO instant after which it is no longer worth sending. */
  usefulUntil: string;
  priority: number;
  configVersion: string;
  deadline?: string;
  leadDays?: number;
  /** The customer's time zone used for quiet hours. */
  timeZone: string;
  locale: string;
  vars: Record<string, unknown>;
  decisions: TouchDecision[];
  attempt?: string;
  sentAt?: string;
  messageId?: string;
  rev: number;
}

export function decide(t: TouchRecord, at: Date, status: TouchStatus, reason: string, extra: Partial<TouchRecord> = {}): TouchRecord {
  return {
    ...t,
    ...extra,
    status,
    reason,
    decisions: [...t.decisions, { at: at.toISOString(), status, reason, ...(extra.plannedFor ? { plannedFor: extra.plannedFor } : {}) }],
  };
}

/** The touch export row (design.md "Contracts"). */
export const EXPORTED: ReadonlySet<TouchStatus> = new Set(['sent', 'held-out', 'suppressed', 'deferred', 'expired', 'failed']);

export function touchExportRows(t: TouchRecord): Record<string, unknown>[] {
  return t.decisions.filter((d) => EXPORTED.has(d.status)).map((d) => ({
    customerId: t.customerId,
    campaignId: t.campaignId,
    moment: t.moment,
    channel: t.channel,
    status: d.status,
    reason: d.reason,
    periodKey: t.periodKey,
    plannedFor: d.plannedFor ?? t.plannedFor,
    sentAt: d.status === 'sent' ? (t.sentAt ?? d.at) : null,
    messageId: d.status === 'sent' ? (t.messageId ?? null) : null,
    configVersion: t.configVersion,
    decidedAt: d.at,
    touchKey: t.key,
  }));
}
