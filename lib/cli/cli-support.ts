import { createWriteStream, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { MAX_CONFIG_BYTES } from '../config/limits.ts';
import { validateConfigJson } from '../config/validate.ts';
import { isIsoDate } from '../time.ts';
import { openLocal, type LocalRuntime } from './local-runtime.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { UsageError } from './usage-error.ts';

export { UsageError };

export function asOfOption(): Option {
  return new Option('--as-of <date>', 'compute state as of this brand-local date (YYYY-MM-DD)').argParser((v) => {
    if (!isIsoDate(v)) throw new UsageError(`--as-of expects a date YYYY-MM-DD, got "${v}"`);
    return v;
  });
}

/** An option's parser: a whole number of at least `min`, else a usage error before any work. */
export const wholeNumber = (option: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${option} expects a whole number >= ${min}, got "${v}"`);
  return n;
};

export function targetOf(program: Command): string | undefined {
  return program.opts()['target'] as string | undefined;
}

export function targetCheck(target: string | undefined): void {
  if (target && target !== 'local' && target !== 'aws') throw new UsageError(`--target must be local or aws, not "${target}"`);
}

/** Opens the runtime of the chosen target, runs `fn`, and closes the runtime whatever happens. */
export async function withRuntime<T>(program: Command, fn: (rt: Runtime) => Promise<T>, opts: { asOf?: string } = {}): Promise<T> {
  const target = targetOf(program);
  targetCheck(target);
  const rt = await openRuntime(target, opts);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/** The same for commands that only make sense on the embedded stack. */
export async function withLocal<T>(fn: (rt: LocalRuntime) => Promise<T>): Promise<T> {
  const rt = await openLocal();
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/**
 * An `--out` path checked before any work: its folder must exist (the command does not guess whether to make it)
 * and the path must not be a folder. Throws a UsageError naming the option, the path and the reason.
 */
export function outPath(file: string, option = '--out'): string {
  const dir = dirname(resolve(file));
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`${option} ${file}: the folder ${dir} does not exist; create it first`);
  }
  if (!isDir) throw new UsageError(`${option} ${file}: ${dir} is not a folder`);
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`${option} ${file}: is a folder; give a file name`);
  } catch (e) {
    if (e instanceof UsageError) throw e; // else: no such file yet, as expected
  }
  return file;
}

/**
 * An input path checked before any work, the same way for every command: a file (or, with `folder`, a folder)
 * that is there. Throws a UsageError (exit 2) naming the option, the path and what is wrong with it.
 */
export function inputPath(path: string, what: { option?: string; folder?: boolean } = {}): string {
  const label = what.option ? `${what.option} ${path}` : path;
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${label}: ${code === 'ENOENT' || code === 'ENOTDIR' ? `no such ${what.folder ? 'folder' : 'file'}` : (e as Error).message}`);
  }
  if (isDir && !what.folder) throw new UsageError(`cannot read ${label}: is a folder; give a file`);
  if (!isDir && what.folder) throw new UsageError(`cannot read ${label}: not a folder`);
  return path;
}

/** The reader of stdout went away (`moments export ... | head`): the command stops quietly (lib/cli/main.ts). */
export class OutputClosed extends Error {
  constructor() {
    super('output closed by the reader');
  }
}

/** Errors of a stream whose reader is gone (`| head`): nothing more can be said there, and nothing is wrong. */
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);
export const readerGone = (e: unknown) => READER_GONE.has((e as NodeJS.ErrnoException | undefined)?.code ?? '');

/**
 * Writes lines to a file or stdout, waiting on back-pressure; `close` ends a file. A failing stream (a full disk,
 * stdout's reader gone) fails the pending write instead of waiting for a `drain` that never comes.
 */
export function lineWriter(file: string | undefined) {
  const out = file ? createWriteStream(file) : process.stdout;
  let failed: Error | undefined;
  const waiting = new Set<(e: Error) => void>();
  const onError = (e: Error) => {
    failed = readerGone(e) ? new OutputClosed() : new Error(`${file ?? 'stdout'}: ${e.message}`, { cause: e });
    for (const w of waiting) w(failed);
  };
  out.on('error', onError);
  return {
    async write(line: string): Promise<void> {
      if (failed) throw failed;
      if (out.write(line + '\n')) return;
      await new Promise<void>((ok, fail) => {
        const done = () => (waiting.delete(fail), ok());
        waiting.add(fail);
        out.once('drain', done);
      });
      if (failed) throw failed;
    },
    async close(): Promise<void> {
      try {
        if (file && !failed) await new Promise<void>((r) => (out as ReturnType<typeof createWriteStream>).end(() => r()));
      } finally {
        out.off('error', onError);
      }
      if (failed && !(failed instanceof OutputClosed)) throw failed;
    },
  };
}

export function validateConfigFile(file: string): string[] {
  let json: unknown;
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_BYTES) return [`${file}: $: ${size} bytes; a configuration is at most ${MAX_CONFIG_BYTES}`];
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return [`${file}: ${(e as Error).message}`];
  }
  return validateConfigJson(json).errors.map((m) => `${file}: ${m}`);
}

/**
 * Prints a configuration file's errors and sets exit 1; true when there were any. A file that is not there is a
 * usage error (exit 2), as for every other input.
 */
export function reportConfigErrors(file: string, option?: string): boolean {
  inputPath(file, option ? { option } : {});
  const errors = validateConfigFile(file);
  for (const e of errors) console.error(e);
  if (errors.length) process.exitCode = 1;
  return errors.length > 0;
}
