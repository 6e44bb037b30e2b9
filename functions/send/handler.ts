import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { makeTouchAdapters } from '../../lib/adapters/touch-factory.ts';
import { SERVICES } from '../../lib/observability/metric-names.ts';
import { sendMetrics } from '../../lib/observability/metrics.ts';
import { invocation, observability } from '../../lib/observability/observe.ts';
import { reportProviderErrors } from '../../lib/observability/provider-errors.ts';
import { handleTouchBatch } from '../../lib/touches/deliver.ts';
import { containerRate, SendPacer } from '../../lib/touches/send-pacer.ts';
import { sendEnvSchema, type SendEnv } from './env.ts';

function wire(env: SendEnv) {
  return { env, a: makeTouchAdapters(env), o: observability(SERVICES.send, env) };
}
let wired: ReturnType<typeof wire> | undefined;
/** Per container, not per invocation: the next batch keeps the spacing the last one ended with. */
const pacer = new SendPacer();

/**
 * SQS consumer: each message is a touch key. A touch not yet due (or deferred by quiet hours or the cap) is
 * queued again as a new message delayed towards its time, and this one acknowledged: SQS counts every receive
 * towards the redrive policy, so only real failures go back to the queue and, after five, to the DLQ.
 */
export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  wired ??= wire(sendEnvSchema.parse(process.env));
  const { env, a, o } = wired;
  return invocation(o, 'send', context, async () => {
    o.logger.debug('event', { messages: event.Records.map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: m.attributes.ApproximateReceiveCount })) });
    const { config, version } = await a.config.load();
    o.logger.debug('configuration loaded', { configVersion: version });
    // Each container's share of the configured rate per channel (Lambda concurrency caps the containers).
    const throttle = (ch: 'sms' | 'email') => pacer.wait(ch, containerRate(config.contactPolicy.sendRatePerSecond[ch], env.SEND_CONCURRENCY));
    let providerErrors = 0;
    const providers = reportProviderErrors(a.providers, (call, error) => {
      providerErrors++;
      o.logger.warn('provider call failed', { call, error });
    });
    const r = await handleTouchBatch(
      event.Records.map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: Number(m.attributes.ApproximateReceiveCount ?? 1) })),
      { touches: a.touches, loadProfile: (id) => a.customers.loadProfile(id), providers, config, now: () => new Date(), throttle },
    );
    const waits = r.retry.filter((x) => !x.failure);
    if (waits.length)
      await a.queue!.enqueue(
        waits.map((x) => {
          const m = event.Records.find((e) => e.messageId === x.messageId)!;
          return { key: (JSON.parse(m.body) as { key: string }).key, notBefore: new Date(Date.now() + x.afterSeconds * 1000).toISOString() };
        }),
      );
    for (const { key, outcome } of r.outcomes) {
      if ('error' in outcome) o.logger.error('touch not delivered', { key, reason: outcome.error });
      else o.logger.info('touch', { key, ...outcome });
    }
    const failures = r.retry.filter((x) => x.failure).map((x) => ({ itemIdentifier: x.messageId }));
    o.logger.info('batch', { messages: event.Records.length, requeued: waits.length, failures: failures.length, providerErrors });
    o.metrics.add(sendMetrics(r.outcomes, providerErrors));
    return { batchItemFailures: failures };
  });
};
