import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLocalSESClient, makeLocalSNSClient } from '../../lib/adapters/local-clients.ts';
import { AwsProviders } from '../../lib/adapters/providers.ts';
import { openLocal, type LocalRuntime } from '../../lib/cli/local-runtime.ts';
import { readSnsMessages } from '../../lib/local/sns-stub.ts';
import { LocalTouchQueue } from '../../lib/local/touch-queue.ts';
import { runSendFleet, touchLogFigures } from '../../lib/testing/send-fleet.ts';
import { planTouchLoad, touchLoadConfig } from '../../lib/testing/touch-load.ts';
import type { TouchRecord } from '../../lib/touches/touch.ts';
import { tempHome } from '../support/local-home.ts';

/**
 * Load, reduced: 800 touches in one night through the send path on the local stack (touch log and profiles in
 * dynalite, email to aws-ses-v2-local, SMS to the SNS stub), five send containers pacing on a simulated clock.
 * (npm run bench -- load-touches runs 100,000 at the configured 20 SMS and 50 emails per second.)
 */
const t = tempHome('moments-load-touches-');
let rt: LocalRuntime;
beforeAll(async () => {
  process.env['MOMENTS_HOME'] = join(t.home, 'state');
  rt = await openLocal();
});
afterAll(async () => {
  await rt?.close();
  t.cleanup();
});

describe('load, reduced: a night of touches within the configured send rates', () => {
  it('sends each touch exactly once, never faster than the configured rate per channel', { timeout: 120_000 }, async () => {
    const config = touchLoadConfig({ sms: 10, email: 25 });
    const queue = new LocalTouchQueue();
    const plan = await planTouchLoad(800, { customers: rt.adapters.customers, touches: rt.adapters.touches, queue, config }, '2026-06-29');
    expect(plan).toMatchObject({ night: '2026-06-29', planned: 800, sms: 400, email: 400 });

    const ses = makeLocalSESClient(rt.stack.env);
    const sns = makeLocalSNSClient(rt.stack.env);
    const start = Date.parse('2026-06-30T02:30:00+08:00');
    const fleet = await runSendFleet(
      queue,
      { touches: rt.adapters.touches, loadProfile: (id) => rt.adapters.customers.loadProfile(id), providers: new AwsProviders({ ses, sns }), config },
      { containers: 5, batchSize: 10, startMs: start },
    ).finally(() => {
      ses.destroy();
      sns.destroy();
    });

    const touches: TouchRecord[] = [];
    for await (const x of rt.adapters.touches.scan()) touches.push(x);
    const log = touchLogFigures(touches);
    expect(log).toMatchObject({ touches: 800, notFinal: 0, finalDecisionsNotOne: 0, byStatus: { sent: 800 }, sent: { sms: 400, email: 400 } });
    expect(log.maxPerSecond.sms).toBeLessThanOrEqual(10);
    expect(log.maxPerSecond.email).toBeLessThanOrEqual(25);
    expect(fleet).toMatchObject({ dlq: 0, received: 800 });
    // Not before the morning's send time; 400 SMS at most 10 a second need at least 39 s from first to last.
    expect(log.firstSentAt).toBeGreaterThanOrEqual(Date.parse('2026-06-30T10:00:00+08:00'));
    expect(log.sendingSeconds.sms).toBeGreaterThanOrEqual(39);

    // What the log says was sent is exactly what the providers received, once each.
    const sms = readSnsMessages(rt.stack.home);
    const emails = ((await (await fetch(`${rt.stack.endpoints.ses}/store`)).json()) as { emails: { messageId: string }[] }).emails;
    const ids = (ch: string) => touches.filter((x) => x.channel === ch).map((x) => x.messageId);
    expect(new Set(ids('sms'))).toEqual(new Set(sms.map((m) => m.messageId)));
    expect(new Set(ids('email'))).toEqual(new Set(emails.map((m) => m.messageId)));
    expect(sms).toHaveLength(400);
    expect(emails).toHaveLength(400);

    // Delivered again (a redelivered batch): nothing goes out twice.
    await queue.enqueue(touches.slice(0, 50).map((x) => ({ key: x.key, notBefore: x.plannedFor })));
    const again = await runSendFleet(
      queue,
      { touches: rt.adapters.touches, loadProfile: (id) => rt.adapters.customers.loadProfile(id), providers: { sendSms: () => Promise.reject(new Error('sent twice')), sendEmail: () => Promise.reject(new Error('sent twice')) }, config },
      { containers: 5, batchSize: 10, startMs: fleet.endMs },
    );
    expect(again.outcomes).toEqual({ sent: 50 });
  });
});
