import { z } from 'zod';

/** Environment of the touch sender (SQS consumer). */
export const sendEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  QUEUE_URL: z.string().min(1),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});
export type SendEnv = z.infer<typeof sendEnvSchema>;
