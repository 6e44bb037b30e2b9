import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { makeTouchAdapters } from '../../lib/adapters/touch-factory.ts';
import { handleTouchBatch } from '../../lib/touches/deliver.ts';
import { sendEnvSchema } from './env.ts';

let wired: ReturnType<typeof makeTouchAdapters> | undefined;

/**
 * SQS consumer: each message is a touch key. A touch not yet due (or deferred by quiet hours or the cap) is
 * hidden until its time; a failure goes back to the queue and, after the redrive policy's receives, to the DLQ.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const env = sendEnvSchema.parse(process.env);
  wired ??= makeTouchAdapters(env);
  const a = wired;
  const { config } = await a.config.load();
  // Token bucket per channel at the configured rate, per container (Lambda concurrency caps the total).
  const next: Record<string, number> = { sms: 0, email: 0 };
  const throttle = async (ch: 'sms' | 'email') => {
    const gap = 1000 / config.contactPolicy.sendRatePerSecond[ch];
    const now = Date.now();
    const at = Math.max(now, next[ch] ?? 0);
    next[ch] = at + gap;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  };
  const r = await handleTouchBatch(
    event.Records.map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: Number(m.attributes.ApproximateReceiveCount ?? 1) })),
    { touches: a.touches, loadProfile: (id) => a.customers.loadProfile(id), providers: a.providers, config, now: () => new Date(), throttle },
  );
  for (const x of r.retry) {
    const m = event.Records.find((e) => e.messageId === x.messageId);
    if (m && !x.failure) await a.queue!.delay(m.receiptHandle, x.afterSeconds);
  }
  if (env.LOG_LEVEL !== 'silent') for (const o of r.outcomes) console.log(JSON.stringify({ level: 'INFO', message: 'touch', key: o.key, ...o.outcome }));
  return { batchItemFailures: r.retry.map((x) => ({ itemIdentifier: x.messageId })) };
};
