import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSampleFiles } from '../../lib/cli/demo.ts';
import { ingestFiles } from '../../lib/cli/ingest-files.ts';
import { openLocal } from '../../lib/cli/local-runtime.ts';
import { validateConfigJson } from '../../lib/config/validate.ts';
import { moments } from '../support/cli.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome();
afterAll(() => t.cleanup());

describe('moments preview', () => {
  it('counts per campaign and status with reasons and rendered samples, writes nothing, and diffs a proposed configuration', { timeout: 300_000 }, async () => {
    const home = join(t.home, 'state');
    const w = writeSampleFiles(join(t.home, 'files'), { seed: 5, customers: 400, from: '2026-05-01', to: '2026-08-31' });
    const example = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8'));
    process.env['MOMENTS_HOME'] = home;
    const rt = await openLocal({ asOf: '2026-08-31' });
    try {
      await rt.adapters.config.activate(validateConfigJson(example).config!, 'v-active');
      await ingestFiles(rt, [w.membersFile, ...w.orderFiles]);
    } finally {
      await rt.close();
    }
    // The night of 31 August plans the touches of 1 September, the statement day.
    const r = await moments(['preview', '--as-of', '2026-08-31', '--json'], home);
    expect(r.code, r.err).toBe(0);
    const p = JSON.parse(r.out).active;
    expect(p.night).toBe('2026-08-31');
    expect(p.counts['monthly-statement'].planned).toBeGreaterThan(10);
    expect(p.counts['monthly-statement']['held-out']).toBeGreaterThan(0);
    expect(Object.keys(p.reasons['monthly-statement']).some((k: string) => k.startsWith('suppressed: '))).toBe(true);
    expect(p.samples['monthly-statement']['zh-CN'][0].text).toContain('【Lumière Cosmetics】');

    // Nothing was written: no touch on record, nothing queued.
    const again = await moments(['export', 'touches'], home);
    expect(again.out.trim()).toBe('');

    // A proposed file: statements without a control group, the win-back campaign removed.
    const proposed = { ...example, campaigns: example.campaigns.filter((c: { id: string }) => c.id !== 'win-back').map((c: { id: string }) => (c.id === 'monthly-statement' ? { ...c, holdOut: 0 } : c)) };
    const file = join(t.home, 'proposed.json');
    writeFileSync(file, JSON.stringify(proposed));
    const d = await moments(['preview', '--as-of', '2026-08-31', '--config', file], home);
    expect(d.code, d.err).toBe(0);
    expect(d.out).toMatch(/If .*proposed\.json were uploaded:/);
    expect(d.out).toMatch(/monthly-statement +held-out +\d+ -> +0/);
    expect(d.out).toContain('Nothing was sent or written.');

    const bad = await moments(['preview', '--as-of', '2026-08-31', '--campaign', 'nope'], home);
    expect(bad.code).toBe(2);
  });
});
