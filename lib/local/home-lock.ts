/**
 * One process at a time on a local stack's home (MOMENTS_HOME). Two stacks on one home would share LevelDB and
 * the s3rver folder: LevelDB's own lock is taken only when dynalite first touches the store, so two processes
 * started at the same instant both got past the check and the second one died on `Database is closed`.
 *
 * The lock is the file `moments.lock` in the home, holding the owner's pid. It appears atomically with its
 * content (written to a file of our own, then hard-linked into place: link fails when the name exists), so a
 * second process always finds a complete lock and says who holds it. A lock whose process is gone (killed, the
 * machine restarted) is stale and is taken over; the takeover itself is guarded by `moments.lock.break`, so two
 * processes finding the same stale lock cannot both remove it (the second would remove the first one's new lock).
 */
import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'moments.lock';
/** A takeover lasts microseconds; a break file older than this was left by a process that died in one. */
const STALE_BREAK_MS = 10_000;

/** The home is in use by a live process. */
export class HomeLockedError extends Error {}

interface Holder {
  pid: number;
  since: string;
}

/** Locks this process holds: a lock naming our own pid is live only when it is one of these. */
const held = new Set<string>();
let exitHook = false;

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    if (typeof h.pid === 'number' && Number.isInteger(h.pid) && h.pid > 0) return { pid: h.pid, since: String(h.since ?? '?') };
  } catch {
    // not a lock of ours: stale
  }
  return undefined;
}

function alive(pid: number, path: string): boolean {
  if (pid === process.pid) return held.has(path);
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists, it belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `path` with `text` as its content in one step; false when it exists already. */
function createWith(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, text, { flag: 'wx' });
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** Removes the lock at `path` if it still holds what was judged stale; false when another process is breaking it. */
function breakStale(path: string, judged: string): boolean {
  const guard = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - statSync(guard).mtimeMs > STALE_BREAK_MS) unlinkSync(guard);
    } catch {
      // gone meanwhile
    }
    return false;
  }
  try {
    let now: string | undefined;
    try {
      now = readFileSync(path, 'utf8');
    } catch {
      now = undefined;
    }
    if (now === judged) unlinkSync(path);
  } finally {
    closeSync(fd);
    unlinkSync(guard);
  }
  return true;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the lock of `home` (a folder that exists) or throws HomeLockedError naming the process that holds it.
 * Returns the release, which is idempotent; the lock also goes when the process exits normally.
 */
export async function lockHome(home: string): Promise<() => void> {
  const path = join(home, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, since: new Date().toISOString() });
  for (let attempt = 0; ; attempt++) {
    if (createWith(path, mine)) break;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue; // released meanwhile: try again
    }
    const holder = parseHolder(text);
    if ((holder && alive(holder.pid, path)) || attempt >= 20)
      throw new HomeLockedError(
        `MOMENTS_HOME ${home} is locked: another moments process` +
          (holder ? ` (pid ${holder.pid}, since ${holder.since})` : '') +
          ` is using it; wait for it to end, or use another MOMENTS_HOME (if no moments process is running, delete ${path})`,
      );
    if (!breakStale(path, text)) await sleep(20);
  }
  held.add(path);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const p of held) release(p);
    });
  }
  return () => release(path);
}

function release(path: string): void {
  if (!held.delete(path)) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone: nothing to release
  }
}
