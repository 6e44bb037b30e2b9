/** Infrastructure provisioning the local stack needs (on AWS the CDK stack owns these resources). */
import {
  UpdateTableCommand,
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** The nightly's two sparse indexes (see lib/adapters/dynamo-customer-store.ts). Infra declares the same. */
export const INDEXES = [
  { name: 'due', pk: 'dueShard', sk: 'dueSk' },
  { name: 'night', pk: 'nightShard', sk: 'nightSk' },
] as const;

const ATTRIBUTES = ['pk', 'sk', ...INDEXES.flatMap((i) => [i.pk, i.sk])].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const }));

/**
 * Order items by day within a customer (sort `od`, lib/adapters/dynamo-customer-store.ts): a local index, as only a
 * local index can be read consistently. It can only be made with the table; an older home goes without (the store
 * then reads whole partitions, as before). Infra declares the same.
 */
export const LOCAL_INDEX = { name: 'byDay', sk: 'od' } as const;

/**
 * Create the single table (PAY_PER_REQUEST, pk HASH S + sk RANGE S) if it does not exist, and wait until it
 * is ACTIVE. Idempotent: an existing table (ResourceInUseException) is fine.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  opts: { timeoutMs?: number } = {},
): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...ATTRIBUTES, { AttributeName: LOCAL_INDEX.sk, AttributeType: 'S' as const }],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        LocalSecondaryIndexes: [
          {
            IndexName: LOCAL_INDEX.name,
            KeySchema: [
              { AttributeName: 'pk', KeyType: 'HASH' as const },
              { AttributeName: LOCAL_INDEX.sk, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: 'ALL' as const },
          },
        ],
        GlobalSecondaryIndexes: INDEXES.map((i) => ({
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.pk, KeyType: 'HASH' as const },
            { AttributeName: i.sk, KeyType: 'RANGE' as const },
          ],
          Projection: { ProjectionType: 'ALL' as const },
        })),
      }),
    );
  } catch (err) {
    const name = (err as { name?: unknown } | null)?.name;
    if (!(err instanceof ResourceInUseException) && name !== 'ResourceInUseException') throw err;
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const missing = INDEXES.filter((i) => !Table?.GlobalSecondaryIndexes?.some((g) => g.IndexName === i.name));
    if (Table?.TableStatus === 'ACTIVE' && missing.length > 0) {
      // A home made by an older version: add the indexes instead of asking the user to start over.
      for (const i of missing)
        await client.send(
          new UpdateTableCommand({
            TableName: tableName,
            AttributeDefinitions: ATTRIBUTES,
            GlobalSecondaryIndexUpdates: [
              {
                Create: {
                  IndexName: i.name,
                  KeySchema: [
                    { AttributeName: i.pk, KeyType: 'HASH' },
                    { AttributeName: i.sk, KeyType: 'RANGE' },
                  ],
                  Projection: { ProjectionType: 'ALL' },
                },
              },
            ],
          }),
        );
      continue;
    }
    if (Table?.TableStatus === 'ACTIVE' && (Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === undefined || g.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > deadline) {
      throw new Error(`table ${tableName} is not ACTIVE (status ${Table?.TableStatus ?? 'unknown'})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
