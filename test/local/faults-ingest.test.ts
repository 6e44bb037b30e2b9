/**
 * Faults through the adapters during ingest: the real SDK clients against dynalite and s3rver, an injector in
 * their middleware stacks, the real ingestObject retried the way Lambda retries an S3 event. Each scenario is
 * checked against a clean run of the same file on the in-memory ports: same customer state, same orders, every
 * row accounted for, the same reject report.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCustomerStore } from '../../lib/adapters/dynamo-customer-store.ts';
import { makeLocalDynamoDBClient, makeLocalS3Client } from '../../lib/adapters/local-clients.ts';
import { S3ObjectStore } from '../../lib/adapters/s3-object-store.ts';
import { defaultConfig } from '../../lib/config/schema.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import type { FileSummary } from '../../lib/ingest/ports.ts';
import { startLocalStack, type LocalStack } from '../../lib/local/local-stack.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';
import { FaultInjector, retryLikeLambda, seededRandom, type FaultRule } from '../support/faults.ts';
import { tempHome } from '../support/local-home.ts';

const AS_OF = '2026-06-30';
const t = tempHome('moments-faults-ingest-');
let stack: LocalStack;
let plainS3: S3Client;
const opened: { destroy(): void }[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ home: t.home });
  plainS3 = makeLocalS3Client(stack.env);
  opened.push(plainS3);
});
afterAll(async () => {
  for (const c of opened) c.destroy();
  await stack?.stop();
  t.cleanup();
});

/** The ingest function's adapters on clients that carry the injector; maxAttempts as the scenario needs. */
function faultyAdapters(faults: FaultInjector, maxAttempts: number) {
  const ddb: DynamoDBClient = faults.attach(makeLocalDynamoDBClient(stack.env, { maxAttempts }));
  const s3: S3Client = faults.attach(makeLocalS3Client(stack.env, { maxAttempts }));
  opened.push(ddb, s3);
  const customers = new DynamoCustomerStore({ client: ddb, tableName: stack.tableName });
  return { customers, ledger: customers, objects: new S3ObjectStore({ client: s3, bucketName: stack.bucket }) };
}

/**
 * An orders export: `n` rows over a few customers and order ids of their own (prefix: ids are brand-wide, so scenarios
 * sharing the table must not share them), with duplicates, refunds, cancellations,
 * a bad row every so often and, when `pad` is set, long product lists so the file outgrows the 256 KiB sniff.
 */
function ordersFile(prefix: string, n: number, seed: number, pad = 0): { text: string; rows: number; bad: number } {
  const rnd = seededRandom(seed);
  const lines = ['order_id,customer_id,ordered_at,amount,status,store_id,products'];
  let bad = 0;
  let lastBad = false;
  for (let i = 0; i < n; i++) {
    const customer = `${prefix}${String(Math.floor(rnd() * 25)).padStart(3, '0')}`;
    const day = `2026-0${1 + Math.floor(rnd() * 5)}-${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}`;
    const products = pad ? Array.from({ length: pad }, (_, j) => `SKU${(i * 7 + j) % 97}`).join(';') : '';
    const r = rnd();
    if (r < 0.05) {
      bad++;
      lastBad = true;
      lines.push(`${prefix}B${i},${customer},${day} 10:00:00,not-a-number,paid,S1,`);
    } else if (r < 0.1 && i > 0) {
      lines.push(lines[lines.length - 1]!); // an identical duplicate: stored once (rejected again if bad)
      if (lastBad) bad++;
    } else if (r < 0.15) {
      lastBad = false;
      lines.push(`${prefix}R${i},${customer},${day} 12:00:00,-${(1 + Math.floor(rnd() * 50)).toFixed(2)},refunded,S1,`);
    } else {
      lastBad = false;
      const status = r < 0.2 ? 'cancelled' : 'paid';
      lines.push(`${prefix}O${i},${customer},${day} ${String(8 + Math.floor(rnd() * 12)).padStart(2, '0')}:30:00,${(10 + rnd() * 900).toFixed(2)},${status},S${1 + Math.floor(rnd() * 3)},${products}`);
    }
  }
  return { text: lines.join('\r\n') + '\r\n', rows: n, bad };
}

async function upload(key: string, body: string): Promise<string> {
  const r = await plainS3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body }));
  return (r.ETag ?? createHash('md5').update(body).digest('hex')).replace(/"/g, '');
}

async function s3Text(key: string): Promise<string | undefined> {
  try {
    const r = await plainS3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
    return await r.Body!.transformToString('utf8');
  } catch {
    return undefined;
  }
}

/** The same file through the same code on the in-memory ports, with nothing failing. */
async function cleanRun(key: string, etag: string, body: string) {
  const mem = { objects: new MemoryObjectStore(), customers: new MemoryCustomerStore(), ledger: new MemoryLedger() };
  await mem.objects.put(key, Buffer.from(body));
  const summary = await ingestObject({ key, etag, lastModifiedMs: Date.parse('2026-06-01T00:00:00Z') }, { ...mem, config: defaultConfig, asOf: AS_OF });
  return { mem, summary };
}

/** Final state, orders and report identical to the clean run; every row applied or rejected. */
async function expectSameAsClean(
  key: string,
  got: FileSummary,
  clean: Awaited<ReturnType<typeof cleanRun>>,
  store: DynamoCustomerStore,
  expected: { rows: number; bad: number },
) {
  const pick = (s: FileSummary) => ({ status: s.status, rows: s.rows, applied: s.applied, rejected: s.rejected, customers: s.customers, report: s.report, currencies: s.currencies, warnings: s.warnings });
  expect(pick(got)).toEqual(pick(clean.summary));
  expect(got.rows).toBe(expected.rows);
  expect(got.applied + got.rejected).toBe(got.rows);
  expect(got.rejected).toBe(expected.bad);
  expect(clean.mem.customers.states.size).toBeGreaterThan(10);
  for (const [id, want] of clean.mem.customers.states) {
    const rec = await store.loadCustomer(id);
    expect(rec.state, id).toEqual(want.state);
    expect(rec.derived, id).toEqual(want.derived);
    // Orders not counted twice: the same order versions, each once.
    expect(rec.orders.map((o) => `${o.key}@${o.version}`).sort(), id).toEqual(
      [...clean.mem.customers.orders.get(id)!.values()].map((o) => `${o.key}@${o.version}`).sort(),
    );
  }
  if (clean.summary.report) expect(await s3Text(clean.summary.report)).toBe(clean.mem.objects.text(clean.summary.report));
  // The incoming object is left where it was (only quarantine moves it).
  expect(await s3Text(key)).toBeDefined();
}

interface Scenario {
  name: string;
  rules: FaultRule[];
  /** The SDK's attempts per call: 1 lets every fault through to our code. */
  maxAttempts: number;
  /** Invocations that fail before one succeeds. */
  failedInvocations: number;
  pad?: number;
  rows?: number;
  /** The failed invocation had already written order versions, and no state, when it died. */
  partial?: boolean;
}

const scenarios: Scenario[] = [
  {
    name: 'a transient throttle on order writes and reads is absorbed by the SDK retry (no invocation fails)',
    rules: [
      { command: 'PutItemCommand', kind: 'throttle', calls: [3, 17, 40] },
      { command: 'QueryCommand', kind: 'throttle', calls: [2] },
      { command: 'GetItemCommand', kind: 'server-error', status: 500, calls: [1] },
    ],
    maxAttempts: 3,
    failedInvocations: 0,
  },
  {
    name: 'ProvisionedThroughputExceeded on an order write, past the SDK retries: the S3 event is retried',
    rules: [{ command: 'PutItemCommand', kind: 'throttle', calls: [60], max: 1 }],
    maxAttempts: 1,
    failedInvocations: 1,
  },
  {
    name: '503 on the recompute Query and a socket timeout on the ledger read: two failed invocations',
    rules: [
      { command: 'QueryCommand', kind: 'server-error', status: 503, calls: [4], max: 1 },
      { command: 'GetItemCommand', kind: 'timeout', calls: [2], max: 1 },
    ],
    maxAttempts: 1,
    failedInvocations: 2,
  },
  {
    name: 'order and state writes that land but whose answers are lost: the SDK resends, the condition holds',
    rules: [
      { command: 'PutItemCommand', kind: 'lost-response', when: (i) => String((i['Item'] as { sk?: { S?: string } })?.sk?.S).startsWith('O#'), calls: [5, 6, 30] },
      { command: 'PutItemCommand', kind: 'lost-response', when: (i) => (i['Item'] as { sk?: { S?: string } })?.sk?.S === '#STATE', calls: [1, 7] },
    ],
    maxAttempts: 3,
    failedInvocations: 0,
  },
  {
    name: 'the process dies after an order write landed; then after the state writes, before the ledger',
    rules: [
      { command: 'PutItemCommand', kind: 'crash', when: (i) => String((i['Item'] as { sk?: { S?: string } })?.sk?.S).startsWith('O#'), calls: [45], max: 1 },
      { command: 'PutItemCommand', kind: 'crash', when: (i) => String((i['Item'] as { pk?: { S?: string } })?.pk?.S).startsWith('F#'), calls: [1], max: 1 },
    ],
    maxAttempts: 3,
    failedInvocations: 2,
  },
  {
    name: 'the S3 body breaks mid-stream after the sniffed 256 KiB, with rows already applied',
    rules: [{ command: 'GetObjectCommand', kind: 'body-error', afterBytes: 300_000, calls: [1] }],
    maxAttempts: 3,
    failedInvocations: 1,
    pad: 40,
    rows: 1200,
    partial: true,
  },
  {
    name: 'the S3 body breaks inside the sniffed prefix; then GetObject answers SlowDown',
    rules: [
      { command: 'GetObjectCommand', kind: 'body-error', afterBytes: 900, calls: [1] },
      { command: 'GetObjectCommand', kind: 'throttle', calls: [2] },
    ],
    maxAttempts: 1,
    failedInvocations: 2,
  },
  {
    name: 'the reject report upload fails with a 500 after every row was applied',
    rules: [{ command: 'PutObjectCommand', kind: 'server-error', status: 500, calls: [1] }],
    maxAttempts: 1,
    failedInvocations: 1,
  },
];

describe('ingest under injected AWS faults matches a clean run', () => {
  scenarios.forEach((s, i) => {
    it(s.name, async () => {
      const prefix = `f${i}c`;
      const file = ordersFile(prefix, s.rows ?? 400, 1000 + i, s.pad ?? 0);
      const key = `incoming/orders/orders-2026-06-${String(10 + i).padStart(2, '0')}.csv`;
      const etag = await upload(key, file.text);
      if (s.pad) expect(file.text.length).toBeGreaterThan(300_000);
      const clean = await cleanRun(key, etag, file.text);

      const faults = new FaultInjector(i + 1).set(s.rules);
      const a = faultyAdapters(faults, s.maxAttempts);
      const obj = { key, etag, lastModifiedMs: Date.parse('2026-06-01T00:00:00Z') };
      let partial: number | undefined;
      const { result, failures } = await retryLikeLambda(async (attempt) => {
        if (attempt === 2 && s.partial) {
          const recs = await Promise.all([...clean.mem.customers.states.keys()].map((id) => a.customers.loadCustomer(id)));
          expect(recs.every((r) => !r.state)).toBe(true);
          partial = recs.reduce((n, r) => n + r.orders.length, 0);
        }
        return ingestObject(obj, { ...a, config: defaultConfig, asOf: AS_OF });
      });
      if (s.partial) expect(partial).toBeGreaterThan(100);

      // The faults happened, and as many invocations failed as the schedule implies.
      expect(faults.injected.length).toBe(s.rules.reduce((n, r) => n + r.calls!.length, 0));
      expect(failures.map((e) => (e as Error).name)).toHaveLength(s.failedInvocations);
      await expectSameAsClean(key, result, clean, a.customers, file);

      // A redelivered event for the finished file is free: the ledger answers, nothing is read or written.
      const before = new Map(faults.calls);
      const again = await ingestObject(obj, { ...a, config: defaultConfig, asOf: AS_OF });
      expect(again).toEqual(result);
      expect(faults.calls.get('PutItemCommand')).toBe(before.get('PutItemCommand'));
      expect(faults.calls.get('GetObjectCommand')).toBe(before.get('GetObjectCommand'));
    });
  });
});
