import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoConfigStore } from './config-store.ts';
import { DynamoCustomerStore } from './dynamo-customer-store.ts';
import { DynamoNightlyLedger } from './dynamo-nightly-ledger.ts';
import { DynamoTouchStore } from './dynamo-touch-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';

/** The env every function shares; each function's zod schema extends this shape. */
export interface AdapterEnv {
  TABLE_NAME: string;
  BUCKET_NAME: string;
  AWS_REGION: string;
  S3_ENDPOINT?: string | undefined;
  DYNAMODB_ENDPOINT?: string | undefined;
  S3_FORCE_PATH_STYLE?: 'true' | 'false' | undefined;
}

export interface Adapters {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  objects: S3ObjectStore;
  customers: DynamoCustomerStore;
  config: DynamoConfigStore;
  nightly: DynamoNightlyLedger;
  touches: DynamoTouchStore;
}

/** The one place validated env turns into SDK clients and adapters. Endpoints are set only for the local stack. */
export function makeAdapters(env: AdapterEnv): Adapters {
  const local = !!(env.S3_ENDPOINT || env.DYNAMODB_ENDPOINT);
  const localCreds = local
    ? // s3rver checks signatures against these; dynalite accepts anything.
      { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }
    : {};
  const s3 = new S3Client({
    region: env.AWS_REGION,
    ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
    forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
    // s3rver stores an aws-chunked streamed body verbatim; checksums only when S3 requires them.
    ...(local ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const } : {}),
    ...localCreds,
  });
  const dynamodb = new DynamoDBClient({
    region: env.AWS_REGION,
    ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}),
    ...localCreds,
  });
  return {
    s3,
    dynamodb,
    objects: new S3ObjectStore({ client: s3, bucketName: env.BUCKET_NAME }),
    customers: new DynamoCustomerStore({ client: dynamodb, tableName: env.TABLE_NAME }),
    config: new DynamoConfigStore({ client: dynamodb, tableName: env.TABLE_NAME }),
    nightly: new DynamoNightlyLedger({ client: dynamodb, tableName: env.TABLE_NAME }),
    touches: new DynamoTouchStore({ client: dynamodb, tableName: env.TABLE_NAME }),
  };
}

