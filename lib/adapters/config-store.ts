import { GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultConfig, parseConfig, type MomentsConfig } from '../config/schema.ts';
import type { ConfigActivation, ConfigHistory } from '../operations/ports.ts';

/**
 * The active (last valid) configuration, kept in the table so every function reads the same one:
 *   pk CONFIG  sk ACTIVE                          the active document (c), its version and activation time
 *   pk CONFIG  sk H#<activatedAt>#<version>       every activation, kept: the history a rollback picks from
 */
export class DynamoConfigStore implements ConfigHistory {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(opts: { client: DynamoDBClient; tableName: string }) {
    this.client = opts.client;
    this.tableName = opts.tableName;
  }

  async load(): Promise<{ config: MomentsConfig; version: string }> {
    const r = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: 'CONFIG' }, sk: { S: 'ACTIVE' } }, ConsistentRead: true }),
    );
    if (!r.Item?.c?.S) return { config: defaultConfig, version: 'default' };
    return { config: parseConfig(JSON.parse(r.Item.c.S)), version: r.Item.version?.S ?? 'unknown' };
  }

  /** The active version and when it was activated, without parsing the document. */
  async active(): Promise<{ version: string; activatedAt?: string }> {
    const r = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: 'CONFIG' }, sk: { S: 'ACTIVE' } },
        ConsistentRead: true,
        ProjectionExpression: '#v, activatedAt',
        ExpressionAttributeNames: { '#v': 'version' },
      }),
    );
    if (!r.Item) return { version: 'default' };
    return { version: r.Item.version?.S ?? 'unknown', ...(r.Item.activatedAt?.S ? { activatedAt: r.Item.activatedAt.S } : {}) };
  }

  async activate(config: MomentsConfig, version: string, now = new Date()): Promise<void> {
    const activatedAt = now.toISOString();
    const c = JSON.stringify(config);
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { pk: { S: 'CONFIG' }, sk: { S: 'ACTIVE' }, c: { S: c }, version: { S: version }, activatedAt: { S: activatedAt } },
      }),
    );
    // After the active item: a failure here fails the activation, whose retry writes both again.
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { pk: { S: 'CONFIG' }, sk: { S: `H#${activatedAt}#${version}` }, c: { S: c }, version: { S: version }, activatedAt: { S: activatedAt } },
      }),
    );
  }

  async history(limit = 50): Promise<ConfigActivation[]> {
    const out: ConfigActivation[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const r = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
          ExpressionAttributeValues: { ':pk': { S: 'CONFIG' }, ':h': { S: 'H#' } },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: Math.min(limit - out.length, 100),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of r.Items ?? [])
        out.push({ version: item.version?.S ?? 'unknown', activatedAt: item.activatedAt?.S ?? '', document: JSON.parse(item.c?.S ?? 'null') as unknown });
      start = r.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }
}
