import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../lib/config/schema.ts';
import { MAX_FIELD_CHARS, MAX_PRODUCTS_PER_ORDER } from '../../lib/field-limits.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { parseMemberRow, type MemberRow } from '../../lib/members/parse-member-row.ts';
import { profileValues } from '../../lib/members/profile.ts';
import type { OrderRecord, RowError } from '../../lib/orders/order.ts';
import { parseOrderRow, storeZoneMap, type Row } from '../../lib/orders/parse-order-row.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';

const DYNAMO_ITEM_BYTES = 400 * 1024;
const orderCtx = { config: defaultConfig, storeZones: storeZoneMap(defaultConfig), defaultVersionMs: 1_000, line: 2 };
// uploadMs: for the members' version order on newer bases (harmless where the context has no such field).
const memberCtx = { config: defaultConfig, defaultVersionMs: 1_000, uploadMs: 1_000, line: 2, file: 'm.csv' };
const baseOrder: Row = { order_id: 'A1', customer_id: 'C1', ordered_at: '2026-03-05 10:00:00', amount: '100.50', status: 'paid', store_id: 'S001' };
const bytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x));
/** The longest text of a field in the widest characters a BMP code unit can be in UTF-8 (3 bytes). */
const widest = (n: number) => '岸'.repeat(n);

describe('stored text fields are bounded (lib/field-limits.ts)', () => {
  it('an order row with store, channel or region over its bound is rejected with that column', () => {
    for (const [column, field] of [
      ['store_id', 'storeId'],
      ['channel', 'channel'],
      ['region', 'region'],
    ] as const) {
      const max = MAX_FIELD_CHARS[field];
      expect(Array.isArray(parseOrderRow({ ...baseOrder, [column]: 'x'.repeat(max) }, orderCtx)), column).toBe(false);
      const errors = parseOrderRow({ ...baseOrder, [column]: 'x'.repeat(max + 1) }, orderCtx) as RowError[];
      expect(errors).toEqual([expect.objectContaining({ column, reason: `too long: ${max + 1} characters, at most ${max}` })]);
    }
    const longId = parseOrderRow({ ...baseOrder, customer_id: 'C'.repeat(MAX_FIELD_CHARS.id + 1) }, orderCtx) as RowError[];
    expect(longId).toEqual([expect.objectContaining({ column: 'customer_id', reason: expect.stringMatching(/^too long/) })]);
  });

  it('a member row keeps its other values when one is over its bound; the report shows the start of the value', () => {
    const long = 'n'.repeat(450_000);
    const { profile, errors } = parseMemberRow({ customer_id: 'C1', name: long, phone: '13812345678', email: 'a@example.com' }, memberCtx);
    expect(errors).toEqual([{ line: 2, column: 'name', value: `${'n'.repeat(200)}… (450000 characters)`, reason: `too long: 450000 characters, at most ${MAX_FIELD_CHARS.name}` }]);
    expect(profileValues(profile)).toMatchObject({ phone: '+8613812345678', email: 'a@example.com' });
    expect(profile?.fields.name).toBeUndefined();
    for (const [column, field] of [
      ['email', 'email'],
      ['phone', 'phone'],
      ['locale', 'locale'],
      ['time_zone', 'timeZone'],
    ] as const) {
      const r = parseMemberRow({ customer_id: 'C1', name: '王小明', [column]: '1'.repeat(MAX_FIELD_CHARS[field] + 1) }, memberCtx);
      expect(r.errors.map((e) => [e.column, e.reason]), column).toEqual([[column, `too long: ${MAX_FIELD_CHARS[field] + 1} characters, at most ${MAX_FIELD_CHARS[field]}`]]);
      expect(profileValues(r.profile).name).toBe('王小明');
    }
  });

  it('whatever lengths a row has (up to 50 times the bounds), it is rejected or its item stays far below 400 KB', () => {
    const text = (max: number) => fc.oneof(fc.integer({ min: 0, max: max * 50 }).map(widest), fc.string({ unit: 'grapheme', maxLength: 40 }));
    fc.assert(
      fc.property(
        fc.record({ store_id: text(MAX_FIELD_CHARS.storeId), channel: text(MAX_FIELD_CHARS.channel), region: text(MAX_FIELD_CHARS.region) }),
        fc.integer({ min: 0, max: MAX_PRODUCTS_PER_ORDER + 5 }),
        (fields, products) => {
          const codes = Array.from({ length: products }, (_, i) => `${i}`.padStart(MAX_FIELD_CHARS.id, 'P')).join(';');
          const r = parseOrderRow({ ...baseOrder, order_id: 'O'.repeat(MAX_FIELD_CHARS.id), customer_id: 'C'.repeat(MAX_FIELD_CHARS.id), ...fields, products: codes }, orderCtx);
          if (!Array.isArray(r)) expect(bytes(r as OrderRecord)).toBeLessThan(20_000);
        },
      ),
      { numRuns: 60 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_FIELD_CHARS.name * 50 }), fc.integer({ min: 1, max: MAX_FIELD_CHARS.email * 50 }), (name, email) => {
        const r = parseMemberRow({ customer_id: 'C'.repeat(MAX_FIELD_CHARS.id), name: widest(name), email: `${'a'.repeat(email)}@example.com`, locale: 'zh-Hans-CN', time_zone: 'America/Argentina/ComodRivadavia' }, memberCtx);
        expect(bytes(r.profile)).toBeLessThan(3_000);
      }),
      { numRuns: 60 },
    );
  });

  it('through the ingest: a 450 KB name or region is a rejected value with its column, the file is processed and in the ledger', async () => {
    const objects = new MemoryObjectStore();
    const customers = new MemoryCustomerStore();
    // As DynamoDB: an item over 400 KB fails its write (that used to fail the whole file, with no report).
    customers.maxItemBytes = DYNAMO_ITEM_BYTES;
    const ledger = new MemoryLedger();
    const deps = { objects, customers, ledger, config: defaultConfig, asOf: '2026-03-10' };
    const huge = '长'.repeat(450_000);

    await objects.put('incoming/members/m.csv', `customer_id,name,phone\nC1,${huge},13812345678\nC2,李四,13912345678\n`);
    const m = await ingestObject({ key: 'incoming/members/m.csv', etag: 'm', lastModifiedMs: 0 }, deps);
    expect(m).toMatchObject({ status: 'processed', rows: 2, applied: 2, rejectedFields: 1, report: 'rejected/m.csv.errors.csv' });
    expect(profileValues(customers.profiles.get('C1')?.profile)).toMatchObject({ name: null, phone: '+8613812345678' });
    expect(objects.text('rejected/m.csv.errors.csv')).toContain(`2,name,${'长'.repeat(200)}… (450000 characters),"too long: 450000 characters, at most ${MAX_FIELD_CHARS.name}"`);
    expect(await ledger.get('incoming/members/m.csv', 'm')).toMatchObject({ status: 'processed' });

    await objects.put('incoming/orders/o.csv', `order_id,customer_id,ordered_at,amount,region\nA1,C1,2026-03-05,10.00,${huge}\nA2,C2,2026-03-05,20.00,上海\n`);
    const o = await ingestObject({ key: 'incoming/orders/o.csv', etag: 'o', lastModifiedMs: 0 }, deps);
    expect(o).toMatchObject({ status: 'processed', rows: 2, applied: 1, rejected: 1 });
    expect(objects.text('rejected/o.csv.errors.csv')).toMatch(/\n2,region,长{200}… \(450000 characters\),"too long: 450000 characters, at most 200"/);
    expect(customers.orders.get('C2')?.size).toBe(1);
    expect(customers.orders.get('C1')).toBeUndefined();
  });
});
