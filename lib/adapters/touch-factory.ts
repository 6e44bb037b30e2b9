import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { TouchQueue } from '../touches/ports.ts';
import { DynamoConfigStore } from './config-store.ts';
import { DynamoCustomerStore } from './dynamo-customer-store.ts';
import { DynamoTouchStore } from './dynamo-touch-store.ts';
import { AwsProviders } from './providers.ts';
import { S3ObjectStore } from './s3-object-store.ts';

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

export function makeTouchAdapters(env: {
  TABLE_NAME: string;
  AWS_REGION: string;
  QUEUE_URL?: string | undefined;
  BUCKET_NAME?: string | undefined;
  SES_CONFIGURATION_SET?: string | undefined;
}) {
  const dynamodb = new DynamoDBClient({ region: env.AWS_REGION });
  const sqs = new SQSClient({ region: env.AWS_REGION });
  return {
    dynamodb,
    touches: new DynamoTouchStore({ client: dynamodb, tableName: env.TABLE_NAME }),
    customers: new DynamoCustomerStore({ client: dynamodb, tableName: env.TABLE_NAME }),
    config: new DynamoConfigStore({ client: dynamodb, tableName: env.TABLE_NAME }),
    providers: new AwsProviders({
      ses: new SESClient({ region: env.AWS_REGION }),
      sns: new SNSClient({ region: env.AWS_REGION }),
      configurationSet: env.SES_CONFIGURATION_SET,
    }),
    queue: env.QUEUE_URL ? new SqsTouchQueue({ client: sqs, queueUrl: env.QUEUE_URL }) : undefined,
    objects: env.BUCKET_NAME ? new S3ObjectStore({ client: new S3Client({ region: env.AWS_REGION }), bucketName: env.BUCKET_NAME }) : undefined,
  };
}
