import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import type { ServiceName } from './metric-names.ts';
import { redact, redactText } from './redact.ts';

/** The functions' LOG_LEVEL values (functions/*\/env.ts); `silent` writes nothing. */
export type LogLevelName = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * Powertools' standard JSON log item, with personal data removed from everything but the fields Powertools
 * itself fills in (time, service, Lambda context). Every log item and every error passes through here, so no
 * call site can forget the redaction (lib/observability/redact.ts says what is removed).
 */
export class RedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const base: LogAttributes = {
      level: attributes.logLevel,
      message: redactText(attributes.message),
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: attributes.lambdaContext?.coldStart,
      function_arn: attributes.lambdaContext?.invokedFunctionArn,
      function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
      function_name: attributes.lambdaContext?.functionName,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      sampling_rate: attributes.sampleRateValue,
      xray_trace_id: attributes.xRayTraceId,
      tenant_id: attributes.lambdaContext?.tenantId,
    };
    const extra = redact(additionalLogAttributes, { formatError: (e) => this.formatError(e) }) as LogAttributes;
    return new LogItem({ attributes: base }).addAttributes(extra);
  }

  /** Powertools' error fields (name, location, message, stack, cause, the SDK's own fields), texts masked. */
  override formatError(error: Error): LogAttributes {
    // The base class formats an Error cause through this method again, so a formatted cause is safe already.
    const { name, cause, ...rest } = super.formatError(error);
    return {
      name: redactText(String(name)),
      ...(redact(rest, { formatError: (e) => this.formatError(e) }) as LogAttributes),
      ...(cause === undefined ? {} : { cause: error.cause instanceof Error ? cause : redact(cause) }),
    };
  }
}

/** One structured JSON logger per function, named by its service (lib/observability/metric-names.ts SERVICES). */
export function makeLogger(service: ServiceName, level: LogLevelName): Logger {
  return new Logger({ serviceName: service, logLevel: level, logFormatter: new RedactingLogFormatter() });
}
