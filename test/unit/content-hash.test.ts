import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentHash } from '../../lib/orders/content-hash.ts';
import { parseOrderRow } from '../../lib/orders/parse-order-row.ts';
import { defaultConfig } from '../../lib/config/schema.ts';
import type { OrderRecord } from '../../lib/orders/order.ts';
import { storeZoneMap } from '../../lib/orders/parse-order-row.ts';

const hashOf = (fields: (string | number | undefined)[]) => {
  const h = new ContentHash();
  for (const f of fields) typeof f === 'number' ? h.number(f) : h.text(f);
  return h.hex();
};

describe('content hash', () => {
  it('is 16 hex digits and the same in every process (stored versions depend on it)', () => {
    // Pinned: a change to the mixing would give every stored order a different version for the same content.
    expect(hashOf(['0000000001', '0045925', 'order', 'paid', 1767232800000, '2026-01-01', 8900, 'CNY', 'S003', 'store', '华南', undefined, undefined, undefined])).toBe(
      '159b1f9993a875d6',
    );
    expect(hashOf(['a'])).toMatch(/^[0-9a-f]{16}$/);
    const h = new ContentHash().text('a');
    expect(h.version(1767232800000)).toBe(`001767232800000|${h.hex()}`);
    expect(h.version(-5)).toBe(`000000000000000|${h.hex()}`);
    expect(h.version(999_999_999_999_999)).toBe(`999999999999999|${h.hex()}`);
  });

  it('separates fields, and numbers from their digits', () => {
    expect(hashOf(['ab', 'c'])).not.toBe(hashOf(['a', 'bc']));
    expect(hashOf(['ab', ''])).not.toBe(hashOf(['ab']));
    expect(hashOf([12, 3])).not.toBe(hashOf([1, 23]));
    expect(hashOf([2 ** 32 + 5])).not.toBe(hashOf([5]));
    // undefined is the empty field, as the joined SHA-1 content it replaced treated it.
    expect(hashOf(['x', undefined, 'y'])).toBe(hashOf(['x', '', 'y']));
  });

  it('differs for any one-field change of random field lists (no collisions in 20,000 pairs)', () => {
    const field = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: 0, max: 2 ** 45 }));
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 14 }), fc.nat(), field, (fields, at, replacement) => {
        const i = at % fields.length;
        fc.pre(fields[i] !== replacement && !(fields[i] === '' && replacement === ''));
        const changed = [...fields];
        changed[i] = replacement;
        expect(hashOf(changed)).not.toBe(hashOf(fields));
      }),
      { numRuns: 20_000 },
    );
  });

  it('every stored field of an order moves its version', () => {
    const ctx = { config: defaultConfig, storeZones: storeZoneMap(defaultConfig), defaultVersionMs: 1000, line: 2 };
    const base = { order_id: 'O1', customer_id: 'C1', ordered_at: '2026-01-01 10:00:00', amount: '89.00', currency: 'CNY', status: 'paid', store_id: 'S1', channel: 'store', region: '华南', points_redeemed: '5', products: 'P1;P2' };
    const version = (row: Record<string, string>) => (parseOrderRow(row, ctx) as OrderRecord).version;
    const v = version(base);
    const changes: Record<string, string> = { order_id: 'O2', customer_id: 'C2', ordered_at: '2026-01-01 10:00:01', amount: '89.01', currency: 'USD', status: 'cancelled', store_id: 'S2', channel: 'web', region: '华北', points_redeemed: '6', products: 'P1' };
    for (const [k, x] of Object.entries(changes)) expect(version({ ...base, [k]: x }), k).not.toBe(v);
    expect(version({ ...base })).toBe(v);
  });
});
