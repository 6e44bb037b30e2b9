import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempHome } from '../support/local-home.ts';

const root = resolve(import.meta.dirname, '../..');
const t = tempHome();
afterAll(() => t.cleanup());

describe('npm start (the demo), small', () => {
  it('generates, ingests, replays a month with touches delivered, and reports (GBK file, rejects, quarantine)', { timeout: 180_000 }, () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/moments.js'), 'demo', '--customers', '300', '--months', '3'], {
      env: { ...process.env, MOMENTS_HOME: t.home },
      encoding: 'utf8',
      // A hang guard, not a timing assertion: the child gets the test's time less a margin to report.
      timeout: 170_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/orders: +\d+ history files \+ \d+ replayed, \d+ history rows, \d+ applied .*, [1-9]\d* rejected/);
    expect(r.stdout).toMatch(/by status: +sent \d+/);
    expect(r.stdout).toMatch(/received locally: [1-9]\d* SMS/);
    expect(r.stdout).toContain('gb18030');
    expect(r.stdout).toMatch(/members: 3\d\d rows/);
    expect(r.stdout).toContain('quarantined: orders-');
    // The USD file: its ingest warning and the report's banner, both naming the currency and brand.currency.
    expect(r.stdout).toMatch(/applied by currency: CNY \d+, USD 3 \(brand\.currency CNY\)/);
    expect(r.stdout).toContain('warning: orders-webshop-usd.csv: 3 rows in USD, not the brand currency CNY (brand.currency in the configuration)');
    expect(r.stdout).toContain('banner: Spend outside the brand currency CNY: USD for 3 customers');
    expect(r.stdout).toContain('Where to look');
    // The handler's own JSON logs stay out of the CLI's output.
    expect(r.stdout).not.toContain('"level"');
  });
});
