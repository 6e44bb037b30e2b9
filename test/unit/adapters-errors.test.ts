import { BatchGetItemCommand, ConditionalCheckFailedException, DynamoDBClient, PutItemCommand, ProvisionedThroughputExceededException, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoCustomerStore } from '../../lib/adapters/dynamo-customer-store.ts';
import { defaultConfig } from '../../lib/config/schema.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import type { OrderRecord } from '../../lib/orders/order.ts';
import { MemoryLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';

const ddb = mockClient(DynamoDBClient);
afterEach(() => ddb.reset());

const order: OrderRecord = {
  key: 'A1', orderId: 'A1', customerId: '001', kind: 'order', status: 'paid', orderedAt: 0, localDate: '2026-01-01',
  amountMinor: 100, currency: 'CNY', version: '000000000000001|x',
};
const cond = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('DynamoDB adapter error paths (mocked client)', () => {
  const store = () => new DynamoCustomerStore({ client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 't' });

  it('a failed version condition means the stored order is as new or newer: unchanged, not an error', async () => {
    ddb.on(PutItemCommand).rejects(cond());
    await expect(store().putOrder(order)).resolves.toBe('unchanged');
  });

  it('a lost state race returns false so the caller re-reads', async () => {
    ddb.on(PutItemCommand).rejects(cond());
    await expect(store().saveState({ customerId: '001' } as never, 3)).resolves.toBe(false);
  });

  it('other errors surface, and the file is not recorded as done (so the Lambda retry redoes it)', async () => {
    ddb.on(PutItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(BatchGetItemCommand).resolves({ Responses: {} }); // no owner items yet: the owner write is the first to fail
    await expect(store().putOrder(order)).rejects.toThrow('slow down');

    const objects = new MemoryObjectStore();
    const ledger = new MemoryLedger();
    await objects.put('incoming/orders/o.csv', 'order_id,customer_id,ordered_at,amount\nA1,001,2026-01-01,1\n');
    await expect(
      ingestObject({ key: 'incoming/orders/o.csv', etag: 'e', lastModifiedMs: 0 }, { objects, customers: store(), ledger, config: defaultConfig, asOf: '2026-02-01' }),
    ).rejects.toThrow('slow down');
    expect(ledger.files.size).toBe(0);
  });
});
