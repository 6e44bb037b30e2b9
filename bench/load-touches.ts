/**
 * load-touches: 100,000 touches in one night through the send path at the configured send rates.
 *
 * On the local stack (touch log and member profiles in dynalite, email to aws-ses-v2-local, SMS to the SNS stub):
 * TOUCHES customers who bought on 2026-06-29 get one post-purchase touch each from the nightly's own planning
 * (lib/testing/touch-load.ts: half by SMS, half by email), all due at the 10:00 send time of 2026-06-30. Then
 * the send side runs as on AWS (lib/testing/send-fleet.ts): SQS batches of 10 to at most 5 send containers
 * (TOUCH_SETTINGS in infra/constructs/touches.ts), each running the real batch handler with the send handler's
 * per-container pacing at the configured rates (default 20 SMS and 50 emails per second, the schema default).
 *
 * SIMULATED: the clock. Pacing waits move a container's clock instead of sleeping; storage and provider calls take
 * no simulated time. So "night" figures are simulated times at the configured rates; "real" figures are how long
 * this machine took. The touch log is then read back: every touch final with exactly one final decision, the
 * busiest second per channel, and the providers' own records compared with the log.
 *
 *   npm run bench -- load-touches [TOUCHES=100000] [SMS_RATE=20] [EMAIL_RATE=50]
 */
import { join } from 'node:path';
import { mkdirSync, rmSync } from 'node:fs';
import { localAdapterEnv, makeAdapters } from '../lib/adapters/factory.ts';
import { makeLocalSESClient, makeLocalSNSClient } from '../lib/adapters/local-clients.ts';
import { AwsProviders } from '../lib/adapters/providers.ts';
import { startLocalStack } from '../lib/local/local-stack.ts';
import { readSnsMessages } from '../lib/local/sns-stub.ts';
import { LocalTouchQueue } from '../lib/local/touch-queue.ts';
import { runSendFleet, touchLogFigures } from '../lib/testing/send-fleet.ts';
import { planTouchLoad, touchLoadConfig } from '../lib/testing/touch-load.ts';
import type { TouchRecord } from '../lib/touches/touch.ts';
import { BENCH_DIR, log, round } from './support.ts';

/** As TOUCH_SETTINGS (infra/constructs/touches.ts): the event source's batch size and maximum concurrency. */
const BATCH_SIZE = 10;
const CONTAINERS = 5;

const hhmm = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(11, 19);

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const n = Number(args[0] ?? 100_000);
  const rates = { sms: Number(args[1] ?? 20), email: Number(args[2] ?? 50) };
  const { TOUCH_SETTINGS } = await import('../infra/constructs/touches.ts');
  if (TOUCH_SETTINGS.batchSize !== BATCH_SIZE || TOUCH_SETTINGS.maxConcurrency !== CONTAINERS)
    throw new Error('TOUCH_SETTINGS changed: update BATCH_SIZE and CONTAINERS here');
  const home = join(BENCH_DIR, 'load-touches-home');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const stack = await startLocalStack({ home });
  const a = makeAdapters(localAdapterEnv(stack));
  const ses = makeLocalSESClient(stack.env);
  const sns = makeLocalSNSClient(stack.env);
  try {
    const config = touchLoadConfig(rates);
    const queue = new LocalTouchQueue();
    log(`planning ${n} touches (profiles, states, planNightTouches) ...`);
    const t0 = performance.now();
    const plan = await planTouchLoad(n, { customers: a.customers, touches: a.touches, queue, config }, '2026-06-29', (d) =>
      log(`  ${d} (${((performance.now() - t0) / 1000).toFixed(0)} s)`),
    );
    const planSeconds = (performance.now() - t0) / 1000;
    log(`  planned ${plan.planned} (${plan.sms} SMS, ${plan.email} email) in ${planSeconds.toFixed(0)} s; sending on the simulated clock ...`);

    const start = Date.parse('2026-06-30T02:30:00+08:00'); // the nightly's run; touches wait for 10:00
    const t1 = performance.now();
    const fleet = await runSendFleet(
      queue,
      { touches: a.touches, loadProfile: (id) => a.customers.loadProfile(id), providers: new AwsProviders({ ses, sns }), config },
      {
        containers: CONTAINERS,
        batchSize: BATCH_SIZE,
        startMs: start,
        onProgress: (received, at) => log(`  ${received} delivered, simulated ${hhmm(at)} (${((performance.now() - t1) / 1000).toFixed(0)} s)`),
      },
    );
    const sendSeconds = (performance.now() - t1) / 1000;

    log('reading the touch log and the providers back ...');
    const touches: TouchRecord[] = [];
    for await (const x of a.touches.scan()) touches.push(x);
    const figures = touchLogFigures(touches);
    const sms = readSnsMessages(stack.home);
    const emails = ((await (await fetch(`${stack.endpoints.ses}/store`)).json()) as { emails: { messageId: string }[] }).emails;
    const logged = (ch: string) => new Set(touches.filter((x) => x.status === 'sent' && x.channel === ch).map((x) => x.messageId));
    const sameAs = (set: Set<string | undefined>, got: { messageId: string }[]) => got.length === set.size && got.every((m) => set.has(m.messageId));
    const providersMatchLog = sameAs(logged('sms'), sms) && sameAs(logged('email'), emails);
    const nightSeconds = (figures.lastSentAt - Date.parse('2026-06-30T10:00:00+08:00')) / 1000;
    const out = {
      touches: figures.touches,
      planned: plan,
      configuredRatePerSecond: rates,
      containers: CONTAINERS,
      batchSize: BATCH_SIZE,
      byStatus: figures.byStatus,
      notFinal: figures.notFinal,
      touchesWithOtherThanOneFinalDecision: figures.finalDecisionsNotOne,
      providersReceived: { sms: sms.length, email: emails.length },
      providersMatchLog,
      maxSentInAnySecond: figures.maxPerSecond,
      rateNeverExceeded: figures.maxPerSecond.sms <= rates.sms && figures.maxPerSecond.email <= rates.email,
      simulated: {
        firstSend: hhmm(figures.firstSentAt),
        lastSend: hhmm(figures.lastSentAt),
        nightSeconds: round(nightSeconds, 0),
        sendingSecondsPerChannel: { sms: round(figures.sendingSeconds.sms, 0), email: round(figures.sendingSeconds.email, 0) },
        averageRatePerChannel: {
          sms: round(figures.sent.sms / Math.max(1, figures.sendingSeconds.sms), 2),
          email: round(figures.sent.email / Math.max(1, figures.sendingSeconds.email), 2),
        },
        lowerBoundSeconds: round(Math.max(plan.sms / rates.sms, plan.email / rates.email), 0),
        containerBusyShare: round(fleet.busyMs.reduce((x, y) => x + y, 0) / (fleet.busyMs.length * Math.max(1, fleet.endMs - Date.parse('2026-06-30T10:00:00+08:00'))), 2),
      },
      fleet: { batches: fleet.batches, received: fleet.received, waits: fleet.waits, dlq: fleet.dlq },
      real: { planSeconds: round(planSeconds, 0), sendSeconds: round(sendSeconds, 0) },
    };
    log(JSON.stringify(out, null, 2));
    return out;
  } finally {
    ses.destroy();
    sns.destroy();
    a.s3.destroy();
    a.dynamodb.destroy();
    await stack.stop();
  }
}
