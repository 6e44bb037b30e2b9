import { baseName } from '../ingest/file-meta.ts';
import type { FileSummary } from '../ingest/ports.ts';
import type { Runtime } from './runtime.ts';

/**
 * The ingest's summary of (key, etag) once the bucket trigger has processed it: at once on the local stack (its
 * trigger runs in this process), by polling the ledger on AWS, where the trigger runs elsewhere.
 */
export async function awaitIngest(
  rt: Pick<Runtime, 'adapters' | 'settle' | 'errorFor'>,
  key: string,
  etag: string,
  timeoutMs = 15 * 60_000,
): Promise<FileSummary> {
  await rt.settle();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const summary = await rt.adapters.customers.get(key, etag);
    if (summary) return summary;
    const err = rt.errorFor(key);
    if (err) throw new Error(`${baseName(key)}: ingest failed: ${err}`);
    if (Date.now() > deadline)
      throw new Error(`${baseName(key)}: no ingest result after ${Math.round(timeoutMs / 1000)} s (the ingest function's log and its dead-letter queue say why)`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Applied rows by currency, as the summary line shows them ("CNY 2, USD 3"). */
const byCurrency = (c: Record<string, number>) =>
  Object.entries(c)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** The summary's warnings, one indented line each, to follow the file's line. */
export function warningLines(s: Pick<FileSummary, 'warnings'>): string {
  return (s.warnings ?? []).map((w) => `\n  warning: ${w}`).join('');
}

/** One line per file, as `moments ingest` prints it; `warningLines` follow it. */
export function summaryLine(s: FileSummary, where: (key: string) => string): string {
  if (s.status === 'quarantined') return `${s.file}: QUARANTINED (${s.reason}); moved to ${where(s.quarantine ?? '')}, nothing applied`;
  return (
    `${s.file}: ${s.rows} rows, ${s.applied} applied (${s.unchanged} already known${s.replaced ? `, ${s.replaced} replaced` : ''}), ${s.rejected} rejected` +
    (s.rejectedFields ? `, ${s.rejectedFields} values rejected` : '') +
    `, ${s.customers} customers` +
    (s.currencies && s.applied ? `, by currency ${byCurrency(s.currencies)}` : '') +
    (s.report ? `; report: ${where(s.report)}` : '')
  );
}
