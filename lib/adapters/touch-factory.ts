import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { TouchQueue } from '../touches/ports.ts';
import { AwsProviders } from './providers.ts';
import { makeTableAdapters, type TableAdapters, type TableEnv } from './table-factory.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import { apiRequestHandler, s3RequestHandler } from './http-timeouts.ts';

/** SQS as the touch queue: a message carries a touch key and waits (up to SQS's 15 minutes) before delivery. */
export class SqsTouchQueue implements TouchQueue {
  constructor(private readonly opts: { client: SQSClient; queueUrl: string }) {}

  async enqueue(keys: { key: string; notBefore: string }[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 10) {
      const batch = keys.slice(i, i + 10);
      const r = await this.opts.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.opts.queueUrl,
          Entries: batch.map((k, j) => ({
            Id: String(j),
            MessageBody: JSON.stringify({ key: k.key }),
            // Later touches come back through the sender's visibility delay until their time.
            DelaySeconds: Math.max(0, Math.min(900, Math.ceil((Date.parse(k.notBefore) - Date.now()) / 1000))),
          })),
        }),
      );
      if (r.Failed?.length) throw new Error(`SQS refused ${r.Failed.length} touch messages: ${r.Failed[0]?.Message ?? ''}`);
    }
  }

  /** Hide a message until its touch is due (at most SQS's 12 hours; it comes back and waits again). */
  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.opts.client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.opts.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: Math.max(0, Math.min(43_200, seconds)) }),
    );
  }
}

/**
 * What the touch functions add to the table's stores: providers, the touch queue, the bucket. Pass the table
 * adapters a function already has, so one container keeps one DynamoDB client.
 */
export function makeTouchAdapters(
  env: TableEnv & { QUEUE_URL?: string | undefined; BUCKET_NAME?: string | undefined; SES_CONFIGURATION_SET?: string | undefined },
  table: TableAdapters = makeTableAdapters(env),
) {
  return {
    ...table,
    providers: new AwsProviders({
      ses: new SESClient({ region: env.AWS_REGION, requestHandler: apiRequestHandler }),
      sns: new SNSClient({ region: env.AWS_REGION, requestHandler: apiRequestHandler }),
      configurationSet: env.SES_CONFIGURATION_SET,
    }),
    queue: env.QUEUE_URL ? new SqsTouchQueue({ client: new SQSClient({ region: env.AWS_REGION, requestHandler: apiRequestHandler }), queueUrl: env.QUEUE_URL }) : undefined,
    objects: env.BUCKET_NAME ? new S3ObjectStore({ client: new S3Client({ region: env.AWS_REGION, requestHandler: s3RequestHandler }), bucketName: env.BUCKET_NAME }) : undefined,
  };
}
