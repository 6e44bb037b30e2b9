import type { DerivedState } from '../derive/derive.ts';
import type { HealthMark } from '../ingest/ports.ts';
import type { ErasureMark } from '../members/erasure.ts';
import { PROFILE_FIELDS, type MemberProfile } from '../members/profile.ts';
import type { OrderRecord } from '../orders/order.ts';
import type { CustomerState } from '../state/customer-state.ts';
import type { TouchRecord } from '../touches/touch.ts';
import { personalData } from './erase.ts';
import { redactorFor } from './redact.ts';
import type { AuditEntry, AuditLog, PrivacyCustomers, PrivacyTouches, SuppressionEntry } from './ports.ts';

/** One profile field as held: its value and when the source says it was set (the row's updated_at or export date). */
export interface HeldField {
  value: unknown;
  updatedAt: string;
}

/** Everything moments holds about one customer (a data subject's access request). */
export interface CustomerExport {
  format: 'moments.customer-export/1';
  customerId: string;
  exportedAt: string;
  /** Set once the personal data was erased; the profile is then null. */
  erasure: ErasureMark | null;
  /** Name, phone, email, birthday, locale, time zone and SMS / email consent (opt-in, when, from which file). */
  profile: Record<string, HeldField> | null;
  state: CustomerState | null;
  /** Stage and tier with their histories, points expiring soon, next due date. */
  derived: DerivedState | null;
  /** What the last nightly counted for the customer in the brand health figures. */
  health: HealthMark | null;
  /** Every order and refund version held (the newest of each), oldest first. */
  orders: OrderRecord[];
  /** Every touch with each decision taken on it (planned, deferred, sent, suppressed, ...). */
  touches: TouchRecord[];
  /** Suppression-list entries for the customer's addresses (as address or as digest). */
  suppressions: SuppressionEntry[];
  /** The personal-data requests about this customer, this export included. */
  audit: AuditEntry[];
}

export interface ExportRequest {
  customerId: string;
  operator: string;
  reason?: string | undefined;
}

export interface ExportDeps {
  customers: PrivacyCustomers;
  touches: Pick<PrivacyTouches, 'recent' | 'findSuppressions'>;
  audit: AuditLog;
  now(): Date;
  newId(): string;
}

const versionTime = (ver: string) => {
  const ms = Number(ver.split('|')[0]);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : ver;
};

function heldProfile(p: MemberProfile | undefined): Record<string, HeldField> | null {
  if (!p) return null;
  const out: Record<string, HeldField> = {};
  for (const f of PROFILE_FIELDS) {
    const v = p.fields[f];
    if (v) out[f] = { value: v.value, updatedAt: versionTime(v.ver) };
  }
  return out;
}

/**
 * Gathers everything held about a customer into one document and audits the request (the entry is part of the
 * document). The audit entry records counts only: what was handed out is in the document, not in the log.
 */
export async function exportCustomer(req: ExportRequest, deps: ExportDeps): Promise<{ found: boolean; document: CustomerExport; audit: AuditEntry }> {
  const id = req.customerId;
  const now = deps.now();
  const item = await deps.customers.readProfileItem(id);
  const customer = await deps.customers.loadCustomer(id);
  const touches = (await deps.touches.recent(id)).sort((a, b) => (a.plannedFor < b.plannedFor ? -1 : a.plannedFor > b.plannedFor ? 1 : 0));
  // A profile is held beside a tombstone only while an erasure is under way: it is still held, so it is shown.
  const profile = item.profile;
  const suppressions: SuppressionEntry[] = [];
  for (const c of personalData(profile).contactPoints) suppressions.push(...(await deps.touches.findSuppressions(c.channel, c.address)));
  const orders = [...customer.orders].sort((a, b) => a.orderedAt - b.orderedAt || (a.key < b.key ? -1 : 1));
  const found = !!(item.erased || profile || customer.state || orders.length || touches.length);
  const entry: AuditEntry = {
    id: deps.newId(),
    action: 'export',
    customerId: id,
    operator: req.operator,
    // The note may name the person: it is kept without the profile's identifying values (as an erasure keeps it).
    reason: req.reason === undefined ? null : redactorFor(personalData(profile).values, { identity: true })(req.reason),
    at: now.toISOString(),
    outcome: found ? 'exported' : 'not-found',
    summary: {
      profileFields: Object.keys(heldProfile(profile) ?? {}).length,
      erased: !!item.erased,
      orders: orders.length,
      touches: touches.length,
      suppressions: suppressions.length,
      state: !!customer.state,
    },
  };
  await deps.audit.append(entry);
  const document: CustomerExport = {
    format: 'moments.customer-export/1',
    customerId: id,
    exportedAt: now.toISOString(),
    erasure: item.erased ?? null,
    profile: heldProfile(profile),
    state: customer.state ?? null,
    derived: customer.derived ?? null,
    health: customer.health ?? null,
    orders,
    touches,
    suppressions,
    audit: await deps.audit.list(id),
  };
  return { found, document, audit: entry };
}
