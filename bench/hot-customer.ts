/**
 * hot-customer: what one day's file costs for a customer with a long history, against one with a short one.
 * For each of two customers, 10 orders and 100,000 (over the two years before the closed night), in its own fresh
 * local dynalite: the history is bulk-loaded (BatchWriteItem, the order items exactly as putOrder writes them), the
 * customer is refreshed and the night of CLOSED closed through the real code. Then measured, through the real
 * path (ingestObject with the Dynamo adapter, then runNightly): a day's file adding one order, and the night after.
 * Items read and written come from the adapters' meters (ReturnConsumedCapacity), seconds from the clock.
 * Goal (issue 12 item 11): the 100,000-order customer within 10x of the 10-order one in each figure.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { makeTableAdapters } from '../lib/adapters/table-factory.ts';
import { orderItem } from '../lib/adapters/dynamo-customer-store.ts';
import { defaultConfig } from '../lib/config/schema.ts';
import { deriveFromOrders } from '../lib/derive/derive.ts';
import { ingestObject } from '../lib/ingest/ingest-file.ts';
import { startLocalStack } from '../lib/local/local-stack.ts';
import { runNightly } from '../lib/nightly/run-nightly.ts';
import type { OrderRecord } from '../lib/orders/order.ts';
import { mapPool } from '../lib/pool.ts';
import { mulberry32 } from '../lib/sample/generate-sample.ts';
import { foldsToJson } from '../lib/state/checkpoints.ts';
import { refreshCustomer } from '../lib/state/refresh-customer.ts';
import { CLOSED, NIGHT } from '../lib/testing/nightly-load.ts';
import { MemoryObjectStore } from '../lib/testing/memory-ports.ts';
import { addDays } from '../lib/time.ts';
import { BENCH_DIR, log } from './support.ts';

const HOT = 'HOT0001';
const DAYS = 730;

/** n orders spread over the DAYS days up to CLOSED, a refund of an older order now and then, some paid with points. */
export function history(n: number, seed = 20261206): OrderRecord[] {
  const rnd = mulberry32(seed);
  const out: OrderRecord[] = [];
  for (let i = 0; i < n; i++) {
    const date = addDays(CLOSED, -DAYS + 1 + Math.floor((i * DAYS) / n));
    const orderedAt = Date.parse(`${date}T02:00:00Z`) + Math.floor(rnd() * 12 * 3_600_000);
    const amountMinor = 1_000 + Math.floor(rnd() * 50_000);
    const base = { customerId: HOT, orderedAt, localDate: date, currency: 'CNY', version: '000000000000000|bench' } as const;
    if (i > 0 && rnd() < 0.01) {
      const orig = out[Math.floor(rnd() * out.length)]!;
      if (orig.kind === 'order') {
        out.push({ ...base, key: `R#${i}`, orderId: `R${i}`, kind: 'refund', status: 'refunded', amountMinor: Math.min(orig.amountMinor, amountMinor), originalOrderId: orig.orderId });
        continue;
      }
    }
    out.push({
      ...base,
      key: `O${i}`,
      orderId: `O${i}`,
      kind: 'order',
      status: 'paid',
      amountMinor,
      storeId: `S${String(1 + Math.floor(rnd() * 9)).padStart(3, '0')}`,
      ...(rnd() < 0.05 ? { pointsRedeemed: 1 + Math.floor(rnd() * 200) } : {}),
    });
  }
  return out;
}

interface Figures {
  orders: number;
  loadSeconds: number;
  ingest: { itemsRead: number; itemsWritten: number; readUnits: number; writeUnits: number; seconds: number };
  night: { itemsRead: number; itemsWritten: number; readUnits: number; writeUnits: number; seconds: number };
  /** The state item's size after the night (state, derivation, checkpoints as stored), KB of JSON: what each of its writes pays for. */
  stateItemKb: number;
}

async function scenario(n: number): Promise<Figures> {
  const home = join(BENCH_DIR, `hot-customer-${n}`);
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const stack = await startLocalStack({ home });
  const a = makeTableAdapters({ TABLE_NAME: stack.tableName, AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: stack.endpoints.dynamodb });
  // An ordinary night: the model's fit (about once a month) is model-fit's to measure.
  const config = { ...defaultConfig, model: { ...defaultConfig.model, autoFit: false } };
  try {
    const t0 = performance.now();
    const orders = history(n);
    const batches: OrderRecord[][] = [];
    for (let i = 0; i < orders.length; i += 25) batches.push(orders.slice(i, i + 25));
    log(`${n} orders: bulk load ...`);
    await mapPool(batches, 8, async (b) => {
      let req: BatchWriteItemCommand['input']['RequestItems'] = { [stack.tableName]: b.map((o) => ({ PutRequest: { Item: orderItem(o) } })) };
      while (req && Object.keys(req).length) req = (await a.dynamodb.send(new BatchWriteItemCommand({ RequestItems: req }))).UnprocessedItems;
    });
    log(`${n} orders: refresh and close the night of ${CLOSED} ...`);
    await refreshCustomer(a.customers, HOT, config, CLOSED, true);
    await runNightly(CLOSED, { customers: a.customers, ledger: a.nightly, config });
    const loadSeconds = (performance.now() - t0) / 1000;

    const meters = [a.customers.meter, a.nightly.meter];
    const sum = (k: 'itemsRead' | 'itemsWritten' | 'readUnits' | 'writeUnits') => meters.reduce((s, m) => s + m[k], 0);
    const snap = () => ({ r: sum('itemsRead'), w: sum('itemsWritten'), ru: sum('readUnits'), wu: sum('writeUnits'), t: performance.now() });
    const since = (b: ReturnType<typeof snap>) => {
      const e = snap();
      const r1 = (x: number) => Math.round(x * 10) / 10;
      return { itemsRead: e.r - b.r, itemsWritten: e.w - b.w, readUnits: r1(e.ru - b.ru), writeUnits: r1(e.wu - b.wu), seconds: Math.round((e.t - b.t) / 10) / 100 };
    };

    log(`${n} orders: the day's file (one order on ${NIGHT}) ...`);
    const objects = new MemoryObjectStore();
    const key = `incoming/orders/orders-${NIGHT}.csv`;
    await objects.put(key, `order_id,customer_id,ordered_at,amount,currency,status,store_id\nNEW1,${HOT},${NIGHT}T10:00:00+08:00,88.00,CNY,paid,S001\n`);
    let b = snap();
    const s = await ingestObject({ key, etag: 'day1', lastModifiedMs: Date.parse(`${NIGHT}T16:00:00Z`) }, { objects, customers: a.customers, ledger: a.customers, config, asOf: NIGHT });
    if (s.applied !== 1) throw new Error(`the day's file applied ${s.applied} rows`);
    const ingest = since(b);

    log(`${n} orders: the night of ${NIGHT} ...`);
    b = snap();
    const [night] = await runNightly(NIGHT, { customers: a.customers, ledger: a.nightly, config });
    const nightFig = since(b);
    if (night?.customersProcessed !== 1) throw new Error(`the night processed ${night?.customersProcessed} customers`);
    // Outside the figures: what was stored equals the derivation from every order.
    const rec = await a.customers.loadState(HOT);
    const all = await a.customers.loadCustomer(HOT);
    const truth = deriveFromOrders(HOT, all.orders, config, NIGHT);
    if (rec.state?.lastOrderDate !== NIGHT) throw new Error('the new order is not in the state');
    if (JSON.stringify(rec.state) !== JSON.stringify(truth.state) || JSON.stringify(rec.derived) !== JSON.stringify(truth.derived))
      throw new Error('the stored state or derivation differs from the one derived from every order');
    log(`${n} orders: ingest ${JSON.stringify(ingest)}, night ${JSON.stringify(nightFig)}`);
    const stateItemKb = Math.round((JSON.stringify(rec.state).length + JSON.stringify(rec.derived ?? null).length + (rec.folds ? foldsToJson(rec.folds) : 'null').length) / 102.4) / 10;
    return { orders: n, loadSeconds: Math.round(loadSeconds * 10) / 10, ingest, night: nightFig, stateItemKb };
  } finally {
    a.dynamodb.destroy();
    await stack.stop();
  }
}

const ratio = (a: number, b: number) => Math.round((a / Math.max(b, 1e-9)) * 10) / 10;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const big = Number(args[0] ?? 100_000);
  const small = await scenario(10);
  const hot = await scenario(big);
  return {
    small,
    hot,
    ratio: {
      ingestItemsRead: ratio(hot.ingest.itemsRead, small.ingest.itemsRead),
      ingestItemsWritten: ratio(hot.ingest.itemsWritten, small.ingest.itemsWritten),
      ingestSeconds: ratio(hot.ingest.seconds, Math.max(small.ingest.seconds, 0.01)),
      nightItemsRead: ratio(hot.night.itemsRead, small.night.itemsRead),
      nightItemsWritten: ratio(hot.night.itemsWritten, small.night.itemsWritten),
      nightSeconds: ratio(hot.night.seconds, Math.max(small.night.seconds, 0.01)),
    },
    goal: 'each ratio <= 10',
  };
}
