import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleFiles } from '../../lib/cli/demo.ts';
import { moments } from '../support/cli.ts';
import { tempHome } from '../support/local-home.ts';

const root = resolve(import.meta.dirname, '../..');
const t = tempHome();
const home = join(t.home, 'state');
afterAll(() => t.cleanup());

// A USD export under the default configuration (brand.currency CNY): 3000 customers, four orders each, so that
// the ingest passes its 10,000-row progress mark and the export is far larger than a pipe's buffer.
const CUSTOMERS = 3000;
const ROWS = 12_000;
const file = join(t.home, 'orders-2026-03-10.csv');
let ingest: Awaited<ReturnType<typeof moments>>;

beforeAll(async () => {
  const lines = ['order_id,customer_id,ordered_at,amount,currency,status'];
  for (let i = 0; i < ROWS; i++) lines.push(`B${i},C${String(i % CUSTOMERS).padStart(5, '0')},2026-03-0${1 + (i % 9)},12.50,${i % 1000 === 7 ? 'CNY' : 'USD'},paid`);
  writeFileSync(file, lines.join('\n') + '\n');
  ingest = await moments(['ingest', '--as-of', '2026-03-31', file], home);
}, 240_000);

describe('no silent zeros: rows outside brand.currency are announced (CLI through the local stack)', () => {
  it('the ingest line counts rows by currency and a warning names the currency, the count and brand.currency', () => {
    expect(ingest.code, ingest.err).toBe(0);
    const cny = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 1000 === 7).length;
    const [line, warning, ...rest] = ingest.out.trim().split('\n');
    expect(line).toContain(`${ROWS} rows, ${ROWS} applied`);
    expect(line).toContain(`by currency CNY ${cny}, USD ${ROWS - cny}`);
    expect(warning).toBe(
      `  warning: ${ROWS - cny} rows in USD, not the brand currency CNY (brand.currency in the configuration): kept apart as otherCurrencies, they count in no totalSpend, points or tier`,
    );
    expect(rest).toEqual([]);
  });

  it('--json carries the same counts and warnings', async () => {
    const again = join(t.home, 'orders-2026-03-10-again.csv');
    writeFileSync(again, readFileSync(file, 'utf8').split('\n').slice(0, 4).join('\n') + '\n');
    const r = await moments(['ingest', '--json', '--as-of', '2026-03-31', again], home);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ applied: 3, unchanged: 3, currencies: { USD: 3 }, brandCurrency: 'CNY' });
    expect(s.warnings).toEqual([expect.stringMatching(/^3 rows in USD, not the brand currency CNY \(brand\.currency/)]);
  });

  it('the report shows the banner and the command prints it', { timeout: 120_000 }, async () => {
    const out = join(t.home, 'report.html');
    const r = await moments(['report', '--as-of', '2026-03-31', '--out', out], home);
    expect(r.code, r.err).toBe(0);
    // Expected from the rows: customers with at least one USD order.
    const usd = new Set(Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 1000 !== 7).map((i) => i % CUSTOMERS)).size;
    const banner = `Spend outside the brand currency CNY: USD for ${usd.toLocaleString('en')} customers (of ${CUSTOMERS.toLocaleString('en')} customers with orders).`;
    expect(r.out).toContain(`warning: ${banner}`);
    expect(readFileSync(out, 'utf8')).toContain(`<p class="banner" role="alert">${banner}`);
  });
});

describe('pipes and paths', () => {
  it('a piped stderr gets no progress redraws, though the ingest passed its progress mark', () => {
    expect(ingest.err).not.toContain('\r');
    expect(ingest.err).toBe('');
  });

  it('simulate, without --json, writes its day-by-day redraws only to a terminal: a piped stderr gets none', { timeout: 180_000 }, async () => {
    const files = join(t.home, 'sim-files');
    writeSampleFiles(files, { seed: 5, customers: 20, from: '2026-03-01', to: '2026-03-03' });
    const r = await moments(['simulate', '--orders', files, '--from', '2026-03-01', '--to', '2026-03-03'], join(t.home, 'sim-state'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^3 days simulated/);
    expect(r.err).toBe('');
  });

  it('export customers | head: ends quietly with 0 when the reader closes the pipe early', { timeout: 120_000 }, async () => {
    const r = await new Promise<{ code: number | null; signal: string | null; err: string; got: string }>((done) => {
      const p = spawn(process.execPath, [join(root, 'bin/moments.js'), 'export', 'customers'], { env: { ...process.env, MOMENTS_HOME: home } });
      let got = '';
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      // As `head -n 1` does: read until the first line is complete, then close the read end.
      p.stdout.on('data', (d) => {
        got += d;
        if (got.includes('\n')) p.stdout.destroy();
      });
      p.on('close', (code, signal) => done({ code, signal, err, got }));
    });
    expect(r.err).toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.got.split('\n')[0]!)).toMatchObject({ totalSpend: '0.00', currency: 'CNY', otherCurrencies: { USD: expect.any(String) } });
    // The reader really left early: far fewer lines arrived than the export holds.
    expect(r.got.split('\n').length).toBeLessThan(CUSTOMERS / 2);
  });

  it('--out into a missing folder is a usage error naming the folder, before any work', async () => {
    const missing = join(t.home, 'no-such-folder');
    for (const args of [
      ['export', 'customers', '--out', join(missing, 'c.jsonl')],
      ['export', 'touches', '--out', join(missing, 't.jsonl')],
      ['report', '--out', join(missing, 'r.html')],
    ]) {
      const r = await moments(args, home);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toBe(`error: --out ${args[args.length - 1]}: the folder ${missing} does not exist; create it first\n`);
      expect(r.out).toBe('');
    }
    expect(existsSync(missing)).toBe(false);
    const dir = await moments(['export', 'customers', '--out', t.home], home);
    expect(dir.code).toBe(2);
    expect(dir.err).toBe(`error: --out ${t.home}: is a folder; give a file name\n`);
  });
});
