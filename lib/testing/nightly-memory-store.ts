/**
 * The nightly's customer port in memory for a 1,000,000-customer base (load-nightly). Same semantics as the
 * DynamoDB adapter: a state item per customer written only if its revision is unchanged, a sparse due index and
 * a night index per shard queried in key order (date#id), items counted as DynamoDB would return them. Items are
 * kept as JSON strings, as DynamoDB keeps them, so a million fit in a few hundred MB; lib/testing/memory-ports.ts
 * keeps live objects and scans every customer per query, which is right for tests and too slow here.
 */
import type { CustomerExtras, CustomerRecord } from '../ingest/ports.ts';
import type { NightlyCustomers } from '../nightly/ports.ts';
import { scanSegmentOf, shardOf, SHARDS } from '../nightly/shard.ts';
import type { OrderRecord } from '../orders/order.ts';
import type { CustomerState } from '../state/customer-state.ts';

interface Stored {
  rev: number;
  state: CustomerState;
  derived?: CustomerExtras['derived'];
  health?: CustomerExtras['health'];
  dueDate?: string | null;
}

export class LeanNightlyStore implements NightlyCustomers {
  private readonly items = new Map<string, string>();
  /** Per shard: customer id -> due date (the sparse due index). */
  private readonly due = Array.from({ length: SHARDS }, () => new Map<string, string>());
  /** Per shard: customer id -> night it was last counted (the night index). */
  private readonly night = Array.from({ length: SHARDS }, () => new Map<string, string>());
  itemsRead = 0;
  itemsWritten = 0;
  bytesRead = 0;
  bytesWritten = 0;
  /** Writes refused because the revision had moved. */
  conflicts = 0;

  get size(): number {
    return this.items.size;
  }

  private read(id: string): CustomerRecord {
    const json = this.items.get(id);
    if (!json) return { customerId: id, rev: 0 };
    this.itemsRead++;
    this.bytesRead += json.length;
    const s = JSON.parse(json) as Stored;
    return { customerId: id, rev: s.rev, state: s.state, ...(s.derived ? { derived: s.derived } : {}), ...(s.health ? { health: s.health } : {}), dueDate: s.dueDate ?? null };
  }

  private *index(map: Map<string, string>, match: (v: string) => boolean): Generator<CustomerRecord> {
    const keys: string[] = [];
    for (const [id, v] of map) if (match(v)) keys.push(`${v}#${id}`);
    keys.sort();
    for (const k of keys) yield this.read(k.slice(k.indexOf('#') + 1));
  }

  async *queryDue(shard: number, date: string): AsyncGenerator<CustomerRecord> {
    yield* this.index(this.due[shard]!, (d) => d <= date);
  }

  async *queryNight(shard: number, night: string): AsyncGenerator<CustomerRecord> {
    yield* this.index(this.night[shard]!, (n) => n === night);
  }

  async loadState(id: string): Promise<CustomerRecord> {
    return this.read(id);
  }

  /** Only the segment's items count as read, as a DynamoDB segment scan reads only its key range. */
  async *scanSegment(segment: number, totalSegments: number): AsyncGenerator<CustomerRecord> {
    for (const id of this.items.keys()) if (scanSegmentOf(id, totalSegments) === segment) yield this.read(id);
  }

  /** The base holds state items only (as in nightly-cost): a customer whose orders are needed gets none. */
  async loadCustomer(id: string): Promise<CustomerRecord & { orders: OrderRecord[] }> {
    return { ...this.read(id), orders: [] };
  }

  async saveState(state: CustomerState, expectedRev: number, extras: CustomerExtras = {}): Promise<boolean> {
    const id = state.customerId;
    const cur = this.items.get(id);
    const rev = cur ? (JSON.parse(cur) as Stored).rev : 0;
    if (rev !== expectedRev) {
      this.conflicts++;
      return false;
    }
    const json = JSON.stringify({ rev: expectedRev + 1, state, ...extras } satisfies Stored);
    this.items.set(id, json);
    this.itemsWritten++;
    this.bytesWritten += json.length;
    const shard = shardOf(id);
    if (extras.dueDate) this.due[shard]!.set(id, extras.dueDate);
    else this.due[shard]!.delete(id);
    if (extras.health) this.night[shard]!.set(id, extras.health.night);
    else this.night[shard]!.delete(id);
    return true;
  }

  /** Average size of a state item, in bytes of JSON. */
  averageItemBytes(): number {
    let n = 0;
    for (const v of this.items.values()) n += v.length;
    return this.items.size ? n / this.items.size : 0;
  }
}
