import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { S3Event } from 'aws-lambda';
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-ses';
import {
  CheckIfPhoneNumberIsOptedOutCommand,
  ListPhoneNumbersOptedOutCommand,
  PublishCommand,
} from '@aws-sdk/client-sns';
import { makeLocalClients } from '../../lib/adapters/local-clients.ts';
import {
  decodeS3EventKey,
  encodeS3EventKey,
  startLocalStack,
  type LocalStack,
} from '../../lib/local/local-stack.ts';
import { readSnsMessages } from '../../lib/local/sns-stub.ts';

const home = mkdtempSync(join(tmpdir(), 'moments-local-stack-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const ORIGINAL_KEY = 'incoming/orders/2024 春节 订单 (1)+final.csv';
const BIG_KEY = 'incoming/orders/big export.csv';
const OTHER_KEY = 'rejected/orders/not a trigger.csv';
const ITEM = { pk: { S: 'CUST#c-1' }, sk: { S: 'PROFILE' }, name: { S: '张三' } };

async function bodyBytes(body: unknown): Promise<Buffer> {
  const b = body as { transformToByteArray(): Promise<Uint8Array> };
  return Buffer.from(await b.transformToByteArray());
}

describe('encodeS3EventKey', () => {
  it('encodes like real S3 event notifications', () => {
    expect(encodeS3EventKey('incoming/a b/c+d (1).csv')).toBe('incoming/a+b/c%2Bd+%281%29.csv');
    expect(encodeS3EventKey('incoming/订单.csv')).toBe('incoming/%E8%AE%A2%E5%8D%95.csv');
    for (const k of [ORIGINAL_KEY, 'x/~weird*!\'.csv', 'a%20b']) {
      expect(decodeS3EventKey(encodeS3EventKey(k))).toBe(k);
    }
  });
});

describe('local embedded stack', () => {
  const events: S3Event[] = [];
  const bigBody = randomBytes(1024 * 1024 + 12_345);
  let stack: LocalStack | undefined;

  afterAll(async () => {
    await stack?.stop();
  });

  it('starts on loopback with the env a handler needs', async () => {
    stack = await startLocalStack({
      home,
      onObjectCreated: async (event) => {
        events.push(event);
        // The handler writes outside the trigger prefixes: that must not trigger again.
        const c = makeLocalClients(stack!.env);
        try {
          await c.s3.send(new PutObjectCommand({ Bucket: stack!.bucket, Key: OTHER_KEY, Body: 'x' }));
        } finally {
          c.destroy();
        }
      },
    });
    for (const url of Object.values(stack.endpoints)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.bucket).toBe('moments-local');
    expect(stack.env).toMatchObject({
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      S3_ENDPOINT: stack.endpoints.s3,
      DYNAMODB_ENDPOINT: stack.endpoints.dynamodb,
      SES_ENDPOINT: stack.endpoints.ses,
      SNS_ENDPOINT: stack.endpoints.sns,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      TABLE_NAME: stack.tableName,
      BUCKET_NAME: stack.bucket,
    });
  });

  it('triggers onObjectCreated with a real-shaped, URL-encoded S3 event', async () => {
    const s = stack!;
    const c = makeLocalClients(s.env);
    try {
      await c.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: ORIGINAL_KEY, Body: 'order_id\n1\n' }));
      await s.idle();
    } finally {
      c.destroy();
    }
    expect(s.errors).toEqual([]);
    expect(events).toHaveLength(1);
    const rec = events[0]?.Records[0];
    expect(rec?.eventSource).toBe('aws:s3');
    expect(rec?.eventName).toMatch(/^ObjectCreated:/);
    expect(rec?.s3.bucket.name).toBe(s.bucket);
    expect(rec?.s3.bucket.arn).toBe(`arn:aws:s3:::${s.bucket}`);
    expect(rec?.s3.object.size).toBe(Buffer.byteLength('order_id\n1\n'));
    const raw = rec?.s3.object.key ?? '';
    expect(raw).not.toBe(ORIGINAL_KEY);
    expect(raw).not.toMatch(/[ 春节订单()]/);
    expect(raw.startsWith('incoming/orders/')).toBe(true);
    expect(decodeURIComponent(raw.replace(/\+/g, ' '))).toBe(ORIGINAL_KEY);
  });

  it('did not trigger for the object the handler wrote outside incoming/ and config/', async () => {
    const s = stack!;
    const c = makeLocalClients(s.env);
    try {
      const got = await c.s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: OTHER_KEY }));
      expect((await bodyBytes(got.Body)).toString()).toBe('x');
    } finally {
      c.destroy();
    }
    expect(events).toHaveLength(1);
  });

  it('round-trips a >1MB streamed upload byte-identically', async () => {
    const s = stack!;
    const c = makeLocalClients(s.env);
    try {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bigBody.length; i += 64 * 1024) chunks.push(bigBody.subarray(i, i + 64 * 1024));
      await c.s3.send(
        new PutObjectCommand({
          Bucket: s.bucket,
          Key: BIG_KEY,
          Body: Readable.from(chunks),
          ContentLength: bigBody.length,
        }),
      );
      await s.idle();
      const got = await c.s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: BIG_KEY }));
      const bytes = await bodyBytes(got.Body);
      expect(bytes.length).toBe(bigBody.length);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(bigBody).digest('hex'));
    } finally {
      c.destroy();
    }
    expect(events).toHaveLength(2);
    expect(s.errors).toEqual([]);
  });

  it('records handler errors instead of crashing, and idle() waits for cascades', async () => {
    const s = stack!;
    const c = makeLocalClients(s.env);
    const seen: string[] = [];
    s.setObjectCreatedHandler(async (event) => {
      const key = decodeS3EventKey(event.Records[0]?.s3.object.key ?? '');
      seen.push(key);
      if (key === 'config/a.json') {
        await new Promise((r) => setTimeout(r, 50));
        await c.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: 'incoming/cascade.csv', Body: 'y' }));
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
      throw new Error(`boom ${key}`);
    });
    try {
      await c.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: 'config/a.json', Body: '{}' }));
      await s.idle();
    } finally {
      c.destroy();
      s.setObjectCreatedHandler(undefined);
    }
    expect(seen).toEqual(['config/a.json', 'incoming/cascade.csv']);
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]?.key).toBe('incoming/cascade.csv');
    expect(String(s.errors[0]?.error)).toContain('boom incoming/cascade.csv');
    s.errors.length = 0;
  });

  it('DynamoDB PutItem/GetItem round trip', async () => {
    const s = stack!;
    const c = makeLocalClients(s.env);
    try {
      await c.dynamodb.send(new PutItemCommand({ TableName: s.tableName, Item: ITEM }));
      const got = await c.dynamodb.send(
        new GetItemCommand({ TableName: s.tableName, Key: { pk: ITEM.pk, sk: ITEM.sk }, ConsistentRead: true }),
      );
      expect(got.Item).toEqual(ITEM);
    } finally {
      c.destroy();
    }
  });

  it('every DynamoDB Query closes its LevelDB iterator (dynalite 4 left them all open: ~10 KB each, never freed)', async () => {
    const s = stack!;
    const c = makeLocalClients(s.env);
    // Count closes on the iterator class dynalite's LevelDB uses, resolved the way dynalite resolves it.
    const requireFromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
    const { AbstractValueIterator } = createRequire(requireFromDynalite.resolve('classic-level'))('abstract-level') as {
      AbstractValueIterator: { prototype: object };
    };
    const common = Object.getPrototypeOf(AbstractValueIterator.prototype) as { close(this: unknown): Promise<void> };
    const close = common.close;
    let closed = 0;
    common.close = function (this: unknown) {
      closed++;
      return close.call(this);
    };
    try {
      for (let i = 0; i < 25; i++)
        await c.dynamodb.send(
          new QueryCommand({ TableName: s.tableName, ConsistentRead: true, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': ITEM.pk } }),
        );
      await new Promise((r) => setTimeout(r, 50));
      expect(closed).toBeGreaterThanOrEqual(25);
    } finally {
      common.close = close;
      c.destroy();
    }
  });

  it('SES SendEmail lands in the SES server store', async () => {
    const s = stack!;
    const c = makeLocalClients(s.env);
    const subject = `欢迎 ${Date.now()}`;
    try {
      const res = await c.ses.send(
        new SendEmailCommand({
          Source: 'shop@example.com',
          Destination: { ToAddresses: ['member@example.com'] },
          Message: { Subject: { Data: subject }, Body: { Text: { Data: 'hello' } } },
        }),
      );
      expect(res.MessageId).toBeTruthy();
      const store = (await (await fetch(`${s.endpoints.ses}/store`)).json()) as {
        emails: { messageId: string; subject: string; destination: { to: string[] } }[];
      };
      const mail = store.emails.find((e) => e.messageId === res.MessageId);
      expect(mail?.subject).toBe(subject);
      expect(mail?.destination.to).toEqual(['member@example.com']);
    } finally {
      c.destroy();
    }
  });

  it('SNS Publish to a phone number lands in the stub store with a MessageId', async () => {
    const s = stack!;
    const c = makeLocalClients(s.env);
    try {
      const res = await c.sns.send(
        new PublishCommand({
          PhoneNumber: '+8613800138000',
          Message: '会员积分即将过期 <&>',
          MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
        }),
      );
      expect(res.MessageId).toMatch(/^[0-9a-f-]{36}$/);
      const store = (await (await fetch(`${s.endpoints.sns}/store`)).json()) as {
        messages: { messageId: string; phoneNumber?: string; message: string; messageAttributes: unknown }[];
      };
      const msg = store.messages.find((m) => m.messageId === res.MessageId);
      expect(msg?.phoneNumber).toBe('+8613800138000');
      expect(msg?.message).toBe('会员积分即将过期 <&>');
      expect(msg?.messageAttributes).toEqual({
        'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
      });
      // Readable by another process from the JSONL file.
      expect(readSnsMessages(home).map((m) => m.messageId)).toContain(res.MessageId);
    } finally {
      c.destroy();
    }
  });

  it('SNS stub can throttle the next N publishes and answers opt-out checks', async () => {
    const s = stack!;
    const c = makeLocalClients(s.env);
    try {
      const t = await fetch(`${s.endpoints.sns}/throttle?count=1`, { method: 'POST' });
      expect(t.status).toBe(200);
      const err = await c.sns
        .send(new PublishCommand({ PhoneNumber: '+15550100', Message: 'x' }))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      // The SDK retries throttling by default; with count=1 the retry succeeds.
      expect(err).toBeUndefined();
      await fetch(`${s.endpoints.sns}/throttle?count=1`, { method: 'POST' });
      const once = makeLocalClients(s.env, { maxAttempts: 1 });
      const err2 = (await once.sns.send(new PublishCommand({ PhoneNumber: '+15550100', Message: 'x' })).then(
        () => undefined,
        (e: unknown) => e,
      )) as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
      expect(err2?.name).toBe('ThrottledException');
      expect(err2?.$metadata?.httpStatusCode).toBe(429);
      once.destroy();
      // The throttle budget is used up: the next publish succeeds again.
      await expect(c.sns.send(new PublishCommand({ PhoneNumber: '+15550100', Message: 'x' }))).resolves.toBeDefined();

      const o = await fetch(`${s.endpoints.sns}/opt-out`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phoneNumber: '+15550199' }),
      });
      expect(o.status).toBe(200);
      const chk = await c.sns.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: '+15550199' }));
      expect(chk.isOptedOut).toBe(true);
      const chk2 = await c.sns.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: '+15550100' }));
      expect(chk2.isOptedOut).toBe(false);
      const list = await c.sns.send(new ListPhoneNumbersOptedOutCommand({}));
      expect(list.phoneNumbers).toEqual(['+15550199']);
    } finally {
      c.destroy();
    }
  });

  it('stop and restart with the same home keeps DynamoDB and S3 data', async () => {
    const first = stack!;
    await first.stop();
    await first.stop(); // idempotent
    stack = undefined;
    // The old endpoints are really closed.
    await expect(fetch(`${first.endpoints.s3}/`)).rejects.toThrow();

    stack = await startLocalStack({ home });
    const s = stack;
    const c = makeLocalClients(s.env);
    try {
      const got = await c.dynamodb.send(
        new GetItemCommand({ TableName: s.tableName, Key: { pk: ITEM.pk, sk: ITEM.sk }, ConsistentRead: true }),
      );
      expect(got.Item).toEqual(ITEM);
      const obj = await c.s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: BIG_KEY }));
      expect((await bodyBytes(obj.Body)).equals(bigBody)).toBe(true);
      const small = await c.s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: ORIGINAL_KEY }));
      expect((await bodyBytes(small.Body)).toString()).toBe('order_id\n1\n');
    } finally {
      c.destroy();
    }
    expect(s.sns.messages.length).toBeGreaterThan(0); // SNS log reloaded from the JSONL file
  });
});
