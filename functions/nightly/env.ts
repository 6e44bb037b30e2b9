import { z } from 'zod';
import { observabilityEnv } from '../../lib/observability/env.ts';

/** Environment of the nightly functions (plan, segment, finish); infra types their env with it. */
export const nightlyEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** Customers one segment invocation handles before handing back (keeps each far under 15 minutes). */
  SEGMENT_MAX_CUSTOMERS: z.coerce.number<string>().int().min(1).default(20_000),
  /** The touch queue: when set, the segment plans each processed customer's touches and queues them. */
  QUEUE_URL: z.string().min(1).optional(),
  /** The data bucket: when set, the last night of a run writes the report to reports/<night>/index.html. */
  BUCKET_NAME: z.string().min(1).optional(),
  ...observabilityEnv,
  DYNAMODB_ENDPOINT: z.string().url().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});

export type NightlyEnv = z.infer<typeof nightlyEnvSchema>;
