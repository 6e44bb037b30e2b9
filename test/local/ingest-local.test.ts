import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import iconv from 'iconv-lite';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../../lib/cli/ingest-files.ts';
import { openLocal, type LocalRuntime } from '../../lib/cli/local-runtime.ts';
import { defaultConfig } from '../../lib/config/schema.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { profileValues } from '../../lib/members/profile.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';
import { tempHome } from '../support/local-home.ts';
import { randomFiles } from '../support/random-files.ts';

const AS_OF = '2026-06-30';
let rt: LocalRuntime;
const t = tempHome();
const files = join(t.home, 'files');

beforeAll(async () => {
  process.env['MOMENTS_HOME'] = join(t.home, 'state');
  rt = await openLocal({ asOf: AS_OF });
  (await import('node:fs')).mkdirSync(files, { recursive: true });
});
afterAll(async () => {
  await rt?.close();
  t.cleanup();
});

async function s3Text(key: string): Promise<string> {
  const r = await rt.adapters.s3.send(new GetObjectCommand({ Bucket: rt.stack.bucket, Key: key }));
  return r.Body!.transformToString('utf8');
}

describe('ingest through the local stack (s3rver trigger -> handler -> dynalite)', () => {
  it('processes a GBK file with Chinese headers whose name has spaces and Chinese characters', async () => {
    const path = join(files, '订单 导出 2026-03-05.csv');
    const csv =
      '订单号,会员号,下单时间,实付金额,币种,订单状态,门店编号,渠道,地区\r\n' +
      'D1,000123,2026-03-05 10:00:00,"1,299.00",CNY,已支付,S001,门店,"华南, 广州"\r\n' +
      'D2,000123,2026-03-06 10:00:00,100.00,CNY,已支付,S001,门店,华南\r\n' +
      '合计,,,"1,399.00",,,,,\r\n';
    writeFileSync(path, iconv.encode(csv, 'gbk'));
    const [s] = await ingestFiles(rt, [path]);
    expect(s).toMatchObject({ kind: 'orders', rows: 3, applied: 2, rejected: 1, encoding: 'gb18030', report: 'rejected/订单 导出 2026-03-05.csv.errors.csv' });
    const { state, orders } = await rt.adapters.customers.loadCustomer('000123');
    expect(orders).toHaveLength(2);
    expect(state).toMatchObject({ orderCount: 2, purchaseDays: 2, totalSpend: '1399.00', firstOrderAmount: '1299.00', homeStoreId: 'S001' });
    const report = await s3Text('rejected/订单 导出 2026-03-05.csv.errors.csv');
    expect(report).toContain('4,customer_id,,missing customer id');
  });

  it('streams a gzipped file and records a duplicate upload as already known', async () => {
    const path = join(files, 'orders-2026-03-07.csv.gz');
    const lines = ['order_id,customer_id,ordered_at,amount'];
    for (let i = 0; i < 500; i++) lines.push(`G${i},${String(i % 40).padStart(5, '0')},2026-03-07T10:00:00+08:00,${i}.50`);
    writeFileSync(path, gzipSync(lines.join('\n') + '\n'));
    const [first] = await ingestFiles(rt, [path]);
    expect(first).toMatchObject({ rows: 500, applied: 500, rejected: 0, compressed: true, customers: 40 });
    // Same content under another name: every row already stored.
    const copy = join(files, 'orders-2026-03-07-again.csv.gz');
    writeFileSync(copy, gzipSync(lines.join('\n') + '\n'));
    const [second] = await ingestFiles(rt, [copy]);
    expect(second).toMatchObject({ rows: 500, unchanged: 500 });
    const { state } = await rt.adapters.customers.loadCustomer('00007');
    // customer 7 has orders 7, 47, ..., 487: 13 orders
    expect(state?.orderCount).toBe(13);
  });

  it('an order id under another customer in a later file moves the order: the first customer no longer counts it', async () => {
    const a = join(files, 'orders-2026-03-10.csv');
    const b = join(files, 'orders-2026-03-11.csv');
    writeFileSync(a, 'order_id,customer_id,ordered_at,amount\nY1,CA,2026-03-10,100.00\nY2,CA,2026-03-10,5.00\n');
    writeFileSync(b, 'order_id,customer_id,ordered_at,amount\nY1,CB,2026-03-10,100.00\n');
    await ingestFiles(rt, [a]);
    expect((await rt.adapters.customers.loadCustomer('CA')).state?.totalSpend).toBe('105.00');
    const [s] = await ingestFiles(rt, [b]);
    expect(s).toMatchObject({ rows: 1, applied: 1, rejected: 0 });
    const ca = await rt.adapters.customers.loadCustomer('CA');
    expect(ca.state).toMatchObject({ orderCount: 1, totalSpend: '5.00' });
    expect(ca.orders.map((o) => o.orderId)).toEqual(['Y2']);
    expect((await rt.adapters.customers.loadCustomer('CB')).state).toMatchObject({ orderCount: 1, totalSpend: '100.00' });
    expect((await rt.adapters.customers.readOwners(['Y1', 'Y2'])).get('Y1')).toMatchObject({ customerId: 'CB', prev: { customerId: 'CA' } });
    // The by-key read a resumed fold uses for a refund's original (BatchGetItem): only the keys stored there.
    const y2 = ca.orders[0]!.key;
    expect((await rt.adapters.customers.loadOrders!('CA', [y2, 'no-such-key'])).map((o) => o.orderId)).toEqual(['Y2']);
  });

  it('moves an unreadable file to quarantine with a reason', async () => {
    const path = join(files, 'orders-2026-03-08.csv');
    writeFileSync(path, 'just some words\nand more\n');
    const [s] = await ingestFiles(rt, [path], { kind: 'orders' });
    expect(s).toMatchObject({ status: 'quarantined', quarantine: 'quarantine/orders-2026-03-08.csv' });
    expect(await s3Text('quarantine/orders-2026-03-08.csv.reason.txt')).toContain('no recognisable orders header');
    await expect(rt.adapters.s3.send(new HeadObjectCommand({ Bucket: rt.stack.bucket, Key: 'incoming/orders/orders-2026-03-08.csv' }))).rejects.toThrow();
  });

  it('ingests members with per-field rejection', async () => {
    const path = join(files, 'members-2026-03-08.csv');
    writeFileSync(path, '\uFEFFcustomer_id,name,phone,email,sms_opt_in\r\n000123,王五,+86 138 1234 5678,bad@,1\r\n');
    const [s] = await ingestFiles(rt, [path]);
    expect(s).toMatchObject({ kind: 'members', applied: 1, rejectedFields: 1 });
    const { profile } = await rt.adapters.customers.loadProfile('000123');
    expect(profileValues(profile)).toMatchObject({ name: '王五', phone: '+8613812345678', email: null, smsConsent: { optIn: true } });
  });

  it("a member's last row in a file decides their consent, and a corrected file of the same export day uploaded later wins", async () => {
    // Same name, other bytes: a corrected export of the same day. No updated_at: every row is versioned by the day.
    const path = join(files, 'members-2026-03-09.csv');
    writeFileSync(path, 'customer_id,name,sms_opt_in,email_opt_in\n000777,钱七,1,1\n000777,钱七,0,1\n');
    const [first] = await ingestFiles(rt, [path]);
    expect(first).toMatchObject({ kind: 'members', rows: 2, applied: 2, rejected: 0 });
    const before = profileValues((await rt.adapters.customers.loadProfile('000777')).profile);
    expect({ sms: before.smsConsent?.optIn, email: before.emailConsent?.optIn }).toEqual({ sms: false, email: true });
    writeFileSync(path, 'customer_id,name,sms_opt_in,email_opt_in\n000777,钱七,1,1\n');
    const [second] = await ingestFiles(rt, [path]);
    expect(second).toMatchObject({ kind: 'members', rows: 1, applied: 1, unchanged: 0 });
    const after = profileValues((await rt.adapters.customers.loadProfile('000777')).profile);
    expect(after.smsConsent?.optIn).toBe(true);
  });

  it('random files uploaded at once, some twice, match a clean in-order run', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(randomFiles, fc.nat(), async (generated, dupSeed) => {
        run++;
        // Each run gets its own customers and order ids (ids are brand-wide) so runs do not see each other's orders.
        const fresh = generated.map((f) => {
          const body = Buffer.from(
            f.body
              .toString('utf8')
              .replace(/^(O|R)(\d+),(\w+),/gm, `$1$2,r${run}x$3,`)
              .replace(/\b([OR]\d+)\b/g, `r${run}$1`),
          );
          return { ...f, key: f.key.replace('.csv', `-r${run}.csv`).replace(/orders-2026-01-(\d+)-r/, 'orders-2026-01-$1-r'), body };
        });
        const mem = { objects: new MemoryObjectStore(), customers: new MemoryCustomerStore(), ledger: new MemoryLedger() };
        for (const f of fresh) {
          await mem.objects.put(f.key, f.body);
          await ingestObject({ key: f.key, etag: f.etag, lastModifiedMs: 0 }, { ...mem, config: defaultConfig, asOf: AS_OF });
        }
        const uploads = [...fresh, ...fresh.filter((_, i) => (dupSeed >> i) & 1)];
        await Promise.all(uploads.map((f) => rt.adapters.s3.send(new PutObjectCommand({ Bucket: rt.stack.bucket, Key: f.key, Body: f.body }))));
        await rt.stack.idle();
        expect(rt.stack.errors).toEqual([]);
        for (const [id, { state }] of mem.customers.states) {
          const got = await rt.adapters.customers.loadCustomer(id);
          expect(got.state).toEqual(state);
        }
      }),
      { numRuns: 8 },
    );
  });
});
