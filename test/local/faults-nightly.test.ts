/**
 * The nightly under injected DynamoDB faults: segments and the finish step retried the way the state machine's
 * Retry does, over four nights (one, then three missed nights caught up). Every night's brand snapshot and every
 * customer's state, derived state and health mark must equal a clean run on the in-memory ports: a customer is
 * counted once per night whatever died where.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCustomerStore } from '../../lib/adapters/dynamo-customer-store.ts';
import { DynamoNightlyLedger } from '../../lib/adapters/dynamo-nightly-ledger.ts';
import { makeLocalDynamoDBClient } from '../../lib/adapters/local-clients.ts';
import { defaultConfig } from '../../lib/config/schema.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { startLocalStack, type LocalStack } from '../../lib/local/local-stack.ts';
import { finishNight, planNights, processSegment, runNightly, type NightlyDeps } from '../../lib/nightly/run-nightly.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryNightlyLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';
import { FaultInjector, retryLikeLambda, seededRandom, type FaultRule } from '../support/faults.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome('moments-faults-nightly-');
let stack: LocalStack;
const opened: { destroy(): void }[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ home: t.home });
});
afterAll(async () => {
  for (const c of opened) c.destroy();
  await stack?.stop();
  t.cleanup();
});

function ordersCsv(prefix: string, seed: number): string {
  const rnd = seededRandom(seed);
  const lines = ['order_id,customer_id,ordered_at,amount,status'];
  for (let i = 0; i < 260; i++) {
    const c = `${prefix}${Math.floor(rnd() * 70)}`;
    const day = `2025-${String(7 + Math.floor(rnd() * 6)).padStart(2, '0')}-${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}`;
    const refund = rnd() < 0.08;
    lines.push(`${refund ? 'R' : 'O'}${i},${c},${day} 11:00:00,${refund ? '-' : ''}${(20 + rnd() * 3000).toFixed(2)},${refund ? 'refunded' : 'paid'}`);
  }
  return lines.join('\n') + '\n';
}

const FIRST = '2025-12-31';
const CATCH_UP = '2026-01-03';
const sk = (i: Record<string, unknown>) => String((i['Item'] as { sk?: { S?: string } })?.sk?.S);
const pk = (i: Record<string, unknown>) => String((i['Item'] as { pk?: { S?: string } })?.pk?.S);

/** The nightly as the state machine runs it: plan, each shard's segment until done, finish; each step retried. */
async function stateMachineRun(asOf: string, deps: NightlyDeps, ledger: DynamoNightlyLedger, failures: unknown[]) {
  const step = async <T>(fn: () => Promise<T>): Promise<T> => {
    // The workflow's Retry (a few attempts), then the next run of the nightly picks the night up again.
    const r = await retryLikeLambda(fn, 8);
    failures.push(...r.failures);
    return r.result;
  };
  const plan = await step(() => planNights(asOf, ledger, `exec-${asOf}`));
  for (const n of plan.nights) {
    for (const shard of n.shards) while (!(await step(() => processSegment(n.night, n.prevNight, shard, deps, { maxCustomers: 3 }))).done);
    await step(() => finishNight(n.night, deps));
  }
  await ledger.releaseLease(plan.owner);
}

async function scenario(prefix: string, seed: number, rules: FaultRule[], maxAttempts: number) {
  const csv = ordersCsv(prefix, seed);
  const key = `incoming/orders/orders-${prefix}.csv`;
  // Clean: memory ports.
  const mem = { objects: new MemoryObjectStore(), customers: new MemoryCustomerStore(), ledger: new MemoryLedger(), nightly: new MemoryNightlyLedger() };
  await mem.objects.put(key, Buffer.from(csv));
  await ingestObject({ key, etag: 'e', lastModifiedMs: 0 }, { ...mem, config: defaultConfig, asOf: FIRST });
  const memDeps: NightlyDeps = { customers: mem.customers, ledger: mem.nightly, config: defaultConfig };
  await runNightly(FIRST, memDeps);
  await runNightly(CATCH_UP, memDeps);

  // Under faults: dynalite, a table of its own so the nightly's cursor and totals are this scenario's.
  const tableName = `nightly-${prefix}`;
  const plain = makeLocalDynamoDBClient(stack.env);
  opened.push(plain);
  const { ensureTable } = await import('../../lib/adapters/provision.ts');
  await ensureTable(plain, tableName);
  const clean = new DynamoCustomerStore({ client: plain, tableName });
  const objects = new MemoryObjectStore();
  await objects.put(key, Buffer.from(csv));
  await ingestObject({ key, etag: 'e', lastModifiedMs: 0 }, { objects, customers: clean, ledger: clean, config: defaultConfig, asOf: FIRST });

  const faults = new FaultInjector(seed).set(rules);
  const ddb: DynamoDBClient = faults.attach(makeLocalDynamoDBClient(stack.env, { maxAttempts }));
  opened.push(ddb);
  const customers = new DynamoCustomerStore({ client: ddb, tableName });
  const ledger = new DynamoNightlyLedger({ client: ddb, tableName });
  const deps: NightlyDeps = { customers, ledger, config: defaultConfig };
  const failures: unknown[] = [];
  await stateMachineRun(FIRST, deps, ledger, failures);
  await stateMachineRun(CATCH_UP, deps, ledger, failures);
  faults.clear();

  const want = await mem.nightly.listSnapshots();
  expect(want.map((s) => s.night)).toEqual([FIRST, '2026-01-01', '2026-01-02', CATCH_UP]);
  expect(await ledger.listSnapshots()).toEqual(want);
  expect(want.at(-1)!.totals.brand.active).toBeGreaterThan(30);
  for (const [id, s] of mem.customers.states) {
    const got = await customers.loadState(id);
    expect({ state: got.state, derived: got.derived, health: got.health, dueDate: got.dueDate }, id).toEqual({
      state: s.state,
      derived: s.derived,
      health: s.health,
      dueDate: s.dueDate ?? null,
    });
  }
  return { faults, failures };
}

describe('nightly under injected DynamoDB faults matches a clean run', () => {
  it('throttled and 503 reads and writes, lost answers and deaths after the shard totals and the snapshot landed', async () => {
    const { faults, failures } = await scenario(
      'n1c',
      11,
      [
        { command: 'PutItemCommand', kind: 'throttle', when: (i) => sk(i) === '#STATE', calls: [2, 9, 20, 21, 33] },
        { command: 'PutItemCommand', kind: 'lost-response', when: (i) => sk(i) === '#STATE', calls: [5, 14, 27] },
        { command: 'QueryCommand', kind: 'server-error', status: 503, calls: [5, 33, 90] },
        { command: 'GetItemCommand', kind: 'timeout', calls: [3, 50] },
        { command: 'PutItemCommand', kind: 'crash', when: (i) => pk(i).startsWith('HEALTH#'), calls: [4, 30] },
        { command: 'PutItemCommand', kind: 'crash', when: (i) => pk(i) === 'SNAPSHOT', calls: [2] },
      ],
      1,
    );
    // Every fault reached the code (one SDK attempt) and failed a step that was then retried (two faults can
    // fall in one segment invocation, whose concurrent writes fail together).
    expect(faults.injected.length).toBe(16);
    expect(failures.length).toBeGreaterThanOrEqual(12);
    for (const e of failures)
      expect(['ProvisionedThroughputExceededException', 'ServiceUnavailable', 'TimeoutError', 'SimulatedCrash', 'Error']).toContain((e as Error).name);
  });

  it('state writes whose answers are lost, resent by the SDK: the lost race is re-read and counted once, nothing fails', async () => {
    const { faults, failures } = await scenario(
      'n2c',
      12,
      [
        { command: 'PutItemCommand', kind: 'lost-response', when: (i) => sk(i) === '#STATE', calls: [1, 4, 9, 16, 25, 36, 49, 64] },
        { command: 'PutItemCommand', kind: 'throttle', when: (i) => pk(i).startsWith('HEALTH#'), calls: [3, 8] },
      ],
      3,
    );
    expect(faults.count('lost-response')).toBe(8);
    expect(faults.count('throttle')).toBe(2);
    expect(failures).toEqual([]);
  });
});
