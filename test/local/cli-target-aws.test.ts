import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocal, type LocalRuntime } from '../../lib/cli/local-runtime.ts';
import { tempHome } from '../support/local-home.ts';

const root = resolve(import.meta.dirname, '../..');
const t = tempHome();
let deployed: LocalRuntime;

beforeAll(async () => {
  // Stands in for a deployed stack: its own process state, reached only through endpoints and names.
  process.env['MOMENTS_HOME'] = join(t.home, 'deployed');
  deployed = await openLocal({ asOf: '2026-03-31' });
});
afterAll(async () => {
  await deployed?.close();
  t.cleanup();
});

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [join(root, 'bin/moments.js'), ...args], {
      env: {
        ...process.env,
        MOMENTS_HOME: join(t.home, 'unused-local'),
        MOMENTS_BUCKET: deployed.bucket,
        MOMENTS_TABLE: deployed.stack.tableName,
        AWS_ENDPOINT_URL_S3: deployed.stack.endpoints.s3,
        AWS_ENDPOINT_URL_DYNAMODB: deployed.stack.endpoints.dynamodb,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => done({ code, out, err }));
  });
}

describe('--target aws: the same commands against a stack reached by name and endpoint', () => {
  it('ingest uploads, waits for the trigger to finish and prints the summary; export reads the table', async () => {
    const f = join(t.home, 'orders-2026-03-05.csv');
    writeFileSync(f, 'order_id,customer_id,ordered_at,amount\nA1,001,2026-03-05,10.00\n');
    const r = await run(['--target', 'aws', 'ingest', '--json', f]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out.trim())).toMatchObject({ file: 'orders-2026-03-05.csv', rows: 1, applied: 1, rejected: 0 });
    const e = await run(['--target', 'aws', 'export', 'customers']);
    expect(JSON.parse(e.out.trim())).toMatchObject({ customerId: '001', totalSpend: '10.00' });
  });

  it('personal-data requests: customer export, erase and audit work on the deployed stack', async () => {
    const m = join(t.home, 'members-2026-03-06.csv');
    writeFileSync(m, 'customer_id,name,phone,email,sms_opt_in\n001,张三,13800138000,zhang@example.com,1\n');
    expect((await run(['--target', 'aws', 'ingest', '--json', m])).code).toBe(0);
    const before = await run(['--target', 'aws', 'customer', 'export', '001', '--by', 'dpo']);
    expect(before.code, before.err).toBe(0);
    expect(JSON.parse(before.out)).toMatchObject({ profile: { name: { value: '张三' }, phone: { value: '+8613800138000' } }, orders: [{ orderId: 'A1' }] });
    const erased = await run(['--target', 'aws', 'customer', 'erase', '001', '--by', 'dpo', '--reason', 'ticket 9']);
    expect(erased.code, erased.err).toBe(0);
    expect(erased.out).toContain('customer 001: personal data erased');
    // Read back through the deployed stack's own adapters, not the CLI.
    expect(await deployed.adapters.customers.loadProfile('001')).toMatchObject({ erased: { complete: true } });
    expect((await deployed.adapters.customers.loadCustomer('001')).state?.totalSpend).toBe('10.00');
    const after = await run(['--target', 'aws', 'customer', 'export', '001']);
    expect(after.out).not.toContain('张三');
    expect(JSON.parse(after.out)).toMatchObject({ profile: null, erasure: { complete: true } });
    const audit = await run(['--target', 'aws', 'customer', 'audit', '001']);
    const lines = audit.out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/ export by dpo: exported; /);
    expect(lines[1]).toContain(' erase by dpo: erased (ticket 9); fieldsRemoved=name+phone+email+smsConsent ');
    expect(lines[2]).toMatch(/ export by \S+: exported; /); // --by defaults to the login name
    expect((await run(['--target', 'aws', 'customer', 'erase', '404'])).code).toBe(1);
  });

  it('says which settings are missing', async () => {
    const p = await new Promise<{ code: number | null; err: string }>((done) => {
      const c = spawn(process.execPath, [join(root, 'bin/moments.js'), '--target', 'aws', 'export', 'customers'], {
        env: { PATH: process.env['PATH'] ?? '', HOME: t.home },
      });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (code) => done({ code, err }));
    });
    expect(p.code).toBe(2); // the environment is part of how the command was called
    expect(p.err).toContain('MOMENTS_BUCKET');
  });
});
