import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { ObservabilityEnv } from './env.ts';
import { makeLogger } from './logger.ts';
import type { ServiceName } from './metric-names.ts';
import { ServiceMetrics } from './metrics.ts';

export interface Observability {
  logger: Logger;
  metrics: ServiceMetrics;
}

/** A function's logger and metrics, made once per container from its validated env. */
export function observability(service: ServiceName, env: ObservabilityEnv): Observability {
  const logger = makeLogger(service, env.LOG_LEVEL);
  return { logger, metrics: new ServiceMetrics(service, { enabled: env.POWERTOOLS_METRICS_DISABLED !== 'true', logger }) };
}

/**
 * One invocation: an error is logged (redacted, like every line) before it goes on to Lambda, and the metrics
 * added during the invocation are written however it ends.
 */
export async function invocation<T>(o: Observability, what: string, context: Context | undefined, body: () => Promise<T>): Promise<T> {
  if (context) o.logger.addContext(context);
  try {
    return await body();
  } catch (e) {
    o.logger.error(`${what} failed`, e instanceof Error ? e : new Error(String(e)));
    throw e;
  } finally {
    try {
      o.metrics.flush();
    } catch (e) {
      // Never let the metrics hide the invocation's own result or error.
      o.logger.warn('metrics not written', e instanceof Error ? e : new Error(String(e)));
    }
  }
}
