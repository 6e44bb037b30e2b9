import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig, type MomentsConfig } from '../../lib/config/schema.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import type { CustomerRecord } from '../../lib/ingest/ports.ts';
import { buildReport } from '../../lib/report/build-report.ts';
import { otherCurrencyCustomers } from '../../lib/report/currency-banner.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';

const rowArb = fc.record({ customer: fc.integer({ min: 1, max: 12 }), currency: fc.constantFrom('CNY', 'CNY', 'USD', 'EUR'), status: fc.constantFrom('paid', 'paid', 'cancelled') });

async function base(rows: { customer: number; currency: string; status: string }[], config: MomentsConfig = defaultConfig): Promise<CustomerRecord[]> {
  const objects = new MemoryObjectStore();
  const customers = new MemoryCustomerStore();
  const key = 'incoming/orders/orders-2026-03-05.csv';
  await objects.put(
    key,
    'order_id,customer_id,ordered_at,amount,currency,status\n' + rows.map((r, i) => `O${i},C${r.customer},2026-03-05,10.00,${r.currency},${r.status}\n`).join(''),
  );
  await ingestObject({ key, etag: 'e', lastModifiedMs: 0 }, { objects, customers, ledger: new MemoryLedger(), config, asOf: '2026-03-31' });
  return [...customers.states].map(([customerId, s]) => ({ customerId, ...s }));
}

async function* each<T>(xs: T[]): AsyncIterable<T> {
  yield* xs;
}

const report = (recs: CustomerRecord[], config: MomentsConfig = defaultConfig) =>
  buildReport('2026-03-31', { customers: each(recs), touches: each([]), snapshots: [], config });

describe('report banner: spend outside the brand currency', () => {
  it('counts, per other currency, the customers with a paid order in it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 30 }), async (rows) => {
        // Expected from the rows: distinct customers with a paid order in each currency other than CNY.
        const want: Record<string, Set<number>> = {};
        for (const r of rows) if (r.status === 'paid' && r.currency !== 'CNY') (want[r.currency] ??= new Set()).add(r.customer);
        const expected = Object.fromEntries(Object.entries(want).map(([c, s]) => [c, s.size]));
        expect(otherCurrencyCustomers(await base(rows))).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('the report opens with the banner while any customer has such spend, and has none otherwise', async () => {
    const rows = [
      { customer: 1, currency: 'USD', status: 'paid' },
      { customer: 2, currency: 'USD', status: 'paid' },
      { customer: 2, currency: 'EUR', status: 'paid' },
      { customer: 3, currency: 'CNY', status: 'paid' },
    ];
    const r = await report(await base(rows));
    expect(r.banners).toEqual([
      'Spend outside the brand currency CNY: EUR for 1 customer, USD for 2 (of 3 customers with orders). ' +
        'That spend is in no total spend, points, tier or spend figure here. If the exports are in another currency, set brand.currency in the configuration.',
    ]);
    const at = r.html.indexOf('<p class="banner" role="alert">Spend outside the brand currency CNY');
    expect(at).toBeGreaterThan(r.html.indexOf('<main>'));
    expect(at).toBeLessThan(r.html.indexOf('<h2>'));

    // The same exports with brand.currency set to theirs: USD is the brand's, CNY and EUR are now the others.
    const usd = parseConfig({ brand: { currency: 'USD' } });
    expect((await report(await base(rows, usd), usd)).banners[0]).toMatch(/^Spend outside the brand currency USD: CNY for 1 customer, EUR for 1 \(of 3/);

    const plain = await report(await base([{ customer: 1, currency: 'CNY', status: 'paid' }]));
    expect(plain.banners).toEqual([]);
    expect(plain.html).not.toContain('class="banner"');
  });
});
