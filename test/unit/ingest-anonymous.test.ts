import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig, type MomentsConfig } from '../../lib/config/schema.ts';
import { validateConfigJson } from '../../lib/config/validate.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';
import { summaryLine, warningLines } from '../../lib/cli/await-ingest.ts';

const WALK_IN = '散客';
const config = parseConfig({ brand: { anonymousCustomerIds: [WALK_IN, 'WALKIN'] } });

function world(cfg: MomentsConfig = config) {
  const objects = new MemoryObjectStore();
  const customers = new MemoryCustomerStore();
  const ledger = new MemoryLedger();
  let n = 0;
  const ingest = async (key: string, body: string) => {
    await objects.put(key, body);
    return ingestObject({ key, etag: `e${++n}`, lastModifiedMs: 0 }, { objects, customers, ledger, config: cfg, asOf: '2026-06-30' });
  };
  return { objects, customers, ledger, ingest };
}

const HEADER = 'order_id,customer_id,ordered_at,amount,currency,status\n';

const rowArb = fc.record({
  customer: fc.constantFrom(WALK_IN, 'WALKIN', 'C1', 'C2'),
  cents: fc.integer({ min: 1, max: 99_999 }),
  status: fc.constantFrom('paid', 'cancelled', 'refunded'),
  currency: fc.constantFrom('CNY', 'CNY', 'USD'),
  day: fc.integer({ min: 1, max: 28 }),
});

describe('brand.anonymousCustomerIds: walk-in sales count for the file, never as a customer', () => {
  it('anonymous rows are applied, summed net of refunds in the brand currency, and stored under no customer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 30 }), async (rows) => {
        const body = rows.map((r, i) => `O${i},${r.customer},2026-03-${String(r.day).padStart(2, '0')},${(r.cents / 100).toFixed(2)},${r.currency},${r.status}\n`);
        const w = world();
        const s = await w.ingest('incoming/orders/orders-2026-03-31.csv', HEADER + body.join(''));
        // The same file without the walk-in rows, for a brand with no anonymous ids: what the real customers get.
        const plain = world(parseConfig({}));
        await plain.ingest('incoming/orders/orders-2026-03-31.csv', HEADER + body.filter((_, i) => !config.brand.anonymousCustomerIds.includes(rows[i]!.customer)).join(''));

        const anon = rows.filter((r) => r.customer === WALK_IN || r.customer === 'WALKIN');
        const net = anon.filter((r) => r.currency === 'CNY').reduce((n, r) => n + (r.status === 'paid' ? r.cents : r.status === 'refunded' ? -r.cents : 0), 0);
        expect(s.applied).toBe(rows.length);
        expect(s.anonymous).toEqual(anon.length ? { rows: anon.length, netMinor: net } : undefined);
        expect(Object.values(s.currencies ?? {}).reduce((a, b) => a + b, 0)).toBe(rows.length);
        expect(w.customers.states.has(WALK_IN) || w.customers.states.has('WALKIN')).toBe(false);
        expect(w.customers.orders.has(WALK_IN) || w.customers.orders.has('WALKIN')).toBe(false);
        expect(s.customers).toBe(new Set(rows.filter((r) => !anon.includes(r)).map((r) => r.customer)).size);
        expect([...w.customers.states.keys()].sort()).toEqual([...plain.customers.states.keys()].sort());
        for (const [id, st] of plain.customers.states) expect(w.customers.states.get(id)?.state).toEqual(st.state);
        expect((s.warnings ?? []).some((x) => x.includes('anonymous customer id'))).toBe(anon.length > 0);
        expect(await w.ledger.get(s.key, s.etag)).toEqual(s);
      }),
      { numRuns: 40 },
    );
  });

  it('the reproduction: the 散客 card books a day of walk-in sales, the summary says so', async () => {
    const w = world();
    const s = await w.ingest(
      'incoming/orders/orders-2026-03-05.csv',
      HEADER + `A1,${WALK_IN},2026-03-05,120.00,CNY,paid\nA2,${WALK_IN},2026-03-05,80.50,CNY,paid\nA3,${WALK_IN},2026-03-05,-20.00,CNY,refunded\nB1,C1,2026-03-05,10.00,CNY,paid\n`,
    );
    expect(s).toMatchObject({ applied: 4, customers: 1, anonymous: { rows: 3, netMinor: 18_050 } });
    expect((summaryLine(s, (k) => k) + warningLines(s)).split('\n')).toEqual([
      'orders-2026-03-05.csv: 4 rows, 4 applied (0 already known), 0 rejected, 1 customers, by currency CNY 4',
      '  warning: 3 rows under an anonymous customer id (brand.anonymousCustomerIds): walk-in sales, net 180.50 CNY, counted for this file and not as a customer',
    ]);
    // Without the setting the card is an ordinary (and ever hotter) customer.
    const before = world(parseConfig({}));
    await before.ingest('incoming/orders/o.csv', HEADER + `A1,${WALK_IN},2026-03-05,120.00,CNY,paid\n`);
    expect(before.customers.states.get(WALK_IN)?.state.orderCount).toBe(1);
  });

  it('a member row under an anonymous id is rejected with its reason; the other rows go through', async () => {
    const w = world();
    const s = await w.ingest('incoming/members/members-2026-03-05.csv', `customer_id,phone\n${WALK_IN},13800138000\nC1,13800138001\n`);
    expect(s).toMatchObject({ rows: 2, applied: 1, rejected: 1, customers: 1 });
    const report = w.objects.text('rejected/members-2026-03-05.csv.errors.csv')!;
    expect(report).toContain('2,customer_id,散客,customer id is in brand.anonymousCustomerIds (walk-in sales): no member profile is kept for it');
    expect(w.customers.profiles.has(WALK_IN)).toBe(false);
    expect(w.customers.states.has(WALK_IN)).toBe(false);
    expect(w.customers.profiles.has('C1')).toBe(true);
  });

  it('the setting is validated like the rest of the configuration', () => {
    expect(parseConfig({}).brand.anonymousCustomerIds).toEqual([]);
    const r = validateConfigJson({ brand: { anonymousCustomerIds: ['散客', ''] } });
    expect(r.config).toBeUndefined();
    expect(r.errors.join('\n')).toContain('brand.anonymousCustomerIds[1]');
  });
});
