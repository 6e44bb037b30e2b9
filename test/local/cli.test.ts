import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempHome } from '../support/local-home.ts';

const root = resolve(import.meta.dirname, '../..');
const t = tempHome();
afterAll(() => t.cleanup());

function moments(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/moments.js'), ...args], {
    cwd: t.home,
    env: { ...process.env, MOMENTS_HOME: join(t.home, 'state'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('npx moments (through the local stack, in a child process)', () => {
  const orders = join(t.home, 'orders-2026-03-05.csv');
  writeFileSync(
    orders,
    'order_id,customer_id,ordered_at,amount,status,store_id,region\n' +
      'A1,00042,2026-03-05 10:00:00,100.00,paid,S01,华东\n' +
      'A2,00042,2026-03-09 10:00:00,50.00,paid,S02,华东\n' +
      'A3,00043,2026-03-10,abc,paid,S01,华北\n',
  );

  it('ingest --json prints one object per file and exits 0 with rejected rows', () => {
    const r = moments('ingest', '--json', '--as-of', '2026-03-31', orders);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ file: 'orders-2026-03-05.csv', rows: 3, applied: 2, rejected: 1, report: 'rejected/orders-2026-03-05.csv.errors.csv' });
  });

  it('ingest prints a readable summary with the report location; the same content again is recognised', () => {
    const again = join(t.home, 'orders-2026-03-05-resent.csv');
    writeFileSync(again, readFileSync(orders));
    const r = moments('ingest', '--as-of', '2026-03-31', again);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /orders-2026-03-05-resent\.csv: 3 rows, 2 applied \(2 already known\), 1 rejected, 1 customers, by currency CNY 2; report: .*rejected\/orders-2026-03-05-resent\.csv\.errors\.csv/,
    );
    const same = moments('ingest', '--as-of', '2026-03-31', orders);
    expect(same.out).toMatch(/orders-2026-03-05\.csv: identical content already ingested at .*; nothing to do/);
  });

  it('export customers writes JSON Lines with the contract fields', () => {
    const r = moments('export', 'customers');
    expect(r.code, r.err).toBe(0);
    const rows = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      customerId: '00042',
      firstOrderDate: '2026-03-05',
      lastOrderDate: '2026-03-09',
      firstOrderAmount: '100.00',
      orderCount: 2,
      purchaseDays: 2,
      totalSpend: '150.00',
      currency: 'CNY',
      pointsBalance: 150,
      pointsExpiring: [{ points: 150, expiresOn: '2027-03-31' }],
      homeStoreId: 'S02',
      region: '华东',
    });
  });

  it('customer ID shows the state and the orders behind it', () => {
    const r = moments('customer', '00042');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.state.totalSpend).toBe('150.00');
    expect(j.orders.map((o: { orderId: string }) => o.orderId)).toEqual(['A1', 'A2']);
    expect(moments('customer', '42').code).toBe(1);
  });

  it('exit 1 when a file is quarantined, 2 on usage errors', () => {
    const junk = join(t.home, 'orders-junk.csv');
    writeFileSync(junk, Buffer.from([0x00, 0x01, 0x02, 0x03]));
    const q = moments('ingest', junk);
    expect(q.code).toBe(1);
    expect(q.out).toContain('QUARANTINED');
    expect(moments('ingest').code).toBe(2);
    expect(moments('ingest', join(t.home, 'missing.csv')).code).toBe(2);
    expect(moments('frobnicate').code).toBe(2);
    expect(moments('ingest', '--as-of', '2026-13', orders).code).toBe(2);
  });

  it('config validate names the JSON path of each error', () => {
    const bad = join(t.home, 'bad.json');
    writeFileSync(bad, JSON.stringify({ brand: { timeZone: 'Mars/Base' }, stores: [{ id: 'S1', timeZone: 'Nowhere' }] }));
    const r = moments('config', 'validate', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain('$.brand.timeZone');
    expect(r.err).toContain('$.stores[0].timeZone');
  });
});
