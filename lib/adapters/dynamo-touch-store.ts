import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Channel } from '../config/campaigns-schema.ts';
import type { PrivacyTouches, SuppressionEntry } from '../privacy/ports.ts';
import { suppressionDigest } from '../privacy/suppression-key.ts';
import type { TouchStore } from '../touches/ports.ts';
import type { TouchRecord } from '../touches/touch.ts';
import { isConditionFailure } from './condition-failure.ts';

/**
 *   pk T#<customer>  sk <campaign>|<period>   one touch: intent, decisions, outcome (the touch key)
 *   pk SUP#<channel> sk sha256:<hex>          suppressed phone number or email address (its digest), with the reason
 *   pk SUP#<channel> sk <address>             the same as written before digests (an erasure moves it to the digest)
 */
const pkOf = (customerId: string) => `T#${customerId}`;
function split(key: string): { pk: string; sk: string } {
  const i = key.indexOf('|');
  return { pk: pkOf(key.slice(0, i)), sk: key.slice(i + 1) };
}

export class DynamoTouchStore implements TouchStore, PrivacyTouches {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(opts: { client: DynamoDBClient; tableName: string }) {
    this.client = opts.client;
    this.tableName = opts.tableName;
  }

  private item(t: TouchRecord): Record<string, AttributeValue> {
    const { pk, sk } = split(t.key);
    return { pk: { S: pk }, sk: { S: sk }, rev: { N: String(t.rev) }, status: { S: t.status }, t: { S: JSON.stringify(t) } };
  }

  async create(t: TouchRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.tableName, Item: this.item({ ...t, rev: 1 }), ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  async get(key: string): Promise<TouchRecord | undefined> {
    const { pk, sk } = split(key);
    const r = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }));
    return r.Item?.t?.S ? { ...(JSON.parse(r.Item.t.S) as TouchRecord), rev: Number(r.Item.rev?.N ?? 1) } : undefined;
  }

  async update(t: TouchRecord, expectedRev: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: this.item(t),
          ConditionExpression: 'rev = :rev',
          ExpressionAttributeValues: { ':rev': { N: String(expectedRev) } },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  async recent(customerId: string): Promise<TouchRecord[]> {
    const out: TouchRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const r = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pkOf(customerId) } },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const i of r.Items ?? []) if (i.t?.S) out.push({ ...(JSON.parse(i.t.S) as TouchRecord), rev: Number(i.rev?.N ?? 1) });
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async *scan(): AsyncIterable<TouchRecord> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const r = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(pk, :p)',
          ExpressionAttributeValues: { ':p': { S: 'T#' } },
          ExclusiveStartKey: start,
        }),
      );
      for (const i of r.Items ?? []) if (i.t?.S) yield { ...(JSON.parse(i.t.S) as TouchRecord), rev: Number(i.rev?.N ?? 1) };
      start = r.LastEvaluatedKey;
    } while (start);
  }

  async isSuppressed(channel: Channel, address: string): Promise<string | undefined> {
    return (await this.findSuppressions(channel, address))[0]?.reason;
  }

  /** The entries for an address: under its digest, and under the address itself as entries written before digests were. */
  async findSuppressions(channel: Channel, address: string): Promise<SuppressionEntry[]> {
    const keys = [address.toLowerCase(), suppressionDigest(channel, address)];
    const items = await Promise.all(
      keys.map((sk) => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: `SUP#${channel}` }, sk: { S: sk } }, ConsistentRead: true }))),
    );
    return items.flatMap((r, i) => (r.Item ? [{ channel, key: keys[i]!, reason: r.Item.reason?.S ?? '', at: r.Item.at?.S ?? null }] : []));
  }

  /** Moves a suppression still held under the address to its digest: the opt-out stays, the address goes. */
  async hashSuppression(channel: Channel, address: string): Promise<boolean> {
    const plain = (await this.findSuppressions(channel, address)).find((e) => !e.key.startsWith('sha256:'));
    if (!plain) return false;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: `SUP#${channel}` },
          sk: { S: suppressionDigest(channel, address) },
          reason: { S: plain.reason },
          ...(plain.at ? { at: { S: plain.at } } : {}),
        },
      }),
    );
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { pk: { S: `SUP#${channel}` }, sk: { S: plain.key } } }));
    return true;
  }

  /** Kept under the address's digest: the list can answer "is this address suppressed?" without holding addresses. */
  async suppress(channel: Channel, address: string, reason: string): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { pk: { S: `SUP#${channel}` }, sk: { S: suppressionDigest(channel, address) }, reason: { S: reason }, at: { S: new Date().toISOString() } },
      }),
    );
  }
}
