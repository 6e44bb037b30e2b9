/**
 * The one batch call the adapters make is SQS SendMessageBatch (touch keys to the queue); the DynamoDB adapters use
 * single-item calls only, so there are no UnprocessedItems to lose. A partial batch failure (`Failed` entries in a
 * 200 answer) has no local emulator, hence the SDK mock here: it must fail the caller, and the nightly's retry must
 * queue the touch again, so no planned touch is left without a message.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SqsTouchQueue } from '../../lib/adapters/touch-factory.ts';
import { parseConfig } from '../../lib/config/schema.ts';
import { deriveFromOrders } from '../../lib/derive/derive.ts';
import type { OrderRecord } from '../../lib/orders/order.ts';
import { MemoryTouchStore } from '../../lib/testing/memory-ports.ts';
import { planNightTouches } from '../../lib/touches/plan-night.ts';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

type Entry = { Id: string; MessageBody: string };
/** SendMessageBatch that refuses the entries `refuse` picks, as SQS does: HTTP 200 with a Failed list. */
function answerWith(refuse: (e: Entry, call: number) => boolean) {
  const accepted: string[] = [];
  let call = 0;
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Entry[] }) => {
    call++;
    const failed = input.Entries.filter((e) => refuse(e, call));
    for (const e of input.Entries) if (!failed.includes(e)) accepted.push((JSON.parse(e.MessageBody) as { key: string }).key);
    return {
      Successful: input.Entries.filter((e) => !failed.includes(e)).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })),
      Failed: failed.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
    };
  });
  return accepted;
}

const queue = () => new SqsTouchQueue({ client: new SQSClient({ region: 'us-east-1' }), queueUrl: 'https://sqs.example/q' });

describe('SQS SendMessageBatch partial failures', () => {
  it('a Failed entry fails the enqueue (never silent); enqueueing again delivers every key', async () => {
    const keys = Array.from({ length: 23 }, (_, i) => ({ key: `C${i}|c|p`, notBefore: new Date(0).toISOString() }));
    const accepted = answerWith((e, call) => call === 2 && e.Id === '4');
    await expect(queue().enqueue(keys)).rejects.toThrow('SQS refused 1 touch messages: try again');
    expect(new Set(accepted).size).toBe(19); // the first batch, and the second but one entry; the third never sent
    await queue().enqueue(keys);
    expect(new Set(accepted)).toEqual(new Set(keys.map((k) => k.key)));
  });

  it('the nightly planning retried after a partial failure queues the touch it had recorded but not queued', async () => {
    const example = JSON.parse(readFileSync(new URL('../../examples/campaigns.json', import.meta.url), 'utf8')) as { campaigns: { holdOut: number }[] };
    const config = parseConfig({ ...example, campaigns: example.campaigns.map((c) => ({ ...c, holdOut: 0 })) });
    const order: OrderRecord = {
      key: 'o1', orderId: 'o1', customerId: 'C1', kind: 'order', status: 'paid', orderedAt: Date.parse('2026-03-01T04:00:00Z'),
      localDate: '2026-03-01', amountMinor: 50_000, currency: 'CNY', version: '0|x',
    };
    const night = '2026-03-16';
    const { state, derived } = deriveFromOrders('C1', [order], config, night);
    const store = new MemoryTouchStore();
    const profile = {
      customerId: 'C1',
      fields: {
        phone: { value: '+8613812345678', ver: '1' },
        smsConsent: { value: { optIn: true, at: '2026-01-01T00:00:00Z', source: 'm.csv' }, ver: '1' },
      },
    };
    const planning = { store, queue: queue(), loadProfile: async () => ({ profile }), configVersion: 'v', now: () => new Date('2026-03-15T18:30:00Z') };
    const accepted = answerWith((_, call) => call === 1);
    await expect(planNightTouches(state, derived, 50_000, night, config, planning)).rejects.toThrow('SQS refused');
    const planned = [];
    for await (const t of store.scan()) if (t.status === 'planned') planned.push(t.key);
    expect(planned.length).toBeGreaterThan(0);
    expect(accepted).toEqual([]);
    // The segment's retry: the touch exists already (not recorded twice) and, still waiting, is queued again.
    await planNightTouches(state, derived, 50_000, night, config, planning);
    expect(accepted.sort()).toEqual(planned.sort());
  });
});
