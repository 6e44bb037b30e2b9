import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ActiveModel } from '../derive/metrics.ts';
import type { HealthSnapshot, HealthTotals } from '../nightly/health.ts';
import type { FitRecord } from '../model/fit-record.ts';
import type { NightlyLedger, StoredModel } from '../nightly/ports.ts';
import { CapacityMeter } from './capacity.ts';
import { isConditionFailure } from './condition-failure.ts';

/**
 *   pk NIGHTLY        sk CURSOR        last completed night
 *   pk HEALTH#<night> sk SHARD#<nn>    one segment's totals for the night
 *   pk SNAPSHOT       sk <night>       brand health snapshot (reports read them in order)
 *   pk MODEL          sk ACTIVE        the BG/NBD parameters in use
 *   pk MODELFIT       sk <night>#<time> one fit attempt of the nightly (lib/model/fit-record.ts)
 */
export class DynamoNightlyLedger implements NightlyLedger {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  readonly meter: CapacityMeter;

  constructor(opts: { client: DynamoDBClient; tableName: string; meter?: CapacityMeter }) {
    this.client = opts.client;
    this.tableName = opts.tableName;
    this.meter = opts.meter ?? new CapacityMeter();
  }

  private async get(pk: string, sk: string): Promise<string | undefined> {
    const r = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }),
    );
    this.meter.add('read', r.ConsumedCapacity);
    if (r.Item) this.meter.itemsRead++;
    return r.Item?.v?.S;
  }

  private async put(pk: string, sk: string, v: unknown): Promise<void> {
    const r = await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { pk: { S: pk }, sk: { S: sk }, v: { S: JSON.stringify(v) } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.meter.add('write', r.ConsumedCapacity);
    this.meter.itemsWritten++;
  }

  private async query(pk: string, opts: { newestFirst?: boolean; limit?: number } = {}): Promise<{ sk: string; v: string }[]> {
    const out: { sk: string; v: string }[] = [];
    let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const r = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ConsistentRead: true,
          ScanIndexForward: !opts.newestFirst,
          ...(opts.limit ? { Limit: opts.limit } : {}),
          ExclusiveStartKey: start,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.meter.add('read', r.ConsumedCapacity);
      for (const i of r.Items ?? []) {
        this.meter.itemsRead++;
        if (i.sk?.S && i.v?.S) out.push({ sk: i.sk.S, v: i.v.S });
      }
      start = opts.limit && out.length >= opts.limit ? undefined : r.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async getCursor() {
    const v = await this.get('NIGHTLY', 'CURSOR');
    return v ? (JSON.parse(v) as string) : null;
  }
  async setCursor(night: string) {
    await this.put('NIGHTLY', 'CURSOR', night);
  }
  async getShardTotals(shard: number, night: string) {
    const v = await this.get(`HEALTH#${night}`, `SHARD#${String(shard).padStart(3, '0')}`);
    return v ? (JSON.parse(v) as { totals: HealthTotals }).totals : undefined;
  }
  async putShardTotals(shard: number, night: string, totals: HealthTotals, processed: number) {
    await this.put(`HEALTH#${night}`, `SHARD#${String(shard).padStart(3, '0')}`, { shard, totals, processed });
  }
  async listShardTotals(night: string) {
    return (await this.query(`HEALTH#${night}`)).map((x) => JSON.parse(x.v) as { shard: number; totals: HealthTotals; processed: number });
  }
  async putSnapshot(s: HealthSnapshot) {
    await this.put('SNAPSHOT', s.night, s);
  }
  async getSnapshot(night?: string) {
    if (night) {
      const v = await this.get('SNAPSHOT', night);
      return v ? (JSON.parse(v) as HealthSnapshot) : undefined;
    }
    const [latest] = await this.query('SNAPSHOT', { newestFirst: true, limit: 1 });
    return latest ? (JSON.parse(latest.v) as HealthSnapshot) : undefined;
  }
  async listSnapshots() {
    return (await this.query('SNAPSHOT')).map((x) => JSON.parse(x.v) as HealthSnapshot);
  }
  async acquireLease(owner: string, untilMs: number, force = false) {
    try {
      const r = await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { pk: { S: 'NIGHTLY' }, sk: { S: 'LEASE' }, owner: { S: owner }, until: { N: String(untilMs) } },
          ...(force
            ? {}
            : {
                ConditionExpression: 'attribute_not_exists(pk) OR #u < :now OR #o = :me',
                ExpressionAttributeNames: { '#u': 'until', '#o': 'owner' },
                ExpressionAttributeValues: { ':now': { N: String(Date.now()) }, ':me': { S: owner } },
              }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.meter.add('write', r.ConsumedCapacity);
      return { ok: true };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const r = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: 'NIGHTLY' }, sk: { S: 'LEASE' } }, ConsistentRead: true }),
      );
      return { ok: false, ...(r.Item?.owner?.S ? { holder: r.Item.owner.S } : {}), ...(r.Item?.until?.N ? { until: Number(r.Item.until.N) } : {}) };
    }
  }

  async releaseLease(owner: string) {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: 'NIGHTLY' }, sk: { S: 'LEASE' } },
          ConditionExpression: '#o = :me',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':me': { S: owner } },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  async getModel() {
    const v = await this.get('MODEL', 'ACTIVE');
    return v ? (JSON.parse(v) as ActiveModel & Partial<StoredModel>) : undefined;
  }
  async putModel(m: StoredModel) {
    await this.put('MODEL', 'ACTIVE', m);
  }
  async putFitRecord(r: FitRecord) {
    await this.put('MODELFIT', `${r.night}#${r.attemptedAt}`, r);
  }
  async listFitRecords(limit?: number) {
    const rows = await this.query('MODELFIT', limit ? { newestFirst: true, limit } : {});
    const out = rows.map((x) => JSON.parse(x.v) as FitRecord);
    return limit ? out.reverse() : out;
  }
}
