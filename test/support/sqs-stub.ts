import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSEvent } from 'aws-lambda';

/**
 * A loopback stand-in for the touch queue, so the real nightly and send handlers can run against the local
 * stack with `AWS_ENDPOINT_URL_SQS` pointing here. It answers the SQS JSON protocol's SendMessageBatch (the
 * only call the functions make) and keeps the messages; `take()` hands them out as SQS events for the send
 * handler. Delays are not waited for: the test decides when to deliver.
 */
export interface SqsStub {
  endpoint: string;
  queueUrl: string;
  messages: { messageId: string; body: string; delaySeconds: number }[];
  /** Removes every kept message and returns them as SQS events of at most `batch` records. */
  take(batch?: number): SQSEvent[];
  stop(): Promise<void>;
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

export async function startSqsStub(): Promise<SqsStub> {
  const messages: SqsStub['messages'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(body));
      };
      if (target !== 'AmazonSQS.SendMessageBatch') return reply(400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: `stub: ${target}` });
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: { Id: string; MessageBody: string; DelaySeconds?: number }[] };
      const ok = input.Entries.map((e) => {
        const messageId = randomUUID();
        messages.push({ messageId, body: e.MessageBody, delaySeconds: e.DelaySeconds ?? 0 });
        return { Id: e.Id, MessageId: messageId, MD5OfMessageBody: md5(e.MessageBody) };
      });
      reply(200, { Successful: ok, Failed: [] });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    queueUrl: `${endpoint}/000000000000/moments-touches`,
    messages,
    take(batch = 10) {
      const all = messages.splice(0);
      const events: SQSEvent[] = [];
      for (let i = 0; i < all.length; i += batch)
        events.push({
          Records: all.slice(i, i + batch).map((m) => ({
            messageId: m.messageId,
            receiptHandle: m.messageId,
            body: m.body,
            attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'local', ApproximateFirstReceiveTimestamp: String(Date.now()) },
            messageAttributes: {},
            md5OfBody: md5(m.body),
            eventSource: 'aws:sqs',
            eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:moments-touches',
            awsRegion: 'us-east-1',
          })),
        });
      return events;
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
