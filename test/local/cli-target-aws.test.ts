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

  it('says which settings are missing', async () => {
    const p = await new Promise<{ code: number | null; err: string }>((done) => {
      const c = spawn(process.execPath, [join(root, 'bin/moments.js'), '--target', 'aws', 'export', 'customers'], {
        env: { PATH: process.env['PATH'] ?? '', HOME: t.home },
      });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (code) => done({ code, err }));
    });
    expect(p.code).toBe(1);
    expect(p.err).toContain('MOMENTS_BUCKET');
  });
});
