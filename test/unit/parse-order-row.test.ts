import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../lib/config/schema.ts';
import { parseOrderRow, storeZoneMap, type Row } from '../../lib/orders/parse-order-row.ts';
import type { OrderRecord, RowError } from '../../lib/orders/order.ts';

const ctx = { config: defaultConfig, storeZones: storeZoneMap(defaultConfig), defaultVersionMs: 1_000, line: 7 };
const base: Row = { order_id: 'A1', customer_id: '000123', ordered_at: '2026-03-05 10:00:00', amount: '100.50', status: 'paid', store_id: 'S001' };
const ok = (r: Row, c = ctx) => {
  const x = parseOrderRow(r, c);
  if (Array.isArray(x)) throw new Error(JSON.stringify(x));
  return x as OrderRecord;
};
const bad = (r: Row) => parseOrderRow(r, ctx) as RowError[];

describe('parseOrderRow', () => {
  it('keeps identifiers as strings with their leading zeros', () => {
    const o = ok(base);
    expect(o.customerId).toBe('000123');
    expect(o.amountMinor).toBe(10050);
    expect(o.currency).toBe('CNY');
    expect(o.localDate).toBe('2026-03-05');
    expect(o.kind).toBe('order');
  });
  it('reads Chinese and English statuses', () => {
    expect(ok({ ...base, status: '已取消' }).status).toBe('cancelled');
    expect(ok({ ...base, status: 'Completed' }).status).toBe('paid');
    expect(ok({ ...base, status: '已退款', original_order_id: 'A0' }).kind).toBe('refund');
    expect(ok({ ...base, status: '' }).status).toBe('paid');
  });
  it('treats a negative amount as a refund of that amount', () => {
    const r = ok({ ...base, order_id: 'R9', amount: '-20.00' });
    expect(r).toMatchObject({ kind: 'refund', amountMinor: 2000, key: 'R#R9' });
  });
  it('identifies refunds without their own id by content, so duplicates collapse and different refunds do not', () => {
    const a = ok({ ...base, order_id: '', status: 'refunded', original_order_id: 'A1', amount: '10' });
    const b = ok({ ...base, order_id: '', status: 'refunded', original_order_id: 'A1', amount: '10' });
    const c = ok({ ...base, order_id: '', status: 'refunded', original_order_id: 'A1', amount: '11' });
    expect(a.key).toBe(b.key);
    expect(a.key).not.toBe(c.key);
    expect(a.key.startsWith('R#A1#')).toBe(true);
  });
  it('keeps the key of a refund without its own id across releases (it names stored items)', () => {
    // Pinned from the release before the content hash replaced SHA-1 in versions (commit 87935c7).
    const row = { order_id: '', customer_id: 'C1', ordered_at: '2026-03-05 10:00:00', amount: '10', status: 'refunded', original_order_id: 'A1', store_id: 'S1' };
    expect(ok(row).key).toBe('R#A1#wp64FoR_ZhIliFdg');
  });
  it('reads store-local times in the store zone and dates the order in the brand zone', () => {
    const config = parseConfig({ stores: [{ id: 'URU', timeZone: 'Asia/Urumqi' }] });
    const o = ok({ ...base, store_id: 'URU', ordered_at: '2026-03-05 23:30:00' }, { ...ctx, config, storeZones: storeZoneMap(config) });
    // 23:30 in Urumqi (+06:00) is 01:30 the next day in Shanghai.
    expect(o.orderedAt).toBe(Date.parse('2026-03-05T17:30:00Z'));
    expect(o.localDate).toBe('2026-03-06');
  });
  it('versions by updated_at, else the export date, and a later version sorts higher', () => {
    const v1 = ok({ ...base, updated_at: '2026-03-05 12:00' });
    const v2 = ok({ ...base, status: 'cancelled', updated_at: '2026-03-06 09:00' });
    expect(v2.version > v1.version).toBe(true);
    const dflt = ok(base);
    expect(dflt.version.startsWith(String(1000).padStart(15, '0'))).toBe(true);
  });
  it('reports every problem of a bad row with line, column, value and reason', () => {
    const errs = bad({ order_id: 'X1', customer_id: '=HYPERLINK("x")', ordered_at: '2026-02-30', amount: 'abc', status: 'lost' });
    expect(errs.map((e) => e.column).sort()).toEqual(['amount', 'customer_id', 'ordered_at', 'status']);
    expect(errs.every((e) => e.line === 7 && e.reason.length > 5)).toBe(true);
    expect(errs.find((e) => e.column === 'customer_id')?.value).toBe('=HYPERLINK("x")');
  });
  it('rejects an Excel total row', () => {
    const errs = bad({ order_id: '合计', customer_id: '', ordered_at: '', amount: '12345.00' });
    expect(errs.map((e) => e.column)).toContain('customer_id');
  });
});

describe('product codes', () => {
  it('are read from a products column (; | 、 separated), deduplicated, and checked', () => {
    expect(ok({ ...base, products: 'SKU2; SKU1|SKU2' }).products).toEqual(['SKU1', 'SKU2']);
    expect(ok({ ...base, products: '' }).products).toBeUndefined();
    expect(bad({ ...base, products: 'SKU1;=cmd' }).map((e) => e.column)).toEqual(['products']);
  });
});
