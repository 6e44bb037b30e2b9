import { z } from 'zod';
import { observabilityEnv } from '../../lib/observability/env.ts';

/** Environment of the ingest function; infra types the construct's env with the same schema. */
export const ingestEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  /** Brand clock override (YYYY-MM-DD): state is computed "as of" this date instead of today. Local demos and tests. */
  MOMENTS_AS_OF: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  /** Local stack only: s3rver needs path-style addressing. */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
  /** Local stack only: endpoints of the embedded emulators. Unset on AWS. */
  S3_ENDPOINT: z.string().url().optional(),
  DYNAMODB_ENDPOINT: z.string().url().optional(),
  ...observabilityEnv,
  /** Rows per part: a larger upload is split into parts, each ingested by its own invocation (0: never split). */
  INGEST_SPLIT_ROWS: z.coerce.number<string>().int().min(0).default(100_000),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});

export type IngestEnv = z.infer<typeof ingestEnvSchema>;
