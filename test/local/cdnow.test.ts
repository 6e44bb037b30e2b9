import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../../lib/cli/ingest-files.ts';
import { openLocal, type LocalRuntime } from '../../lib/cli/local-runtime.ts';
import { parseConfig } from '../../lib/config/schema.ts';
import type { CustomerState } from '../../lib/state/customer-state.ts';
import { hasCdnow, readCdnowReference, writeCdnowDailyFiles } from '../support/cdnow.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome();
let rt: LocalRuntime | undefined;
afterAll(async () => {
  await rt?.close();
  t.cleanup();
});

describe.skipIf(!hasCdnow)('CDNOW master through the local stack (../shared/data/cdnow)', () => {
  it('matches the independent per-customer reference for every customer', { timeout: 1_200_000 }, async () => {
    const { files, rows } = writeCdnowDailyFiles(join(t.home, 'files'));
    expect(rows).toBe(69_659);
    process.env['MOMENTS_HOME'] = join(t.home, 'state');
    rt = await openLocal({ asOf: '1998-06-30' });
    await rt.adapters.config.activate(parseConfig({ brand: { name: 'CDNOW', timeZone: 'UTC', currency: 'USD', phoneRegion: 'US' } }), 'test');
    const summaries = await ingestFiles(rt, files, { kind: 'orders' });
    expect(summaries.reduce((n, s) => n + s.applied, 0)).toBe(69_659);
    expect(summaries.reduce((n, s) => n + s.rejected, 0)).toBe(0);

    const got = new Map<string, CustomerState>();
    for await (const s of rt.adapters.customers.scanStates()) got.set(String(Number(s.customerId)), s);
    const ref = readCdnowReference();
    expect(got.size).toBe(ref.size);
    const mismatches: string[] = [];
    for (const [id, r] of ref) {
      const s = got.get(id);
      const mine = s && {
        first_date: s.firstOrderDate,
        last_date: s.lastOrderDate,
        n_distinct_days: s.purchaseDays,
        n_orders: s.orderCount,
        total_spend: Math.round(s.totalSpendMinor) / 100,
      };
      if (JSON.stringify(mine) !== JSON.stringify({ ...r, total_spend: Math.round(r.total_spend * 100) / 100 }))
        mismatches.push(`${id}: ${JSON.stringify(mine)} vs ${JSON.stringify(r)}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(mismatches).toHaveLength(0);
  });
});
