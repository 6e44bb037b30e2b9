import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocal, type LocalRuntime } from '../../lib/cli/local-runtime.ts';
import { LEASE_MS } from '../../lib/nightly/run-nightly.ts';
import { moments } from '../support/cli.ts';
import { tempHome } from '../support/local-home.ts';

/**
 * The runbook's commands (README "Runbook"), each through the CLI in a child process: on the local stack, and with
 * --target aws against a stack reached only by name and endpoint. Each scenario has its own MOMENTS_HOME so they
 * run side by side.
 */
const t = tempHome('moments-runbook-');
const home = (name: string) => join(t.home, name);
const file = (name: string, text: string) => {
  const path = join(t.home, name);
  writeFileSync(path, text);
  return path;
};
const jsonLines = (out: string) => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** Opens a scenario's home in this process (between CLI runs: one process at a time may hold it). */
async function withHome<T>(name: string, fn: (rt: LocalRuntime) => Promise<T>): Promise<T> {
  const before = process.env['MOMENTS_HOME'];
  process.env['MOMENTS_HOME'] = home(name);
  const opening = openLocal(); // reads MOMENTS_HOME before its first await
  process.env['MOMENTS_HOME'] = before;
  const rt = await opening;
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

let deployed: LocalRuntime;
const NIGHTLY_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:MomentsNightly';
const aws = (args: string[]) =>
  moments(['--target', 'aws', ...args], home('unused-local'), {
    MOMENTS_BUCKET: deployed.bucket,
    MOMENTS_TABLE: deployed.stack.tableName,
    AWS_ENDPOINT_URL_S3: deployed.stack.endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: deployed.stack.endpoints.dynamodb,
    MOMENTS_NIGHTLY_ARN: NIGHTLY_ARN,
  });

beforeAll(async () => {
  // Stands in for a deployed stack: its own state, its real triggers (ingest, config), reached by endpoint.
  process.env['MOMENTS_HOME'] = home('deployed');
  deployed = await openLocal({ asOf: '2026-03-31' });
});
afterAll(async () => {
  await deployed?.close();
  t.cleanup();
});

describe.concurrent('runbook', () => {
  it('replay: runs the ingest again on a stored upload, changes nothing already applied, and keeps undated rows from overtaking a later export', async () => {
    const h = home('replay');
    // No date in either name and no updated_at: rows are versioned by the time each file arrived.
    const a = file('export-a.csv', 'order_id,customer_id,ordered_at,amount,status\nA1,001,2026-03-05,10.00,paid\nA2,002,2026-03-05,20.00,paid\n');
    const b = file('export-b.csv', 'order_id,customer_id,ordered_at,amount,status\nA1,001,2026-03-05,10.00,cancelled\n');
    expect((await moments(['ingest', a], h)).code).toBe(0);
    expect((await moments(['ingest', b], h)).code).toBe(0);
    const before = jsonLines((await moments(['export', 'customers'], h)).out);
    expect(before.find((c) => c['customerId'] === '001')).toMatchObject({ totalSpend: '0.00' });

    const r = await moments(['replay', 'incoming/orders/export-a.csv', '--json'], h);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ replayed: true, ledgerEntriesRemoved: 1, status: 'processed', rows: 2, applied: 2, unchanged: 2, rejected: 0 });
    // A1's paid row, replayed now, would win over the later cancellation if it were dated by the replay.
    expect(jsonLines((await moments(['export', 'customers'], h)).out)).toEqual(before);

    const missing = await moments(['replay', 'incoming/orders/nope.csv'], h);
    expect(missing.code).toBe(2); // a key not in the bucket is a usage error, as a missing file is
    expect(missing.err).toMatch(/not in the bucket: quarantined files are under quarantine\//);
  });

  it('quarantine and configuration: a mapping activated, the quarantined file reprocessed; history, rollback to an earlier version', async () => {
    const h = home('quarantine');
    const pos = file('pos-export.csv', '单号,会员,时间,金额\nB1,003,2026-03-06,20.00\n');
    const q = await moments(['ingest', pos], h);
    expect(q.code).toBe(1);
    expect(q.out).toContain('QUARANTINED');
    const listed = jsonLines((await moments(['quarantine', 'list', '--json'], h)).out);
    expect(listed).toEqual([expect.objectContaining({ key: 'quarantine/pos-export.csv', reason: expect.stringMatching(/^no recognisable orders header/) })]);

    const mapping = { brand: { name: 'Mapped' }, columns: { orders: { 单号: 'order_id', 会员: 'customer_id', 时间: 'ordered_at', 金额: 'amount' } } };
    expect((await moments(['config', 'activate', file('mapped.json', JSON.stringify(mapping))], h)).code).toBe(0);
    const re = await moments(['quarantine', 'reprocess', 'pos-export.csv', '--json'], h);
    expect(re.code, re.err).toBe(0);
    expect(JSON.parse(re.out)).toMatchObject({ key: 'incoming/orders/pos-export.csv', status: 'processed', applied: 1, quarantineCleared: true });
    expect((await moments(['quarantine', 'list'], h)).out.trim()).toBe('nothing in quarantine');
    expect(jsonLines((await moments(['export', 'customers'], h)).out)).toEqual([expect.objectContaining({ customerId: '003', totalSpend: '20.00' })]);

    // A later configuration drops the mapping; rolling back to the first brings it back, through the bucket upload.
    expect((await moments(['config', 'activate', file('plain.json', JSON.stringify({ brand: { name: 'Plain' } }))], h)).code).toBe(0);
    const history = jsonLines((await moments(['config', 'history', '--json'], h)).out);
    expect(history.map((l) => [l['brand'], l['active']])).toEqual([
      ['Plain', true],
      ['Mapped', false],
    ]);
    const mapped = history[1]!;
    const rb = await moments(['config', 'rollback', String(mapped['version']), '--json'], h);
    expect(rb.code, rb.err).toBe(0);
    const out = JSON.parse(rb.out) as Record<string, unknown>;
    expect(out).toMatchObject({ restored: mapped['version'], unchanged: false });
    expect(out['activeVersion']).not.toMatch(/^local:/); // activated by the config trigger under the upload's version
    const after = jsonLines((await moments(['config', 'history', '--json'], h)).out);
    expect(after[0]).toMatchObject({ brand: 'Mapped', active: true, digest: mapped['digest'], version: out['activeVersion'] });
    await withHome('quarantine', async (rt) => {
      expect((await rt.adapters.config.load()).config.columns.orders).toEqual(mapping.columns.orders);
      const uploaded: Buffer[] = [];
      for await (const c of rt.adapters.objects.read('config/campaigns.json')) uploaded.push(c);
      expect(JSON.parse(Buffer.concat(uploaded).toString('utf8'))).toMatchObject(mapping);
    });
    const unknown = await moments(['config', 'rollback', 'no-such-version'], h);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/not in the configuration history/);
  });

  it('nightly: a closed night is not run again; a run that died holds the lease until --force takes it over', async () => {
    const h = home('nightly');
    const first = await moments(['nightly', '--as-of', '2026-03-06', '--json'], h);
    expect(first.code, first.err).toBe(0);
    expect(jsonLines(first.out)).toEqual([expect.objectContaining({ night: '2026-03-06' })]);
    const again = await moments(['nightly', '--as-of', '2026-03-06'], h);
    expect(again.out).toContain('nothing to do: nights up to 2026-03-06 are closed');
    // A run that died part-way: its lease stays until it expires.
    await withHome('nightly', async (rt) => {
      expect((await rt.adapters.nightly.acquireLease('dead-run', Date.now() + LEASE_MS)).ok).toBe(true);
    });
    const held = await moments(['nightly', '--as-of', '2026-03-08'], h);
    expect(held.code).toBe(1);
    expect(held.err).toMatch(/another nightly run \(dead-run\) holds the lease .*use --force if that run died/);
    const forced = await moments(['nightly', '--as-of', '2026-03-08', '--force', '--json'], h);
    expect(forced.code, forced.err).toBe(0);
    // Missed nights come back in order.
    expect(jsonLines(forced.out).map((l) => l['night'])).toEqual(['2026-03-07', '2026-03-08']);
  });

  it('--target aws: replay, quarantine, configuration rollback through the same adapters; the nightly is the state machine’s', async () => {
    const orders = file('orders-2026-03-05.csv', 'order_id,customer_id,ordered_at,amount\nC1,101,2026-03-05,10.00\n');
    expect((await aws(['ingest', orders])).code).toBe(0);
    const r = await aws(['replay', 'incoming/orders/orders-2026-03-05.csv', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ replayed: true, ledgerEntriesRemoved: 1, applied: 1, unchanged: 1 });

    expect((await aws(['ingest', '--kind', 'members', file('members-broken.csv', '\u0000\u0001\u0002binary')])).code).toBe(1);
    const listed = jsonLines((await aws(['quarantine', 'list', '--json'])).out);
    expect(listed.map((l) => l['key'])).toEqual(['quarantine/members-broken.csv']);
    const fixed = file('members-fixed.csv', 'customer_id,email,email_opt_in\n101,a@example.com,1\n');
    const re = await aws(['quarantine', 'reprocess', 'quarantine/members-broken.csv', '--file', fixed, '--json']);
    expect(re.code, re.err).toBe(0);
    expect(JSON.parse(re.out)).toMatchObject({ key: 'incoming/members/members-broken.csv', status: 'processed', applied: 1, quarantineCleared: true });
    expect(await deployed.adapters.files.head('quarantine/members-broken.csv')).toBeUndefined();
    expect((await deployed.adapters.customers.loadProfile('101')).profile).toBeDefined();

    // Two uploads of config/campaigns.json, as on AWS (the config function activates each).
    for (const name of ['First', 'Second']) {
      await deployed.adapters.objects.put('config/campaigns.json', JSON.stringify({ brand: { name } }), 'application/json');
      await deployed.settle();
    }
    const history = jsonLines((await aws(['config', 'history', '--json'])).out);
    expect(history.map((l) => l['brand'])).toEqual(['Second', 'First']);
    const rb = await aws(['config', 'rollback', String(history[1]!['version']), '--json']);
    expect(rb.code, rb.err).toBe(0);
    expect((await deployed.adapters.config.load()).config.brand.name).toBe('First');

    const n = await aws(['nightly', '--as-of', '2026-03-05', '--force']);
    expect(n.code).toBe(2);
    expect(n.err).toContain(`aws stepfunctions start-execution --state-machine-arn ${NIGHTLY_ARN} --input '{"asOf":"2026-03-05","force":true}'`);
  });
});
