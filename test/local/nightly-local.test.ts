import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSampleFiles } from '../../lib/cli/demo.ts';
import { ingestFiles } from '../../lib/cli/ingest-files.ts';
import { openLocal } from '../../lib/cli/local-runtime.ts';
import { defaultConfig } from '../../lib/config/schema.ts';
import { deriveFromOrders, healthContribution } from '../../lib/derive/derive.ts';
import { applyContribution, emptyTotals, mergeTotals } from '../../lib/nightly/health.ts';
import { tempHome } from '../support/local-home.ts';
import { moments } from '../support/cli.ts';
import { profileValues } from '../../lib/members/profile.ts';

const t = tempHome();
afterAll(() => t.cleanup());


describe('moments nightly through the local stack', () => {
  it('closes nights once, catches up missed ones, and matches a full recompute of every customer', { timeout: 300_000 }, async () => {
    const home = join(t.home, 'state');
    const w = writeSampleFiles(join(t.home, 'files'), { seed: 7, customers: 150, from: '2026-01-01', to: '2026-04-30' });
    process.env['MOMENTS_HOME'] = home;
    let rt = await openLocal({ asOf: '2026-04-30' });
    try {
      await ingestFiles(rt, [...w.orderFiles, w.membersFile]);
    } finally {
      await rt.close();
    }
    const first = await moments(['nightly', '--as-of', '2026-04-30', '--json'], home);
    expect(first.code, first.err).toBe(0);
    const nights = first.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(nights.map((n) => n.night)).toEqual(['2026-04-30']);
    expect(nights[0].customersProcessed).toBeGreaterThan(100);

    expect(first.out).not.toContain('report:'); // --json prints only the nights
    const again = await moments(['nightly', '--as-of', '2026-04-30'], home);
    expect(again.out).toContain('nothing to do');

    // 76 nights missed: caught up in order, each reading only what was due.
    const later = await moments(['nightly', '--as-of', '2026-07-15', '--json'], home);
    const caught = later.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(caught.map((n) => n.night)).toEqual(Array.from({ length: 76 }, (_, i) => new Date(Date.UTC(2026, 4, 1 + i)).toISOString().slice(0, 10)));
    expect(Math.max(...caught.map((n) => n.customersProcessed))).toBeLessThan(nights[0].customersProcessed);

    const exp = await moments(['export', 'customers'], home);
    const rows = exp.out.trim().split('\n').map((l) => JSON.parse(l));
    for (const k of ['tier', 'tierSince', 'valueSegment', 'stage', 'stageSince', 'stageRule', 'pAlive', 'expectedPurchases90d', 'pointsExpiringSoon'])
      expect(rows[0]).toHaveProperty(k);
    expect(new Set(rows.map((r) => r.stage)).size).toBeGreaterThan(1);
    expect(rows.filter((r) => r.valueSegment === 'diamond').length).toBeGreaterThan(0);

    rt = await openLocal({ asOf: '2026-07-15' });
    try {
      // The run's last night left its report in the bucket, as the finish step does on AWS.
      const chunks: Buffer[] = [];
      for await (const c of rt.adapters.objects.read('reports/2026-07-15/index.html')) chunks.push(c);
      expect(Buffer.concat(chunks).toString('utf8')).toContain('CRM report');
      const truth = emptyTotals();
      for await (const rec of rt.adapters.customers.scanCustomers()) {
        const full = await rt.adapters.customers.loadCustomer(rec.customerId);
        const want = deriveFromOrders(rec.customerId, full.orders, defaultConfig, '2026-07-15', undefined, { birthday: profileValues(full.profile).birthday });
        // A member without orders has been a prospect since the member file said so, not since a recompute.
        if (full.orders.length === 0) expect(rec.derived?.stage).toBe('prospect');
        else expect({ ...rec.derived, asOf: null }).toEqual({ ...want.derived, asOf: null });
        expect({ ...rec.state, asOf: null }).toEqual({ ...want.state, asOf: null });
        applyContribution(truth, healthContribution(want.state, '2026-07-15'), 1);
      }
      const snap = await rt.adapters.nightly.getSnapshot('2026-07-15');
      expect(snap?.totals).toEqual(mergeTotals([truth]));
    } finally {
      await rt.close();
    }
    const snaps = await moments(['export', 'snapshots'], home);
    expect(snaps.out.trim().split('\n')).toHaveLength(77);
  });
});
