import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../../lib/cli/ingest-files.ts';
import { openLocal } from '../../lib/cli/local-runtime.ts';
import { parseConfig } from '../../lib/config/schema.ts';
import { expectedPurchases, type RfmObservation } from '../../lib/model/bgnbd.ts';
import type { FitRecord } from '../../lib/model/fit-record.ts';
import { CDNOW_DIR, hasCdnow } from '../support/cdnow.ts';
import { moments } from '../support/cli.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome();
afterAll(() => t.cleanup());

const CAL_END = '1997-09-30';
const NIGHT = '1998-06-30';
const PUBLISHED = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/** The CDNOW sample's purchase days per customer, read straight from the file (YYYYMMDD -> YYYY-MM-DD). */
function sampleDays(): Map<string, string[]> {
  const days = new Map<string, Set<string>>();
  for (const line of readFileSync(join(CDNOW_DIR, 'CDNOW_sample.txt'), 'utf8').split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const d = `${f[2]!.slice(0, 4)}-${f[2]!.slice(4, 6)}-${f[2]!.slice(6, 8)}`;
    const s = days.get(f[0]!) ?? new Set<string>();
    s.add(d);
    days.set(f[0]!, s);
  }
  return new Map([...days].map(([id, s]) => [id, [...s].sort()]));
}

const weeks = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 6048e5;

describe.skipIf(!hasCdnow)('the model keeps itself: first night on the CDNOW sample, no model command', () => {
  it('fits before the night, so the export has pAlive; the fit record and report show it with its holdout check', { timeout: 600_000 }, async () => {
    const home = join(t.home, 'state');
    // One combined order file: one upload instead of one per month.
    const dir = join(t.home, 'files');
    mkdirSync(dir, { recursive: true });
    const rows: string[] = [];
    for (const line of readFileSync(join(CDNOW_DIR, 'CDNOW_sample.txt'), 'utf8').split(/\r?\n/)) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 5) rows.push(`S${rows.length + 1},${f[0]},${f[2]},${f[4]},USD,paid`);
    }
    const file = join(dir, 'cdnow-sample.csv');
    writeFileSync(file, 'order_id,customer_id,ordered_at,amount,currency,status\n' + rows.join('\n') + '\n');

    process.env['MOMENTS_HOME'] = home;
    let rt = await openLocal({ asOf: NIGHT });
    try {
      // 39 weeks of holdout: the calibration fit is the paper's (data to 1997-09-30).
      // The pAlive rule first, so each customer's stage shows whether the night's derivation had the model.
      const stages = { rules: [{ id: 'likely-gone', stage: 'declining', when: { pAlive: { lt: 0.3 } } }, { id: 'regular', stage: 'stable', when: {} }] };
      await rt.adapters.config.activate(parseConfig({ brand: { name: 'CDNOW', timeZone: 'UTC', currency: 'USD', phoneRegion: 'US' }, model: { holdoutWeeks: 39 }, lifecycle: stages }), 'test');
      const [s] = await ingestFiles(rt, [file], { kind: 'orders' });
      expect(s!.applied).toBe(6919);
      expect(await rt.adapters.nightly.getModel()).toBeUndefined();
    } finally {
      await rt.close();
    }

    const night = await moments(['nightly', '--as-of', NIGHT], home);
    expect(night.code, night.err).toBe(0);
    const exp = await moments(['export', 'customers'], home);
    expect(exp.code, exp.err).toBe(0);
    const out = exp.out.trim().split('\n').map((l) => JSON.parse(l) as { customerId: string; pAlive: number | null; expectedPurchases90d: number | null; stageRule: string | null });
    const days = sampleDays();
    expect(out).toHaveLength(days.size);
    expect(out.filter((r) => typeof r.pAlive !== 'number' || typeof r.expectedPurchases90d !== 'number')).toEqual([]);
    // BG/NBD: a customer without a repeat purchase is alive with certainty; one who repeated long ago is not.
    for (const r of out) if (days.get(r.customerId)!.length === 1) expect(r.pAlive).toBe(1);
    expect(out.some((r) => r.pAlive! < 0.3)).toBe(true);
    // The first night's stages already used it: the pAlive rule holds exactly for the customers below 0.3.
    expect(out.filter((r) => (r.stageRule === 'likely-gone') !== r.pAlive! < 0.3).map((r) => r.customerId)).toEqual([]);

    rt = await openLocal({ asOf: NIGHT });
    let fits: FitRecord[];
    let html: string;
    try {
      const model = await rt.adapters.nightly.getModel();
      expect(model).toMatchObject({ version: `bgnbd:${NIGHT}`, until: NIGHT, customers: days.size, unitDays: 7 });
      fits = await rt.adapters.nightly.listFitRecords();
      const chunks: Buffer[] = [];
      for await (const c of rt.adapters.objects.read(`reports/${NIGHT}/index.html`)) chunks.push(c);
      html = Buffer.concat(chunks).toString('utf8');
    } finally {
      await rt.close();
    }
    expect(fits).toHaveLength(1);
    const fit = fits[0]!;
    const hist = await moments(['model', 'history', '--json'], home);
    expect(hist.code, hist.err).toBe(0);
    expect(hist.out.trim().split('\n').map((l) => JSON.parse(l))).toEqual(fits);
    expect(fit).toMatchObject({ night: NIGHT, status: 'activated', customers: days.size, sample: { segments: 64, totalSegments: 64 } });
    expect(fit.repeatCustomers).toBe([...days.values()].filter((d) => d.length > 1).length);

    // The holdout check's calibration fit is the paper's fit: its published parameters come back.
    const h = fit.holdout!;
    expect(h.calibrationEnd).toBe(CAL_END);
    expect(h.customers).toBe(days.size); // every sample customer's first purchase is in 1997 Q1
    expect(Math.abs(h.params.r - PUBLISHED.r)).toBeLessThan(0.01);
    expect(Math.abs(h.params.alpha - PUBLISHED.alpha)).toBeLessThan(0.01);
    expect(Math.abs(h.params.a - PUBLISHED.a)).toBeLessThan(0.01);
    expect(Math.abs(h.params.b - PUBLISHED.b)).toBeLessThan(0.01);
    // Actual holdout repeat purchases, counted from the file; predicted, from the published parameters.
    let actual = 0;
    let predicted = 0;
    const zeroes = { n: 0, actual: 0 };
    for (const d of days.values()) {
      const cal = d.filter((x) => x <= CAL_END);
      const inHoldout = d.filter((x) => x > CAL_END && x <= NIGHT).length;
      actual += inHoldout;
      const obs: RfmObservation = { x: cal.length - 1, tx: weeks(cal[0]!, cal.at(-1)!), T: weeks(cal[0]!, CAL_END) };
      predicted += expectedPurchases(PUBLISHED, obs, 39);
      if (obs.x === 0) (zeroes.n++, (zeroes.actual += inHoldout));
    }
    expect(h.actual).toBe(actual);
    expect(Math.abs(h.predicted - predicted) / predicted).toBeLessThan(0.01);
    expect(h.byFrequency[0]).toMatchObject({ x: '0', customers: zeroes.n });
    expect(h.byFrequency[0]!.actual).toBeCloseTo(zeroes.actual / zeroes.n, 9);

    expect(html).toContain('Purchase model (BG/NBD)');
    expect(html).toContain(`bgnbd:${NIGHT}`);
    expect(html).toContain('id="c-model-holdout"');
    expect(html).toContain(`they made ${actual}`);
  });
});
