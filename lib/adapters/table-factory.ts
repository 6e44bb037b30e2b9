import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoConfigStore } from './config-store.ts';
import { DynamoCustomerStore } from './dynamo-customer-store.ts';
import { DynamoNightlyLedger } from './dynamo-nightly-ledger.ts';

/** Table-only adapters: the nightly functions touch no bucket (and so do not bundle the S3 client). */
export function makeTableAdapters(env: { TABLE_NAME: string; AWS_REGION: string; DYNAMODB_ENDPOINT?: string | undefined }) {
  const dynamodb = new DynamoDBClient({
    region: env.AWS_REGION,
    ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } : {}),
  });
  return {
    dynamodb,
    customers: new DynamoCustomerStore({ client: dynamodb, tableName: env.TABLE_NAME }),
    config: new DynamoConfigStore({ client: dynamodb, tableName: env.TABLE_NAME }),
    nightly: new DynamoNightlyLedger({ client: dynamodb, tableName: env.TABLE_NAME }),
  };
}
