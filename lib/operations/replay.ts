import { baseName, fileKind } from '../ingest/file-meta.ts';
import type { FileSummary } from '../ingest/ports.ts';
import { receivedAtOf, RECEIVED_AT_META } from './received-at.ts';
import type { BucketFiles, LedgerEntries } from './ports.ts';

/** A request the runbook refuses before touching anything (the CLI's usage error). */
export class RunbookInputError extends Error {}

export interface ReplayPorts {
  files: BucketFiles;
  ledger: LedgerEntries;
  /** Resolves with the ingest's summary once the trigger has processed (key, etag). */
  awaitResult(key: string, etag: string): Promise<FileSummary>;
}

export interface ReplayResult {
  summary: FileSummary;
  /** Ledger entries removed so the ingest does the file again. */
  forgotten: number;
  /** The arrival time the copy carries (undated rows keep their versions). */
  receivedAt: string;
}

/** The key a replay works on: an upload under incoming/orders/ or incoming/members/. */
export function checkReplayKey(key: string): string | undefined {
  if (!fileKind(key) || baseName(key) === '')
    return `${key}: not an upload; replay takes a key under incoming/orders/ or incoming/members/ (as \`moments ingest\` prints it)`;
  return undefined;
}

/**
 * Runs the ingest again on a file already in the bucket. The ledger entries of the key are removed first (a ledger
 * entry for the same bytes would make the run a no-op: that is the ledger's job for a redelivered event), then the
 * object is copied onto itself, which fires the trigger as an upload does. Every write of the ingest is a
 * conditional write of an order version, so rows already stored stay as they are and the run only adds what the
 * first one could not (rows a configuration change or a fix now accepts) and writes a fresh reject report.
 */
export async function replayFile(key: string, ports: ReplayPorts): Promise<ReplayResult> {
  const bad = checkReplayKey(key);
  if (bad) throw new RunbookInputError(bad);
  const file = await ports.files.head(key);
  if (!file)
    throw new RunbookInputError(
      `${key} is not in the bucket: quarantined files are under quarantine/ (\`moments quarantine list\`), and uploads are deleted after moments:incomingRetentionDays`,
    );
  const receivedAt = receivedAtOf(file);
  const forgotten = await ports.ledger.forget(key);
  const { etag } = await ports.files.copy(key, key, {
    metadata: { ...file.metadata, [RECEIVED_AT_META]: receivedAt },
    ...(file.contentType ? { contentType: file.contentType } : {}),
  });
  return { summary: await ports.awaitResult(key, etag), forgotten, receivedAt };
}
