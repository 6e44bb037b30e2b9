import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HomeLockedError, LOCK_FILE, lockHome } from '../../lib/local/home-lock.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome('moments-lock-');
afterAll(() => t.cleanup());
const lockPath = join(t.home, LOCK_FILE);
const root = resolve(import.meta.dirname, '../..');

/** The pid of a process that has ended (nothing else runs under it for the test's few milliseconds). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('the lock on a local home', () => {
  it('is held once: a second taker is told who holds it; after the release it can be taken again', async () => {
    const release = await lockHome(t.home);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    const second = lockHome(t.home);
    await expect(second).rejects.toBeInstanceOf(HomeLockedError);
    await expect(second).rejects.toThrow(`MOMENTS_HOME ${t.home} is locked: another moments process (pid ${process.pid}, since `);
    release();
    release(); // idempotent
    expect(existsSync(lockPath)).toBe(false);
    (await lockHome(t.home))();
  });

  it('a live process elsewhere holds it (the parent of this test runner)', async () => {
    writeFileSync(lockPath, JSON.stringify({ pid: process.ppid, since: '2026-01-01T00:00:00Z' }));
    await expect(lockHome(t.home)).rejects.toThrow(`(pid ${process.ppid}, since 2026-01-01T00:00:00Z)`);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.ppid);
  });

  it.each([
    ['a process that has ended', () => JSON.stringify({ pid: deadPid(), since: '2026-01-01T00:00:00Z' })],
    ['this process, from a stack never stopped', () => JSON.stringify({ pid: process.pid, since: '2026-01-01T00:00:00Z' })],
    ['no pid at all', () => 'garbage'],
  ])('a stale lock (%s) is taken over', async (_, content) => {
    writeFileSync(lockPath, content());
    const release = await lockHome(t.home);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    release();
  });

  it('processes taking one stale lock at the same instant: exactly one wins, the others are told it is locked', async () => {
    writeFileSync(lockPath, JSON.stringify({ pid: deadPid(), since: 'then' }));
    const go = join(t.home, 'go');
    // Each child waits for the go file, so all try within a millisecond or two of each other.
    const script = `
      const { register } = await import('tsx/esm/api'); register();
      const { existsSync } = await import('node:fs');
      const { lockHome } = await import(${JSON.stringify(join(root, 'lib/local/home-lock.ts'))});
      while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 2));
      try { const release = await lockHome(${JSON.stringify(t.home)}); console.log('won'); await new Promise((r) => setTimeout(r, 1000)); release(); }
      catch (e) { console.log(e.constructor.name); }`;
    const children = Array.from({ length: 4 }, () => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      return new Promise<string>((done) => p.on('close', () => done(out.trim())));
    });
    await new Promise((r) => setTimeout(r, 2500)); // the children start (tsx) and wait
    writeFileSync(go, '');
    const said = (await Promise.all(children)).sort();
    expect(said).toEqual(['HomeLockedError', 'HomeLockedError', 'HomeLockedError', 'won']);
    expect(existsSync(lockPath)).toBe(false);
  });
});
