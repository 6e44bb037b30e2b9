/**
 * Seeded, realistic sample data for the demo, tests and benchmarks.
 *
 * Everything here is pure: no fs, no network, no Math.random. The same seed gives byte-identical output.
 *
 * Conventions of the generated truth (what the pipeline must cope with):
 * - `days[i].orders` is exactly what the order export of that day contains, in file order: new orders of
 *   the day, re-exports of earlier orders now cancelled (same order_id, status 'cancelled', updated_at set),
 *   refund rows (own id 'R…', status 'refunded', positive amount = refunded amount, original_order_id set
 *   for most), occasional identical duplicate rows, and occasional identical re-exports of the previous day's
 *   paid orders (overlapping export windows).
 * - `ordered_at` without offset (`2026-03-05 14:32:10`) and date-only (`20260305`) values are in the brand
 *   time zone (`opts.timeZone`). Values with an offset (`2026-03-05T14:32:10+08:00`) are written in the store's
 *   own time zone (e.g. +06:00 for the Urumqi counter) and denote the same instant.
 * - `updated_at` values (orders and members) are brand-local date-times without offset.
 */
import iconv from 'iconv-lite';
import { DateTime, IANAZone } from 'luxon';
import { stringify } from 'csv-stringify/sync';
import { MEMBER_COLUMNS, ORDER_COLUMNS, type MemberColumn, type OrderColumn } from '../csv/headers.ts';

// ---------------------------------------------------------------------------------------------------------
// Types

export type OrderStatus = 'paid' | 'cancelled' | 'refunded';
export type Channel = 'store' | 'online';

/** One order-export row, canonical columns, every value as written in the file. */
export interface OrderRow {
  order_id: string;
  customer_id: string;
  /** `YYYY-MM-DD HH:mm:ss` (brand-local), `YYYY-MM-DDTHH:mm:ss+08:00` (store zone) or `YYYYMMDD` (brand-local). */
  ordered_at: string;
  /** CNY with 2 decimals, e.g. `389.00`; for refunds the positive refunded amount. */
  amount: string;
  currency: string;
  status: OrderStatus;
  store_id: string;
  channel: Channel;
  region: string;
  /** Brand-local `YYYY-MM-DD HH:mm:ss` or ''. Always set on cancellation re-exports. */
  updated_at: string;
  /** Set on most refund rows, '' otherwise. */
  original_order_id: string;
  /** Integer points as a string, or ''. */
  points_redeemed: string;
  /** Product codes of the order, ';'-separated ('' on refunds). */
  products: string;
}

/** One member-export row, canonical columns. */
export type MemberRow = Record<MemberColumn, string>;

export interface Store {
  id: string;
  region: string;
  timeZone: string;
}

export interface SampleOptions {
  seed: number;
  /** Number of purchasing customers. A few extra members without orders are added to the member export. */
  customers: number;
  /** First day, YYYY-MM-DD (brand-local). */
  from: string;
  /** Last day, inclusive, YYYY-MM-DD. */
  to: string;
  /** Brand time zone, default Asia/Shanghai. */
  timeZone?: string;
}

export interface SampleData {
  stores: Store[];
  members: MemberRow[];
  days: { date: string; orders: OrderRow[] }[];
}

// Compile-time check that OrderRow has exactly the canonical columns.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const orderRowColumnsMatch: Exact<keyof OrderRow, OrderColumn> = true;
void orderRowColumnsMatch;

// ---------------------------------------------------------------------------------------------------------
// PRNG

export type Rng = () => number;

/** mulberry32: small, fast, good enough for sample data. Returns floats in [0, 1). */
/** 1-3 product codes, a few best-sellers far more often than the long tail (Zipf-like over 40 SKUs). */
function pickProducts(rng: Rng): string {
  const n = 1 + (rng() < 0.35 ? 1 : 0) + (rng() < 0.1 ? 1 : 0);
  const out = new Set<string>();
  while (out.size < n) out.add(`SKU${String(1 + Math.floor(40 * rng() ** 2.2)).padStart(3, '0')}`);
  return [...out].join(';');
}

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent stream seed from a seed and a stream number. */
function subSeed(seed: number, stream: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function int(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  const v = items[int(rng, items.length)];
  if (v === undefined) throw new Error('pick from empty list');
  return v;
}

function weighted<T>(rng: Rng, items: readonly T[], weights: readonly number[]): T {
  let total = 0;
  for (const w of weights) total += w;
  let r = rng() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i] ?? 0;
    if (r < 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

function normal(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

// ---------------------------------------------------------------------------------------------------------
// Dates (epoch days, UTC arithmetic on calendar dates)

const DAY_MS = 86_400_000;

function parseDay(s: string, field: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new RangeError(`${field} must be YYYY-MM-DD, got ${JSON.stringify(s)}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (fmtDay(ms / DAY_MS) !== s) throw new RangeError(`${field} is not a calendar date: ${s}`);
  return ms / DAY_MS;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function fmtDay(epochDay: number): string {
  const d = new Date(epochDay * DAY_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

function fmtTime(sec: number): string {
  return `${pad(Math.floor(sec / 3600), 2)}:${pad(Math.floor(sec / 60) % 60, 2)}:${pad(sec % 60, 2)}`;
}

function fmtCents(cents: number): string {
  return `${Math.floor(cents / 100)}.${pad(cents % 100, 2)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Catalogues

interface StoreSeed {
  region: string;
  urumqi?: boolean;
  /** Always present: exercises CSV quoting / time zones. */
  always?: boolean;
}

const PHYSICAL_STORES: readonly StoreSeed[] = [
  { region: '华东', always: true },
  { region: '华南, 广州', always: true }, // comma: needs quoting
  { region: '西南\n成都', always: true }, // newline inside a field: needs quoting
  { region: '新疆', urumqi: true, always: true },
  { region: '上海' },
  { region: '华北' },
  { region: '北京' },
  { region: '浙江' },
  { region: '江苏' },
  { region: '湖北' },
  { region: '辽宁' },
];

/** Prices (yuan) of the cosmetics catalogue, cheapest first. */
const PRICES: readonly number[] = [89, 129, 159, 199, 249, 299, 350, 420, 480, 560, 680, 790, 880, 1080, 1280];
const DISCOUNTS: readonly number[] = [0.95, 0.9, 0.88, 0.85];
const POINTS: readonly string[] = ['200', '500', '1000', '2000'];

const SURNAMES: readonly string[] = [
  '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林',
  '高', '罗', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '彭', '曾', '肖', '田', '董', '潘',
  '袁', '蔡', '蒋', '余', '于', '杜', '叶', '程', '魏', '苏', '吕', '丁', '沈', '欧阳', '上官',
];
const GIVEN: readonly string[] = [
  '丽', '娜', '静', '敏', '婷', '雪', '芳', '琳', '颖', '佳', '欣', '怡', '晨', '萱', '雯', '梦', '洁', '倩',
  '璐', '瑶', '玥', '妍', '思', '雨', '婉', '晓', '慧', '嘉', '诗', '月', '悦', '彤', '可', '馨', '欢', '蕾',
  '薇', '莉', '燕', '霞', '俊', '伟', '杰', '浩', '宇', '磊', '涛', '子', '一', '安',
];
const UYGHUR_NAMES: readonly string[] = ['阿依古丽·买买提', '古丽娜尔·艾力', '迪丽拜尔·吐尔逊', '热依拉·阿不都'];
const LATIN_GIVEN: readonly string[] = ['Emily', 'Grace', 'Vivian', 'Cindy', 'Amy', 'Sophie', 'Kevin', 'Linda', 'Joyce', 'Iris'];
const LATIN_SURNAMES: readonly string[] = ['Chen', 'Wang', 'Li', 'Zhang', 'Liu', 'Huang', 'Lin', 'Wong', 'Lee', 'Smith'];
const PINYIN: readonly string[] = ['li', 'wang', 'zhang', 'chen', 'yang', 'lin', 'xiao', 'mei', 'jing', 'ting', 'yue', 'xin', 'na', 'fang', 'hui'];
const EMAIL_DOMAINS: readonly string[] = ['qq.com', '163.com', '126.com', 'gmail.com', 'outlook.com', 'sina.com', 'foxmail.com'];
const MOBILE_PREFIXES: readonly string[] = [
  '130', '131', '132', '133', '134', '135', '136', '137', '138', '139', '150', '151', '152', '153', '155', '156',
  '157', '158', '159', '166', '177', '180', '181', '182', '183', '185', '186', '187', '188', '189', '198', '199',
];

const STORE_HOURS: readonly number[] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
const STORE_HOUR_W: readonly number[] = [2, 3, 4, 5, 5, 6, 6, 7, 8, 8, 6, 3];
const WEB_HOURS: readonly number[] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];
const WEB_HOUR_W: readonly number[] = [1, 2, 3, 3, 3, 4, 4, 3, 3, 3, 3, 3, 4, 6, 8, 9, 7];

// ---------------------------------------------------------------------------------------------------------
// Generator

interface Customer {
  id: string;
  home: Store;
  region: string;
  /** Price preference 0..1: drives first-order and later values alike. */
  pref: number;
  kind: 'one' | 'regular' | 'loyal';
}

interface Purchase {
  cust: Customer;
  day: number;
  sec: number;
  store: Store;
  cents: number;
  order: number; // tie-breaker
}

interface Event {
  day: number;
  sec: number;
  order: number;
  row: OrderRow;
}

/** Interval in days between two purchases of a repeat buyer: mode ~21 days, heavy right tail. */
function repeatInterval(rng: Rng, loyal: boolean): number {
  const u = rng();
  let x: number;
  if (u < (loyal ? 0.72 : 0.6)) x = Math.exp(Math.log(23) + 0.28 * normal(rng)); // the critical 15-30 days
  else if (u < (loyal ? 0.8 : 0.68)) x = 3 + rng() * 11; // quick top-ups
  else x = Math.exp(Math.log(65) + 0.75 * normal(rng)); // long tail
  return Math.max(1, Math.round(x));
}

function basketCents(rng: Rng, pref: number, loyal: boolean): number {
  const n = 1 + (rng() < 0.3 + 0.3 * pref ? 1 : 0) + (rng() < 0.1 + 0.15 * pref + (loyal ? 0.2 : 0) ? 1 : 0);
  let yuan = 0;
  for (let i = 0; i < n; i++) {
    const idx = clamp(Math.round(pref * (PRICES.length - 1) + normal(rng) * 2), 0, PRICES.length - 1);
    const price = PRICES[idx] ?? 89;
    if (yuan + price <= 2000) yuan += price;
  }
  let cents = yuan * 100;
  if (yuan >= 300 && rng() < 0.3) cents = Math.round(cents * pick(rng, DISCOUNTS));
  return cents;
}

function timeOfDay(rng: Rng, online: boolean): number {
  const h = online ? weighted(rng, WEB_HOURS, WEB_HOUR_W) : weighted(rng, STORE_HOURS, STORE_HOUR_W);
  return h * 3600 + int(rng, 3600);
}

function buildStores(rng: Rng, tz: string): Store[] {
  const optional = PHYSICAL_STORES.filter((s) => !s.always);
  const nPhysical = 7 + int(rng, 5); // 7..11 physical + WEB = 8..12
  const chosen = PHYSICAL_STORES.filter((s) => s.always);
  const pool = [...optional];
  while (chosen.length < nPhysical && pool.length > 0) chosen.push(pool.splice(int(rng, pool.length), 1)[0] as StoreSeed);
  // Shuffle so the quoting-heavy stores do not always get the first ids.
  for (let i = chosen.length - 1; i > 0; i--) {
    const j = int(rng, i + 1);
    [chosen[i], chosen[j]] = [chosen[j] as StoreSeed, chosen[i] as StoreSeed];
  }
  const stores: Store[] = chosen.map((s, i) => ({
    id: `S${pad(i + 1, 3)}`,
    region: s.region,
    timeZone: s.urumqi ? 'Asia/Urumqi' : tz,
  }));
  stores.push({ id: 'WEB', region: '线上', timeZone: tz });
  return stores;
}

type OrderedAtStyle = 'local' | 'offset' | 'date';

export function generateSample(opts: SampleOptions): SampleData {
  const tz = opts.timeZone ?? 'Asia/Shanghai';
  if (!IANAZone.isValidZone(tz)) throw new RangeError(`timeZone is not a valid IANA zone: ${tz}`);
  if (!Number.isInteger(opts.customers) || opts.customers < 0) throw new RangeError('customers must be a non-negative integer');
  if (!Number.isFinite(opts.seed)) throw new RangeError('seed must be a finite number');
  const first = parseDay(opts.from, 'from');
  const last = parseDay(opts.to, 'to');
  if (last < first) throw new RangeError(`to (${opts.to}) is before from (${opts.from})`);
  const nDays = last - first + 1;
  const dates: string[] = [];
  for (let d = 0; d < nDays; d++) dates.push(fmtDay(first + d));
  const ymd = dates.map((s) => s.replaceAll('-', ''));

  const rStores = mulberry32(subSeed(opts.seed, 1));
  const rCust = mulberry32(subSeed(opts.seed, 2));
  const rOrders = mulberry32(subSeed(opts.seed, 3));
  const rMembers = mulberry32(subSeed(opts.seed, 4));

  const stores = buildStores(rStores, tz);
  const physical = stores.filter((s) => s.id !== 'WEB');
  const web = stores[stores.length - 1] as Store;
  const storeWeights = stores.map((s) => (s.id === 'WEB' ? 0 : 0.5 + rStores() * 1.5));
  const physTotal = storeWeights.reduce((a, b) => a + b, 0);
  storeWeights[storeWeights.length - 1] = physTotal / 3; // WEB: ~25% of home stores

  // Day weights for first purchases: weekends busier.
  const dayIdx = dates.map((_, i) => i);
  const dayW = dates.map((_, i) => {
    const dow = new Date((first + i) * DAY_MS).getUTCDay();
    return dow === 0 || dow === 6 ? 1.4 : 1;
  });

  // --- customers (buyers) and member-only ids, ascending ids with gaps
  const buyers: Customer[] = [];
  const allIds: { id: string; buyer: Customer | null }[] = [];
  let nextId = 1 + int(rCust, 50);
  while (buyers.length < opts.customers) {
    const id = pad(nextId, 7);
    nextId += 1 + int(rCust, 3);
    if (rCust() < 0.05) {
      allIds.push({ id, buyer: null });
      continue;
    }
    const home = weighted(rCust, stores, storeWeights);
    const region = home.id === 'WEB' ? pick(rCust, physical).region : home.region;
    const loyal = rCust() < 0.03;
    const pref = clamp(0.35 + 0.2 * normal(rCust) + (loyal ? 0.2 : 0), 0, 1);
    const pOne = clamp(0.52 - 0.3 * (pref - 0.35), 0.35, 0.7);
    const kind: Customer['kind'] = loyal ? 'loyal' : rCust() < pOne ? 'one' : 'regular';
    const c: Customer = { id, home, region, pref, kind };
    buyers.push(c);
    allIds.push({ id, buyer: c });
  }

  // --- purchases
  const purchases: Purchase[] = [];
  const firstPurchase = new Map<Customer, Purchase>();
  let order = 0;
  for (const c of buyers) {
    let day = weighted(rCust, dayIdx, dayW);
    let n = 0;
    for (;;) {
      const other = rCust() < 0.12;
      const store = other ? (rCust() < 0.5 && c.home.id !== 'WEB' ? web : pick(rCust, stores)) : c.home;
      const pref = n === 0 ? c.pref : clamp(c.pref + 0.08 * normal(rCust), 0, 1);
      const p: Purchase = {
        cust: c,
        day,
        sec: timeOfDay(rCust, store.id === 'WEB'),
        store,
        cents: basketCents(rCust, pref, c.kind === 'loyal'),
        order: order++,
      };
      purchases.push(p);
      if (n === 0) firstPurchase.set(c, p);
      n++;
      if (c.kind === 'one') break;
      if (n > 1 && rCust() > (c.kind === 'loyal' ? 0.92 : 0.4)) break;
      day += repeatInterval(rCust, c.kind === 'loyal');
      if (day >= nDays) break;
    }
  }
  purchases.sort((a, b) => a.day - b.day || a.sec - b.sec || a.order - b.order);

  // --- rows
  const local = (day: number, sec: number) => `${dates[day]} ${fmtTime(Math.min(sec, 86_399))}`;
  const withOffset = (day: number, sec: number, zone: string) => {
    const dt = DateTime.fromISO(`${dates[day]}T${fmtTime(sec)}`, { zone: tz });
    return dt.setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
  };
  const orderedAt = (day: number, sec: number, store: Store): string => {
    const r = rOrders();
    const style: OrderedAtStyle =
      store.id === 'WEB' ? (r < 0.6 ? 'offset' : 'local') : r < 0.83 ? 'local' : r < 0.9 ? 'offset' : 'date';
    if (style === 'local') return local(day, sec);
    if (style === 'date') return ymd[day] as string;
    return withOffset(day, sec, store.timeZone);
  };

  const perDay: Event[][] = dates.map(() => []);
  const reexports: Event[][] = dates.map(() => []);
  const refunds: { day: number; sec: number; order: number; row: Omit<OrderRow, 'order_id'> }[] = [];
  let seq = 0;
  for (const p of purchases) {
    seq++;
    const channel: Channel = p.store.id === 'WEB' ? 'online' : 'store';
    const row: OrderRow = {
      order_id: `${ymd[p.day]}${pad(seq, 6)}`,
      customer_id: p.cust.id,
      ordered_at: orderedAt(p.day, p.sec, p.store),
      amount: fmtCents(p.cents),
      currency: 'CNY',
      status: 'paid',
      store_id: p.store.id,
      channel,
      region: channel === 'online' ? p.cust.region : p.store.region,
      updated_at: rOrders() < 0.15 ? local(p.day, p.sec + 60 + int(rOrders, 540)) : '',
      original_order_id: '',
      points_redeemed: rOrders() < 0.04 ? pick(rOrders, POINTS) : '',
      products: pickProducts(rOrders),
    };
    perDay[p.day]?.push({ day: p.day, sec: p.sec, order: p.order, row });
    if (rOrders() < 0.004) perDay[p.day]?.push({ day: p.day, sec: p.sec, order: p.order, row: { ...row } });

    if (rOrders() < 0.03) {
      const cday = p.day + 1 + int(rOrders, 3);
      if (cday < nDays) {
        const csec = 9 * 3600 + int(rOrders, 12 * 3600);
        perDay[cday]?.push({
          day: cday,
          sec: csec,
          order: p.order,
          row: { ...row, status: 'cancelled', updated_at: local(cday, csec) },
        });
      }
      continue;
    }
    if (p.day + 1 < nDays && rOrders() < 0.004) {
      reexports[p.day + 1]?.push({ day: p.day + 1, sec: -1, order: p.order, row: { ...row } });
    }
    if (rOrders() < 0.05) {
      const rday = p.day + 1 + int(rOrders, 30);
      if (rday < nDays) {
        const rsec = timeOfDay(rOrders, channel === 'online');
        const full = rOrders() < 0.6;
        const cents = full ? p.cents : Math.max(1, Math.round(p.cents * (0.2 + 0.6 * rOrders())));
        refunds.push({
          day: rday,
          sec: rsec,
          order: p.order,
          row: {
            customer_id: row.customer_id,
            ordered_at: orderedAt(rday, rsec, p.store),
            amount: fmtCents(cents),
            currency: 'CNY',
            status: 'refunded',
            store_id: row.store_id,
            channel,
            region: row.region,
            updated_at: rOrders() < 0.5 ? local(rday, rsec) : '',
            original_order_id: rOrders() < 0.9 ? row.order_id : '',
            points_redeemed: '',
            products: '',
          },
        });
      }
    }
  }
  refunds.sort((a, b) => a.day - b.day || a.sec - b.sec || a.order - b.order);
  refunds.forEach((r, i) => {
    perDay[r.day]?.push({ day: r.day, sec: r.sec, order: r.order, row: { order_id: `R${pad(i + 1, 6)}`, ...r.row } });
  });

  const days = dates.map((date, i) => {
    const evs = perDay[i] ?? [];
    evs.sort((a, b) => a.sec - b.sec || a.order - b.order);
    return { date, orders: [...(reexports[i] ?? []), ...evs].map((e) => e.row) };
  });

  // --- members
  const members: MemberRow[] = [];
  for (const { id, buyer } of allIds) {
    if (buyer && rMembers() < 0.05) continue; // bought, but missing from the member export
    const fp = buyer ? firstPurchase.get(buyer) : undefined;
    members.push(memberRow(rMembers, id, buyer, fp, nDays, local));
  }

  return { stores, members, days };
}

function phone(rng: Rng): string {
  const prefix = pick(rng, MOBILE_PREFIXES);
  const rest = pad(int(rng, 100_000_000), 8);
  const r = rng();
  if (r < 0.7) return prefix + rest;
  if (r < 0.85) return `+86 ${prefix} ${rest.slice(0, 4)} ${rest.slice(4)}`;
  return `${prefix}-${rest.slice(0, 4)}-${rest.slice(4)}`;
}

function memberRow(
  rng: Rng,
  id: string,
  buyer: Customer | null,
  fp: Purchase | undefined,
  nDays: number,
  local: (day: number, sec: number) => string,
): MemberRow {
  const urumqi = buyer?.home.timeZone === 'Asia/Urumqi';
  let name: string;
  let latin = false;
  const r = rng();
  if (r < 0.08) {
    latin = true;
    const g = pick(rng, LATIN_GIVEN);
    const s = pick(rng, LATIN_SURNAMES);
    name = rng() < 0.2 ? `${s}, ${g}` : `${g} ${s}`;
  } else if (urumqi && r < 0.4) {
    name = pick(rng, UYGHUR_NAMES);
  } else {
    name = pick(rng, SURNAMES) + pick(rng, GIVEN) + (rng() < 0.7 ? pick(rng, GIVEN) : '');
  }

  let email = '';
  if (rng() < 0.7) {
    const domain = pick(rng, EMAIL_DOMAINS);
    const localPart =
      domain === 'qq.com' && rng() < 0.7
        ? String(10_000_000 + int(rng, 2_000_000_000))
        : `${pick(rng, PINYIN)}${pick(rng, PINYIN)}${rng() < 0.6 ? int(rng, 2000) : ''}`;
    email = `${localPart}@${domain}`;
  }

  let birthday = '';
  if (rng() < 0.75) {
    const y = 1966 + int(rng, 41);
    const m = 1 + int(rng, 12);
    const dim = new Date(Date.UTC(y, m, 0)).getUTCDate();
    birthday = `${y}-${pad(m, 2)}-${pad(1 + int(rng, dim), 2)}`;
  }

  const locale = rng() < (latin ? 0.6 : 0.03) ? 'en' : 'zh-CN';
  const tzr = rng();
  const timeZone = urumqi && tzr < 0.5 ? 'Asia/Urumqi' : tzr < 0.12 ? 'Asia/Shanghai' : tzr < 0.14 ? 'Asia/Urumqi' : '';
  const yn = rng() < 0.2;
  const flag = (b: boolean) => (yn ? (b ? 'Y' : 'N') : b ? '1' : '0');
  const sms = rng() < 0.7;
  const mail = email !== '' && rng() < 0.6;

  let day = fp ? fp.day : int(rng, nDays);
  let sec = fp ? Math.max(9 * 3600, fp.sec - 60 - int(rng, 1800)) : 9 * 3600 + int(rng, 12 * 3600);
  if (rng() < 0.2) {
    day = Math.min(nDays - 1, day + int(rng, 60));
    sec = 9 * 3600 + int(rng, 12 * 3600);
  }

  return {
    customer_id: id,
    name,
    phone: phone(rng),
    email,
    birthday,
    locale,
    time_zone: timeZone,
    sms_opt_in: flag(sms),
    email_opt_in: flag(mail),
    updated_at: local(day, sec),
  };
}

// ---------------------------------------------------------------------------------------------------------
// CSV output

export const ORDER_HEADERS_ZH: Readonly<Record<OrderColumn, string>> = {
  order_id: '订单号',
  customer_id: '会员号',
  ordered_at: '下单时间',
  amount: '实付金额',
  currency: '币种',
  status: '订单状态',
  store_id: '门店编号',
  channel: '渠道',
  region: '地区',
  updated_at: '更新时间',
  original_order_id: '原订单号',
  points_redeemed: '积分抵扣',
  products: '商品编码',
};

export const MEMBER_HEADERS_ZH: Readonly<Record<MemberColumn, string>> = {
  customer_id: '会员号',
  name: '姓名',
  phone: '手机号',
  email: '邮箱',
  birthday: '生日',
  locale: '语言',
  time_zone: '时区',
  sms_opt_in: '短信订阅',
  email_opt_in: '邮件订阅',
  updated_at: '更新时间',
};

export const ORDER_STATUS_ZH: Readonly<Record<OrderStatus, string>> = {
  paid: '已支付',
  cancelled: '已取消',
  refunded: '已退款',
};

export interface CsvOptions {
  /** Chinese headers (and, for orders, Chinese status values). */
  chineseHeaders?: boolean;
  /** Encode as GBK (no BOM possible; `bom` is ignored). Default UTF-8. */
  gbk?: boolean;
  /** UTF-8 BOM. */
  bom?: boolean;
  /** CRLF record delimiters. Default LF. */
  crlf?: boolean;
  /** Quote every field, as some exporters do. */
  quoteAll?: boolean;
  /** Seed for the placement of bad rows. Default 0. */
  seed?: number;
}

export interface OrdersCsvOptions extends CsvOptions {
  /** Inject this many deliberately bad rows (kinds cycle through {@link ORDER_BAD_KINDS}). */
  badRows?: number;
  /** Append an Excel-style total row ('合计' / 'Total' in the first column, the amount sum). */
  totalRow?: boolean;
}

export interface MembersCsvOptions extends CsvOptions {
  /** Corrupt one field in this many member rows (kinds cycle through {@link MEMBER_BAD_KINDS}). */
  badRows?: number;
}

export const ORDER_BAD_KINDS = ['bad_date', 'bad_amount', 'missing_customer_id', 'unknown_status', 'formula_injection'] as const;
export type OrderBadKind = (typeof ORDER_BAD_KINDS)[number];
export const MEMBER_BAD_KINDS = ['bad_phone', 'bad_email', 'bad_birthday'] as const;
export type MemberBadKind = (typeof MEMBER_BAD_KINDS)[number];

export interface CsvInfo<K extends string> {
  buffer: Buffer;
  /** Data rows written, bad rows included, header and total row excluded. */
  dataRows: number;
  /** Number of deliberately bad rows. */
  badRows: number;
  /** Per bad row: its key (order_id for orders, customer_id for members) and what is wrong with it. */
  bad: { key: string; kind: K }[];
  totalRow: boolean;
}

function encodeCsv(records: string[][], opts: CsvOptions): Buffer {
  const text = stringify(records, {
    record_delimiter: opts.crlf ? 'windows' : 'unix',
    // csv-stringify stops quoting embedded newlines once record_delimiter is set, unless told to.
    quote_record_delimiter: true,
    quoted: opts.quoteAll ?? false,
    escape_formulas: false,
  });
  if (opts.gbk) return iconv.encode(text, 'gbk');
  const body = Buffer.from(text, 'utf8');
  return opts.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}

function checkCount(n: number | undefined, what: string): number {
  const v = n ?? 0;
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative integer`);
  return v;
}

const AMOUNT_RE = /^\d+(?:\.\d{1,2})?$/;

export function ordersCsvWithInfo(rows: readonly OrderRow[], opts: OrdersCsvOptions = {}): CsvInfo<OrderBadKind> {
  const nBad = checkCount(opts.badRows, 'badRows');
  const zh = opts.chineseHeaders ?? false;
  const rng = mulberry32(subSeed(opts.seed ?? 0, 101));
  const toRecord = (r: OrderRow): string[] =>
    ORDER_COLUMNS.map((c) => (c === 'status' && zh ? (ORDER_STATUS_ZH[r.status] ?? r.status) : r[c]));

  const data: string[][] = rows.map(toRecord);
  const bad: { key: string; kind: OrderBadKind }[] = [];
  const fallback: OrderRow = {
    order_id: '',
    customer_id: '0000001',
    ordered_at: '2026-03-05 14:32:10',
    amount: '199.00',
    currency: 'CNY',
    status: 'paid',
    store_id: 'S001',
    channel: 'store',
    region: '华东',
    updated_at: '',
    original_order_id: '',
    points_redeemed: '',
    products: '',
  };
  for (let i = 0; i < nBad; i++) {
    const kind = ORDER_BAD_KINDS[i % ORDER_BAD_KINDS.length] as OrderBadKind;
    const template = rows.length > 0 ? (rows[int(rng, rows.length)] as OrderRow) : fallback;
    const r: OrderRow = { ...template, order_id: `X${pad(i + 1, 6)}`, status: 'paid', original_order_id: '' };
    const rec = toRecord(r);
    const set = (c: OrderColumn, v: string) => {
      rec[ORDER_COLUMNS.indexOf(c)] = v;
    };
    const year = /^(\d{4})/.exec(template.ordered_at)?.[1] ?? '2026';
    if (kind === 'bad_date') set('ordered_at', `${year}-02-30 12:00:00`);
    else if (kind === 'bad_amount') set('amount', 'abc');
    else if (kind === 'missing_customer_id') set('customer_id', '');
    else if (kind === 'unknown_status') set('status', zh ? '待处理' : 'pending');
    else set('customer_id', '=HYPERLINK("x")');
    data.splice(int(rng, data.length + 1), 0, rec);
    bad.push({ key: r.order_id, kind });
  }

  const records: string[][] = [ORDER_COLUMNS.map((c) => (zh ? ORDER_HEADERS_ZH[c] : c)), ...data];
  if (opts.totalRow) {
    const ai = ORDER_COLUMNS.indexOf('amount');
    let cents = 0;
    for (const rec of data) {
      const a = rec[ai] ?? '';
      if (AMOUNT_RE.test(a)) cents += Math.round(Number(a) * 100);
    }
    records.push(ORDER_COLUMNS.map((c, i) => (i === 0 ? (zh ? '合计' : 'Total') : c === 'amount' ? fmtCents(cents) : '')));
  }
  return { buffer: encodeCsv(records, opts), dataRows: data.length, badRows: nBad, bad, totalRow: opts.totalRow ?? false };
}

/** The order export as a CSV file's bytes. Use {@link ordersCsvWithInfo} to learn which rows were made bad. */
export function ordersCsv(rows: readonly OrderRow[], opts: OrdersCsvOptions = {}): Buffer {
  return ordersCsvWithInfo(rows, opts).buffer;
}

export function membersCsvWithInfo(rows: readonly MemberRow[], opts: MembersCsvOptions = {}): CsvInfo<MemberBadKind> {
  const nBad = checkCount(opts.badRows, 'badRows');
  if (nBad > rows.length) throw new RangeError(`badRows (${nBad}) exceeds the number of member rows (${rows.length})`);
  const zh = opts.chineseHeaders ?? false;
  const rng = mulberry32(subSeed(opts.seed ?? 0, 102));
  const data: string[][] = rows.map((r) => MEMBER_COLUMNS.map((c) => r[c]));

  // Distinct rows to corrupt (partial Fisher-Yates over indices).
  const idx = rows.map((_, i) => i);
  const bad: { key: string; kind: MemberBadKind }[] = [];
  for (let i = 0; i < nBad; i++) {
    const j = i + int(rng, idx.length - i);
    [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
    const rowIndex = idx[i] as number;
    const rec = data[rowIndex] as string[];
    const kind = MEMBER_BAD_KINDS[i % MEMBER_BAD_KINDS.length] as MemberBadKind;
    if (kind === 'bad_phone') rec[MEMBER_COLUMNS.indexOf('phone')] = '12345';
    else if (kind === 'bad_email') rec[MEMBER_COLUMNS.indexOf('email')] = 'foo@';
    else rec[MEMBER_COLUMNS.indexOf('birthday')] = '1990-02-30';
    bad.push({ key: (rows[rowIndex] as MemberRow).customer_id, kind });
  }
  const records: string[][] = [MEMBER_COLUMNS.map((c) => (zh ? MEMBER_HEADERS_ZH[c] : c)), ...data];
  return { buffer: encodeCsv(records, opts), dataRows: data.length, badRows: nBad, bad, totalRow: false };
}

/** The member export as a CSV file's bytes. Use {@link membersCsvWithInfo} to learn which rows were made bad. */
export function membersCsv(rows: readonly MemberRow[], opts: MembersCsvOptions = {}): Buffer {
  return membersCsvWithInfo(rows, opts).buffer;
}

/** `orders-2026-03-05.csv` / `members-2026-03-05.csv`. */
export function sampleFileName(kind: 'orders' | 'members', date: string): string {
  parseDay(date, 'date');
  return `${kind}-${date}.csv`;
}

// ---------------------------------------------------------------------------------------------------------
// Benchmark stream

const BENCH_STORES: readonly { id: string; region: string }[] = [
  { id: 'S001', region: '华东' },
  { id: 'S002', region: '华北' },
  { id: 'S003', region: '华南' },
  { id: 'S004', region: '西南' },
  { id: 'S005', region: '上海' },
  { id: 'S006', region: '北京' },
  { id: 'S007', region: '浙江' },
  { id: 'S008', region: '江苏' },
  { id: 'S009', region: '湖北' },
  { id: 'WEB', region: '线上' },
];

/**
 * Streams a large order CSV for benchmarks: yields the canonical English header line first, then `rows`
 * data lines, each ending in '\n'. Paid orders in time order (2026-01-01 onwards, spread over 180 days) plus
 * ~3% refunds ('R…' ids) referencing a recent earlier order. Nothing needs quoting. Holds O(1) memory.
 */
export function* orderRowsForBench(seed: number, rows: number, customers: number): Generator<string> {
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError('rows must be a non-negative integer');
  if (!Number.isInteger(customers) || customers < 1) throw new RangeError('customers must be a positive integer');
  const rng = mulberry32(subSeed(seed, 201));
  yield `${ORDER_COLUMNS.join(',')}\n`;

  const spanDays = 180;
  const startDay = Date.UTC(2026, 0, 1) / DAY_MS;
  const dayStr: string[] = [];
  for (let d = 0; d <= spanDays; d++) dayStr.push(fmtDay(startDay + d));
  const RING = 4096;
  const ringId: string[] = new Array<string>(RING).fill('');
  const ringCust: string[] = new Array<string>(RING).fill('');
  const ringCents = new Int32Array(RING);
  const ringStore = new Uint8Array(RING);
  let paid = 0;
  let refundsN = 0;
  const perRowSec = rows > 0 ? (spanDays * 43_200) / rows : 0; // 12 opening hours a day

  for (let i = 0; i < rows; i++) {
    const t = Math.floor(i * perRowSec);
    const day = Math.floor(t / 43_200);
    const at = `${dayStr[day]} ${fmtTime(36_000 + (t % 43_200))}`;
    const r = paid > 0 && rng() < 0.03 ? (paid - 1 - int(rng, Math.min(paid, RING))) % RING : -1;
    // What remains of the original: a refund never takes more (the ingest rejects one that does).
    const orig = r >= 0 ? (ringCents[r] ?? 0) : 0;
    if (orig > 0) {
      const full = rng() < 0.6;
      const cents = full ? orig : Math.max(1, Math.round(orig * (0.2 + 0.6 * rng())));
      ringCents[r] = orig - cents;
      const s = BENCH_STORES[ringStore[r] ?? 0] as { id: string; region: string };
      refundsN++;
      yield `R${pad(refundsN, 8)},${ringCust[r]},${at},${fmtCents(cents)},CNY,refunded,${s.id},${s.id === 'WEB' ? 'online' : 'store'},${s.region},${at},${ringId[r]},,\n`;
      continue;
    }
    paid++;
    const id = pad(paid, 10);
    const cust = pad(1 + int(rng, customers), 7);
    const si = int(rng, BENCH_STORES.length);
    const s = BENCH_STORES[si] as { id: string; region: string };
    let cents = (PRICES[int(rng, PRICES.length)] ?? 89) * 100;
    if (rng() < 0.3) cents += (PRICES[int(rng, 6)] ?? 89) * 100;
    const k = (paid - 1) % RING;
    ringId[k] = id;
    ringCust[k] = cust;
    ringCents[k] = cents;
    ringStore[k] = si;
    yield `${id},${cust},${at},${fmtCents(cents)},CNY,paid,${s.id},${s.id === 'WEB' ? 'online' : 'store'},${s.region},,,,\n`;
  }
}
