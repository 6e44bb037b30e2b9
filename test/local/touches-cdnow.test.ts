import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocal } from '../../lib/cli/local-runtime.ts';
import { simulate } from '../../lib/cli/simulate.ts';
import { validateConfigJson } from '../../lib/config/validate.ts';
import { hasCdnow, writeCdnowSampleDailyFiles, writeCdnowSampleMembers } from '../support/cdnow.ts';
import { tempHome } from '../support/local-home.ts';
import { checkTouchGuarantees } from '../support/touch-guarantees.ts';
import { buildReport } from '../../lib/report/build-report.ts';

const t = tempHome();
afterAll(() => t.cleanup());

describe.skipIf(!hasCdnow)('a year of touches on CDNOW (the 2,357-customer sample, generated member records)', () => {
  it('keeps every delivery guarantee, and the results and report cover it', { timeout: 900_000 }, async () => {
    const example = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8'));
    const checked = validateConfigJson({
      ...example,
      brand: { name: 'CDNOW', timeZone: 'America/New_York', currency: 'USD', phoneRegion: 'US' },
      stores: [],
      tiers: { ...example.tiers, ladder: [{ name: 'member', minSpend: '0' }, { name: 'gold', minSpend: '200' }] },
      columns: {},
    });
    expect(checked.errors).toEqual([]);
    const config = checked.config!;
    const dir = join(t.home, 'files');
    writeCdnowSampleDailyFiles(dir);
    const members = join(t.home, 'cdnow-members.csv');
    expect(writeCdnowSampleMembers(members)).toBe(2357);
    process.env['MOMENTS_HOME'] = join(t.home, 'state');
    const rt = await openLocal({ asOf: '1997-01-01' });
    try {
      await rt.adapters.config.activate(config, 'cdnow-v1');
      // Half a year: every customer's first purchase (Q1 1997), the second-purchase window, statements and expiry
      // reminders; a whole year doubled the suite's longest test for no moment the first half lacks.
      const days = await simulate(rt, { ordersDir: dir, membersFile: members, from: '1997-01-01', to: '1997-06-30', config, configVersion: 'cdnow-v1' });
      expect(days).toHaveLength(181);
      const { local } = await checkTouchGuarantees(rt, config, { minSent: 500, version: 'cdnow-v1' });
      local.close();
      // The marketer's view of the same half-year: campaign results and the report.
      const report = await buildReport('1997-06-30', {
        customers: rt.adapters.customers.scanCustomers(),
        touches: rt.adapters.touches.scan(),
        snapshots: await rt.adapters.nightly.listSnapshots(),
        config,
      });
      expect(report.customers).toBe(2357);
      expect(report.charts).toBeGreaterThanOrEqual(12);
      expect(report.html).toContain('CDNOW: CRM report');
      expect(report.html).toMatch(/<td>monthly-statement<\/td><td>1997-\d\d<\/td>/);
    } finally {
      await rt.close();
    }
  });
});
