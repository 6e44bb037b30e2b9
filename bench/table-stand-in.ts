/**
 * The benchmarks' in-memory stand-in for the customer table: order versions per customer under their order key, with
 * the table's conditional write (a version replaces only a lower one), read back per customer by the ingest's own
 * finish step (refreshCustomer), which computes each touched customer's state from them.
 *
 * Like the table, it keeps the orders as data, not as live objects, and hands out freshly built records per customer,
 * as a Query's answer is: numbers and the few-valued fields (status, day, store, ...) in typed-array columns, the key
 * and version as two flat strings per order. Holding a million live order records instead (the first stand-in,
 * about 330 bytes and six heap objects each) billed the ingest for the harness's garbage collection, measured at
 * 1.5-2 s of a million-row run spent copying them between heap generations, where the Lambda keeps no orders at
 * all. The Lambda pays JSON marshalling for DynamoDB instead, which no benchmark here counts (storage cost is
 * excluded). test/unit/table-stand-in.test.ts checks it against a plain map of records.
 *
 * Of each saved state it keeps a summary, not the state, for the same reason (100,000 states are 280 MB of heap);
 * ingest-cpu recomputes a sample of customers afterwards and checks the summaries against them.
 */
import type { CustomerStore, OrderOwner, PutOutcome } from '../lib/ingest/ports.ts';
import type { OrderRecord } from '../lib/orders/order.ts';
import type { CustomerState } from '../lib/state/customer-state.ts';

/** What the bench keeps of a saved state: enough to check the work was done, and done right (see ingest-cpu). */
export interface StateSummary {
  orderCount: number;
  purchaseDays: number;
  totalSpendMinor: number;
  pointsBalance: number;
  saves: number;
}

export function summariseState(s: CustomerState): Omit<StateSummary, 'saves'> {
  return { orderCount: s.orderCount, purchaseDays: s.purchaseDays, totalSpendMinor: s.totalSpendMinor, pointsBalance: s.pointsBalance };
}

/** Strings with few distinct values (kind, status, day, currency, store, channel, region) as small numbers; 0 is none. */
class Codes {
  private readonly ids = new Map<string, number>();
  readonly values: (string | undefined)[] = [undefined];
  code(v: string | undefined): number {
    if (v === undefined) return 0;
    let c = this.ids.get(v);
    if (c === undefined) {
      c = this.values.length;
      this.values.push(v);
      this.ids.set(v, c);
    }
    return c;
  }
}

/** A `rare` bit: the slot's order was removed (removeOrder). */
const REMOVED = 8;

const SMALL = ['kind', 'status', 'localDate', 'currency', 'storeId', 'channel', 'region'] as const;

export class AggregatingCustomerStore implements CustomerStore {
  /** Customer id -> its last order slot; slots chain back through `prev`. */
  private readonly heads = new Map<string, number>();
  readonly states = new Map<string, StateSummary>();
  private readonly codes = new Codes();
  private n = 0;
  private cap = 0;
  private prev = new Int32Array(0);
  private orderedAt = new Float64Array(0);
  private amount = new Float64Array(0);
  private redeemed = new Float64Array(0);
  private small = new Uint32Array(0);
  /** Each slot's key and version: flat strings, two per order, kept as they came (a few small objects each). */
  private keyHash = new Int32Array(0);
  private keyBitsLo = new Int32Array(0);
  private keyBitsHi = new Int32Array(0);
  private keys: string[] = [];
  private versions: string[] = [];
  /** Slots whose order id differs from the key, or that have an original order id or products (all rare). */
  private rare = new Uint8Array(0);
  /** The rare fields, by slot. */
  private readonly orderIds = new Map<number, string>();
  private readonly originals = new Map<number, string>();
  private readonly products = new Map<number, string[]>();

  get customers(): number {
    return this.heads.size;
  }

  /** Every customer with stored orders, and those orders (rebuilt), for checks outside the timing. */
  *entries(): Iterable<[string, OrderRecord[]]> {
    for (const id of this.heads.keys()) yield [id, this.ordersOf(id)];
  }

  async putOrder(o: OrderRecord): Promise<PutOutcome> {
    return this.put(o);
  }
  async putOrders(orders: readonly OrderRecord[]): Promise<PutOutcome[]> {
    const out = new Array<PutOutcome>(orders.length);
    for (let i = 0; i < orders.length; i++) out[i] = this.put(orders[i]!);
    return out;
  }
  /** The table's conditional delete: the slot stays, marked removed (REMOVED), and a later put fills it again. */
  async removeOrder(customerId: string, key: string, version: string): Promise<boolean> {
    const h = hashOf(key);
    for (let s = this.heads.get(customerId) ?? -1; s >= 0; s = this.prev[s]!) {
      if (this.keyHash[s] !== h || !this.keyIs(s, key)) continue;
      if (this.rare[s]! & REMOVED || this.versions[s]! > version) return false;
      this.rare[s] = this.rare[s]! | REMOVED;
      return true;
    }
    return false;
  }
  /** Owner items as data, one JSON string each, as the table keeps them (not live objects: see the top of this file). */
  private readonly owners = new Map<string, string>();
  async readOwners(orderIds: readonly string[]): Promise<Map<string, OrderOwner>> {
    const out = new Map<string, OrderOwner>();
    for (const id of orderIds) {
      const s = this.owners.get(id);
      if (s !== undefined) out.set(id, JSON.parse(s) as OrderOwner);
    }
    return out;
  }
  async putOwner(orderId: string, owner: Omit<OrderOwner, 'rev'>, expectedRev: number): Promise<boolean> {
    const had = this.owners.get(orderId);
    if ((had === undefined ? 0 : (JSON.parse(had) as OrderOwner).rev) !== expectedRev) return false;
    this.owners.set(orderId, JSON.stringify({ ...owner, rev: expectedRev + 1 }));
    return true;
  }
  async loadCustomer(id: string) {
    return { customerId: id, rev: this.states.get(id)?.saves ?? 0, orders: this.ordersOf(id) };
  }
  async saveState(state: CustomerState, rev: number): Promise<boolean> {
    const had = this.states.get(state.customerId);
    if ((had?.saves ?? 0) !== rev) return false;
    this.states.set(state.customerId, { ...summariseState(state), saves: rev + 1 });
    return true;
  }
  async loadProfile() {
    return { rev: 0 };
  }
  async saveProfile(): Promise<boolean> {
    return true;
  }

  private put(o: OrderRecord): PutOutcome {
    const head = this.heads.get(o.customerId);
    const key = o.key;
    const h = hashOf(key);
    // One bit per key hash (of 64) over all the customer's keys, carried on its latest slot: a clear bit means the key
    // is new to the customer without walking its slots (nearly every row of a new export).
    const bit = h & 31;
    const word = (h >>> 5) & 1;
    const seen = head === undefined ? 0 : word ? this.keyBitsHi[head]! : this.keyBitsLo[head]!;
    for (let s = seen & (1 << bit) ? head! : -1; s >= 0; s = this.prev[s]!) {
      if (this.keyHash[s] !== h || !this.keyIs(s, key)) continue;
      if (!(this.rare[s]! & REMOVED) && this.versions[s]! >= o.version) return 'unchanged';
      this.write(s, o);
      return 'written';
    }
    const s = this.n++;
    if (s === this.cap) this.grow();
    this.prev[s] = head ?? -1;
    this.keyHash[s] = h;
    this.keyBitsLo[s] = (head === undefined ? 0 : this.keyBitsLo[head]!) | (word ? 0 : 1 << bit);
    this.keyBitsHi[s] = (head === undefined ? 0 : this.keyBitsHi[head]!) | (word ? 1 << bit : 0);
    this.keys[s] = key;
    this.write(s, o);
    this.heads.set(o.customerId, s);
    return 'written';
  }

  private write(s: number, o: OrderRecord): void {
    this.orderedAt[s] = o.orderedAt;
    this.amount[s] = o.amountMinor;
    this.redeemed[s] = o.pointsRedeemed ?? 0;
    const b = s * SMALL.length;
    for (let i = 0; i < SMALL.length; i++) this.small[b + i] = this.codes.code(o[SMALL[i]!]);
    let rare = 0;
    if (o.orderId !== o.key) (rare |= 1), this.orderIds.set(s, o.orderId);
    else if (this.rare[s]! & 1) this.orderIds.delete(s);
    if (o.originalOrderId) (rare |= 2), this.originals.set(s, o.originalOrderId);
    else if (this.rare[s]! & 2) this.originals.delete(s);
    if (o.products) (rare |= 4), this.products.set(s, o.products);
    else if (this.rare[s]! & 4) this.products.delete(s);
    this.rare[s] = rare;
    this.versions[s] = o.version;
  }

  private keyIs(s: number, key: string): boolean {
    return this.keys[s] === key;
  }

  /** The customer's orders in the order they were first written, as new records (a Query's answer). */
  private ordersOf(id: string): OrderRecord[] {
    const slots: number[] = [];
    for (let s = this.heads.get(id) ?? -1; s >= 0; s = this.prev[s]!) if (!(this.rare[s]! & REMOVED)) slots.push(s);
    const v = this.codes.values;
    const out = new Array<OrderRecord>(slots.length);
    for (let i = slots.length - 1, j = 0; i >= 0; i--, j++) {
      const s = slots[i]!;
      const b = s * SMALL.length;
      const key = this.keys[s]!;
      const rare = this.rare[s]!;
      out[j] = {
        key,
        orderId: rare & 1 ? this.orderIds.get(s)! : key,
        customerId: id,
        kind: v[this.small[b]!] as OrderRecord['kind'],
        status: v[this.small[b + 1]!] as OrderRecord['status'],
        orderedAt: this.orderedAt[s]!,
        localDate: v[this.small[b + 2]!]!,
        amountMinor: this.amount[s]!,
        currency: v[this.small[b + 3]!]!,
        version: this.versions[s]!,
        storeId: v[this.small[b + 4]!],
        channel: v[this.small[b + 5]!],
        region: v[this.small[b + 6]!],
        originalOrderId: rare & 2 ? this.originals.get(s) : undefined,
        pointsRedeemed: this.redeemed[s] || undefined,
        products: rare & 4 ? this.products.get(s) : undefined,
      };
    }
    return out;
  }

  private grow(): void {
    this.cap = Math.max(1024, this.cap * 2);
    this.prev = grownTyped(this.prev, this.cap);
    this.orderedAt = grownTyped(this.orderedAt, this.cap);
    this.amount = grownTyped(this.amount, this.cap);
    this.redeemed = grownTyped(this.redeemed, this.cap);
    this.keyHash = grownTyped(this.keyHash, this.cap);
    this.keyBitsLo = grownTyped(this.keyBitsLo, this.cap);
    this.keyBitsHi = grownTyped(this.keyBitsHi, this.cap);
    this.rare = grownTyped(this.rare, this.cap);
    this.small = grownTyped(this.small, this.cap * SMALL.length);
  }
}

/** FNV-1a over UTF-16 code units: compared before the key itself. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h;
}

function grownTyped<T extends Int32Array | Float64Array | Uint32Array | Uint8Array>(a: T, length: number): T {
  const next = new (a.constructor as new (n: number) => T)(length);
  next.set(a);
  return next;
}
