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
import { mb, ownPeakRssMb, sampleMemory } from './support.ts';

const event = JSON.parse(process.argv[2] ?? '{}') as S3Event;
const idleRssMb = mb(process.memoryUsage().rss);
const handler = createIngestHandler(ingestEnvSchema.parse(process.env));
const memory = sampleMemory();
const t0 = performance.now();
const [summary] = await handler(event);
const seconds = (performance.now() - t0) / 1000;
const { peakHeapUsedMb } = memory.stop();
process.stdout.write(
  `${JSON.stringify({
    summary,
    seconds: Math.round(seconds * 100) / 100,
    maxRssMb: ownPeakRssMb(),
    peakHeapUsedMb,
    idleRssMb,
  })}\n`,
);
process.exit(0);
