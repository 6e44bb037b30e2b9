import type { ActiveModel } from '../derive/metrics.ts';
import type { CustomerExtras, CustomerRecord } from '../ingest/ports.ts';
import type { OrderRecord } from '../orders/order.ts';
import type { MemberProfile } from '../members/profile.ts';
import type { CustomerState } from '../state/customer-state.ts';
import type { HealthSnapshot, HealthTotals } from './health.ts';
import type { FitRecord } from '../model/fit-record.ts';

export interface NightlyCustomers {
  queryDue(shard: number, date: string): AsyncIterable<CustomerRecord>;
  queryNight(shard: number, night: string): AsyncIterable<CustomerRecord>;
  loadState(customerId: string): Promise<CustomerRecord>;
  loadCustomer(customerId: string): Promise<CustomerRecord & { orders: OrderRecord[]; profile?: MemberProfile }>;
  saveState(state: CustomerState, expectedRev: number, extras?: CustomerExtras): Promise<boolean>;
  /** Resuming a derivation from the state item's checkpoint (see lib/ingest/ports.ts CustomerStore). */
  /**
   * loadCustomer, but stopping after about `maxOrders` orders: `complete` says whether that was all of them. A small
   * customer costs one request as before; a large one gives its state item (checkpoints) and profile without its history.
   */
  loadCustomerHead?(customerId: string, maxOrders: number): Promise<CustomerRecord & { orders: OrderRecord[]; profile?: MemberProfile; complete: boolean }>;
  loadOrdersFrom?(customerId: string, day: string): Promise<OrderRecord[] | undefined>;
  loadOrders?(customerId: string, keys: readonly string[]): Promise<OrderRecord[]>;
  /** Segment k of a parallel scan in N: a hash-partitioned ~1/N random sample of the state items (model fit). */
  scanSegment(segment: number, totalSegments: number): AsyncIterable<CustomerRecord>;
}

/** The active model as stored: its parameters plus when, to which day and on how many customers it was fitted. */
export type StoredModel = ActiveModel & { fittedAt: string; until: string; logLikelihood: number; customers: number };

/** The nightly's own bookkeeping: last completed night, per-shard totals, snapshots, the active model. */
export interface NightlyLedger {
  getCursor(): Promise<string | null>;
  setCursor(night: string): Promise<void>;
  getShardTotals(shard: number, night: string): Promise<HealthTotals | undefined>;
  putShardTotals(shard: number, night: string, totals: HealthTotals, processed: number): Promise<void>;
  listShardTotals(night: string): Promise<{ shard: number; totals: HealthTotals; processed: number }[]>;
  putSnapshot(snapshot: HealthSnapshot): Promise<void>;
  getSnapshot(night?: string): Promise<HealthSnapshot | undefined>;
  listSnapshots(): Promise<HealthSnapshot[]>;
  /** One nightly run at a time: take the lease if free, expired, already ours, or when forced. */
  acquireLease(owner: string, untilMs: number, force?: boolean): Promise<{ ok: boolean; holder?: string; until?: number }>;
  releaseLease(owner: string): Promise<void>;
  /** The active model; fit details are absent on a model stored before they were kept. */
  getModel(): Promise<(ActiveModel & Partial<StoredModel>) | undefined>;
  putModel(model: StoredModel): Promise<void>;
  /** The nightly's fit attempts (lib/model/keep-model.ts): the newest `limit` (default all), oldest first. */
  putFitRecord(record: FitRecord): Promise<void>;
  listFitRecords(limit?: number): Promise<FitRecord[]>;
}
