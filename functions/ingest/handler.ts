import type { Context, S3Event } from 'aws-lambda';
import { makeAdapters } from '../../lib/adapters/factory.ts';
import { ingestUpload } from '../../lib/ingest/ingest-upload.ts';
import type { FileSummary } from '../../lib/ingest/ports.ts';
import { SERVICES } from '../../lib/observability/metric-names.ts';
import { ingestMetrics } from '../../lib/observability/metrics.ts';
import { invocation, observability } from '../../lib/observability/observe.ts';
import { arrivalMs } from '../../lib/operations/received-at.ts';
import { decodeS3Key } from '../../lib/s3-event.ts';
import { today } from '../../lib/time.ts';
import { ingestEnvSchema, type IngestEnv } from './env.ts';

/** Wires one handler to one validated env: SDK clients, logger and metrics are made once, here, not per invocation. */
export function createIngestHandler(env: IngestEnv, clock: { asOf?: () => string | undefined } = {}) {
  const adapters = makeAdapters(env);
  const o = observability(SERVICES.ingest, env);
  return (event: S3Event, context?: Context): Promise<FileSummary[]> =>
    invocation(o, 'ingest', context, async () => {
      const started = Date.now();
      o.logger.debug('event', { event });
      const { config, version } = await adapters.config.load();
      const asOf = clock.asOf?.() ?? env.MOMENTS_AS_OF ?? today(config.brand.timeZone);
      o.logger.debug('configuration loaded', { configVersion: version, asOf });
      const results: FileSummary[] = [];
      for (const record of event.Records) {
        const key = decodeS3Key(record.s3.object.key);
        const etag = (record.s3.object.eTag ?? record.s3.object.sequencer ?? 'unknown').replace(/"/g, '');
        o.logger.debug('file', { key, etag, size: record.s3.object.size });
        // A copy is a replay or a reprocessed quarantine (lib/operations): it carries the file's first arrival time.
        const copied = record.eventName === 'ObjectCreated:Copy' ? await adapters.files.head(key) : undefined;
        const summary = await ingestUpload(
          { key, etag, lastModifiedMs: arrivalMs(record.eventTime, copied?.metadata), ...(typeof record.s3.object.size === 'number' ? { size: record.s3.object.size } : {}) },
          { objects: adapters.objects, customers: adapters.customers, ledger: adapters.customers, config, asOf, splitRows: env.INGEST_SPLIT_ROWS },
        );
        // A redelivered event for a finished file gets the ledger's summary back: no work done, nothing to count.
        if (Date.parse(summary.processedAt) < started) o.logger.info('file already ingested', { ...summary });
        else {
          if (summary.status === 'quarantined') o.logger.warn('file quarantined', { ...summary });
          // Other-currency rows or unused columns: at warn level, where an alarm on the log can see them.
          else if (summary.warnings?.length) o.logger.warn('file ingested with warnings', { ...summary });
          else o.logger.info('file ingested', { ...summary });
          o.metrics.add(ingestMetrics(summary));
        }
        results.push(summary);
      }
      return results;
    });
}

let wired: ReturnType<typeof createIngestHandler> | undefined;

/** Lambda entry point: env validated and clients created once per container. */
export const handler = async (event: S3Event, context?: Context): Promise<FileSummary[]> => {
  wired ??= createIngestHandler(ingestEnvSchema.parse(process.env));
  return wired(event, context);
};
