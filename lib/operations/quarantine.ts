import { baseName, REASON_SUFFIX } from '../ingest/file-meta.ts';
import type { FileSummary } from '../ingest/ports.ts';
import { receivedAtOf, RECEIVED_AT_META } from './received-at.ts';
import { RunbookInputError, type ReplayPorts } from './replay.ts';

const QUARANTINE = 'quarantine/';

export interface QuarantinedFile {
  key: string;
  name: string;
  size: number;
  quarantinedAt: string;
  /** The first line of `<key>.reason.txt`, if it is there. */
  reason?: string;
}

/** Every quarantined upload with the reason the ingest gave, oldest first. */
export async function listQuarantine(files: ReplayPorts['files']): Promise<QuarantinedFile[]> {
  const out: QuarantinedFile[] = [];
  const reasons = new Set<string>();
  for await (const f of files.list(QUARANTINE)) {
    if (f.key.endsWith(REASON_SUFFIX)) reasons.add(f.key);
    else out.push({ key: f.key, name: baseName(f.key), size: f.size, quarantinedAt: f.lastModified.toISOString() });
  }
  for (const q of out) {
    if (!reasons.has(q.key + REASON_SUFFIX)) continue;
    const line = (await files.readText(q.key + REASON_SUFFIX, 4096)).split('\n')[0]?.trim() ?? '';
    // The reason file starts with "<name>: "; the name is shown already.
    const reason = line.startsWith(`${q.name}: `) ? line.slice(q.name.length + 2) : line;
    if (reason) q.reason = reason;
  }
  return out.sort((a, b) => a.quarantinedAt.localeCompare(b.quarantinedAt) || a.key.localeCompare(b.key));
}

/** `quarantine/NAME` or just `NAME`; never the reason file. */
export function quarantineKeyOf(arg: string): string | undefined {
  const key = arg.startsWith(QUARANTINE) ? arg : `${QUARANTINE}${arg}`;
  const name = key.slice(QUARANTINE.length);
  if (!name || name.includes('/') || name.endsWith(REASON_SUFFIX)) return undefined;
  return key;
}

/** Orders or members from the file name alone (the words `moments ingest` looks for), when it says. */
export function kindFromName(name: string): 'orders' | 'members' | undefined {
  const n = name.toLowerCase();
  const member = /member|会员|customer|profile/.test(n);
  const order = /order|订单/.test(n);
  if (member && !order) return 'members';
  if (order && !member) return 'orders';
  return undefined;
}

export interface ReprocessResult {
  summary: FileSummary;
  /** Where the file went back under incoming/. */
  key: string;
  /** The quarantined copy and its reason were removed (only once the file went through). */
  cleared: boolean;
}

/**
 * Sends a quarantined file through the ingest again: the file under `quarantine/` (as it is, or after a fixed
 * version was put there), or a replacement the caller uploads. It goes back to `incoming/<kind>/<name>`: the kind
 * is the one the ledger recorded when the file was quarantined, else `opts.kind`, else the file name's. The key's
 * ledger entries are removed first: the same bytes were recorded as quarantined, and the ingest would only finish
 * that quarantine again. Once the file is processed, the quarantined copy and its reason go; quarantined again,
 * the ingest has written the new reason.
 */
export async function reprocessQuarantined(
  arg: string,
  ports: ReplayPorts,
  opts: { kind?: 'orders' | 'members'; replacement?: (key: string) => Promise<{ etag: string }> } = {},
): Promise<ReprocessResult> {
  const qkey = quarantineKeyOf(arg);
  if (!qkey) throw new RunbookInputError(`${arg}: not a quarantined file (a name from \`moments quarantine list\`, with or without quarantine/)`);
  const name = baseName(qkey);
  const file = await ports.files.head(qkey);
  if (!file && !opts.replacement) throw new RunbookInputError(`${qkey} is not in the bucket (\`moments quarantine list\` shows what is)`);
  const kind = opts.kind ?? (await kindFromLedger(name, qkey, ports)) ?? kindFromName(name);
  if (!kind) throw new RunbookInputError(`${name}: cannot tell orders from members by the name or the ledger; say --kind orders or --kind members`);
  const key = `incoming/${kind}/${name}`;
  await ports.ledger.forget(key);
  const { etag } = opts.replacement
    ? await opts.replacement(key)
    : await ports.files.copy(qkey, key, {
        metadata: { ...file!.metadata, [RECEIVED_AT_META]: receivedAtOf(file!) },
        ...(file!.contentType ? { contentType: file!.contentType } : {}),
      });
  const summary = await ports.awaitResult(key, etag);
  let cleared = false;
  if (summary.status === 'processed') {
    if (file) await ports.files.remove(qkey);
    await ports.files.remove(qkey + REASON_SUFFIX);
    cleared = true;
  }
  return { summary, key, cleared };
}

async function kindFromLedger(name: string, qkey: string, ports: ReplayPorts): Promise<'orders' | 'members' | undefined> {
  const found = new Set<'orders' | 'members'>();
  for (const kind of ['orders', 'members'] as const) {
    const entries = await ports.ledger.entries(`incoming/${kind}/${name}`);
    if (entries.some((e) => e.status === 'quarantined' && e.quarantine === qkey)) found.add(kind);
  }
  return found.size === 1 ? [...found][0] : undefined;
}
