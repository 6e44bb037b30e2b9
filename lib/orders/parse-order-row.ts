import { hash } from 'node:crypto';
import type { MomentsConfig } from '../config/schema.ts';
import { ORDER_COLUMNS, type OrderColumn } from '../csv/headers.ts';
import { MAX_FIELD_CHARS, MAX_PRODUCTS_PER_ORDER, reportedValue, tooLong, type BoundedField } from '../field-limits.ts';
import { amountTooLarge, isKnownCurrency, MAX_ORDER_AMOUNT_MINOR, parseAmount } from '../money.ts';
import { localDate, parseTimestamp } from '../time.ts';
import { ContentHash } from './content-hash.ts';
import type { OrderRecord, RowError } from './order.ts';

const STATUS_NAMES: Record<string, OrderRecord['status']> = {
  '': 'paid',
  paid: 'paid',
  completed: 'paid',
  complete: 'paid',
  shipped: 'paid',
  delivered: 'paid',
  success: 'paid',
  已支付: 'paid',
  已付款: 'paid',
  已完成: 'paid',
  交易成功: 'paid',
  已发货: 'paid',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  void: 'cancelled',
  voided: 'cancelled',
  已取消: 'cancelled',
  交易关闭: 'cancelled',
  refunded: 'refunded',
  refund: 'refunded',
  returned: 'refunded',
  return: 'refunded',
  partially_refunded: 'refunded',
  partial_refund: 'refunded',
  已退款: 'refunded',
  退款: 'refunded',
  退货: 'refunded',
  部分退款: 'refunded',
};

// A Map, not the object: a status of "constructor" must not find Object's prototype.
const STATUS = new Map(Object.entries(STATUS_NAMES));

function statusOf(text: string): OrderRecord['status'] | undefined {
  return STATUS.get(text) ?? STATUS.get(text.trim().toLowerCase().replace(/[\s-]+/g, '_'));
}

export interface OrderRowContext {
  config: MomentsConfig;
  /** Store id -> time zone, from configuration. */
  storeZones: Map<string, string>;
  /** Epoch ms used as the version when the file has no updated_at column (the export date of the file). */
  defaultVersionMs: number;
  /** The file has an updated_at column: a row with it empty was never updated, its version is its order time. */
  hasUpdatedAt?: boolean;
  line: number;
}

export type Row = Partial<Record<OrderColumn, string>>;

// ASCII ids (nearly all) are checked without Unicode property classes, which cost ~10x more per test.
const ASCII_ID_RE = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:#/-]{0,${MAX_FIELD_CHARS.id - 1}}$`);
const ID_RE = new RegExp(`^[\\p{L}\\p{N}][\\p{L}\\p{N}._:#/-]{0,${MAX_FIELD_CHARS.id - 1}}$`, 'u');
const isId = (s: string) => ASCII_ID_RE.test(s) || ID_RE.test(s);
/** Why a text is not an id: its length, or its characters. */
const notAnId = (s: string, what: string) => tooLong('id', s) ?? `${what} has characters an id cannot have`;

export function storeZoneMap(config: MomentsConfig): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of config.stores) if (s.timeZone) m.set(s.id, s.timeZone);
  return m;
}

const ABSENT = 2 ** 30;

const sha = (content: string) => hash('sha1', content, 'base64url').slice(0, 16);

function addError(errors: RowError[] | undefined, line: number, column: string, value: string | undefined, reason: string): RowError[] {
  const e = { line, column, value: reportedValue(value ?? ''), reason };
  if (!errors) return [e];
  errors.push(e);
  return errors;
}

/** A free-text value over its bound (field-limits.ts) is an error of its column. */
function bounded(errors: RowError[] | undefined, line: number, column: string, field: BoundedField, text: string | undefined, raw: string | undefined): RowError[] | undefined {
  const why = text === undefined ? undefined : tooLong(field, text);
  return why === undefined ? errors : addError(errors, line, column, raw, why);
}

/** Validates one order row given by column name (see compileOrderRow). */
export function parseOrderRow(row: Row, ctx: OrderRowContext): OrderRecord | RowError[] {
  const index = Object.fromEntries(ORDER_COLUMNS.map((c, i) => [c, i])) as Record<OrderColumn, number>;
  return compileOrderRow(index, ctx)(ORDER_COLUMNS.map((c) => row[c] ?? ''), ctx.line);
}

/**
 * The row validator for one file's columns (field index per canonical column), built once per file: the ingest
 * calls it for every row, so it reads fields by index and allocates only the record (and errors, when there are any).
 * Every problem of a row is reported (not only the first) so a fix needs one round trip.
 */
export function compileOrderRow(
  index: Partial<Record<OrderColumn, number>>,
  ctx: Omit<OrderRowContext, 'line'>,
): (fields: readonly string[], line: number) => OrderRecord | RowError[] {
  const brand = ctx.config.brand;
  // An absent column reads past the end of the row: a positive out-of-bounds index is answered undefined on V8's fast
  // path, where a negative one is looked up as the property "-1" on every row.
  const col = (c: OrderColumn) => index[c] ?? ABSENT;
  const [iOrder, iCustomer, iStatus, iCurrency, iAmount, iStore, iAt, iUpdated, iRedeemed, iProducts, iOriginal, iChannel, iRegion] = (
    ['order_id', 'customer_id', 'status', 'currency', 'amount', 'store_id', 'ordered_at', 'updated_at', 'points_redeemed', 'products', 'original_order_id', 'channel', 'region'] as const
  ).map(col) as number[] as [number, number, number, number, number, number, number, number, number, number, number, number, number];
  const brandCurrencyKnown = isKnownCurrency(brand.currency.toUpperCase());
  // Stores, channels, regions and currencies repeat on every row: one string each instead of one per row.
  const interned = new Map<string, string>();
  const intern = (v: string | undefined) => {
    if (!v) return v;
    const seen = interned.get(v);
    if (seen !== undefined) return seen;
    if (interned.size < 10_000) interned.set(v, v);
    return v;
  };

  return (fields, line) => {
    // No closures made per row (millions of rows); an absent column reads past the row, so its field is undefined.
    let errors: RowError[] | undefined;

    const orderId = (fields[iOrder] ?? '').trim();
    const customerId = (fields[iCustomer] ?? '').trim();
    if (!customerId) errors = addError(errors, line, 'customer_id', fields[iCustomer], 'missing customer id');
    else if (!isId(customerId)) errors = addError(errors, line, 'customer_id', fields[iCustomer], notAnId(customerId, 'customer id'));
    if (orderId && !isId(orderId)) errors = addError(errors, line, 'order_id', fields[iOrder], notAnId(orderId, 'order id'));

    let status = statusOf(fields[iStatus] ?? '');
    if (status === undefined) errors = addError(errors, line, 'status', fields[iStatus], 'unknown status (expected paid, cancelled or refunded)');

    const currencyText = (fields[iCurrency] ?? '').trim();
    const currency = intern(currencyText ? currencyText.toUpperCase() : brand.currency.toUpperCase())!;
    const currencyKnown = currencyText ? isKnownCurrency(currency) : brandCurrencyKnown;
    if (!currencyKnown) errors = addError(errors, line, 'currency', fields[iCurrency], 'not an ISO 4217 currency code');

    let amountMinor = 0;
    const amountText = (fields[iAmount] ?? '').trim();
    if (!amountText) errors = addError(errors, line, 'amount', fields[iAmount], 'missing amount');
    else if (currencyKnown) {
      const a = parseAmount(amountText, currency);
      if ('error' in a) errors = addError(errors, line, 'amount', fields[iAmount], a.error);
      else if (Math.abs(a.minor) > MAX_ORDER_AMOUNT_MINOR) errors = addError(errors, line, 'amount', fields[iAmount], amountTooLarge(currency));
      else amountMinor = a.minor;
    }
    // A negative amount is a refund whatever the status column says.
    if (amountMinor < 0 && status === 'paid') status = 'refunded';
    if (amountMinor < 0 && status === 'cancelled') errors = addError(errors, line, 'amount', fields[iAmount], 'negative amount on a cancelled order');
    const kind: OrderRecord['kind'] = status === 'refunded' ? 'refund' : 'order';
    if (kind === 'order' && !orderId) errors = addError(errors, line, 'order_id', fields[iOrder], 'missing order id');

    const storeKey = (fields[iStore] ?? '').trim();
    const zone = (storeKey && ctx.storeZones.get(storeKey)) || brand.timeZone;
    let orderedAt = 0;
    let date = '';
    const tsText = (fields[iAt] ?? '').trim();
    if (!tsText) errors = addError(errors, line, 'ordered_at', fields[iAt], 'missing order time');
    else {
      const p = parseTimestamp(tsText, zone);
      if ('error' in p) errors = addError(errors, line, 'ordered_at', fields[iAt], p.error);
      else {
        orderedAt = p.epochMs;
        date = p.dateOnly && p.date ? p.date : localDate(p.epochMs, brand.timeZone);
      }
    }

    let versionMs = ctx.hasUpdatedAt && orderedAt ? orderedAt : ctx.defaultVersionMs;
    const updText = (fields[iUpdated] ?? '').trim();
    if (updText) {
      const p = parseTimestamp(updText, zone);
      if ('error' in p) errors = addError(errors, line, 'updated_at', fields[iUpdated], p.error);
      else versionMs = p.epochMs;
    }

    let pointsRedeemed: number | undefined;
    const prText = (fields[iRedeemed] ?? '').trim();
    if (prText) {
      if (!/^\d{1,9}$/.test(prText)) errors = addError(errors, line, 'points_redeemed', fields[iRedeemed], 'expected a whole number of points');
      else pointsRedeemed = Number(prText) || undefined;
    }

    let products: string[] | undefined;
    const productText = (fields[iProducts] ?? '').trim();
    if (productText) {
      products = [...new Set(productText.split(/\s*[;|、，]\s*/).filter(Boolean))].sort();
      const bad = products.find((x) => !isId(x));
      if (bad !== undefined)
        errors = addError(errors, line, 'products', fields[iProducts], `"${reportedValue(bad, 40)}" is not a product code (${tooLong('id', bad) ?? 'codes separated by ; or |'})`);
      else if (products.length > MAX_PRODUCTS_PER_ORDER)
        errors = addError(errors, line, 'products', fields[iProducts], `more than ${MAX_PRODUCTS_PER_ORDER} product codes on one order`);
    }

    const originalOrderId = (fields[iOriginal] ?? '').trim() || undefined;
    if (originalOrderId && !isId(originalOrderId)) errors = addError(errors, line, 'original_order_id', fields[iOriginal], notAnId(originalOrderId, 'order id'));

    // Free text stored on every version: bounded so that no value can push the item past DynamoDB's 400 KB, and
    // interned only once it fits.
    const storeText = (fields[iStore] ?? '').trim() || undefined;
    const channelText = (fields[iChannel] ?? '').trim() || undefined;
    const regionText = (fields[iRegion] ?? '').trim() || undefined;
    errors = bounded(errors, line, 'store_id', 'storeId', storeText, fields[iStore]);
    errors = bounded(errors, line, 'channel', 'channel', channelText, fields[iChannel]);
    errors = bounded(errors, line, 'region', 'region', regionText, fields[iRegion]);

    if (errors || status === undefined) return errors ?? [];

    const storeId = intern(storeText);
    const channel = intern(channelText);
    const region = intern(regionText);
    const amount = Math.abs(amountMinor);
    // The version's content hash covers every stored field, so equal versions are identical content. The key below and
    // the version are built with join or from a buffer, never `+` or a template: those make a rope (ConsString) that
    // keeps every piece alive, 232 bytes per version against 48 flat (measured), and a file's orders can all be in
    // memory at once (the nightly's, the bench's stand-in for the table).
    // Every stored field, once: hashed into the version, and joined for the key of a refund without its own id.
    const content = [orderId, customerId, kind, status, orderedAt, date, amount, currency, storeId, channel, region, originalOrderId, pointsRedeemed, products?.join(';')];
    const contentHash = new ContentHash();
    // An indexed loop: for-of over this mixed array measured 3-4 % slower on the whole ingest.
    for (let i = 0; i < content.length; i++) {
      const f = content[i];
      if (typeof f === 'number') contentHash.number(f);
      else contentHash.text(f);
    }
    // Refunds with their own id are versioned like orders; refunds without one (or reusing the original's id)
    // are identified by their content, so an identical duplicate counts once and two different refunds both count.
    // That key keeps its SHA-1 of the joined fields: it names stored items, so it must not change between releases.
    let key = orderId;
    if (kind === 'refund')
      key = orderId && orderId !== originalOrderId ? ['R', orderId].join('#') : ['R', originalOrderId ?? '', sha(content.map((f) => f ?? '').join('\u001f'))].join('#');
    // Every key in the literal, absent ones undefined (JSON drops them, in the same key order as before): one hidden
    // class, and the optional fields in the object itself rather than in a separate property array, which the
    // per-customer state then reads for every order (a cache miss each, measured as a tenth of the state's time).
    const rec: OrderRecord = {
      key,
      orderId,
      customerId,
      kind,
      status,
      orderedAt,
      localDate: date,
      amountMinor: amount,
      currency,
      version: contentHash.version(versionMs),
      storeId: storeId || undefined,
      channel: channel || undefined,
      region: region || undefined,
      originalOrderId: originalOrderId || undefined,
      pointsRedeemed: pointsRedeemed || undefined,
      products: products?.length ? products : undefined,
    };
    return rec;
  };
}
