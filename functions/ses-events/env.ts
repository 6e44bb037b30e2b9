import { z } from 'zod';
import { observabilityEnv } from '../../lib/observability/env.ts';

export const sesEventsEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  ...observabilityEnv,
  AWS_REGION: z.string().min(1).default('us-east-1'),
});
