import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** `npx moments ARGS` in a child process with its own MOMENTS_HOME (async: the parent's event loop keeps running). */
export function moments(args: string[], home: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [join(root, 'bin/moments.js'), ...args], { env: { ...process.env, MOMENTS_HOME: home, ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => done({ code, out, err }));
  });
}
