import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCli, main } from '../../lib/cli/main.ts';
import { captureOutput } from '../support/capture-output.ts';
import { tempHome } from '../support/local-home.ts';

/**
 * The exit code and the error line of every command, run in-process through main() (what bin/moments.js runs):
 * every case here fails before the local stack starts, so the whole table takes well under a second or two.
 */
const t = tempHome('moments-exit-');
const missing = join(t.home, 'missing');
const good = join(t.home, 'orders-2026-03-05.csv');
const longName = join(t.home, 'long', `orders-2026-03-05-${'x'.repeat(200)}.csv`);
const badConfig = join(t.home, 'bad.json');
const savedHome = process.env['MOMENTS_HOME'];

beforeAll(() => {
  process.env['MOMENTS_HOME'] = join(t.home, 'state');
  writeFileSync(good, 'order_id,customer_id,ordered_at,amount\nA1,1,2026-03-05,10\n');
  mkdirSync(join(t.home, 'long'));
  writeFileSync(longName, 'order_id,customer_id,ordered_at,amount\nA1,1,2026-03-05,10\n');
  writeFileSync(badConfig, JSON.stringify({ brand: { timeZone: 'Mars/Base' } }));
});
afterEach(() => {
  process.exitCode = undefined;
});
afterAll(() => {
  if (savedHome === undefined) delete process.env['MOMENTS_HOME'];
  else process.env['MOMENTS_HOME'] = savedHome;
  t.cleanup();
});

/** What the command wrote: commander writes to the streams itself, the commands through console (which vitest keeps). */
async function run(args: string[]) {
  let code = -1;
  const said: string[] = [];
  const keep = (...a: unknown[]) => void said.push(...a.map(String).join(' ').split('\n'));
  const spies = [vi.spyOn(console, 'error').mockImplementation(keep), vi.spyOn(console, 'log').mockImplementation(keep)];
  try {
    const streams = await captureOutput(async () => {
      code = await main(args);
    });
    return { code, lines: [...said, ...streams].filter((l) => l.trim() !== '') };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

/** Every command's input that names a file or folder, given one that is not there. */
const missingInputs: string[][] = [
  ['ingest', join(missing, 'orders.csv')],
  ['config', 'validate', join(missing, 'c.json')],
  ['config', 'activate', join(missing, 'c.json')],
  ['preview', '--as-of', '2026-03-05', '--config', join(missing, 'c.json')],
  ['simulate', '--orders', missing, '--from', '2026-03-01', '--to', '2026-03-02'],
  ['simulate', '--orders', t.home, '--members', join(missing, 'm.csv'), '--from', '2026-03-01', '--to', '2026-03-02'],
  ['simulate', '--orders', t.home, '--config', join(missing, 'c.json'), '--from', '2026-03-01', '--to', '2026-03-02'],
  ['quarantine', 'reprocess', 'orders-x.csv', '--file', join(missing, 'x.csv')],
  // --out: the folder must be there (the command does not create it).
  ['report', '--out', join(missing, 'r.html')],
  ['export', 'customers', '--out', join(missing, 'c.jsonl')],
  ['export', 'touches', '--out', join(missing, 't.jsonl')],
  ['customer', 'export', '1', '--out', join(missing, 'c.json')],
];

/** One bad argument for every command (the test below fails when a command has none here). */
const badArguments: Record<string, string[]> = {
  ingest: ['ingest', '--as-of', '2026-13-01', good],
  replay: ['replay', 'rejected/orders.csv'],
  'quarantine list': ['quarantine', 'list', '--no-such-option'],
  'quarantine reprocess': ['quarantine', 'reprocess', 'orders-x.csv', '--kind', 'refunds'],
  'export customers': ['export', 'customers', 'extra'],
  'export touches': ['export', 'touches', '--out', t.home],
  'export snapshots': ['export', 'snapshots', '--no-such-option'],
  customer: ['customer'],
  'customer erase': ['customer', 'erase'],
  'customer export': ['customer', 'export', '1', '--out', t.home],
  'customer audit': ['customer', 'audit', '1', '2'],
  nightly: ['nightly', '--as-of', 'yesterday'],
  'model fit': ['model', 'fit', '--until', '2026-02-30'],
  'model history': ['model', 'history', '--no-such-option'],
  deliver: ['deliver', '--until', 'soon'],
  simulate: ['simulate', '--orders', t.home, '--from', '2026-03-05', '--to', '2026-03-01'],
  preview: ['preview', '--as-of', '05/03/2026'],
  results: ['results', '--as-of', '2026-3-5'],
  report: ['report'],
  'config validate': ['config', 'validate'],
  'config activate': ['config', 'activate', t.home],
  'config history': ['config', 'history', '--limit', '0'],
  'config rollback': ['config', 'rollback'],
  demo: ['demo', '--customers', 'many'],
};

function leafCommands(c: Command, path: string[] = []): string[] {
  const here = path.length && (c.commands.length === 0 || c.registeredArguments.length > 0) ? [path.join(' ')] : [];
  return [...here, ...c.commands.flatMap((s) => leafCommands(s, [...path, s.name()]))];
}

const noStack = (lines: string[]) => lines.filter((l) => /^\s+at /.test(l));

describe('exit codes, the same for every command: 2 usage, 1 failure, never a stack trace', () => {
  it('the table has a bad argument for every command', () => {
    expect(Object.keys(badArguments).sort()).toEqual(leafCommands(buildCli()).sort());
  });

  it.each(missingInputs.map((a) => [a.join(' '), a]))('a missing input: %s exits 2 naming it', async (_, args) => {
    const r = await run(args as string[]);
    expect(r.code, r.lines.join('\n')).toBe(2);
    expect(noStack(r.lines)).toEqual([]);
    expect(r.lines[0]).toMatch(/^error: /);
    expect(r.lines[0]).toContain(missing);
  });

  it.each(Object.entries(badArguments))('a bad argument: %s exits 2', async (_, args) => {
    const r = await run(args);
    expect(r.code, r.lines.join('\n')).toBe(2);
    expect(noStack(r.lines)).toEqual([]);
    expect(r.lines[0]).toMatch(/^error: /);
  });

  it('a file name too long for the local stack exits 2 and says both limits', async () => {
    const r = await run(['ingest', longName]);
    expect(r.code, r.lines.join('\n')).toBe(2);
    expect(noStack(r.lines)).toEqual([]);
    expect(r.lines[0]).toMatch(/the file name is 222 bytes \(UTF-8\); the local stack takes file names of at most 207 bytes .*S3 itself allows keys of 1024 bytes/);
  });

  it('a failure is 1: a configuration that does not validate', async () => {
    const r = await run(['config', 'validate', badConfig]);
    expect(r.code).toBe(1);
    expect(r.lines.some((l) => l.includes('$.brand.timeZone'))).toBe(true);
    expect(noStack(r.lines)).toEqual([]);
  });
});
