/// <reference lib="dom" />
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSampleFiles } from '../../lib/cli/demo.ts';
import { openLocal } from '../../lib/cli/local-runtime.ts';
import { simulate } from '../../lib/cli/simulate.ts';
import { validateConfigJson } from '../../lib/config/validate.ts';
import { CHROMIUM, CHROMIUM_ARGS, hasChromium } from '../support/chromium.ts';
import { moments } from '../support/cli.ts';
import { tempHome } from '../support/local-home.ts';
import { readFileSync } from 'node:fs';

const t = tempHome();
afterAll(() => t.cleanup());
const artefacts = resolve(import.meta.dirname, '../../test-artifacts');

describe.skipIf(!hasChromium)('moments report, opened in headless Chromium', () => {
  it('is one self-contained file whose every chart is drawn, with no page errors', { timeout: 300_000 }, async () => {
    const home = join(t.home, 'state');
    const w = writeSampleFiles(join(t.home, 'files'), { seed: 3, customers: 400, from: '2026-01-01', to: '2026-06-30' });
    process.env['MOMENTS_HOME'] = home;
    const rt = await openLocal({ asOf: '2026-01-01' });
    try {
      const config = validateConfigJson(JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8'))).config!;
      await rt.adapters.config.activate(config, 'v1');
      await simulate(rt, { ordersDir: join(t.home, 'files'), membersFile: w.membersFile, from: '2026-01-01', to: '2026-06-30', config, configVersion: 'v1' });
    } finally {
      await rt.close();
    }
    const out = join(t.home, 'report.html');
    const r = await moments(['report', '--as-of', '2026-06-30', '--out', out], home);
    expect(r.code, r.err).toBe(0);
    const html = readFileSync(out, 'utf8');
    // Self-contained: no external scripts, styles or images.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src="http/i);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      // Any request leaving the file would fail the "no network" promise.
      const requests: string[] = [];
      page.on('request', (q) => q.url().startsWith('file:') || requests.push(q.url()));
      await page.goto(`file://${out}`);
      await page.waitForFunction(() => (window as unknown as { __chartsDrawn?: number }).__chartsDrawn !== undefined);
      const canvases = await page.locator('canvas').count();
      expect(canvases).toBeGreaterThanOrEqual(12);
      expect(await page.evaluate(() => (window as unknown as { __chartsDrawn: number }).__chartsDrawn)).toBe(canvases);
      // Every canvas has pixels drawn on it.
      const blank = await page.evaluate(() =>
        [...document.querySelectorAll('canvas')].filter((c) => {
          const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) return false;
          return true;
        }).map((c) => c.id),
      );
      expect(blank).toEqual([]);
      for (const title of ['Rolling-year active customers', 'Days from the first to the second purchase', 'Customer half-life', 'Stickiness of best-seller buyers', 'Points expiry calendar', 'Incremental revenue'])
        expect(await page.getByText(title, { exact: false }).count(), title).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      mkdirSync(artefacts, { recursive: true });
      writeFileSync(join(artefacts, 'report.png'), await page.screenshot({ fullPage: true }));
    } finally {
      await browser.close();
    }
  });
});
