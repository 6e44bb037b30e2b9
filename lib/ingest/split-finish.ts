import { StringDecoder } from 'node:string_decoder';
import { stringify } from 'csv-stringify/sync';
import { rejectReportKey } from './file-meta.ts';
import { planKey, type SplitPlan } from './part-meta.ts';
import type { FileLedger, FileSummary, ObjectStore } from './ports.ts';
import { addCurrencies, listUncounted, summaryWarnings } from './summary-warnings.ts';
import { addAnonymousSales } from './anonymous-sales.ts';

/** What every reject report starts with (RejectReport): a BOM for Excel and the column names. */
const REPORT_HEAD = Buffer.from('\uFEFF' + stringify([['line', 'column', 'value', 'reason']]), 'utf8');

/**
 * The parts' reject reports, in part order, as one report under the original's name: the same lines an unsplit
 * ingest writes, since every part numbers its lines as the original file does.
 */
async function mergeReports(objects: ObjectStore, keys: string[], to: string): Promise<void> {
  const writer = objects.openWriter(to, 'text/csv; charset=utf-8');
  for (const [i, key] of keys.entries()) {
    const decoder = new StringDecoder('utf8');
    let head = i === 0 ? 0 : REPORT_HEAD.length;
    const seen: Buffer[] = [];
    for await (let chunk of objects.read(key)) {
      if (head > 0) {
        // Later reports drop their head; check it is the head and not a row.
        const cut = Math.min(head, chunk.length);
        seen.push(chunk.subarray(0, cut));
        head -= cut;
        chunk = chunk.subarray(cut);
        if (head === 0 && !Buffer.concat(seen).equals(REPORT_HEAD)) throw new Error(`${key} is not a reject report`);
      }
      const text = decoder.write(chunk);
      if (text) await writer.write(text);
    }
    const rest = decoder.end();
    if (rest) await writer.write(rest);
  }
  await writer.close();
}

/**
 * Run after each part: when every part of the plan has its ledger entry, writes the original file's summary (rows,
 * applied, rejected, ... summed) and its merged reject report. Two parts finishing at once may both do it; both
 * write the same. Returns the summary once written.
 */
export async function finishSplit(plan: SplitPlan, deps: { objects: ObjectStore; ledger: FileLedger; now?: () => Date }): Promise<FileSummary | undefined> {
  const { key, etag } = plan.original;
  const known = await deps.ledger.get(key, etag);
  if (known) return known;
  const parts: FileSummary[] = [];
  for (const p of plan.parts) {
    const s = await deps.ledger.get(p.key, etag);
    if (!s) return undefined;
    // A part that read fewer rows than were cut into it was truncated on the way: say so rather than sum it.
    if (s.status === 'processed' && s.rows !== p.rows)
      throw new Error(`${plan.original.file}: part ${p.index} of ${plan.parts.length} (${p.key}) read ${s.rows} rows, its plan has ${p.rows}`);
    parts.push(s);
  }
  const sum = (k: 'rows' | 'applied' | 'unchanged' | 'rejected' | 'rejectedFields' | 'customers' | 'replaced' | 'unmatchedRefunds') =>
    parts.reduce((n, s) => n + (s[k] ?? 0), 0);
  const reports = parts.flatMap((s) => (s.report ? [s.report] : []));
  const reportKey = rejectReportKey(key);
  if (reports.length) await mergeReports(deps.objects, reports, reportKey);
  else await deps.objects.remove(reportKey).catch(() => undefined); // a stale report of an earlier upload
  const quarantined = parts.findIndex((s) => s.status === 'quarantined');
  const q = parts[quarantined];
  const currencies = addCurrencies(parts.map((s) => s.currencies));
  const anonymous = addAnonymousSales(parts.map((s) => s.anonymous));
  const brandCurrency = parts.find((s) => s.brandCurrency)?.brandCurrency;
  const uncounted = listUncounted(parts.map((s) => s.uncounted));
  const summary: FileSummary = {
    key,
    file: plan.original.file,
    kind: plan.original.kind,
    etag,
    status: q ? 'quarantined' : 'processed',
    rows: sum('rows'),
    applied: sum('applied'),
    unchanged: sum('unchanged'),
    rejected: sum('rejected'),
    rejectedFields: sum('rejectedFields'),
    customers: sum('customers'),
    ...(plan.original.kind === 'orders' ? { replaced: sum('replaced'), unmatchedRefunds: sum('unmatchedRefunds') } : {}),
    encoding: plan.original.encoding,
    compressed: plan.original.compressed,
    ...(reports.length ? { report: reportKey } : {}),
    ...(q ? { quarantine: q.quarantine ?? '', reason: `part ${quarantined + 1} of ${parts.length}: ${q.reason ?? ''}; the other parts were applied` } : {}),
    ...(parts[0]?.ignoredColumns ? { ignoredColumns: parts[0].ignoredColumns } : {}),
    ...(currencies ? { currencies } : {}),
    ...(brandCurrency ? { brandCurrency } : {}),
    ...(uncounted?.length ? { uncounted } : {}),
    ...(anonymous ? { anonymous } : {}),
    parts: plan.parts.length,
    plan: planKey(key, etag),
    processedAt: (deps.now ?? (() => new Date()))().toISOString(),
  };
  // From the summed counts: the parts' own warnings would each give a part's share.
  const warnings = summaryWarnings(summary);
  if (warnings.length) summary.warnings = warnings;
  await deps.ledger.put(summary);
  return summary;
}
