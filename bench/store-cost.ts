/**
 * store-cost: what one realistic orders file costs in DynamoDB, measured through the local dynalite.
 *
 * Input: generateSample (3,000 customers, 2026-01-01 .. 2026-03-31), every day's export concatenated into ONE
 * orders CSV (ordersCsv), uploaded with PutObject to a local stack without trigger as
 * incoming/orders/orders-2026-03-31.csv. ingestObject is called directly with a DynamoCustomerStore (also the
 * ledger, as in the handler) built here, so its CapacityMeter sees every item write and read, and with the
 * S3ObjectStore reading the upload back from s3rver.
 * Second pass: the same bytes uploaded again as orders-2026-03-31-copy.csv (same export date in the name, so the
 * same row versions): a new file for the ledger, but nothing new to store.
 *
 * Capacity: dynalite returns ConsumedCapacity on successful writes and reads (ReturnConsumedCapacity TOTAL), the
 * store's meter sums it. A conditional write that fails returns no ConsumedCapacity from dynalite (nor is it
 * metered by the store), but DynamoDB bills it; those units are computed here from the item size (1 WCU per
 * started KB) and added. Every unit is also computed independently from the request and response items
 * (write: ceil(size / 1 KB) per item; strongly consistent Query: ceil(sum of item sizes / 4 KB)) as a cross-check.
 *
 * Output: {"orders","customers","itemsWritten","writeUnits","readUnits","floor","requests","seconds",
 *          "itemsWrittenOnRepeat", ...}. Goal: itemsWritten <= 1.1 x floor (2 items per row: order and owner, 1 per
 *          customer); readUnits / customer <= 1.1 besides the owner items, read at most twice per row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { localAdapterEnv, makeAdapters } from '../lib/adapters/factory.ts';
import { DynamoCustomerStore } from '../lib/adapters/dynamo-customer-store.ts';
import { CapacityMeter } from '../lib/adapters/capacity.ts';
import { parseConfig } from '../lib/config/schema.ts';
import { ingestObject } from '../lib/ingest/ingest-file.ts';
import type { FileSummary } from '../lib/ingest/ports.ts';
import { startLocalStack } from '../lib/local/local-stack.ts';
import { generateSample, ordersCsv } from '../lib/sample/generate-sample.ts';
import { countServerRequests, log, round } from './support.ts';

export const GOAL_ITEMS = 1.1;
/** One consistent Query per touched customer, and one more for a customer with a refund naming its original (its check). */
export const GOAL_READ_UNITS_PER_CUSTOMER = 1.1;
/** An order row's id is read twice from its owner item: the claim, and the check after the order's write. */
export const GOAL_OWNER_READS_PER_ROW = 2;

type Item = Record<string, AttributeValue>;

/** DynamoDB item size: attribute names plus values (S: UTF-8 bytes, N: ~1 byte per 2 significant digits + 1). */
function itemSize(item: Item): number {
  let size = 0;
  for (const [name, v] of Object.entries(item)) {
    size += Buffer.byteLength(name);
    if (v.S !== undefined) size += Buffer.byteLength(v.S);
    else if (v.N !== undefined) size += Math.ceil(v.N.replace(/^-?0*|\.|-/g, '').length / 2) + 1;
    else if (v.BOOL !== undefined || v.NULL !== undefined) size += 1;
    else size += Buffer.byteLength(JSON.stringify(v));
  }
  return size;
}

/** Counters computed from what the client sends and receives (independent of dynalite's ConsumedCapacity). */
class ComputedCapacity {
  writeUnits = 0;
  readUnits = 0;
  failedConditionalWrites = 0;
  failedConditionalWriteUnits = 0;
  /** Read units of the file ledger lookups (GetItem F#key/E#etag); an orders ingest does no other GetItem. */
  ledgerReadUnits = 0;
  /** Read units of the order-id owner items (BatchGetItem: a claim and a check after the write, per batch of rows). */
  ownerReadUnits = 0;
  commands: Record<string, number> = {};
  /** Sizes of the items successfully put, by kind (sk #STATE vs O#...). */
  stateBytes: number[] = [];
  orderBytes: number[] = [];
}

function meterSnapshot(m: CapacityMeter) {
  return { requests: m.requests, readUnits: m.readUnits, writeUnits: m.writeUnits, itemsWritten: m.itemsWritten, itemsRead: m.itemsRead };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const i = args.indexOf('--customers');
  const nCustomers = i >= 0 ? Number(args[i + 1]) : 3000;
  if (!Number.isInteger(nCustomers) || nCustomers <= 0) throw new Error('--customers expects a positive integer');
  const from = '2026-01-01';
  const to = '2026-03-31';
  log(`generating sample: ${nCustomers} customers, ${from} .. ${to}, all days in one orders CSV ...`);
  const sample = generateSample({ seed: 42, customers: nCustomers, from, to });
  const rows = sample.days.flatMap((d) => d.orders);
  const body = ordersCsv(rows);
  const distinctCustomers = new Set(rows.map((r) => r.customer_id)).size;
  // Each order row is two items (its version under the customer and its id's owner item, lib/ingest/order-owner.ts),
  // each customer one state item.
  const floor = 2 * rows.length + distinctCustomers;
  log(`  ${rows.length} order rows, ${distinctCustomers} customers, ${(body.length / 1024 / 1024).toFixed(1)} MB`);

  const config = parseConfig({
    brand: { name: 'Bench', timeZone: 'Asia/Shanghai', currency: 'CNY' },
    stores: sample.stores.map((s) => ({ id: s.id, region: s.region, timeZone: s.timeZone })),
  });

  const home = mkdtempSync(join(tmpdir(), 'moments-bench-store-cost-'));
  const stack = await startLocalStack({ home }); // no trigger: ingestObject is called here
  const adapters = makeAdapters(localAdapterEnv(stack));
  const http = countServerRequests({ dynamodb: stack.endpoints.dynamodb, s3: stack.endpoints.s3 });
  let computed = new ComputedCapacity();
  adapters.dynamodb.middlewareStack.add(
    (next, context) => async (a) => {
      const name = (context as { commandName?: string }).commandName ?? '?';
      const input = a.input as { Item?: Item; ConditionExpression?: string; ConsistentRead?: boolean };
      computed.commands[name] = (computed.commands[name] ?? 0) + 1;
      try {
        const r = await next(a);
        const out = r.output as { Items?: Item[]; Item?: Item; Responses?: Record<string, Item[]> };
        if (name === 'PutItemCommand' && input.Item) {
          const size = itemSize(input.Item);
          computed.writeUnits += Math.ceil(size / 1024);
          const sk = input.Item['sk']?.S ?? '';
          if (sk === '#STATE') computed.stateBytes.push(size);
          else if (sk.startsWith('O#')) computed.orderBytes.push(size);
        }
        else if (name === 'QueryCommand' || name === 'GetItemCommand') {
          const items = out.Items ?? (out.Item ? [out.Item] : []);
          const bytes = items.reduce((s, i) => s + itemSize(i), 0);
          const units = Math.max(1, Math.ceil(bytes / 4096)) * (input.ConsistentRead ? 1 : 0.5);
          computed.readUnits += units;
          if (name === 'GetItemCommand') computed.ledgerReadUnits += units;
        } else if (name === 'BatchGetItemCommand') {
          // Billed as a GetItem per key (strongly consistent: 1 unit per started 4 KB; a key not found costs 1 too).
          const asked = Object.values((input as { RequestItems?: Record<string, { Keys?: unknown[] }> }).RequestItems ?? {}).reduce((n, t) => n + (t.Keys?.length ?? 0), 0);
          const found = Object.values(out.Responses ?? {}).flat();
          const unprocessed = Object.values((r.output as { UnprocessedKeys?: Record<string, { Keys?: unknown[] }> }).UnprocessedKeys ?? {}).reduce((n, t) => n + (t.Keys?.length ?? 0), 0);
          const units = found.reduce((n, i) => n + Math.max(1, Math.ceil(itemSize(i) / 4096)), 0) + (asked - unprocessed - found.length);
          computed.readUnits += units;
          computed.ownerReadUnits += units;
        }
        return r;
      } catch (e) {
        if ((e as { name?: string }).name === 'ConditionalCheckFailedException' && input.Item) {
          const units = Math.ceil(itemSize(input.Item) / 1024);
          computed.writeUnits += units;
          computed.failedConditionalWrites++;
          computed.failedConditionalWriteUnits += units;
        }
        throw e;
      }
    },
    { step: 'initialize', name: 'benchCapacity' },
  );

  const upload = async (key: string) => {
    await adapters.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: 'text/csv' }));
    const head = await adapters.s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
    return { key, etag: (head.ETag ?? '').replace(/"/g, ''), lastModifiedMs: head.LastModified?.getTime() ?? Date.now() };
  };

  const pass = async (key: string) => {
    const obj = await upload(key);
    const store = new DynamoCustomerStore({ client: adapters.dynamodb, tableName: stack.tableName });
    computed = new ComputedCapacity();
    http.reset();
    const t0 = performance.now();
    const summary: FileSummary = await ingestObject(obj, {
      objects: adapters.objects,
      customers: store,
      ledger: store,
      config,
      asOf: to,
      onProgress: (p) => {
        if (p.rows % 20_000 === 0) log(`  ${p.rows} rows`);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    if (summary.status !== 'processed') throw new Error(`${key}: ${summary.status}: ${summary.reason}`);
    return { summary, seconds, meter: meterSnapshot(store.meter), computed, http: { total: { ...http.total }, byOperation: structuredClone(http.byOperation) } };
  };

  try {
    log('pass 1: incoming/orders/orders-2026-03-31.csv ...');
    const p1 = await pass('incoming/orders/orders-2026-03-31.csv');
    log(
      `  ${p1.summary.rows} rows, ${p1.summary.applied} applied (${p1.summary.unchanged} unchanged), ${p1.summary.rejected} rejected, ` +
        `${p1.summary.customers} customers in ${p1.seconds.toFixed(1)} s`,
    );
    const sizes = (xs: number[]) => ({ n: xs.length, avg: Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)), max: Math.max(0, ...xs), over1KB: xs.filter((x) => x > 1024).length });
    const stateItems = sizes(p1.computed.stateBytes);
    const orderItems = sizes(p1.computed.orderBytes);
    log(`  state items ${JSON.stringify(stateItems)}; order items ${JSON.stringify(orderItems)}`);
    p1.computed.stateBytes = [];
    p1.computed.orderBytes = [];
    log(`  meter ${JSON.stringify(p1.meter)}; computed ${JSON.stringify(p1.computed)}; http ${JSON.stringify(p1.http)}`);
    log('pass 2: the same bytes as incoming/orders/orders-2026-03-31-copy.csv ...');
    const p2 = await pass('incoming/orders/orders-2026-03-31-copy.csv');
    log(`  ${p2.summary.rows} rows, ${p2.summary.applied} applied (${p2.summary.unchanged} unchanged) in ${p2.seconds.toFixed(1)} s`);
    p2.computed.stateBytes = [];
    p2.computed.orderBytes = [];
    log(`  meter ${JSON.stringify(p2.meter)}; computed ${JSON.stringify(p2.computed)}; http ${JSON.stringify(p2.http)}`);

    const fromDynalite = p1.meter.writeUnits > 0 && p1.meter.readUnits > 0;
    // Units as billed: dynalite's figures for what succeeded, plus the failed conditional writes it does not report.
    const writeUnits = fromDynalite ? p1.meter.writeUnits + p1.computed.failedConditionalWriteUnits : p1.computed.writeUnits;
    const readUnits = fromDynalite ? p1.meter.readUnits : p1.computed.readUnits;
    const writeUnitsOnRepeat = fromDynalite ? p2.meter.writeUnits + p2.computed.failedConditionalWriteUnits : p2.computed.writeUnits;
    const readUnitsOnRepeat = fromDynalite ? p2.meter.readUnits : p2.computed.readUnits;
    const customers = p1.summary.customers;
    const itemsRatio = p1.meter.itemsWritten / floor;
    // Per touched customer: everything but the one file-level ledger lookup and the owner items (per row, below).
    const readPerCustomer = (readUnits - p1.computed.ledgerReadUnits - p1.computed.ownerReadUnits) / customers;
    const ownerReadsPerRow = p1.computed.ownerReadUnits / rows.length;
    const ok = itemsRatio <= GOAL_ITEMS && readPerCustomer <= GOAL_READ_UNITS_PER_CUSTOMER && ownerReadsPerRow <= GOAL_OWNER_READS_PER_ROW;
    log(
      `itemsWritten ${p1.meter.itemsWritten} = ${itemsRatio.toFixed(3)} x floor ${floor} (goal <= ${GOAL_ITEMS}); ` +
        `read units per customer ${readPerCustomer.toFixed(3)} (goal <= ${GOAL_READ_UNITS_PER_CUSTOMER}); ` +
        `owner read units per row ${ownerReadsPerRow.toFixed(3)} (goal <= ${GOAL_OWNER_READS_PER_ROW}): ${ok ? 'pass' : 'FAIL'}`,
    );
    return {
      orders: rows.length,
      customers,
      itemsWritten: p1.meter.itemsWritten,
      writeUnits,
      readUnits,
      floor,
      requests: p1.http.total['dynamodb'] ?? 0,
      seconds: round(p1.seconds, 2),
      itemsWrittenOnRepeat: p2.meter.itemsWritten,
      capacitySource: fromDynalite ? 'dynalite' : 'computed',
      itemsPerFloor: round(itemsRatio),
      readUnitsPerCustomer: round(readPerCustomer),
      ledgerReadUnits: p1.computed.ledgerReadUnits,
      ownerReadUnits: p1.computed.ownerReadUnits,
      ownerReadUnitsPerRow: round(ownerReadsPerRow),
      ownerReadUnitsOnRepeat: p2.computed.ownerReadUnits,
      applied: p1.summary.applied,
      unchanged: p1.summary.unchanged,
      failedConditionalWrites: p1.computed.failedConditionalWrites,
      failedConditionalWriteUnits: p1.computed.failedConditionalWriteUnits,
      computedWriteUnits: p1.computed.writeUnits,
      computedReadUnits: p1.computed.readUnits,
      stateItemBytes: stateItems,
      orderItemBytes: orderItems,
      dynamodbOperations: p1.http.byOperation['dynamodb'] ?? {},
      s3Requests: p1.http.total['s3'] ?? 0,
      writeUnitsOnRepeat,
      readUnitsOnRepeat,
      requestsOnRepeat: p2.http.total['dynamodb'] ?? 0,
      secondsOnRepeat: round(p2.seconds, 2),
      goal:
        `itemsWritten <= ${GOAL_ITEMS} x floor, (readUnits - ledgerReadUnits - ownerReadUnits) / customers <= ${GOAL_READ_UNITS_PER_CUSTOMER}, ` +
        `ownerReadUnits / rows <= ${GOAL_OWNER_READS_PER_ROW}`,
      pass: ok,
    };
  } finally {
    http.stop();
    adapters.s3.destroy();
    adapters.dynamodb.destroy();
    await stack.stop();
    rmSync(home, { recursive: true, force: true });
  }
}
