import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultConfig, parseConfig, type MomentsConfig } from '../config/schema.ts';

/** The active (last valid) configuration, kept in the table so every function reads the same one. */
export class DynamoConfigStore {
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

  async activate(config: MomentsConfig, version: string): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: 'CONFIG' },
          sk: { S: 'ACTIVE' },
          c: { S: JSON.stringify(config) },
          version: { S: version },
          activatedAt: { S: new Date().toISOString() },
        },
      }),
    );
  }
}
