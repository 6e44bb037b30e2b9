import type { Channel } from '../config/campaigns-schema.ts';
import type { CustomerRecord } from '../ingest/ports.ts';
import type { ErasureMark } from '../members/erasure.ts';
import type { MemberProfile } from '../members/profile.ts';
import type { OrderRecord } from '../orders/order.ts';
import type { TouchRecord } from '../touches/touch.ts';

/** What was done, for whom, by whom and why. Append-only; never holds the personal data it is about. */
export interface AuditEntry {
  id: string;
  action: 'erase' | 'export';
  customerId: string;
  operator: string;
  reason: string | null;
  at: string;
  outcome: 'erased' | 'already-erased' | 'exported' | 'not-found';
  /** Counts and field names only (see lib/privacy/erase.ts and export-customer.ts). */
  summary: Record<string, unknown>;
}

export interface AuditLog {
  /** Stores a new entry; never replaces one (a conditional write). */
  append(entry: AuditEntry): Promise<void>;
  /** A customer's entries, oldest first. */
  list(customerId: string): Promise<AuditEntry[]>;
}

/** The customer partition as the erasure sees it: the profile item with its tombstone, read raw. */
export interface PrivacyCustomers {
  loadCustomer(customerId: string): Promise<CustomerRecord & { orders: OrderRecord[] }>;
  /**
   * The profile item as stored: while an erasure is under way the profile is still held next to the tombstone
   * (so a rerun can finish the scrubbing); every other reader sees only the tombstone.
   */
  readProfileItem(customerId: string): Promise<{ rev: number; profile?: MemberProfile; erased?: ErasureMark }>;
  /** Writes the tombstone (with the profile still held, or without it) if the revision is still `expectedRev`. */
  writeErasure(customerId: string, mark: ErasureMark, held: MemberProfile | undefined, expectedRev: number): Promise<boolean>;
}

export interface SuppressionEntry {
  channel: Channel;
  /** The address, or `sha256:<hex>` once only its digest is kept. */
  key: string;
  reason: string;
  at: string | null;
}

/** The suppression list, by address: entries may be held as the address or as its digest. */
export interface SuppressionList {
  findSuppressions(channel: Channel, address: string): Promise<SuppressionEntry[]>;
  /** Replaces a suppression held under the address by one under its digest; false when there was none. */
  hashSuppression(channel: Channel, address: string): Promise<boolean>;
}

export interface PrivacyTouches extends SuppressionList {
  recent(customerId: string): Promise<TouchRecord[]>;
  get(key: string): Promise<TouchRecord | undefined>;
  update(t: TouchRecord, expectedRev: number): Promise<boolean>;
}
