import type { CustomerExtras, CustomerRecord, CustomerStore, FileLedger, FileSummary, ObjectStore, OrderOwner, PutOutcome } from '../ingest/ports.ts';
import { scanSegmentOf, shardOf } from '../nightly/shard.ts';
import type { OrderRecord } from '../orders/order.ts';
import type { CustomerState } from '../state/customer-state.ts';
import type { MemberProfile } from '../members/profile.ts';
import { mapLanes } from '../pool.ts';
import type { ErasureMark } from '../members/erasure.ts';

/**
 * In-memory ports with the same conditional-write semantics as the DynamoDB adapter. Used by unit and property
 * tests (fast, with injectable failures) and by the CPU/memory benchmarks to isolate the pipeline from storage.
 */
export class MemoryCustomerStore implements CustomerStore {
  orders = new Map<string, Map<string, OrderRecord>>();
  states = new Map<string, { rev: number; state: CustomerState } & CustomerExtras>();
  /** Order id -> its owner item. */
  owners = new Map<string, OrderOwner>();
  itemsRead = 0;
  /** Order items returned by loadCustomer, loadOrdersFrom and loadOrders (what a hot customer costs). */
  ordersRead = 0;
  profiles = new Map<string, { rev: number; profile?: MemberProfile; erased?: ErasureMark }>();
  writes = 0;
  /** Called before every operation; throw from it to inject a crash. */
  beforeOp: (op: string) => void | Promise<void> = () => {};
  /** When true, store nothing (benchmarks). */
  discard = false;
  /** Random scheduling delays inside operations, so concurrent callers interleave as they would over a network. */
  jitter = false;
  /**
   * When set, a write whose item (as JSON) is larger fails as DynamoDB fails one over its 400 KB: off by default, so
   * the benchmarks do not pay for the measure.
   */
  maxItemBytes: number | undefined;

  private checkSize(what: string, item: unknown): void {
    if (this.maxItemBytes === undefined) return;
    const bytes = Buffer.byteLength(JSON.stringify(item));
    if (bytes > this.maxItemBytes) throw new Error(`ValidationException: Item size has exceeded the maximum allowed size (${what}, ${bytes} bytes)`);
  }

  private async yieldRandomly(max = 4): Promise<void> {
    if (!this.jitter) return;
    for (let i = Math.floor(Math.random() * max); i > 0; i--) await new Promise((r) => setImmediate(r));
  }

  async putOrder(o: OrderRecord): Promise<PutOutcome> {
    await this.beforeOp('putOrder');
    if (this.discard) return 'written';
    await this.yieldRandomly();
    let m = this.orders.get(o.customerId);
    if (!m) this.orders.set(o.customerId, (m = new Map()));
    const cur = m.get(o.key);
    if (cur && cur.version >= o.version) return 'unchanged';
    this.checkSize('order', o);
    m.set(o.key, o);
    this.writes++;
    return 'written';
  }

  async putOrders(orders: readonly OrderRecord[], changedFrom?: (string | undefined)[]): Promise<PutOutcome[]> {
    // The day each order was under before this batch: a written version changed its own day and that one.
    const before = orders.map((o) => this.orders.get(o.customerId)?.get(o.key)?.localDate);
    const out = await mapLanes(orders, 4, (o) => this.putOrder(o));
    if (changedFrom)
      for (let i = 0; i < orders.length; i++) {
        const o = orders[i]!;
        const old = before[i];
        changedFrom[i] = out[i] === 'written' ? (old !== undefined && old < o.localDate ? old : o.localDate) : undefined;
      }
    return out;
  }

  /** Overrides loadCustomerHead's page size (0: every customer with orders looks long, so refreshes try to resume). */
  headLimit: number | undefined;

  async loadCustomerHead(id: string, pageOrders: number) {
    const maxOrders = this.headLimit ?? pageOrders;
    const full = await this.loadCustomer(id);
    const complete = full.orders.length <= maxOrders;
    if (!complete) this.ordersRead -= full.orders.length - maxOrders;
    return { ...full, orders: complete ? full.orders : full.orders.slice(0, maxOrders), complete };
  }

  async loadOrdersFrom(id: string, day: string): Promise<OrderRecord[]> {
    await this.beforeOp('loadOrdersFrom');
    await this.yieldRandomly();
    const out = [...(this.orders.get(id)?.values() ?? [])].filter((o) => o.localDate >= day);
    this.ordersRead += out.length;
    return out;
  }

  async loadOrders(id: string, keys: readonly string[]): Promise<OrderRecord[]> {
    await this.beforeOp('loadOrders');
    const m = this.orders.get(id);
    const out = keys.flatMap((k) => (m?.get(k) ? [m.get(k)!] : []));
    this.ordersRead += out.length;
    return out;
  }

  async removeOrder(customerId: string, key: string, version: string): Promise<boolean> {
    await this.beforeOp('removeOrder');
    if (this.discard) return true;
    await this.yieldRandomly();
    const m = this.orders.get(customerId);
    const cur = m?.get(key);
    if (!m || !cur || cur.version > version) return false;
    m.delete(key);
    if (m.size === 0) this.orders.delete(customerId);
    this.writes++;
    return true;
  }

  async readOwners(orderIds: readonly string[]): Promise<Map<string, OrderOwner>> {
    await this.beforeOp('readOwners');
    await this.yieldRandomly();
    const out = new Map<string, OrderOwner>();
    for (const id of orderIds) {
      const o = this.owners.get(id);
      if (o) out.set(id, structuredClone(o));
    }
    return out;
  }

  async putOwner(orderId: string, owner: Omit<OrderOwner, 'rev'>, expectedRev: number): Promise<boolean> {
    await this.beforeOp('putOwner');
    await this.yieldRandomly();
    if ((this.owners.get(orderId)?.rev ?? 0) !== expectedRev) return false;
    this.owners.set(orderId, structuredClone({ ...owner, rev: expectedRev + 1 }));
    this.writes++;
    return true;
  }

  async loadCustomer(id: string) {
    await this.beforeOp('loadCustomer');
    await this.yieldRandomly();
    const rec = this.record(id);
    await this.yieldRandomly(); // other tasks may write between the state read and the order read
    const p = this.profiles.get(id);
    const orders = [...(this.orders.get(id)?.values() ?? [])];
    this.ordersRead += orders.length;
    return { ...rec, ...(p?.profile && !p.erased ? { profile: structuredClone(p.profile) } : {}), orders };
  }

  private record(id: string): CustomerRecord {
    const s = this.states.get(id);
    if (!s) return { customerId: id, rev: 0 };
    this.itemsRead++;
    return structuredClone({ customerId: id, ...s, dueDate: s.dueDate ?? null });
  }

  async loadState(id: string): Promise<CustomerRecord> {
    await this.beforeOp('loadState');
    return this.record(id);
  }

  async *queryDue(shard: number, date: string): AsyncGenerator<CustomerRecord> {
    await this.beforeOp('queryDue');
    const ids = [...this.states].filter(([id, s]) => shardOf(id) === shard && s.dueDate && s.dueDate <= date).map(([id]) => id).sort();
    for (const id of ids) yield this.record(id);
  }

  async *scanSegment(segment: number, totalSegments: number): AsyncGenerator<CustomerRecord> {
    await this.beforeOp('scanSegment');
    const ids = [...this.states.keys()].filter((id) => scanSegmentOf(id, totalSegments) === segment).sort();
    for (const id of ids) yield this.record(id);
  }

  async *queryNight(shard: number, night: string): AsyncGenerator<CustomerRecord> {
    await this.beforeOp('queryNight');
    const ids = [...this.states].filter(([id, s]) => shardOf(id) === shard && s.health?.night === night).map(([id]) => id).sort();
    for (const id of ids) yield this.record(id);
  }

  async saveState(state: CustomerState, expectedRev: number, extras: CustomerExtras = {}): Promise<boolean> {
    await this.beforeOp('saveState');
    // A slow state write is what lets another writer's newer state land first.
    await this.yieldRandomly(40);
    const cur = this.states.get(state.customerId);
    if ((cur?.rev ?? 0) !== expectedRev) return false;
    this.checkSize('state', { state, ...extras });
    this.states.set(state.customerId, structuredClone({ rev: expectedRev + 1, state, ...extras }));
    this.writes++;
    return true;
  }

  async loadProfile(id: string): Promise<{ rev: number; profile?: MemberProfile; erased?: ErasureMark }> {
    await this.beforeOp('loadProfile');
    await this.yieldRandomly();
    const p = this.profiles.get(id);
    if (p?.erased) return { rev: p.rev, erased: structuredClone(p.erased) };
    return { rev: p?.rev ?? 0, ...(p?.profile ? { profile: structuredClone(p.profile) } : {}) };
  }

  async saveProfile(profile: MemberProfile, expectedRev: number): Promise<boolean> {
    await this.beforeOp('saveProfile');
    await this.yieldRandomly();
    const cur = this.profiles.get(profile.customerId);
    if ((cur?.rev ?? 0) !== expectedRev || cur?.erased) return false;
    this.checkSize('profile', profile);
    this.profiles.set(profile.customerId, { rev: expectedRev + 1, profile: structuredClone(profile) });
    this.writes++;
    return true;
  }

  async readProfileItem(id: string) {
    await this.beforeOp('readProfileItem');
    await this.yieldRandomly();
    return structuredClone(this.profiles.get(id) ?? { rev: 0 });
  }

  async writeErasure(id: string, mark: ErasureMark, held: MemberProfile | undefined, expectedRev: number): Promise<boolean> {
    await this.beforeOp('writeErasure');
    await this.yieldRandomly();
    if ((this.profiles.get(id)?.rev ?? 0) !== expectedRev) return false;
    this.profiles.set(id, { rev: expectedRev + 1, erased: structuredClone(mark), ...(held ? { profile: structuredClone(held) } : {}) });
    this.writes++;
    return true;
  }
}

export class MemoryObjectStore implements ObjectStore {
  objects = new Map<string, Buffer>();
  chunkSize = 64 * 1024;

  async *read(key: string): AsyncIterable<Buffer> {
    const b = this.objects.get(key);
    if (!b) throw new Error(`NoSuchKey: ${key}`);
    for (let i = 0; i < b.length; i += this.chunkSize) yield b.subarray(i, i + this.chunkSize);
  }
  async put(key: string, body: string | Buffer): Promise<void> {
    this.objects.set(key, Buffer.isBuffer(body) ? body : Buffer.from(body));
  }
  openWriter(key: string) {
    const parts: Buffer[] = [];
    return {
      write: async (chunk: string) => void parts.push(Buffer.from(chunk)),
      close: async () => void this.objects.set(key, Buffer.concat(parts)),
    };
  }
  async remove(key: string): Promise<void> {
    this.objects.delete(key);
  }
  async copy(from: string, to: string): Promise<void> {
    const b = this.objects.get(from);
    if (!b) throw new Error(`NoSuchKey: ${from}`);
    this.objects.set(to, b);
  }
  text(key: string): string | undefined {
    return this.objects.get(key)?.toString('utf8');
  }
}

export class MemoryLedger implements FileLedger {
  files = new Map<string, FileSummary>();
  async get(key: string, etag: string) {
    return this.files.get(`${key}|${etag}`);
  }
  async put(s: FileSummary) {
    this.files.set(`${s.key}|${s.etag}`, s);
  }
}

import type { NightlyLedger, StoredModel } from '../nightly/ports.ts';
import type { FitRecord } from '../model/fit-record.ts';
import type { HealthSnapshot, HealthTotals } from '../nightly/health.ts';
import type { ActiveModel } from '../derive/metrics.ts';

export class MemoryNightlyLedger implements NightlyLedger {
  cursor: string | null = null;
  shardTotals = new Map<string, { shard: number; totals: HealthTotals; processed: number }>();
  snapshots = new Map<string, HealthSnapshot>();
  model: (ActiveModel & Partial<StoredModel>) | undefined;

  async getCursor() {
    return this.cursor;
  }
  async setCursor(night: string) {
    this.cursor = night;
  }
  async getShardTotals(shard: number, night: string) {
    return structuredClone(this.shardTotals.get(`${night}|${shard}`)?.totals);
  }
  async putShardTotals(shard: number, night: string, totals: HealthTotals, processed: number) {
    this.shardTotals.set(`${night}|${shard}`, structuredClone({ shard, totals, processed }));
  }
  async listShardTotals(night: string) {
    return [...this.shardTotals].filter(([k]) => k.startsWith(`${night}|`)).map(([, v]) => structuredClone(v));
  }
  async putSnapshot(s: HealthSnapshot) {
    this.snapshots.set(s.night, structuredClone(s));
  }
  async getSnapshot(night?: string) {
    const key = night ?? [...this.snapshots.keys()].sort().pop();
    return key ? structuredClone(this.snapshots.get(key)) : undefined;
  }
  async listSnapshots() {
    return [...this.snapshots.values()].sort((a, b) => (a.night < b.night ? -1 : 1));
  }
  lease: { owner: string; until: number } | undefined;
  async acquireLease(owner: string, untilMs: number, force = false) {
    if (!force && this.lease && this.lease.until >= Date.now() && this.lease.owner !== owner)
      return { ok: false, holder: this.lease.owner, until: this.lease.until };
    this.lease = { owner, until: untilMs };
    return { ok: true };
  }
  async releaseLease(owner: string) {
    if (this.lease?.owner === owner) this.lease = undefined;
  }
  async getModel() {
    return this.model;
  }
  async putModel(m: StoredModel) {
    this.model = structuredClone(m);
  }
  fits: FitRecord[] = [];
  async putFitRecord(r: FitRecord) {
    this.fits.push(structuredClone(r));
    this.fits.sort((a, b) => (`${a.night}#${a.attemptedAt}` < `${b.night}#${b.attemptedAt}` ? -1 : 1));
  }
  async listFitRecords(limit?: number) {
    return structuredClone(limit ? this.fits.slice(-limit) : this.fits);
  }
}

import type { TouchStore } from '../touches/ports.ts';
import type { TouchRecord } from '../touches/touch.ts';
import type { Channel } from '../config/campaigns-schema.ts';
import type { AuditEntry, AuditLog, SuppressionEntry } from '../privacy/ports.ts';
import { suppressionDigest } from '../privacy/suppression-key.ts';

export class MemoryTouchStore implements TouchStore {
  touches = new Map<string, TouchRecord>();
  suppressed = new Map<string, string>();
  beforeUpdate: (t: TouchRecord) => void = () => {};
  async create(t: TouchRecord) {
    if (this.touches.has(t.key)) return false;
    this.touches.set(t.key, structuredClone({ ...t, rev: 1 }));
    return true;
  }
  async get(key: string) {
    return structuredClone(this.touches.get(key));
  }
  async update(t: TouchRecord, expectedRev: number) {
    this.beforeUpdate(t);
    if (this.touches.get(t.key)?.rev !== expectedRev) return false;
    this.touches.set(t.key, structuredClone(t));
    return true;
  }
  async recent(customerId: string) {
    return [...this.touches.values()].filter((t) => t.customerId === customerId).map((t) => structuredClone(t));
  }
  async *scan() {
    for (const t of this.touches.values()) yield structuredClone(t);
  }
  async isSuppressed(channel: Channel, address: string) {
    return (await this.findSuppressions(channel, address))[0]?.reason;
  }
  async suppress(channel: string, address: string, reason: string) {
    this.suppressed.set(`${channel}|${suppressionDigest(channel, address)}`, reason);
  }
  async findSuppressions(channel: Channel, address: string): Promise<SuppressionEntry[]> {
    return [address.toLowerCase(), suppressionDigest(channel, address)].flatMap((key) => {
      const reason = this.suppressed.get(`${channel}|${key}`);
      return reason === undefined ? [] : [{ channel, key, reason, at: null }];
    });
  }
  async hashSuppression(channel: Channel, address: string) {
    const plain = `${channel}|${address.toLowerCase()}`;
    const reason = this.suppressed.get(plain);
    if (reason === undefined) return false;
    this.suppressed.set(`${channel}|${suppressionDigest(channel, address)}`, reason);
    this.suppressed.delete(plain);
    return true;
  }
}

/** The audit log with the DynamoDB adapter's rule: an entry is written once, never replaced. */
export class MemoryAuditLog implements AuditLog {
  entries: AuditEntry[] = [];
  async append(e: AuditEntry) {
    if (this.entries.some((x) => x.customerId === e.customerId && x.at === e.at && x.id === e.id)) throw new Error(`audit entry ${e.id} exists`);
    this.entries.push(structuredClone(e));
  }
  async list(customerId: string) {
    return this.entries.filter((e) => e.customerId === customerId).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).map((e) => structuredClone(e));
  }
}
