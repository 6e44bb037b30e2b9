import type { ActiveModel } from '../derive/metrics.ts';
import type { CustomerExtras, CustomerRecord } from '../ingest/ports.ts';
import type { OrderRecord } from '../orders/order.ts';
import type { MemberProfile } from '../members/profile.ts';
import type { CustomerState } from '../state/customer-state.ts';
import type { HealthSnapshot, HealthTotals } from './health.ts';

export interface NightlyCustomers {
  queryDue(shard: number, date: string): AsyncIterable<CustomerRecord>;
  queryNight(shard: number, night: string): AsyncIterable<CustomerRecord>;
  loadState(customerId: string): Promise<CustomerRecord>;
  loadCustomer(customerId: string): Promise<CustomerRecord & { orders: OrderRecord[]; profile?: MemberProfile }>;
  saveState(state: CustomerState, expectedRev: number, extras?: CustomerExtras): Promise<boolean>;
}

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
  getModel(): Promise<ActiveModel | undefined>;
  putModel(model: ActiveModel & { fittedAt: string; until: string; logLikelihood: number; customers: number }): Promise<void>;
}
