import type { MomentsConfig } from '../config/schema.ts';
import type { ErasureMark } from '../members/erasure.ts';
import type { MemberProfile } from '../members/profile.ts';
import { personalData, scrubTouch, type ErasureSummary } from './erase.ts';
import { redactorFor } from './redact.ts';
import type { AuditEntry, AuditLog, PrivacyCustomers, PrivacyTouches } from './ports.ts';

export interface ErasureRequest {
  customerId: string;
  operator: string;
  reason?: string | undefined;
}

export interface EraseDeps {
  customers: PrivacyCustomers;
  touches: PrivacyTouches;
  audit: AuditLog;
  config: MomentsConfig;
  /**
   * Recomputes the customer's state and derived state from the orders as of `asOf` (lib/state/refresh-customer.ts):
   * with the profile gone, the birthday copied into the derived state goes too.
   */
  refreshDerived(customerId: string, asOf: string): Promise<void>;
  now(): Date;
  newId(): string;
}

export interface ErasureResult {
  outcome: 'erased' | 'already-erased' | 'not-found';
  /** When the erasure was first requested (the tombstone's date). */
  erasedAt?: string;
  summary: ErasureSummary;
  audit: AuditEntry;
}

const ATTEMPTS = 20;

/**
 * Erases a customer's personal data (PIPL / GDPR): the profile becomes a tombstone that stops every later touch
 * and member row, then what was copied elsewhere is scrubbed, the derived state recomputed without it, and the
 * request audited. Safe to repeat and to resume: the tombstone is written first and keeps the profile beside it
 * until the scrubbing is done, so a run that died half-way is finished by the next one.
 */
export async function eraseCustomer(req: ErasureRequest, deps: EraseDeps): Promise<ErasureResult> {
  const id = req.customerId;
  const now = deps.now();
  const auditId = deps.newId();
  let item = await deps.customers.readProfileItem(id);
  const customer = await deps.customers.loadCustomer(id);
  const touches = await deps.touches.recent(id);
  const summary: ErasureSummary = {
    fieldsRemoved: [],
    contactPointsRemoved: [],
    suppressionsHashed: 0,
    touchesScrubbed: 0,
    touchesStopped: 0,
    derivedRecomputed: false,
    kept: { orders: customer.orders.length, touches: touches.length, state: !!customer.state },
  };
  const audit = async (outcome: ErasureResult['outcome'], reason: string | null): Promise<AuditEntry> => {
    const entry: AuditEntry = { id: auditId, action: 'erase', customerId: id, operator: req.operator, reason, at: now.toISOString(), outcome, summary: { ...summary } };
    await deps.audit.append(entry);
    return entry;
  };
  if (!item.erased && !item.profile && !customer.state && customer.orders.length === 0 && touches.length === 0)
    return { outcome: 'not-found', summary, audit: await audit('not-found', req.reason ?? null) };

  // 1. The tombstone, holding the profile until the scrubbing is done. A member row written in between is merged
  //    into what is held (its write bumped the revision), so its addresses are scrubbed too.
  const wasComplete = item.erased?.complete === true;
  let held: MemberProfile | undefined = item.profile;
  let mark: ErasureMark = item.erased ?? { at: now.toISOString(), requestId: auditId, complete: false };
  for (let attempt = 1; !item.erased; attempt++) {
    if (await deps.customers.writeErasure(id, mark, held, item.rev)) {
      item = { rev: item.rev + 1, erased: mark, ...(held ? { profile: held } : {}) };
      break;
    }
    if (attempt >= ATTEMPTS) throw new Error(`customer ${id}: the profile kept changing under ${ATTEMPTS} attempts`);
    item = await deps.customers.readProfileItem(id);
    held = item.profile;
    if (item.erased) mark = item.erased; // another erasure got there first: finish it
  }

  // 2. Scrub what was copied from the profile: suppressions under the address, touch variables and decisions.
  const personal = personalData(held);
  summary.fieldsRemoved = personal.fields;
  summary.contactPointsRemoved = personal.contactPoints.map((c) => c.channel);
  for (const c of personal.contactPoints) if (await deps.touches.hashSuppression(c.channel, c.address)) summary.suppressionsHashed++;
  const scrub = {
    values: personal.values,
    fallbackZone: deps.config.stores.find((s) => s.id === customer.state?.homeStoreId)?.timeZone ?? deps.config.brand.timeZone,
    now,
    // Reasons are written by moments and quote addresses only; variables may carry the name inside longer text.
    redactReasons: redactorFor(personal.values, { identity: false, anyAddress: true }),
    redactVars: redactorFor(personal.values, { identity: true, anyAddress: true }),
  };
  for (const first of touches) {
    let t: typeof first | undefined = first;
    for (let attempt = 1; t; attempt++) {
      const next = scrubTouch(t, scrub);
      if (!next) break;
      if (await deps.touches.update({ ...next, rev: t.rev + 1 }, t.rev)) {
        summary.touchesScrubbed++;
        if (next.status !== t.status) summary.touchesStopped++;
        break;
      }
      // A sender moved the touch on meanwhile: scrub what it wrote.
      if (attempt >= ATTEMPTS) throw new Error(`touch ${t.key}: kept changing under ${ATTEMPTS} attempts`);
      t = await deps.touches.get(t.key);
    }
  }

  // 3. The derived state without the profile (the birthday and the due dates it gave).
  // The date the stored state was computed for (the nightly advances the derived part, ingest the state).
  const asOf = [customer.state?.asOf, customer.derived?.asOf].filter((d): d is string => !!d).sort().pop();
  if (customer.state && asOf && !wasComplete) {
    await deps.refreshDerived(id, asOf);
    summary.derivedRecomputed = true;
  }

  // 4. The profile itself: the tombstone alone remains.
  for (let attempt = 1; !item.erased?.complete; attempt++) {
    const done = { ...mark, complete: true };
    if (await deps.customers.writeErasure(id, done, undefined, item.rev)) break;
    if (attempt >= ATTEMPTS) throw new Error(`customer ${id}: the profile kept changing under ${ATTEMPTS} attempts`);
    item = await deps.customers.readProfileItem(id);
  }

  // The operator's note may name the person; it is kept without what was erased.
  const reason = req.reason === undefined ? null : redactorFor(personal.values, { identity: true })(req.reason);
  const outcome = wasComplete ? 'already-erased' : 'erased';
  return { outcome, erasedAt: mark.at, summary, audit: await audit(outcome, reason) };
}
