/**
 * Child of the load-nightly benchmark: ONE invocation of the real nightly segment handler
 * (functions/nightly-segment/handler.ts) in a fresh process, as Lambda runs it, against the parent's dynalite.
 * Env from the parent: TABLE_NAME, DYNAMODB_ENDPOINT, SEGMENT_MAX_CUSTOMERS. Prints one JSON line: the
 * segment's result, seconds, peak RSS, and the items and capacity units its DynamoDB clients metered.
 *
 *   node --import tsx bench/load-nightly-child.ts '{"night":"2026-06-30","prevNight":"2026-06-29","shard":3}'
 */
import type { CapacityMeter } from '../lib/adapters/capacity.ts';
import { handler } from '../functions/nightly-segment/handler.ts';
import { nightlyWiring } from '../functions/nightly/wiring.ts';
import { ownPeakRssMb, sampleMemory } from './support.ts';

const input = JSON.parse(process.argv[2] ?? '{}') as unknown;
const w = nightlyWiring();
// The handler's own stores (one set per container): their meters count what the invocation reads and writes.
const deps = await w.deps();
const meters = [deps.customers, deps.ledger].map((s) => (s as unknown as { meter: CapacityMeter }).meter);
for (const m of meters) Object.assign(m, { requests: 0, readUnits: 0, writeUnits: 0, itemsRead: 0, itemsWritten: 0 });
const memory = sampleMemory();
const t0 = performance.now();
const result = await handler(input);
const seconds = (performance.now() - t0) / 1000;
const { peakHeapUsedMb, peakExternalMb } = memory.stop();
const sum = (k: keyof CapacityMeter) => meters.reduce((n, m) => n + (m[k] as number), 0);
process.stdout.write(
  `${JSON.stringify({
    result,
    seconds: Math.round(seconds * 100) / 100,
    maxRssMb: ownPeakRssMb(),
    peakHeapUsedMb,
    peakExternalMb,
    itemsRead: sum('itemsRead'),
    itemsWritten: sum('itemsWritten'),
    readUnits: Math.round(sum('readUnits') * 10) / 10,
    writeUnits: Math.round(sum('writeUnits') * 10) / 10,
    requests: sum('requests'),
  })}\n`,
);
process.exit(0);
