import { openSync, readSync, closeSync } from 'node:fs';
import { basename } from 'node:path';
import type { FileSummary } from '../ingest/ports.ts';
import { uploadNameProblem } from '../ingest/upload-keys.ts';
import type { Runtime } from './runtime.ts';
import { UsageError } from './usage-error.ts';

/** Orders or members: the file name says so (member/会员), else the header does (phone or email, no order id). */
export function guessKind(path: string): 'orders' | 'members' {
  const name = basename(path).toLowerCase();
  if (/member|会员|customer|profile/.test(name) && !/order|订单/.test(name)) return 'members';
  if (/order|订单/.test(name)) return 'orders';
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(4096);
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  const head = buf.subarray(0, n).toString('latin1').split(/\r?\n/)[0]?.toLowerCase() ?? '';
  return /order_id/.test(head) || !/phone|email/.test(head) ? 'orders' : 'members';
}

/** Where a file is uploaded: incoming/<kind>/<its name>. */
export function uploadKeyOf(path: string, kind?: 'orders' | 'members'): string {
  return `incoming/${kind ?? guessKind(path)}/${basename(path)}`;
}

/** A usage error (before any work) for the first file whose name is too long for the keys its ingest writes. */
export function checkUploadNames(files: string[], target: 'local' | 'aws', kind?: 'orders' | 'members'): void {
  for (const path of files) {
    const problem = uploadNameProblem(basename(path), uploadKeyOf(path, kind), target);
    if (problem) throw new UsageError(problem);
  }
}

/**
 * Uploads each file under incoming/<kind>/ and lets the bucket trigger do the work, as on AWS; then reads the
 * file's ledger entry for the summary (polling on AWS, where the trigger runs elsewhere).
 */
export async function ingestFiles(
  rt: Pick<Runtime, 'adapters' | 'bucket' | 'settle' | 'errorFor'> & { target?: Runtime['target'] },
  files: string[],
  opts: { kind?: 'orders' | 'members'; timeoutMs?: number } = {},
): Promise<FileSummary[]> {
  const out: FileSummary[] = [];
  for (const path of files) {
    // Without a target (a test's own wiring), the local stack's lower limit.
    checkUploadNames([path], rt.target ?? 'local', opts.kind);
    const key = uploadKeyOf(path, opts.kind);
    const etag = await rt.adapters.objects.putFile(key, path);
    await rt.settle();
    const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
    let summary = await rt.adapters.customers.get(key, etag);
    while (!summary) {
      const err = rt.errorFor(key);
      if (err) throw new Error(`${basename(path)}: ingest failed: ${err}`);
      if (Date.now() > deadline) throw new Error(`${basename(path)}: no ingest result after ${Math.round((opts.timeoutMs ?? 900_000) / 1000)} s`);
      await new Promise((r) => setTimeout(r, 1000));
      summary = await rt.adapters.customers.get(key, etag);
    }
    out.push(summary);
  }
  return out;
}
