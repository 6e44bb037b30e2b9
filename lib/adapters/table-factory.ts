import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoAuditLog } from './dynamo-audit-log.ts';
import { DynamoConfigStore } from './config-store.ts';
import { DynamoCustomerStore } from './dynamo-customer-store.ts';
import { DynamoNightlyLedger } from './dynamo-nightly-ledger.ts';
import { DynamoTouchStore } from './dynamo-touch-store.ts';
import { DynamoLedgerEntries } from './dynamo-ledger-entries.ts';
import { apiRequestHandler } from './http-timeouts.ts';

export interface TableEnv {
  TABLE_NAME: string;
  AWS_REGION: string;
  DYNAMODB_ENDPOINT?: string | undefined;
}

/** Credentials the local emulators accept (s3rver checks signatures against these; dynalite takes anything). */
export const LOCAL_CREDENTIALS = { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };

/**
 * The table's client and every store on it, made once. The other factories build on this one; the nightly
 * functions use it alone, so they do not bundle the S3 client.
 */
export function makeTableAdapters(env: TableEnv) {
  const dynamodb = new DynamoDBClient({
    region: env.AWS_REGION,
    requestHandler: apiRequestHandler,
    ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT, ...LOCAL_CREDENTIALS } : {}),
  });
  const t = { client: dynamodb, tableName: env.TABLE_NAME };
  return {
    dynamodb,
    customers: new DynamoCustomerStore(t),
    config: new DynamoConfigStore(t),
    nightly: new DynamoNightlyLedger(t),
    touches: new DynamoTouchStore(t),
    audit: new DynamoAuditLog(t),
    ledgerEntries: new DynamoLedgerEntries(t),
  };
}

export type TableAdapters = ReturnType<typeof makeTableAdapters>;
