import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../../lib/cli/ingest-files.ts';
import { openLocal, type LocalRuntime } from '../../lib/cli/local-runtime.ts';
import type { SplitPlan } from '../../lib/ingest/part-meta.ts';
import type { FileSummary } from '../../lib/ingest/ports.ts';
import { orderRowsForBench } from '../../lib/sample/generate-sample.ts';
import { tempHome } from '../support/local-home.ts';

/**
 * Load, reduced: a 6,000-row gzipped export (CRLF, a few bad rows, quoted fields with line breaks) ingested
 * through the local stack's S3 trigger twice: split into parts of 1,500 rows, each part arriving back through
 * the trigger as its own invocation, and whole. Customers, orders and the reject report must be the same.
 * (npm run bench -- load-ingest runs the 1,000,000-row file.)
 */
const AS_OF = '2026-06-30';
const NAME = 'orders-2026-06-29.csv.gz';
const t = tempHome('moments-load-ingest-');
afterAll(() => t.cleanup());

function bigFile(): { path: string; bad: number } {
  const lines = [...orderRowsForBench(11, 6_000, 750)].map((l) => l.replace(/\n$/, ''));
  let bad = 0;
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.split(',');
    if (i % 397 === 0) {
      f[3] = 'twelve'; // amount
      bad++;
    } else if (i % 211 === 0) f[8] = `"${f[8]}\r\nsecond line of a quoted region, ""with quotes"""`;
    lines[i] = f.join(',');
  }
  const dir = join(t.home, 'files');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, NAME);
  writeFileSync(path, gzipSync(lines.join('\r\n') + '\r\n'));
  return { path, bad };
}

async function text(rt: LocalRuntime, key: string): Promise<string> {
  const r = await rt.adapters.s3.send(new GetObjectCommand({ Bucket: rt.bucket, Key: key }));
  return r.Body!.transformToString('utf8');
}

/** Every customer's state item (revision aside: a split file refreshes a customer once per part) and orders. */
async function snapshot(rt: LocalRuntime) {
  const out: Record<string, unknown> = {};
  for await (const r of rt.adapters.customers.scanCustomers()) {
    const { orders } = await rt.adapters.customers.loadCustomer(r.customerId);
    out[r.customerId] = { state: r.state, derived: r.derived, dueDate: r.dueDate, orders: orders.sort((a, b) => (a.key < b.key ? -1 : 1)) };
  }
  return out;
}

async function run(home: string, splitRows: number, path: string) {
  process.env['MOMENTS_HOME'] = join(t.home, home);
  const rt = await openLocal({ asOf: AS_OF, splitRows });
  try {
    const [summary] = await ingestFiles(rt, [path]);
    expect(rt.stack.errors).toEqual([]);
    const s = summary!;
    const report = s.report ? await text(rt, s.report) : undefined;
    const plan = s.plan ? (JSON.parse(await text(rt, s.plan)) as SplitPlan) : undefined;
    let partsLeft = 0;
    for (const p of plan?.parts ?? [])
      await rt.adapters.s3.send(new HeadObjectCommand({ Bucket: rt.bucket, Key: p.key })).then(() => partsLeft++, () => undefined);
    // The same bytes again: answered from the ledger, nothing re-cut or re-applied.
    const [again] = await ingestFiles(rt, [path]);
    return { s, report, plan, partsLeft, again: again!, state: await snapshot(rt) };
  } finally {
    await rt.close();
  }
}

describe('load, reduced: a 6,000-row file split across invocations on the local stack', () => {
  it('ingests in 4 parts through the trigger with the state and reject report of the unsplit run', { timeout: 240_000 }, async () => {
    const { path, bad } = bigFile();
    const split = await run('split', 1_500, path);
    const whole = await run('whole', 0, path);

    // The input's refunds never exceed what remains of their originals (lib/sample orderRowsForBench), so whether a
    // part with an original ran before the part with its refund changes nothing: counts and report are the unsplit run's.
    const counts = (s: FileSummary) => ({ rows: s.rows, applied: s.applied, unchanged: s.unchanged, rejected: s.rejected, status: s.status, report: s.report });
    expect(whole.s.parts).toBeUndefined();
    expect(split.s).toMatchObject({ status: 'processed', parts: 4, rows: 6_000, compressed: true, file: NAME, key: `incoming/orders/${NAME}` });
    expect(split.s.rejected).toBe(bad);
    expect(counts(split.s)).toEqual(counts(whole.s));

    // The plan: 4 parts of 5,000 rows, line ranges of the original file (quoted line breaks push lines ahead).
    expect(split.plan!.parts.map((p) => p.rows)).toEqual([1_500, 1_500, 1_500, 1_500]);
    expect(split.plan!.parts[0]!.firstLine).toBe(1);
    for (let i = 1; i < 4; i++) expect(split.plan!.parts[i]!.firstLine).toBe(split.plan!.parts[i - 1]!.lastLine + 1);
    expect(split.plan!.lines).toBeGreaterThan(6_001);
    expect(split.partsLeft).toBe(0);

    // Reject report: same name, same lines (of the original file), byte for byte.
    expect(split.s.report).toBe(`rejected/${NAME}.errors.csv`);
    expect(split.report).toBe(whole.report);
    expect(split.report!.split('\n').filter((l) => l.includes('not a decimal amount'))).toHaveLength(bad);

    expect(Object.keys(split.state).length).toBeGreaterThan(700);
    expect(split.state).toEqual(whole.state);

    // Re-upload of the same content: the ledger answers for the original; nothing was cut again.
    expect(split.again).toEqual(split.s);
  });
});
