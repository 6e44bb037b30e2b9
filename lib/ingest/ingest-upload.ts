import { fileKind } from './file-meta.ts';
import { ingestObject, type IngestDeps, type IngestObject } from './ingest-file.ts';
import { parsePartKey, partAs, type SplitPlan } from './part-meta.ts';
import type { FileSummary, ObjectStore } from './ports.ts';
import { finishSplit } from './split-finish.ts';
import { splitObject } from './split-file.ts';

export interface UploadDeps extends IngestDeps {
  /** Rows per part: a file with more is split across invocations (lib/ingest/split-file.ts). Unset: never split. */
  splitRows?: number;
}

/** A split's plan (lib/ingest/part-meta.ts), read from the bucket. */
export async function readPlan(objects: ObjectStore, key: string): Promise<SplitPlan> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of objects.read(key)) chunks.push(c);
  } catch (e) {
    throw new Error(`no split plan at ${key} (${(e as Error).name}): a part is only ingested after its plan is written`, { cause: e });
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as SplitPlan;
}

/** No order or member row is shorter than this ("1,1,2026-03-05,1" and a line break is 17). */
const MIN_ROW_BYTES = 10;

/** Fewer bytes than `splitRows` rows could take: one invocation, no walk (compressed sizes say nothing). */
function tooSmallToSplit(obj: IngestObject, splitRows: number): boolean {
  return obj.size !== undefined && !/\.gz$/i.test(obj.key) && obj.size < splitRows * MIN_ROW_BYTES;
}

/**
 * What the bucket trigger calls for an object under incoming/: an upload is split when it is large (each part
 * then arrives here as its own event), a part is ingested as the piece of the original file it is, anything
 * else is ingested whole.
 */
export async function ingestUpload(obj: IngestObject, deps: UploadDeps): Promise<FileSummary> {
  const part = parsePartKey(obj.key);
  if (part) {
    const plan = await readPlan(deps.objects, part.planKey);
    const planned = plan.parts[part.index - 1];
    if (!planned || planned.key !== obj.key) throw new Error(`${obj.key} is not in its plan ${part.planKey}`);
    // The part's ledger entry is keyed by the original's ETag: a redelivered or rewritten part is found done.
    const summary = await ingestObject({ key: obj.key, etag: plan.original.etag, lastModifiedMs: plan.original.lastModifiedMs }, deps, partAs(plan, planned));
    // A processed part is not needed again: a later event for it finds its ledger entry without reading it.
    if (summary.status === 'processed') await deps.objects.remove(obj.key).catch(() => undefined);
    await finishSplit(plan, deps);
    return summary;
  }
  if (!deps.splitRows || !fileKind(obj.key) || tooSmallToSplit(obj, deps.splitRows)) return ingestObject(obj, deps);
  const r = await splitObject(obj, deps, deps.splitRows);
  if ('done' in r) return r.done;
  if ('split' in r) return r.split;
  if ('refuse' in r) return ingestObject(obj, deps, undefined, r.refuse);
  return ingestObject(obj, { ...deps, objects: r.whole });
}
