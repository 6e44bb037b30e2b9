import { createWriteStream, readFileSync, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { MAX_CONFIG_BYTES } from '../config/limits.ts';
import { validateConfigJson } from '../config/validate.ts';
import { isIsoDate } from '../time.ts';
import { openLocal, type LocalRuntime } from './local-runtime.ts';
import { openRuntime, type Runtime } from './runtime.ts';

/** A mistake in how the command was called: exit 2 (design.md). */
export class UsageError extends Error {}

export function asOfOption(): Option {
  return new Option('--as-of <date>', 'compute state as of this brand-local date (YYYY-MM-DD)').argParser((v) => {
    if (!isIsoDate(v)) throw new UsageError(`--as-of expects a date YYYY-MM-DD, got "${v}"`);
    return v;
  });
}

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

/** Writes lines to a file or stdout, waiting on back-pressure; `close` ends a file. */
export function lineWriter(file: string | undefined) {
  const out = file ? createWriteStream(file) : process.stdout;
  return {
    async write(line: string): Promise<void> {
      if (!out.write(line + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
    },
    async close(): Promise<void> {
      if (file) await new Promise<void>((r) => (out as ReturnType<typeof createWriteStream>).end(() => r()));
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

/** Prints a configuration file's errors and sets exit 1; true when there were any. */
export function reportConfigErrors(file: string): boolean {
  const errors = validateConfigFile(file);
  for (const e of errors) console.error(e);
  if (errors.length) process.exitCode = 1;
  return errors.length > 0;
}
