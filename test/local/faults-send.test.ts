/**
 * Faults in touch delivery: the real SES and SNS clients against aws-ses-v2-local and the SNS stub, the real
 * DynamoDB touch store on dynalite, each with the fault injector; touches planned by the real nightly and
 * delivered by handleTouchBatch in SQS-shaped batches from the local queue, which redelivers failed messages
 * the way SQS does. What must hold whatever fails: no message reaches a customer twice; a touch logged `sent`
 * has exactly one message at the provider, with its message id; a touch whose outcome is unknown is logged
 * `failed` and not sent again.
 */
import { readFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCustomerStore } from '../../lib/adapters/dynamo-customer-store.ts';
import { DynamoNightlyLedger } from '../../lib/adapters/dynamo-nightly-ledger.ts';
import { DynamoTouchStore } from '../../lib/adapters/dynamo-touch-store.ts';
import { makeLocalDynamoDBClient, makeLocalS3Client, makeLocalSESClient, makeLocalSNSClient } from '../../lib/adapters/local-clients.ts';
import { AwsProviders } from '../../lib/adapters/providers.ts';
import { S3ObjectStore } from '../../lib/adapters/s3-object-store.ts';
import { parseConfig, type MomentsConfig } from '../../lib/config/schema.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { startLocalStack, type LocalStack } from '../../lib/local/local-stack.ts';
import { LocalTouchQueue } from '../../lib/local/touch-queue.ts';
import { profileValues } from '../../lib/members/profile.ts';
import { runNightly } from '../../lib/nightly/run-nightly.ts';
import { handleTouchBatch } from '../../lib/touches/deliver.ts';
import type { TouchRecord } from '../../lib/touches/touch.ts';
import { FaultInjector, type FaultRule } from '../support/faults.ts';
import { tempHome } from '../support/local-home.ts';

const NIGHT = '2026-03-10';
const PER_GROUP = 6;
const t = tempHome('moments-faults-send-');
let stack: LocalStack;
let config: MomentsConfig;
const opened: { destroy(): void }[] = [];
/** Every touch the nightly planned and queued, by customer group. */
let planned: LocalTouchQueue;

/** The example configuration with one campaign: a thank-you the day after a purchase, SMS else email, no control group. */
function thankYouConfig(): MomentsConfig {
  const raw = JSON.parse(readFileSync(new URL('../../examples/campaigns.json', import.meta.url), 'utf8')) as { campaigns: Record<string, unknown>[] };
  const base = raw.campaigns.find((c) => c['id'] === 'thank-you')!;
  raw.campaigns = [
    {
      ...base,
      enabled: true,
      holdOut: 0,
      delayDays: 1,
      channels: ['sms', 'email'],
      templates: { 'zh-CN': { sms: '感谢您的惠顾，本次积分已到账。回T退订', email: { subject: '感谢您的惠顾', html: '<p>感谢您的惠顾</p>', text: '感谢您的惠顾' } } },
    },
  ];
  return parseConfig(raw);
}

const groupIds = (g: number) => Array.from({ length: PER_GROUP }, (_, j) => `g${g}m${j}`);
const GROUPS = 8;

beforeAll(async () => {
  stack = await startLocalStack({ home: t.home });
  config = thankYouConfig();
  const ddb = makeLocalDynamoDBClient(stack.env);
  const s3 = makeLocalS3Client(stack.env);
  opened.push(ddb, s3);
  const customers = new DynamoCustomerStore({ client: ddb, tableName: stack.tableName });
  const objects = new S3ObjectStore({ client: s3, bucketName: stack.bucket });
  // Half of each group can be reached by SMS, the other half by email only.
  const members = ['customer_id,name,phone,email,sms_opt_in,email_opt_in,updated_at'];
  const orders = ['order_id,customer_id,ordered_at,amount'];
  for (let g = 0; g < GROUPS; g++)
    groupIds(g).forEach((id, j) => {
      const n = g * PER_GROUP + j;
      members.push(j % 2 === 0 ? `${id},顾客${n},+86 138 0013 ${String(8000 + n)},,1,0,2026-03-01` : `${id},顾客${n},,${id}@example.com,0,1,2026-03-01`);
      orders.push(`O${n},${id},${NIGHT} 11:00:00,${100 + n}.00`);
    });
  for (const [key, text] of [
    ['incoming/members/members-2026-03-01.csv', members.join('\n')],
    ['incoming/orders/orders-2026-03-10.csv', orders.join('\n')],
  ] as const) {
    await objects.put(key, text, 'text/csv');
    const s = await ingestObject({ key, etag: key, lastModifiedMs: Date.parse('2026-03-10T16:00:00Z') }, { objects, customers, ledger: customers, config, asOf: NIGHT });
    expect(s.rejected + s.rejectedFields).toBe(0);
  }
  planned = new LocalTouchQueue();
  const touches = new DynamoTouchStore({ client: ddb, tableName: stack.tableName });
  await runNightly(NIGHT, {
    customers,
    ledger: new DynamoNightlyLedger({ client: ddb, tableName: stack.tableName }),
    config,
    touches: { store: touches, queue: planned, loadProfile: (id) => customers.loadProfile(id), configVersion: 'faults', now: () => new Date(`${NIGHT}T18:30:00Z`) },
  });
  expect(planned.items).toHaveLength(GROUPS * PER_GROUP);
});
afterAll(async () => {
  for (const c of opened) c.destroy();
  await stack?.stop();
  t.cleanup();
});

interface Delivery {
  faults: FaultInjector;
  touches: DynamoTouchStore;
  customers: DynamoCustomerStore;
  providers: AwsProviders;
  queue: LocalTouchQueue;
  /** Messages that went back to the queue as failures, with why. */
  errors: string[];
  throttleWaits: number[];
}

/** The send function's wiring for one group's touches, every client carrying the injector. */
function sender(group: number, rules: FaultRule[], opts: { tableAttempts?: number; duplicateMessages?: boolean } = {}): Delivery {
  const faults = new FaultInjector(group + 7).set(rules);
  const ddb: DynamoDBClient = faults.attach(makeLocalDynamoDBClient(stack.env, { maxAttempts: opts.tableAttempts ?? 3 }));
  // Provider clients as the functions build them: the SDK's default retry settings.
  const ses = faults.attach(makeLocalSESClient(stack.env));
  const sns = faults.attach(makeLocalSNSClient(stack.env));
  opened.push(ddb, ses, sns);
  const mine = planned.items.filter((i) => (JSON.parse(i.body) as { key: string }).key.startsWith(`g${group}m`));
  const queue = LocalTouchQueue.from({ items: structuredClone(opts.duplicateMessages ? [...mine, ...mine.map((m) => ({ ...m, messageId: `${m.messageId}-dup` }))] : mine) });
  return {
    faults,
    touches: new DynamoTouchStore({ client: ddb, tableName: stack.tableName }),
    customers: new DynamoCustomerStore({ client: ddb, tableName: stack.tableName }),
    providers: new AwsProviders({ ses, sns }),
    queue,
    errors: [],
    throttleWaits: [],
  };
}

/** Drains the group's queue through the real batch handler, at each message's own time, redelivering failures. */
async function deliver(d: Delivery): Promise<void> {
  await d.queue.drain(Date.parse('2026-03-20T00:00:00Z'), async (batch, clock) => {
    const r = await handleTouchBatch(batch, {
      touches: d.touches,
      loadProfile: (id) => d.customers.loadProfile(id),
      providers: d.providers,
      config,
      now: () => new Date(clock),
      // The real backoff, shortened: the waits are recorded, not slept.
      sleep: async (ms) => void d.throttleWaits.push(ms),
    });
    for (const o of r.outcomes) if ('error' in o.outcome) d.errors.push(o.outcome.error);
    return r;
  });
}

interface ProviderMessage {
  to: string;
  messageId: string;
}

async function providerMessages(): Promise<ProviderMessage[]> {
  const ses = (await (await fetch(`${stack.endpoints.ses}/store`)).json()) as { emails: { messageId: string; destination: { to: string[] } }[] };
  return [
    ...ses.emails.map((e) => ({ to: e.destination.to[0]!, messageId: e.messageId })),
    ...stack.sns.messages.map((m) => ({ to: m.phoneNumber!, messageId: m.messageId })),
  ];
}

/** The group's final touch log and what the providers received for it, with the guarantees that always hold. */
async function outcome(group: number, d: Delivery) {
  d.faults.clear();
  const touches: TouchRecord[] = [];
  for (const id of groupIds(group)) touches.push(...(await d.touches.recent(id)));
  expect(touches).toHaveLength(PER_GROUP);
  const addresses = new Map<string, string>();
  for (const x of touches) {
    const p = profileValues((await d.customers.loadProfile(x.customerId)).profile);
    addresses.set(x.key, String(x.channel === 'sms' ? p.phone : p.email));
  }
  const all = await providerMessages();
  const received = new Map<string, ProviderMessage[]>();
  for (const x of touches) received.set(x.key, all.filter((m) => m.to === addresses.get(x.key)));
  for (const x of touches) {
    const got = received.get(x.key)!;
    // Never twice.
    expect(got.length, x.key).toBeLessThanOrEqual(1);
    // Nothing left in between: every touch reached a final decision, nothing is still queued or dead-lettered.
    expect(['sent', 'failed'], x.key).toContain(x.status);
    // Logged sent: exactly one message, the one whose id the log holds; one sent decision.
    if (x.status === 'sent') {
      expect(got.map((m) => m.messageId), x.key).toEqual([x.messageId]);
      expect(x.decisions.filter((s) => s.status === 'sent')).toHaveLength(1);
    }
  }
  expect(d.queue.items).toEqual([]);
  expect(d.queue.dlq).toEqual([]);
  const by = (s: string) => touches.filter((x) => x.status === s);
  return { touches, received, sent: by('sent'), failed: by('failed') };
}

const isSent = (i: Record<string, unknown>) => (i['Item'] as { status?: { S?: string } })?.status?.S === 'sent';
const isSending = (i: Record<string, unknown>) => (i['Item'] as { status?: { S?: string } })?.status?.S === 'sending';

describe('touch delivery under injected provider and store faults', () => {
  it('SES and SNS throttling: backed off and sent, each message exactly once', async () => {
    const d = sender(0, [
      { command: 'SendEmailCommand', kind: 'throttle', calls: [1, 2, 4] },
      { command: 'PublishCommand', kind: 'throttle', calls: [1, 3, 4] },
    ]);
    await deliver(d);
    const o = await outcome(0, d);
    expect(d.faults.count('throttle')).toBe(6);
    expect(o.sent).toHaveLength(PER_GROUP);
    expect(d.throttleWaits.length).toBeGreaterThanOrEqual(1);
  });

  it('a message accepted by the provider whose answer is lost (timeout, reset) is never sent a second time', async () => {
    const d = sender(1, [
      { command: 'SendEmailCommand', kind: 'lost-response', calls: [1] },
      { command: 'PublishCommand', kind: 'lost-response', calls: [2] },
    ]);
    await deliver(d);
    const o = await outcome(1, d);
    expect(d.faults.count('lost-response')).toBe(2);
    // The two whose answer was lost reached the customer once and are logged failed, not sent again.
    expect(o.failed).toHaveLength(2);
    for (const x of o.failed) expect(o.received.get(x.key)).toHaveLength(1);
    expect(o.sent).toHaveLength(PER_GROUP - 2);
  });

  it('5xx from SES and SNS: the outcome is unknown, so logged failed and not retried into a duplicate', async () => {
    const d = sender(2, [
      { command: 'SendEmailCommand', kind: 'server-error', status: 503, calls: [2] },
      { command: 'PublishCommand', kind: 'server-error', status: 500, calls: [1] },
    ]);
    await deliver(d);
    const o = await outcome(2, d);
    expect(d.faults.count('server-error')).toBe(2);
    expect(o.failed).toHaveLength(2);
    for (const x of o.failed) expect(x.reason).toMatch(/(ServiceUnavailable|InternalErrorException)/);
    for (const x of o.failed) expect(o.received.get(x.key)).toHaveLength(0);
    expect(o.sent).toHaveLength(PER_GROUP - 2);
    // One call per message: the SDK did not retry the non-idempotent sends.
    expect(d.faults.calls.get('PublishCommand')).toBe(PER_GROUP / 2);
    expect(d.faults.calls.get('SendEmailCommand')).toBe(PER_GROUP / 2);
  });

  it('crash between send and log: the provider accepted, the outcome write failed; the redelivery logs it failed, outcome unknown', async () => {
    const d = sender(
      3,
      [
        // The write of `sent` is refused (throttled, no SDK retry left) or the process dies right after the provider call.
        { command: 'PutItemCommand', kind: 'throttle', when: isSent, calls: [1] },
        { command: 'PutItemCommand', kind: 'timeout', when: isSent, calls: [3] },
      ],
      { tableAttempts: 1 },
    );
    await deliver(d);
    const o = await outcome(3, d);
    expect(d.faults.count()).toBe(2);
    expect(d.errors).toHaveLength(2);
    expect(o.failed).toHaveLength(2);
    for (const x of o.failed) {
      expect(x.reason).toMatch(/^outcome unknown/);
      expect(o.received.get(x.key)).toHaveLength(1);
    }
    expect(o.sent).toHaveLength(PER_GROUP - 2);
  });

  it('the `sending` and `sent` writes land but their answers are lost: the SDK resends them, nothing is missed or doubled', async () => {
    const d = sender(4, [
      { command: 'PutItemCommand', kind: 'lost-response', when: isSending, calls: [1, 4] },
      { command: 'PutItemCommand', kind: 'lost-response', when: isSent, calls: [2, 5] },
    ]);
    await deliver(d);
    const o = await outcome(4, d);
    expect(d.faults.count('lost-response')).toBe(4);
    expect(o.sent).toHaveLength(PER_GROUP);
  });

  it('store reads failing (throttled, 503, timeout) before the send: the message is redelivered and sent once', async () => {
    const d = sender(
      5,
      [
        { command: 'GetItemCommand', kind: 'throttle', calls: [1, 5] },
        { command: 'QueryCommand', kind: 'server-error', status: 503, calls: [2] },
        { command: 'CheckIfPhoneNumberIsOptedOutCommand', kind: 'timeout', calls: [1] },
      ],
      { tableAttempts: 1 },
    );
    await deliver(d);
    const o = await outcome(5, d);
    expect(d.faults.count()).toBe(4);
    // The table faults reach the sender (one SDK attempt); the opt-out check is a read, and the SDK's retry absorbs it.
    expect(d.errors).toHaveLength(3);
    expect(d.faults.count('timeout', 'CheckIfPhoneNumberIsOptedOutCommand')).toBe(1);
    expect(d.errors.filter((e) => /timed out/.test(e))).toEqual([]);
    expect(o.sent).toHaveLength(PER_GROUP);
  });

  it('SQS delivers every message twice (at least once): each touch is still sent once', async () => {
    const d = sender(6, [], { duplicateMessages: true });
    expect(d.queue.items).toHaveLength(2 * PER_GROUP);
    await deliver(d);
    const o = await outcome(6, d);
    expect(o.sent).toHaveLength(PER_GROUP);
  });
});
