import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { makeTouchAdapters } from '../../lib/adapters/touch-factory.ts';
import { handleTouchBatch } from '../../lib/touches/deliver.ts';
import { containerRate, SendPacer } from '../../lib/touches/send-pacer.ts';
import { sendEnvSchema } from './env.ts';

let wired: ReturnType<typeof makeTouchAdapters> | undefined;
/** Per container, not per invocation: the next batch keeps the spacing the last one ended with. */
const pacer = new SendPacer();

/**
 * SQS consumer: each message is a touch key. A touch not yet due (or deferred by quiet hours or the cap) is
 * queued again as a new message delayed towards its time, and this one acknowledged: SQS counts every receive
 * towards the redrive policy, so only real failures go back to the queue and, after five, to the DLQ.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const env = sendEnvSchema.parse(process.env);
  wired ??= makeTouchAdapters(env);
  const a = wired;
  const { config } = await a.config.load();
  // Each container's share of the configured rate per channel (Lambda concurrency caps the containers).
  const throttle = (ch: 'sms' | 'email') => pacer.wait(ch, containerRate(config.contactPolicy.sendRatePerSecond[ch], env.SEND_CONCURRENCY));
  const r = await handleTouchBatch(
    event.Records.map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: Number(m.attributes.ApproximateReceiveCount ?? 1) })),
    { touches: a.touches, loadProfile: (id) => a.customers.loadProfile(id), providers: a.providers, config, now: () => new Date(), throttle },
  );
  const waits = r.retry.filter((x) => !x.failure);
  if (waits.length)
    await a.queue!.enqueue(
      waits.map((x) => {
        const m = event.Records.find((e) => e.messageId === x.messageId)!;
        return { key: (JSON.parse(m.body) as { key: string }).key, notBefore: new Date(Date.now() + x.afterSeconds * 1000).toISOString() };
      }),
    );
  if (env.LOG_LEVEL !== 'silent') for (const o of r.outcomes) console.log(JSON.stringify({ level: 'INFO', message: 'touch', key: o.key, ...o.outcome }));
  return { batchItemFailures: r.retry.filter((x) => x.failure).map((x) => ({ itemIdentifier: x.messageId })) };
};
