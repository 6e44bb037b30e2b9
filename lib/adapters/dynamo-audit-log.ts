import { PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditEntry, AuditLog } from '../privacy/ports.ts';

/**
 *   pk AUDIT#<customer>  sk <ISO time>#<entry id>   one personal-data request (erase, export): who, why, what
 * Its own partition, so reading a customer for a recompute never reads the audit. Written once: the put is
 * conditional on the key being new, so an entry is never replaced.
 */
export class DynamoAuditLog implements AuditLog {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(opts: { client: DynamoDBClient; tableName: string }) {
    this.client = opts.client;
    this.tableName = opts.tableName;
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { pk: { S: `AUDIT#${entry.customerId}` }, sk: { S: `${entry.at}#${entry.id}` }, action: { S: entry.action }, e: { S: JSON.stringify(entry) } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async list(customerId: string): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const r = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `AUDIT#${customerId}` } },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const i of r.Items ?? []) if (i.e?.S) out.push(JSON.parse(i.e.S) as AuditEntry);
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
