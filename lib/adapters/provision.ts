/** Infrastructure provisioning the local stack needs (on AWS the CDK stack owns these resources). */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

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
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (err) {
    const name = (err as { name?: unknown } | null)?.name;
    if (!(err instanceof ResourceInUseException) && name !== 'ResourceInUseException') throw err;
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new Error(`table ${tableName} is not ACTIVE (status ${Table?.TableStatus ?? 'unknown'})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
