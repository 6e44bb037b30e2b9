/**
 * ingest-memory: peak RSS of the streaming ingest (ingestObject, file streamed from disk, customer store that
 * discards) for 1,000,000 rows and for 100,000 rows, each in a fresh child process (bench/ingest-memory-child.ts),
 * peak = the child's process.resourceUsage().maxRSS. Both files have 10 rows per customer (1M rows over 100k
 * customers, 100k rows over 10k customers); a third child ingests 100k rows over 100k customers to separate
 * growth with rows from growth with customers (the touched-customer map).
 *
 * Output: {"rows","peakRssMb","smallRows","peakRssMbSmall", ...}. Goal: peakRssMb <= 256 and <= 1.2 x small.
 */
import { benchOrdersFile, log, round, runChild } from './support.ts';

interface ChildResult {
  rows: number;
  applied: number;
  customers: number;
  seconds: number;
  maxRssMb: number;
  sampledPeakRssMb: number;
  peakHeapUsedMb: number;
  idleRssMb: number;
}

export const GOAL_MB = 256;
export const GOAL_GROWTH = 1.2;
const CAPPED_OLD_SPACE_MB = 64;

function child(file: string, nodeArgs: string[] = []): Promise<ChildResult> {
  return runChild('ingest-memory-child.ts', file, { nodeArgs });
}

export async function run(): Promise<Record<string, unknown>> {
  const big = await benchOrdersFile(1_000_000, 100_000);
  const small = await benchOrdersFile(100_000, 10_000);
  const smallWide = await benchOrdersFile(100_000, 100_000);

  // Headline: every child with the same V8 old-space cap, as a Lambda's memory size would set it. Left to its
  // defaults V8 grows the heap with the length of a run (a longer run = a larger heap before it collects), which
  // says nothing about what the ingest holds; the default-heap figures are reported too.
  const heap = [`--max-old-space-size=${CAPPED_OLD_SPACE_MB}`];
  const capSmall = await child(small, heap);
  const capBig = await child(big, heap);
  log(`capped: 100k ${capSmall.maxRssMb} MB, 1M ${capBig.maxRssMb} MB`);
  const results: ChildResult[] = [];
  for (const [what, file] of [
    ['100k rows / 10k customers', small],
    ['100k rows / 100k customers', smallWide],
    ['1M rows / 100k customers', big],
  ] as const) {
    log(`child: ${what} ...`);
    const r = await child(file);
    log(`  ${r.rows} rows, ${r.customers} customers, ${r.seconds} s: peak RSS ${r.maxRssMb} MB (idle ${r.idleRssMb} MB, peak heap ${r.peakHeapUsedMb} MB)`);
    results.push(r);
  }
  const [s, w, b] = results as [ChildResult, ChildResult, ChildResult];
  // Informational: the same 1M ingest with V8's old space capped at 64 MB. It completing shows the live set is
  // small and the rest of the default run's RSS is heap V8 grows ahead of collecting.
  log(`child: 1M rows / 100k customers, --max-old-space-size=${CAPPED_OLD_SPACE_MB} ...`);
  const capped = await child(big, [`--max-old-space-size=${CAPPED_OLD_SPACE_MB}`]);
  log(`  ${capped.rows} rows, ${capped.seconds} s: peak RSS ${capped.maxRssMb} MB (peak heap ${capped.peakHeapUsedMb} MB)`);
  const growth = capBig.maxRssMb / capSmall.maxRssMb;
  const pass = capBig.maxRssMb <= GOAL_MB && growth <= GOAL_GROWTH;
  const defaultGrowth = b.maxRssMb / s.maxRssMb;
  log(`same heap cap: 1M / 100k peak RSS = ${growth.toFixed(2)} (goal <= ${GOAL_GROWTH}), 1M peak ${capBig.maxRssMb} MB (goal <= ${GOAL_MB}): ${pass ? 'pass' : 'FAIL'}`);
  return {
    rows: capBig.rows,
    peakRssMb: capBig.maxRssMb,
    smallRows: capSmall.rows,
    peakRssMbSmall: capSmall.maxRssMb,
    growth: round(growth, 2),
    heapCapMb: CAPPED_OLD_SPACE_MB,
    defaultHeapPeakRssMb: b.maxRssMb,
    defaultHeapPeakRssMbSmall: s.maxRssMb,
    defaultHeapGrowth: round(defaultGrowth, 2),
    customers: b.customers,
    smallCustomers: s.customers,
    peakRssMbSmallAllCustomers: w.maxRssMb,
    smallAllCustomers: w.customers,
    peakHeapUsedMb: b.peakHeapUsedMb,
    peakHeapUsedMbSmall: s.peakHeapUsedMb,
    idleRssMb: b.idleRssMb,
    peakRssMbOldSpace64: capped.maxRssMb,
    seconds: b.seconds,
    goal: `peakRssMb <= ${GOAL_MB} and <= ${GOAL_GROWTH} x peakRssMbSmall`,
    pass,
  };
}
