import type { S3Event } from 'aws-lambda';
import { makeAdapters } from '../../lib/adapters/factory.ts';
import { ingestUpload } from '../../lib/ingest/ingest-upload.ts';
import type { FileSummary } from '../../lib/ingest/ports.ts';
import { decodeS3Key } from '../../lib/s3-event.ts';
import { today } from '../../lib/time.ts';
import { ingestEnvSchema, type IngestEnv } from './env.ts';

/** Wires one handler to one validated env: SDK clients are built once, here, not per invocation. */
export function createIngestHandler(env: IngestEnv, clock: { asOf?: () => string | undefined } = {}) {
  const adapters = makeAdapters(env);
  return async (event: S3Event): Promise<FileSummary[]> => {
    const { config } = await adapters.config.load();
    const model = await adapters.nightly.getModel();
    const asOf = clock.asOf?.() ?? env.MOMENTS_AS_OF ?? today(config.brand.timeZone);
    const results: FileSummary[] = [];
    for (const record of event.Records) {
      const key = decodeS3Key(record.s3.object.key);
      const etag = (record.s3.object.eTag ?? record.s3.object.sequencer ?? 'unknown').replace(/"/g, '');
      const summary = await ingestUpload(
        { key, etag, lastModifiedMs: Date.parse(record.eventTime) },
        { objects: adapters.objects, customers: adapters.customers, ledger: adapters.customers, config, asOf, splitRows: env.INGEST_SPLIT_ROWS, ...(model ? { model } : {}) },
      );
      if (env.LOG_LEVEL !== 'silent' && env.LOG_LEVEL !== 'error' && env.LOG_LEVEL !== 'warn')
        console.log(JSON.stringify({ level: 'INFO', message: 'ingested', ...summary }));
      results.push(summary);
    }
    return results;
  };
}

let wired: ReturnType<typeof createIngestHandler> | undefined;

/** Lambda entry point: env validated and clients created once per container. */
export const handler = async (event: S3Event): Promise<FileSummary[]> => {
  wired ??= createIngestHandler(ingestEnvSchema.parse(process.env));
  return wired(event);
};
