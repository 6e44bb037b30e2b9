import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig, type MomentsConfig } from '../../lib/config/schema.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';
import { summaryLine, warningLines } from '../../lib/cli/await-ingest.ts';

function world(config: MomentsConfig = defaultConfig) {
  const objects = new MemoryObjectStore();
  const customers = new MemoryCustomerStore();
  const ledger = new MemoryLedger();
  let n = 0;
  const ingest = async (key: string, body: string) => {
    await objects.put(key, body);
    return ingestObject({ key, etag: `e${++n}`, lastModifiedMs: 0 }, { objects, customers, ledger, config, asOf: '2026-06-30' });
  };
  return { customers, ledger, ingest };
}

/** One generated order row: its currency cell ('' = the column left empty) and whether it is valid. */
const rowArb = fc.record({
  currency: fc.constantFrom('', 'CNY', 'USD', 'usd', 'EUR', 'XXQ'),
  customer: fc.constantFrom('C1', 'C2', 'C3', ''),
  cents: fc.integer({ min: 1, max: 99_999 }),
});

describe('ingest counts applied rows by currency and warns about the ones outside brand.currency', () => {
  it('counts per currency add up to the applied rows; every other currency gets one warning with its count', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 40 }), fc.constantFrom('CNY', 'USD'), async (rows, brand) => {
        const w = world(parseConfig({ brand: { currency: brand } }));
        const body =
          'order_id,customer_id,ordered_at,amount,currency,status\n' +
          rows.map((r, i) => `O${i},${r.customer},2026-03-05,${(r.cents / 100).toFixed(2)},${r.currency},paid\n`).join('');
        const s = await w.ingest('incoming/orders/orders-2026-03-05.csv', body);
        // Expected from the rows: a row is valid with a customer and a real currency; empty means the brand's.
        const expected: Record<string, number> = {};
        for (const r of rows) {
          const c = r.currency === '' ? brand : r.currency.toUpperCase();
          if (r.customer && c !== 'XXQ') expected[c] = (expected[c] ?? 0) + 1;
        }
        expect(s.currencies ?? {}).toEqual(expected);
        expect(s.brandCurrency).toBe(brand);
        expect(s.applied).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
        const others = Object.entries(expected).filter(([c]) => c !== brand);
        expect(s.warnings ?? []).toHaveLength(others.length);
        for (const [c, n] of others) {
          const line = (s.warnings ?? []).find((x) => x.includes(` in ${c},`));
          expect(line, c).toBeDefined();
          expect(line).toContain(`${n} ${n === 1 ? 'row' : 'rows'} in ${c}`);
          expect(line).toContain(`brand currency ${brand} (brand.currency`);
        }
        // The ledger keeps the same summary the CLI and the Lambda print.
        expect(await w.ledger.get(s.key, s.etag)).toEqual(s);
      }),
      { numRuns: 40 },
    );
  });

  it('the reproduction: a USD export under the default CNY brand is spelled out, not silent', async () => {
    const w = world();
    const s = await w.ingest(
      'incoming/orders/orders-2026-03-05.csv',
      'order_id,customer_id,ordered_at,amount,currency,status\nA1,C1,2026-03-05,120.00,USD,paid\nA2,C2,2026-03-06,80.00,USD,paid\n',
    );
    expect(w.customers.states.get('C1')?.state.totalSpend).toBe('0.00');
    const text = summaryLine(s, (k) => k) + warningLines(s);
    expect(text.split('\n')).toEqual([
      'orders-2026-03-05.csv: 2 rows, 2 applied (0 already known), 0 rejected, 2 customers, by currency USD 2',
      '  warning: 2 rows in USD, not the brand currency CNY (brand.currency in the configuration): kept apart as otherCurrencies, they count in no totalSpend, points or tier',
    ]);
  });

  it('a file in the brand currency only has no warning; members files count no currency', async () => {
    const w = world();
    const s = await w.ingest('incoming/orders/o.csv', 'order_id,customer_id,ordered_at,amount\nA1,C1,2026-03-05,1.00\n');
    expect(s).toMatchObject({ currencies: { CNY: 1 }, brandCurrency: 'CNY' });
    expect(s.warnings).toBeUndefined();
    const m = await w.ingest('incoming/members/m.csv', 'customer_id,phone\nC1,13800138000\n');
    expect(m.currencies).toBeUndefined();
    expect(m.warnings).toBeUndefined();
  });

  it('columns the ingest does not use are named in a warning too', async () => {
    const w = world();
    const s = await w.ingest('incoming/orders/o.csv', 'order_id,customer_id,ordered_at,amount,Notiz\nA1,C1,2026-03-05,1.00,hi\n');
    expect(s.warnings).toEqual(['columns not used: Notiz (map a column under "columns.orders" in the configuration to read it)']);
  });
});
