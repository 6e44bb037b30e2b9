import { z } from 'zod';
import { observabilityEnv } from '../../lib/observability/env.ts';

/** Environment of the touch sender (SQS consumer). */
export const sendEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  QUEUE_URL: z.string().min(1),
  /** Containers consuming the queue at most (the event source's maxConcurrency): each takes its share of the rate. */
  SEND_CONCURRENCY: z.coerce.number<string>().int().min(1).default(1),
  /** SES configuration set whose bounce and complaint events reach the ses-events function. */
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  ...observabilityEnv,
  AWS_REGION: z.string().min(1).default('us-east-1'),
});
export type SendEnv = z.infer<typeof sendEnvSchema>;
