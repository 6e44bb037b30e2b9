import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../../lib/cli/ingest-files.ts';
import { openLocal } from '../../lib/cli/local-runtime.ts';
import { parseConfig } from '../../lib/config/schema.ts';
import { hasCdnow, writeCdnowSampleMonthlyFiles } from '../support/cdnow.ts';
import { tempHome } from '../support/local-home.ts';
import { moments } from '../support/cli.ts';

const t = tempHome();
afterAll(() => t.cleanup());


describe.skipIf(!hasCdnow)('moments model fit on the CDNOW sample (Fader, Hardie & Lee 2005)', () => {
  it('reproduces the published BG/NBD parameters and log-likelihood', { timeout: 300_000 }, async () => {
    const home = join(t.home, 'state');
    process.env['MOMENTS_HOME'] = home;
    const rt = await openLocal({ asOf: '1998-06-30' });
    try {
      await rt.adapters.config.activate(parseConfig({ brand: { name: 'CDNOW', timeZone: 'UTC', currency: 'USD', phoneRegion: 'US' } }), 'test');
      const { files, rows } = writeCdnowSampleMonthlyFiles(join(t.home, 'files'));
      expect(rows).toBe(6919);
      const s = await ingestFiles(rt, files, { kind: 'orders' });
      expect(s.reduce((n, x) => n + x.applied, 0)).toBe(6919);
    } finally {
      await rt.close();
    }
    const r = await moments(['model', 'fit', '--until', '1997-09-30', '--json'], home);
    expect(r.code, r.err).toBe(0);
    const fit = JSON.parse(r.out.trim());
    expect(Object.keys(fit)).toEqual(['r', 'alpha', 'a', 'b', 'logLikelihood', 'customers']);
    expect(fit.customers).toBe(2357);
    expect(Math.abs(fit.r - 0.243)).toBeLessThan(0.01);
    expect(Math.abs(fit.alpha - 4.414)).toBeLessThan(0.01);
    expect(Math.abs(fit.a - 0.793)).toBeLessThan(0.01);
    expect(Math.abs(fit.b - 2.426)).toBeLessThan(0.01);
    expect(Math.abs(fit.logLikelihood - -9582.4)).toBeLessThan(1);
  });
});
