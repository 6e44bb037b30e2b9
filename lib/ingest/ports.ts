import type { OrderRecord } from '../orders/order.ts';
import type { CustomerState } from '../state/customer-state.ts';
import type { MemberProfile } from '../members/profile.ts';
import type { DerivedState, HealthContribution } from '../derive/derive.ts';
import type { ErasureMark } from '../members/erasure.ts';
import type { FoldCheckpoints } from '../state/checkpoints.ts';

/** What the last nightly counted for a customer in the brand health figures (see lib/nightly). */
export interface HealthMark {
  contrib: HealthContribution;
  /** Night it was counted on, and what was counted before: a retried segment can redo its delta. */
  night: string;
  prev: HealthContribution | null;
}

/** Everything on the customer's state item besides the orders. */
export interface CustomerExtras {
  derived?: DerivedState;
  health?: HealthMark;
  /** Date the nightly must look at this customer (the due index); null when nothing can change by time alone. */
  dueDate?: string | null;
  /** Where the next refresh and night can resume instead of reading every order (lib/state/checkpoints.ts). */
  folds?: FoldCheckpoints;
}

export interface CustomerRecord extends CustomerExtras {
  customerId: string;
  rev: number;
  state?: CustomerState;
}

/** Where uploads and reports live (S3). */
export interface ObjectStore {
  read(key: string): AsyncIterable<Buffer>;
  put(key: string, body: string | Buffer, contentType: string): Promise<void>;
  /** Streams a body of unknown length (reject reports). */
  openWriter(key: string, contentType: string): { write(chunk: string): Promise<void>; close(): Promise<void> };
  remove(key: string): Promise<void>;
  copy(from: string, to: string): Promise<void>;
}

export type PutOutcome = 'written' | 'unchanged';

/**
 * Who an order id belongs to: one item per order id, brand-wide (lib/ingest/order-owner.ts decides with it). Order ids
 * are global, so the same id under another customer is the same order: moved, superseded or contested.
 */
export interface OrderOwner {
  /** The owning customer; absent while two customers claim the id in the same version (contested). */
  customerId?: string;
  /** The highest version claimed (its time decides against another customer's row). */
  version: string;
  /** The file and line of that version, for the reason given to a row it overrules. */
  file: string;
  line: number;
  /** The customer it was taken from, and that customer's version: removed again by every later claim (idempotent). */
  prev?: { customerId: string; version: string };
  /** Revision for the conditional write; 0 when there is no owner item yet. */
  rev: number;
}

/** The customer partition: order versions (source of truth), derived state, member profile. */
export interface CustomerStore {
  /** Stores the order version unless an equal or newer version is already stored (conditional write). */
  putOrder(order: OrderRecord): Promise<PutOutcome>;
  /**
   * putOrder for a batch (a few thousand rows of one file), outcomes in order; writes may run concurrently. A store
   * that can tell fills `changedFrom[i]` for a written order with the earliest day it changed (its own, or the
   * replaced version's if earlier); left undefined, the refresh reads the customer's whole history.
   */
  putOrders(orders: readonly OrderRecord[], changedFrom?: (string | undefined)[]): Promise<PutOutcome[]>;
  /**
   * Removes the customer's order `key` if the version stored is `version` or lower (a conditional delete); false when
   * none is, or a higher one is. For a row a later row overruled, or an order moved to another customer. (It can
   * change any day of the customer's history: its refresh reads everything.)
   */
  removeOrder(customerId: string, key: string, version: string): Promise<boolean>;
  /** The owner items of these order ids (consistent reads; absent ids are not in the map). */
  readOwners(orderIds: readonly string[]): Promise<Map<string, OrderOwner>>;
  /** Writes the owner item if its revision is still `expectedRev` (0: absent); false when someone else wrote first. */
  putOwner(orderId: string, owner: Omit<OrderOwner, 'rev'>, expectedRev: number): Promise<boolean>;
  /**
   * loadCustomer, but stopping after about `maxOrders` orders: `complete` says whether that was all of them. A small
   * customer costs one request as before; a large one gives its state item (checkpoints) and profile without its history.
   */
  loadCustomerHead?(customerId: string, maxOrders: number): Promise<CustomerRecord & { orders: OrderRecord[]; profile?: MemberProfile; complete: boolean }>;
  /** Consistent read of the customer's orders dated on or after `day`; undefined when the store cannot. */
  loadOrdersFrom?(customerId: string, day: string): Promise<OrderRecord[] | undefined>;
  /** The stored versions of the given order keys (the originals a refund names), those that exist. */
  loadOrders?(customerId: string, keys: readonly string[]): Promise<OrderRecord[]>;
  /** Consistent read of the state revision and every order version, state read first. */
  loadCustomer(customerId: string): Promise<CustomerRecord & { orders: OrderRecord[]; profile?: MemberProfile }>;
  /** Writes the state if the stored revision is still `expectedRev`; false when someone else wrote first. */
  saveState(state: CustomerState, expectedRev: number, extras?: CustomerExtras): Promise<boolean>;
  /** The profile, or the erasure tombstone instead of it once the customer's personal data was erased. */
  loadProfile(customerId: string): Promise<{ rev: number; profile?: MemberProfile; erased?: ErasureMark }>;
  saveProfile(profile: MemberProfile, expectedRev: number): Promise<boolean>;
}

export interface FileSummary {
  /** Object key as uploaded (incoming/...). */
  key: string;
  file: string;
  kind: 'orders' | 'members';
  etag: string;
  /** `split`: only ever returned by the invocation that cut a large file into parts (lib/ingest/split-file.ts); the
   * file's ledger entry is written, as `processed`, once its last part is done. */
  status: 'processed' | 'quarantined' | 'split';
  rows: number;
  applied: number;
  /** Valid rows whose version was already stored (duplicates, re-uploads), or a later version of the order was. */
  unchanged: number;
  /** Orders only: valid rows a later row of the same order id and version in the same file replaced (counted in
   * `applied`; the later row is what is stored). Absent before this count existed. */
  replaced?: number;
  /** Orders only: refunds naming an original order not known when they were applied: kept and counted as before,
   * unchecked against it (lib/state/refund-limits.ts). */
  unmatchedRefunds?: number;
  rejected: number;
  /** Members only: single values rejected while the rest of the row was applied. */
  rejectedFields: number;
  /** Customers touched. For a file split into parts, the sum over its parts (a customer with rows in two parts counts twice). */
  customers: number;
  encoding?: string;
  compressed?: boolean;
  report?: string;
  quarantine?: string;
  reason?: string;
  ignoredColumns?: string[];
  /** Orders only: applied rows (already known ones included) by currency; rejected rows are not counted here (their
   * currency may be what is wrong with them), they are in the reject report. Sums to `applied`. */
  currencies?: Record<string, number>;
  /** brand.currency when the file was ingested: what `currencies` is compared with. */
  brandCurrency?: string;
  /**
   * Orders only: customers some of whose orders are not counted so that their sums stay exact
   * (lib/state/exact-totals.ts), by customer id, at most MAX_UNCOUNTED_LISTED.
   */
  uncounted?: { customerId: string; reason: string }[];
  /** Orders only: applied rows under brand.anonymousCustomerIds (walk-in sales), not stored as any customer, and their
   * net in the brand currency (paid minus refunds, minor units; other-currency rows count in `rows` only). */
  anonymous?: AnonymousSales;
  /** Lines the user should read (lib/ingest/summary-warnings.ts): other-currency rows, unused columns, uncounted orders, walk-in sales. */
  warnings?: string[];
  /** A large file split across invocations: the number of parts and the plan (parts, row ranges, line offsets). */
  parts?: number;
  plan?: string;
  processedAt: string;
}

export interface AnonymousSales {
  rows: number;
  netMinor: number;
}

/** One record per (object key, ETag): a redelivered event for a finished file does no work. */
export interface FileLedger {
  get(key: string, etag: string): Promise<FileSummary | undefined>;
  put(summary: FileSummary): Promise<void>;
}
