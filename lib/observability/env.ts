import { z } from 'zod';

/** Env fields every function's schema spreads in (functions/*\/env.ts); infra types the functions' env with them. */
export const observabilityEnv = {
  /** `silent` for the local CLI, whose own output says what happened. */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Powertools' switch for Embedded Metric Format output: 'true' writes none (the local CLI). */
  POWERTOOLS_METRICS_DISABLED: z.enum(['true', 'false']).optional(),
};

export interface ObservabilityEnv {
  LOG_LEVEL: z.output<typeof observabilityEnv.LOG_LEVEL>;
  POWERTOOLS_METRICS_DISABLED?: 'true' | 'false' | undefined;
}
