import { createHash } from 'node:crypto';
import type { MomentsConfig } from '../config/schema.ts';
import type { OrderColumn } from '../csv/headers.ts';
import { isKnownCurrency, parseAmount } from '../money.ts';
import { localDate, parseTimestamp } from '../time.ts';
import type { OrderRecord, RowError } from './order.ts';

const STATUS: Record<string, OrderRecord['status']> = {
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

const ID_RE = /^[\p{L}\p{N}][\p{L}\p{N}._:#/-]{0,127}$/u;

export function storeZoneMap(config: MomentsConfig): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of config.stores) if (s.timeZone) m.set(s.id, s.timeZone);
  return m;
}

function versionKey(ms: number, content: string): string {
  const hash = createHash('sha1').update(content).digest('base64url').slice(0, 16);
  return `${String(Math.max(0, ms)).padStart(15, '0')}|${hash}`;
}

/** Validates one order row. Every problem is reported (not only the first) so a fix needs one round trip. */
export function parseOrderRow(row: Row, ctx: OrderRowContext): OrderRecord | RowError[] {
  const errors: RowError[] = [];
  const err = (column: string, value: string | undefined, reason: string) =>
    errors.push({ line: ctx.line, column, value: value ?? '', reason });
  const brand = ctx.config.brand;

  const orderId = (row.order_id ?? '').trim();
  const customerId = (row.customer_id ?? '').trim();
  if (!customerId) err('customer_id', row.customer_id, 'missing customer id');
  else if (!ID_RE.test(customerId)) err('customer_id', row.customer_id, 'customer id has characters an id cannot have');
  if (orderId && !ID_RE.test(orderId)) err('order_id', row.order_id, 'order id has characters an id cannot have');

  const statusText = (row.status ?? '').trim().toLowerCase().replace(/[\s-]+/g, '_');
  let status = STATUS[statusText];
  if (status === undefined) err('status', row.status, 'unknown status (expected paid, cancelled or refunded)');

  const currency = ((row.currency ?? '').trim() || brand.currency).toUpperCase();
  if (!isKnownCurrency(currency)) err('currency', row.currency, 'not an ISO 4217 currency code');

  let amountMinor = 0;
  const amountText = (row.amount ?? '').trim();
  if (!amountText) err('amount', row.amount, 'missing amount');
  else if (isKnownCurrency(currency)) {
    const a = parseAmount(amountText, currency);
    if ('error' in a) err('amount', row.amount, a.error);
    else amountMinor = a.minor;
  }
  // A negative amount is a refund whatever the status column says.
  if (amountMinor < 0 && status === 'paid') status = 'refunded';
  if (amountMinor < 0 && status === 'cancelled') err('amount', row.amount, 'negative amount on a cancelled order');
  const kind: OrderRecord['kind'] = status === 'refunded' ? 'refund' : 'order';
  if (kind === 'order' && !orderId) err('order_id', row.order_id, 'missing order id');

  const storeId = (row.store_id ?? '').trim() || undefined;
  const zone = (storeId && ctx.storeZones.get(storeId)) || brand.timeZone;
  let orderedAt = 0;
  let date = '';
  const tsText = (row.ordered_at ?? '').trim();
  if (!tsText) err('ordered_at', row.ordered_at, 'missing order time');
  else {
    const p = parseTimestamp(tsText, zone);
    if ('error' in p) err('ordered_at', row.ordered_at, p.error);
    else {
      orderedAt = p.epochMs;
      date = p.dateOnly && p.date ? p.date : localDate(p.epochMs, brand.timeZone);
    }
  }

  let versionMs = ctx.hasUpdatedAt && orderedAt ? orderedAt : ctx.defaultVersionMs;
  const updText = (row.updated_at ?? '').trim();
  if (updText) {
    const p = parseTimestamp(updText, zone);
    if ('error' in p) err('updated_at', row.updated_at, p.error);
    else versionMs = p.epochMs;
  }

  let pointsRedeemed: number | undefined;
  const prText = (row.points_redeemed ?? '').trim();
  if (prText) {
    if (!/^\d{1,9}$/.test(prText)) err('points_redeemed', row.points_redeemed, 'expected a whole number of points');
    else pointsRedeemed = Number(prText) || undefined;
  }

  let products: string[] | undefined;
  const productText = (row.products ?? '').trim();
  if (productText) {
    products = [...new Set(productText.split(/\s*[;|、，]\s*/).filter(Boolean))].sort();
    const bad = products.find((x) => !ID_RE.test(x));
    if (bad !== undefined) err('products', row.products, `"${bad}" is not a product code (codes separated by ; or |)`);
    else if (products.length > 100) err('products', row.products, 'more than 100 product codes on one order');
  }

  const originalOrderId = (row.original_order_id ?? '').trim() || undefined;
  if (originalOrderId && !ID_RE.test(originalOrderId))
    err('original_order_id', row.original_order_id, 'order id has characters an id cannot have');

  if (errors.length > 0 || status === undefined) return errors;

  const rec: Omit<OrderRecord, 'key' | 'version'> = {
    orderId,
    customerId,
    kind,
    status,
    orderedAt,
    localDate: date,
    amountMinor: Math.abs(amountMinor),
    currency,
    ...(storeId ? { storeId } : {}),
    ...(row.channel?.trim() ? { channel: row.channel.trim() } : {}),
    ...(row.region?.trim() ? { region: row.region.trim() } : {}),
    ...(originalOrderId ? { originalOrderId } : {}),
    ...(pointsRedeemed ? { pointsRedeemed } : {}),
    ...(products?.length ? { products } : {}),
  };
  const content = JSON.stringify(rec);
  // Refunds with their own id are versioned like orders; refunds without one (or reusing the original's id)
  // are identified by their content, so an identical duplicate counts once and two different refunds both count.
  let key = orderId;
  if (kind === 'refund') {
    const ownId = orderId && orderId !== originalOrderId;
    key = ownId
      ? `R#${orderId}`
      : `R#${originalOrderId ?? ''}#${createHash('sha1').update(content).digest('base64url').slice(0, 16)}`;
  }
  return { key, ...rec, version: versionKey(versionMs, content) };
}
