import { DeleteItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FileSummary } from '../ingest/ports.ts';
import type { LedgerEntries } from '../operations/ports.ts';

/** The ingest ledger's partition of an object key (layout: dynamo-customer-store.ts, `pk F#<key> sk E#<etag>`). */
const ledgerPk = (key: string) => `F#${key}`;

/** Every ledger entry of one object key, for the runbook (replay, reprocess). */
export class DynamoLedgerEntries implements LedgerEntries {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(opts: { client: DynamoDBClient; tableName: string }) {
    this.client = opts.client;
    this.tableName = opts.tableName;
  }

  private async *items(key: string) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const r = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
          ExpressionAttributeValues: { ':pk': { S: ledgerPk(key) }, ':e': { S: 'E#' } },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      yield* r.Items ?? [];
      start = r.LastEvaluatedKey;
    } while (start);
  }

  async entries(key: string): Promise<FileSummary[]> {
    const out: FileSummary[] = [];
    for await (const item of this.items(key)) if (item.s?.S) out.push(JSON.parse(item.s.S) as FileSummary);
    return out;
  }

  async forget(key: string): Promise<number> {
    // A key has a few entries (one per distinct content uploaded under it): read them all, then delete each.
    const keys: Record<string, AttributeValue>[] = [];
    for await (const item of this.items(key)) keys.push({ pk: item.pk!, sk: item.sk! });
    for (const k of keys) await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: k }));
    return keys.length;
  }
}
