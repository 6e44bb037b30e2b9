import type { Context, SNSEvent } from 'aws-lambda';
import { makeTouchAdapters } from '../../lib/adapters/touch-factory.ts';
import { SERVICES } from '../../lib/observability/metric-names.ts';
import { sesEventMetrics } from '../../lib/observability/metrics.ts';
import { invocation, observability } from '../../lib/observability/observe.ts';
import { suppressionsFromSes } from '../../lib/touches/ses-events.ts';
import { sesEventsEnvSchema } from './env.ts';

function wire() {
  const env = sesEventsEnvSchema.parse(process.env);
  return { a: makeTouchAdapters(env), o: observability(SERVICES.sesEvents, env) };
}
let wired: ReturnType<typeof wire> | undefined;

/** SES bounce and complaint notifications (through SNS): the address is suppressed for every later touch. */
export const handler = async (event: SNSEvent, context?: Context) => {
  wired ??= wire();
  const { a, o } = wired;
  return invocation(o, 'ses events', context, async () => {
    // The notifications name the recipients: the logger's redaction masks them like every address.
    o.logger.debug('event', { event });
    let n = 0;
    for (const r of event.Records) {
      let msg: unknown;
      try {
        msg = JSON.parse(r.Sns.Message);
      } catch {
        o.logger.warn('not an SES notification', { messageId: r.Sns.MessageId });
        continue;
      }
      const found = suppressionsFromSes(msg);
      if (!found.length) o.logger.info('nothing to suppress', { messageId: r.Sns.MessageId, type: (msg as { notificationType?: string; eventType?: string }).notificationType ?? (msg as { eventType?: string }).eventType });
      for (const s of found) {
        await a.touches.suppress('email', s.address, s.reason);
        o.logger.info('suppression recorded', { messageId: r.Sns.MessageId, channel: 'email', reason: s.reason });
        n++;
      }
    }
    o.metrics.add(sesEventMetrics(n));
    return { suppressed: n };
  });
};
