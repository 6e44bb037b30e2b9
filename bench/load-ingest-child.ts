/**
 * Child of the load-ingest benchmark: ONE invocation of the real ingest handler (functions/ingest/handler.ts) in a
 * fresh process, as a Lambda container runs it, for the S3 event given as JSON in argv[2]. The handler's env
 * (endpoints of the parent's dynalite and s3rver, INGEST_SPLIT_ROWS, MOMENTS_AS_OF) comes from the parent.
 * Prints one JSON line: the handler's result, its seconds and the process's peak RSS.
 *
 *   node --import tsx bench/load-ingest-child.ts '<S3Event JSON>'
 */
import type { S3Event } from 'aws-lambda';
import { createIngestHandler } from '../functions/ingest/handler.ts';
import { ingestEnvSchema } from '../functions/ingest/env.ts';
import { mb, ownPeakRssMb } from './support.ts';

const event = JSON.parse(process.argv[2] ?? '{}') as S3Event;
const idleRssMb = mb(process.memoryUsage().rss);
const handler = createIngestHandler(ingestEnvSchema.parse(process.env));
// Sampled peak of the V8 heap in use: tells live data from heap V8 grows before it collects (RSS).
let heapPeak = process.memoryUsage().heapUsed;
const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 10);
const t0 = performance.now();
const [summary] = await handler(event);
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
process.stdout.write(
  `${JSON.stringify({
    summary,
    seconds: Math.round(seconds * 100) / 100,
    maxRssMb: ownPeakRssMb(),
    peakHeapUsedMb: mb(heapPeak),
    idleRssMb,
  })}\n`,
);
process.exit(0);
