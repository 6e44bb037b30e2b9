import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TouchRecord } from '../../lib/touches/touch.ts';

const ddb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
afterEach(() => {
  ddb.reset();
  sqs.reset();
});
beforeAll(() => {
  Object.assign(process.env, { TABLE_NAME: 't', QUEUE_URL: 'https://sqs.example/q', LOG_LEVEL: 'silent', AWS_REGION: 'us-east-1' });
});

const later: TouchRecord = {
  key: 'C1|c|p', customerId: 'C1', campaignId: 'c', moment: 'birthday', periodKey: 'p', channel: 'sms', status: 'planned', reason: '',
  plannedFor: new Date(Date.now() + 3 * 3600_000).toISOString(), usefulUntil: new Date(Date.now() + 3 * 86_400_000).toISOString(),
  priority: 1, configVersion: 'v', timeZone: 'UTC', locale: 'zh-CN', vars: {}, decisions: [], rev: 1,
};
const event = (bodies: string[]): SQSEvent => ({
  Records: bodies.map((body, i) => ({
    messageId: `m${i}`, receiptHandle: `r${i}`, body, attributes: { ApproximateReceiveCount: '1' } as never, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn', awsRegion: 'us-east-1',
  })),
});

describe('send handler (SQS consumer), SDK mocked', () => {
  it('a touch not yet due goes back as a new delayed message and is acknowledged; a poison message is a batch failure', async () => {
    ddb.on(GetItemCommand).callsFake((input: { Key: { pk: { S: string } } }) =>
      input.Key.pk.S === 'CONFIG' ? {} : { Item: { pk: { S: 'T#C1' }, sk: { S: 'c|p' }, rev: { N: '1' }, t: { S: JSON.stringify(later) } } },
    );
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'x', MD5OfMessageBody: '' }], Failed: [] });
    const { handler } = await import('../../functions/send/handler.ts');
    const r = await handler(event([JSON.stringify({ key: 'C1|c|p' }), 'not json']));
    expect(r.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    const sent = sqs.commandCalls(SendMessageBatchCommand);
    expect(sent).toHaveLength(1);
    const entry = sent[0]!.args[0].input.Entries![0]!;
    expect(JSON.parse(entry.MessageBody!)).toEqual({ key: 'C1|c|p' });
    // SQS delays at most 15 minutes: the message comes back then and waits again.
    expect(entry.DelaySeconds).toBe(900);
  });
});
