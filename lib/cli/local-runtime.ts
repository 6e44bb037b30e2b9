import { resolve } from 'node:path';
import type { S3Event } from 'aws-lambda';
import { localAdapterEnv, makeAdapters, type Adapters } from '../adapters/factory.ts';
import { startLocalStack, type LocalStack } from '../local/local-stack.ts';
import { createIngestHandler } from '../../functions/ingest/handler.ts';
import { ingestEnvSchema } from '../../functions/ingest/env.ts';
import { activateUpload } from '../config/activate.ts';
import { decodeS3Key } from '../s3-event.ts';
import { isPartOf } from '../ingest/part-meta.ts';

export interface LocalRuntime {
  target: 'local';
  stack: LocalStack;
  adapters: Adapters;
  bucket: string;
  settle(): Promise<void>;
  errorFor(key: string): string | undefined;
  where(key: string): string;
  /** Moves the clock the ingest handler dates state by (replays of history). */
  setAsOf(date: string | undefined): void;
  close(): Promise<void>;
}

export function momentsHome(): string {
  return resolve(process.env['MOMENTS_HOME'] ?? '.moments');
}

/**
 * Starts the embedded stack under MOMENTS_HOME and wires the real handlers to its triggers, exactly as S3
 * notifications wire them on AWS.
 */
export async function openLocal(opts: { asOf?: string; splitRows?: number } = {}): Promise<LocalRuntime> {
  const stack = await startLocalStack({ home: momentsHome() });
  let asOf = opts.asOf ?? process.env['MOMENTS_AS_OF'];
  // The local clock can move (replays of history); on AWS the handler dates state by today.
  // Rows per part of a large upload (INGEST_SPLIT_ROWS, as on the Lambda); its parts come back through the trigger.
  const splitRows = opts.splitRows ?? process.env['INGEST_SPLIT_ROWS'];
  // The CLI's own output says what happened: no JSON logs or metrics unless asked for (LOG_LEVEL=debug,
  // POWERTOOLS_METRICS_DISABLED=false).
  const ingest = createIngestHandler(
    ingestEnvSchema.parse({
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'silent',
      POWERTOOLS_METRICS_DISABLED: process.env['POWERTOOLS_METRICS_DISABLED'] ?? 'true',
      ...stack.env,
      ...(splitRows !== undefined ? { INGEST_SPLIT_ROWS: String(splitRows) } : {}),
    }),
    { asOf: () => asOf },
  );
  stack.setObjectCreatedHandler(async (event: S3Event) => {
    const key = event.Records[0]?.s3.object.key ?? '';
    if (key.startsWith('incoming/')) await ingest(event);
    // The config function, as the bucket notification for config/campaigns.json runs it on AWS.
    else if (decodeS3Key(key) === 'config/campaigns.json') {
      const r = event.Records[0]!;
      await activateUpload('config/campaigns.json', r.s3.object.versionId ?? r.s3.object.eTag ?? r.eventTime, {
        read: (k) => adapters.objects.read(k),
        put: (k, b, t) => adapters.objects.put(k, b, t),
        activate: (c, v) => adapters.config.activate(c, v),
      });
    }
  });
  const adapters = makeAdapters(localAdapterEnv(stack));
  return {
    target: 'local',
    stack,
    adapters,
    bucket: stack.bucket,
    settle: () => stack.idle(),
    errorFor: (key) => {
      // A split file fails when one of its parts does.
      const e = stack.errors.find((x) => x.key === key || isPartOf(x.key, key));
      return e ? String((e.error as Error)?.message ?? e.error) : undefined;
    },
    where: (key) => `${stack.home}/s3/${stack.bucket}/${key}`,
    setAsOf(date) {
      asOf = date;
    },
    async close() {
      await stack.idle();
      adapters.s3.destroy();
      adapters.dynamodb.destroy();
      await stack.stop();
    },
  };
}
