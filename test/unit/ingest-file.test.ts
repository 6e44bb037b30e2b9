import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig, type MomentsConfig } from '../../lib/config/schema.ts';
import { ingestObject } from '../../lib/ingest/ingest-file.ts';
import { profileValues } from '../../lib/members/profile.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryNightlyLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';
import { runNightly } from '../../lib/nightly/run-nightly.ts';
import { DUE_NEXT_NIGHT } from '../../lib/nightly/due.ts';

function world(config: MomentsConfig = defaultConfig) {
  const objects = new MemoryObjectStore();
  const customers = new MemoryCustomerStore();
  const ledger = new MemoryLedger();
  let n = 0;
  const ingest = async (key: string, body: string | Buffer) => {
    await objects.put(key, body);
    return ingestObject({ key, etag: `e${++n}`, lastModifiedMs: 0 }, { objects, customers, ledger, config, asOf: '2026-06-30' });
  };
  return { objects, customers, ledger, ingest };
}

describe('ingestObject: orders', () => {
  it('applies good rows, reports bad ones with line, column, value and reason, neutralising formulas', async () => {
    const w = world();
    const s = await w.ingest(
      'incoming/orders/orders-2026-03-05.csv',
      'order_id,customer_id,ordered_at,amount,status\n' +
        'A1,0007,2026-03-05 10:00,100.00,paid\n' +
        'A2,=HYPERLINK("http://x"),2026-03-05,5.00,paid\n' +
        'A3,0008,2026-03-05,1..2,paid\n' +
        'A4,0008,2026-03-05,12.00,paid,extra\n' +
        'Total,,,117.00,\n',
    );
    expect(s).toMatchObject({ rows: 5, applied: 1, rejected: 4, customers: 1, report: 'rejected/orders-2026-03-05.csv.errors.csv' });
    const report = w.objects.text('rejected/orders-2026-03-05.csv.errors.csv')!;
    expect(report.startsWith('\uFEFFline,column,value,reason')).toBe(true);
    expect(report).toContain(`3,customer_id,"'=HYPERLINK(""http://x"")",customer id has characters an id cannot have`);
    expect(report).toContain('4,amount,1..2,not a decimal amount');
    expect(report).toContain('5,,"A4,0008,2026-03-05,12.00,paid,extra",6 fields but the header has 5');
    expect(report).toContain('6,customer_id,,missing customer id');
    expect(w.customers.states.get('0007')?.state.totalSpend).toBe('100.00');
    expect(w.customers.states.has('0008')).toBe(false);
  });

  it('reads GBK files with Chinese headers and Chinese status values', async () => {
    const w = world();
    const csv = '订单号,会员号,下单时间,实付金额,币种,订单状态,门店编号,渠道,地区\r\n' + 'D1,000123,2026-03-05 10:00:00,"1,299.00",CNY,已支付,S001,门店,"华南, 广州"\r\n';
    const s = await w.ingest('incoming/orders/订单导出_20260305.csv', iconv.encode(csv, 'gbk'));
    expect(s).toMatchObject({ rows: 1, applied: 1, rejected: 0, encoding: 'gb18030' });
    expect(w.customers.states.get('000123')?.state).toMatchObject({ totalSpend: '1299.00', region: '华南, 广州', homeStoreId: 'S001' });
  });

  it('maps other headers through the configuration', async () => {
    const w = world(parseConfig({ columns: { orders: { Beleg: 'order_id', Kunde: 'customer_id', Datum: 'ordered_at', Betrag: 'amount' } } }));
    const s = await w.ingest('incoming/orders/x.csv', 'Beleg;Kunde;Datum;Betrag;Notiz\n1;K1;2026-03-05;10.00;hi\n');
    expect(s).toMatchObject({ applied: 1, ignoredColumns: ['Notiz'] });
  });

  it('quarantines a file without a recognisable header and changes nothing', async () => {
    const w = world();
    const s = await w.ingest('incoming/orders/no-header.csv', 'A1,0007,2026-03-05,100.00\n');
    expect(s).toMatchObject({ status: 'quarantined', quarantine: 'quarantine/no-header.csv' });
    expect(w.objects.objects.has('incoming/orders/no-header.csv')).toBe(false);
    expect(w.objects.text('quarantine/no-header.csv')).toBe('A1,0007,2026-03-05,100.00\n');
    expect(w.objects.text('quarantine/no-header.csv.reason.txt')).toContain('missing order_id');
    expect(w.customers.orders.size).toBe(0);
  });

  it('quarantines empty and binary uploads', async () => {
    const w = world();
    expect(await w.ingest('incoming/orders/empty.csv', '')).toMatchObject({ status: 'quarantined', reason: 'empty file' });
    expect(await w.ingest('incoming/orders/pic.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]))).toMatchObject({
      status: 'quarantined',
    });
  });

  it('a later version replaces an earlier one whatever the arrival order; cancelled orders are void', async () => {
    const w = world();
    await w.ingest('incoming/orders/orders-2026-03-06.csv', 'order_id,customer_id,ordered_at,amount,status\nA1,C1,2026-03-05,100,cancelled\n');
    await w.ingest('incoming/orders/orders-2026-03-05.csv', 'order_id,customer_id,ordered_at,amount,status\nA1,C1,2026-03-05,100,paid\n');
    expect(w.customers.states.get('C1')?.state).toMatchObject({ orderCount: 0, cancelledCount: 1, totalSpend: '0.00' });
  });

  it('a refund in a later file without the original id reduces spend and points but not orders', async () => {
    const w = world();
    await w.ingest('incoming/orders/orders-2026-03-05.csv', 'order_id,customer_id,ordered_at,amount\nA1,C1,2026-03-05,100\nA2,C1,2026-03-09,50\n');
    await w.ingest('incoming/orders/orders-2026-03-20.csv', 'order_id,customer_id,ordered_at,amount,status\n,C1,2026-03-20,30,退货\n');
    expect(w.customers.states.get('C1')?.state).toMatchObject({ orderCount: 2, purchaseDays: 2, totalSpend: '120.00', pointsBalance: 120 });
  });

  it('an identical duplicate row counts once', async () => {
    const w = world();
    const s = await w.ingest('incoming/orders/o.csv', 'order_id,customer_id,ordered_at,amount\nA1,C1,2026-03-05,100\nA1,C1,2026-03-05,100\n');
    expect(s).toMatchObject({ applied: 2, unchanged: 1 });
    expect(w.customers.states.get('C1')?.state.orderCount).toBe(1);
  });

  it('two rows of one order and version with other content: the later row in the file wins, counted as replaced', async () => {
    const w = world();
    const s = await w.ingest('incoming/orders/orders-2026-03-05.csv', 'order_id,customer_id,ordered_at,amount\nW3,C1,2026-03-05,100.00\nW3,C1,2026-03-05,80.00\nW4,C2,2026-03-05,80.00\nW4,C2,2026-03-05,100.00\n');
    expect(s).toMatchObject({ rows: 4, applied: 4, rejected: 0, replaced: 2 });
    expect(s.warnings?.[0]).toContain('2 rows replaced by a later row of the same order_id and version in this file');
    expect(w.customers.states.get('C1')?.state).toMatchObject({ orderCount: 1, totalSpend: '80.00' });
    expect(w.customers.states.get('C2')?.state).toMatchObject({ orderCount: 1, totalSpend: '100.00' });
    // The same file again changes nothing: the versions it computes are the ones stored.
    const again = await w.ingest('incoming/orders/orders-2026-03-05.csv', 'order_id,customer_id,ordered_at,amount\nW3,C1,2026-03-05,100.00\nW3,C1,2026-03-05,80.00\n');
    expect(again).toMatchObject({ applied: 2, replaced: 1 });
    expect(w.customers.states.get('C1')?.state.totalSpend).toBe('80.00');
  });

  it('two stores numbering orders alike: one order id for one customer is one order, and the summary says the first was replaced', async () => {
    const w = world();
    const s = await w.ingest('incoming/orders/orders-2026-03-05.csv', 'order_id,customer_id,ordered_at,amount,store_id\n1001,C1,2026-03-05,50.00,S1\n1001,C1,2026-03-05,70.00,S2\n');
    expect(s).toMatchObject({ rows: 2, applied: 2, replaced: 1 });
    expect(s.warnings?.[0]).toContain('export store-prefixed ids');
    expect(w.customers.states.get('C1')?.state).toMatchObject({ orderCount: 1, totalSpend: '70.00', homeStoreId: 'S2' });
  });

  it('the later row wins across batches too (a row written a thousand rows earlier is replaced)', async () => {
    const w = world();
    const filler = Array.from({ length: 2500 }, (_, i) => `F${i},F${i % 50},2026-03-05,1.00\n`).join('');
    const s = await w.ingest('incoming/orders/orders-2026-03-05.csv', `order_id,customer_id,ordered_at,amount\nW3,C1,2026-03-05,100.00\n${filler}W3,C1,2026-03-05,80.00\n`);
    expect(s).toMatchObject({ rows: 2502, applied: 2502, replaced: 1 });
    expect(w.customers.states.get('C1')?.state).toMatchObject({ orderCount: 1, totalSpend: '80.00' });
  });

  it('one order id under two customers in one version: both rows rejected with the reason, neither customer counts it', async () => {
    for (const filler of ['', Array.from({ length: 2500 }, (_, i) => `F${i},F${i % 50},2026-03-05,1.00\n`).join('')]) {
      const w = world();
      const s = await w.ingest('incoming/orders/orders-2026-03-05.csv', `order_id,customer_id,ordered_at,amount\nY1,CA,2026-03-05,100.00\nZ1,CA,2026-03-05,10.00\n${filler}Y1,CB,2026-03-05,100.00\n`);
      const last = 4 + (filler ? 2500 : 0);
      expect(s).toMatchObject({ applied: s.rows - 2, rejected: 2 });
      const report = w.objects.text(s.report!)!;
      expect(report).toContain(`2,order_id,Y1,"order Y1 is under customer CB too (line ${last}), in the same version`);
      expect(report).toContain(`${last},order_id,Y1,"order Y1 is under customer CA too (line 2), in the same version`);
      expect(w.customers.states.get('CA')?.state).toMatchObject({ orderCount: 1, totalSpend: '10.00' });
      expect(w.customers.states.get('CB')?.state.orderCount ?? 0).toBe(0);
      expect(w.customers.orders.get('CA')?.has('Y1')).toBe(false);
      expect(s.currencies).toEqual({ CNY: s.applied });
    }
  });

  it('a later version of an order under another customer in the same file moves it: the first customer no longer counts it', async () => {
    const w = world();
    const s = await w.ingest(
      'incoming/orders/orders-2026-03-05.csv',
      'order_id,customer_id,ordered_at,amount,updated_at\nY1,CA,2026-03-05,100.00,2026-03-05 10:00\nY1,CB,2026-03-05,100.00,2026-03-05 11:00\nY2,CA,2026-03-05,5.00,2026-03-05 12:00\nY2,CB,2026-03-05,5.00,2026-03-05 09:00\n',
    );
    expect(s).toMatchObject({ rows: 4, applied: 4, rejected: 0, unchanged: 2 });
    expect(w.customers.states.get('CA')?.state).toMatchObject({ orderCount: 1, totalSpend: '5.00' });
    expect(w.customers.states.get('CB')?.state).toMatchObject({ orderCount: 1, totalSpend: '100.00' });
  });

  it('order ids are brand-wide across files: a later version under another customer moves the order, an earlier one changes nothing', async () => {
    const csv = (c: string, upd: string, amount = '100.00') => `order_id,customer_id,ordered_at,amount,updated_at\nY1,${c},2026-03-05,${amount},${upd}\n`;
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 2, 0],
    ]) {
      const w = world();
      const files = [csv('CA', '2026-03-05 10:00'), csv('CB', '2026-03-06 10:00', '120.00'), csv('CC', '2026-03-04 10:00', '7.00')];
      const summaries = [];
      for (const i of order) summaries[i] = await w.ingest(`incoming/orders/orders-2026-03-0${5 + i}.csv`, files[i]!);
      expect(w.customers.states.get('CA')?.state.totalSpend ?? '0.00', String(order)).toBe('0.00');
      expect(w.customers.states.get('CB')?.state, String(order)).toMatchObject({ orderCount: 1, totalSpend: '120.00' });
      expect(w.customers.states.get('CC')?.state.totalSpend ?? '0.00', String(order)).toBe('0.00');
      expect([...w.customers.orders.values()].filter((m) => m.has('Y1'))).toHaveLength(1);
      expect(w.customers.owners.get('Y1')).toMatchObject({ customerId: 'CB' });
    }
    // CC's row is older than the owner's: counted already known, not applied to CC.
    const w = world();
    await w.ingest('incoming/orders/a.csv', csv('CB', '2026-03-06 10:00'));
    expect(await w.ingest('incoming/orders/b.csv', csv('CC', '2026-03-04 10:00'))).toMatchObject({ applied: 1, unchanged: 1, rejected: 0 });
  });

  it('the same version of one order under two customers in two files: the second is rejected and neither counts it, in either order', async () => {
    for (const first of ['CA', 'CB']) {
      const w = world();
      const second = first === 'CA' ? 'CB' : 'CA';
      await w.ingest('incoming/orders/a.csv', `order_id,customer_id,ordered_at,amount,updated_at\nY1,${first},2026-03-05,100.00,2026-03-05 10:00\n`);
      const s = await w.ingest('incoming/orders/b.csv', `order_id,customer_id,ordered_at,amount,updated_at\nY1,${second},2026-03-05,100.00,2026-03-05 10:00\n`);
      expect(s).toMatchObject({ applied: 0, rejected: 1 });
      expect(w.objects.text(s.report!)).toContain(`2,order_id,Y1,"order Y1 is under customer ${first} in the same version (a.csv, line 2)`);
      for (const c of ['CA', 'CB']) expect(w.customers.states.get(c)?.state.totalSpend ?? '0.00', c).toBe('0.00');
      // A later version settles it.
      await w.ingest('incoming/orders/c.csv', `order_id,customer_id,ordered_at,amount,updated_at\nY1,CB,2026-03-05,90.00,2026-03-06 10:00\n`);
      expect(w.customers.states.get('CB')?.state.totalSpend).toBe('90.00');
      expect(w.customers.states.get('CA')?.state.totalSpend ?? '0.00').toBe('0.00');
    }
  });

  it('a refund over what remains of its original is rejected at its amount; one of another customer\'s order at its original_order_id', async () => {
    const w = world();
    await w.ingest('incoming/orders/orders-2026-03-05.csv', 'order_id,customer_id,ordered_at,amount\nA1,C1,2026-03-05,100.00\n');
    const s = await w.ingest(
      'incoming/orders/orders-2026-03-06.csv',
      'order_id,customer_id,ordered_at,amount,original_order_id\n' +
        'R1,C1,2026-03-06,-500.00,A1\n' +
        'R2,C1,2026-03-06,-60.00,A1\n' +
        'R3,C1,2026-03-07,-50.00,A1\n' +
        'B1,C2,2026-03-06,30.00,\n' +
        'R4,C1,2026-03-07,-10.00,B1\n' +
        'R5,C1,2026-03-07,-5.00,NOPE\n',
    );
    expect(s).toMatchObject({ rows: 6, applied: 3, rejected: 3, unmatchedRefunds: 1 });
    const report = w.objects.text(s.report!)!;
    expect(report).toContain('2,amount,500.00,"refund of 500.00 is more than what remains of order A1 (100.00 paid, 0.00 refunded before): not counted"');
    expect(report).toContain('4,amount,50.00,"refund of 50.00 is more than what remains of order A1 (100.00 paid, 60.00 refunded before): not counted"');
    expect(report).toContain('6,original_order_id,B1,"order B1 belongs to customer C2 (line 5), not C1: the refund is not applied"');
    expect(s.warnings).toContain('1 refund names an original order not known yet: applied without checking it against that order');
    // 100 - 60 - 5 (the unknown original's refund counts as before); never below what was paid back.
    expect(w.customers.states.get('C1')?.state).toMatchObject({ totalSpend: '35.00', refundCount: 2 });
  });

  it('a re-upload with no rejects removes the stale report', async () => {
    const w = world();
    await w.ingest('incoming/orders/o.csv', 'order_id,customer_id,ordered_at,amount\nA1,,2026-03-05,100\n');
    expect(w.objects.objects.has('rejected/o.csv.errors.csv')).toBe(true);
    await w.ingest('incoming/orders/o.csv', 'order_id,customer_id,ordered_at,amount\nA1,C1,2026-03-05,100\n');
    expect(w.objects.objects.has('rejected/o.csv.errors.csv')).toBe(false);
  });
});

describe('ingestObject: members', () => {
  it('normalises phones to E.164, keeps consent with its time, and rejects single bad values', async () => {
    const w = world();
    const s = await w.ingest(
      'incoming/members/members-2026-03-05.csv',
      '会员号,姓名,手机号,邮箱,生日,语言,时区,短信订阅,邮件订阅\n' +
        '0001,张三,138-1234-5678,ZS@Example.com,1990-05-01,zh-CN,,1,0\n' +
        '0002,Li Si,12345,foo@,1990-02-30,en,Mars/Base,Y,maybe\n' +
        ',nobody,13812345678,,,,,,\n',
    );
    expect(s).toMatchObject({ rows: 3, applied: 2, rejected: 1, rejectedFields: 5, customers: 2 });
    const a = profileValues(w.customers.profiles.get('0001')?.profile);
    expect(a).toMatchObject({ name: '张三', phone: '+8613812345678', email: 'zs@example.com', birthday: '1990-05-01', locale: 'zh-CN' });
    expect(a.smsConsent).toMatchObject({ optIn: true, at: new Date(Date.parse('2026-03-05T23:59:59.999+08:00')).toISOString() });
    expect(a.emailConsent?.optIn).toBe(false);
    const b = profileValues(w.customers.profiles.get('0002')?.profile);
    expect(b).toMatchObject({ name: 'Li Si', phone: null, email: null, locale: 'en', smsConsent: { optIn: true } });
    expect(b.emailConsent).toBeNull();
    const report = w.objects.text('rejected/members-2026-03-05.csv.errors.csv')!;
    for (const col of ['phone', 'email', 'birthday', 'time_zone', 'email_opt_in']) expect(report).toContain(`3,${col},`);
  });

  it('two rows of one version that disagree on consent resolve to the opt-out, for every channel and in either order', async () => {
    const w = world();
    await w.ingest('incoming/members/members-2026-03-07.csv', 'customer_id,sms_opt_in,email_opt_in\n0001,1,0\n0001,0,1\n0002,0,1\n0002,1,0\n');
    // Corrected files of the same export day: the same version again, disagreeing.
    await w.ingest('incoming/members/members-2026-03-08.csv', 'customer_id,sms_opt_in\n0003,0\n');
    await w.ingest('incoming/members/members-2026-03-08 (1).csv', 'customer_id,sms_opt_in\n0003,1\n');
    for (const id of ['0001', '0002']) {
      const p = profileValues(w.customers.profiles.get(id)?.profile);
      expect({ id, sms: p.smsConsent?.optIn, email: p.emailConsent?.optIn }).toEqual({ id, sms: false, email: false });
    }
    expect(profileValues(w.customers.profiles.get('0003')?.profile).smsConsent?.optIn).toBe(false);
  });

  it('an older member export arriving late does not undo a newer opt-out', async () => {
    const w = world();
    await w.ingest('incoming/members/members-2026-03-06.csv', 'customer_id,sms_opt_in\n0001,0\n');
    await w.ingest('incoming/members/members-2026-03-05.csv', 'customer_id,sms_opt_in\n0001,1\n');
    expect(profileValues(w.customers.profiles.get('0001')?.profile).smsConsent?.optIn).toBe(false);
  });
});

describe('members without orders', () => {
  it('get a state item, due that night, where the nightly puts them in the prospect stage; their first order moves them on', async () => {
    const objects = new MemoryObjectStore();
    const customers = new MemoryCustomerStore();
    const ledger = new MemoryLedger();
    const deps = { objects, customers, ledger, config: defaultConfig, asOf: '2026-03-10' };
    const nightly = { customers, ledger: new MemoryNightlyLedger(), config: defaultConfig };
    await objects.put('incoming/members/m.csv', 'customer_id,name,birthday\n0009,Wu,1990-05-04\n');
    await ingestObject({ key: 'incoming/members/m.csv', etag: 'm', lastModifiedMs: 0 }, deps);
    // The ingest keeps the state exact; deriving stage and tier is the nightly's.
    expect(customers.states.get('0009')?.state.orderCount).toBe(0);
    expect(customers.states.get('0009')?.derived).toBeUndefined();
    expect(customers.states.get('0009')?.dueDate).toBe(DUE_NEXT_NIGHT);
    await runNightly('2026-03-10', nightly);
    expect(customers.states.get('0009')?.derived).toMatchObject({ stage: 'prospect', stageRule: 'no-orders', birthday: '1990-05-04' });
    await objects.put('incoming/orders/o.csv', 'order_id,customer_id,ordered_at,amount\nA1,0009,2026-03-10,100\n');
    await ingestObject({ key: 'incoming/orders/o.csv', etag: 'o', lastModifiedMs: 0 }, { ...deps, asOf: '2026-03-11' });
    // New orders drop the derivation it was folded from, and make the customer due.
    expect(customers.states.get('0009')?.derived).toBeUndefined();
    expect(customers.states.get('0009')?.dueDate).toBe(DUE_NEXT_NIGHT);
    await runNightly('2026-03-11', nightly);
    expect(customers.states.get('0009')?.derived).toMatchObject({ stage: 'exploration', stageSince: '2026-03-10', birthday: '1990-05-04' });
  });
});

describe('quarantine survives a crash at any step', () => {
  it('copy, reason and ledger come before the upload is removed; a retry after a crash finishes the move', async () => {
    for (const failAt of ['copy', 'put', 'remove'] as const) {
      const objects = new MemoryObjectStore();
      const customers = new MemoryCustomerStore();
      const ledger = new MemoryLedger();
      const key = 'incoming/orders/broken.csv';
      await objects.put(key, Buffer.from([0, 1, 2, 3, 0, 0, 0, 0xff]));
      const original = objects[failAt].bind(objects) as (...a: unknown[]) => Promise<void>;
      let failed = false;
      (objects as unknown as Record<string, unknown>)[failAt] = async (...a: unknown[]) => {
        if (!failed) {
          failed = true;
          throw new Error(`crash in ${failAt}`);
        }
        return original(...a);
      };
      const deps = { objects, customers, ledger, config: defaultConfig, asOf: '2026-03-10' };
      await expect(ingestObject({ key, etag: 'q', lastModifiedMs: 0 }, deps)).rejects.toThrow(`crash in ${failAt}`);
      const r = await ingestObject({ key, etag: 'q', lastModifiedMs: 0 }, deps);
      expect(r.status, failAt).toBe('quarantined');
      expect(objects.objects.has(key), failAt).toBe(false);
      expect(objects.objects.has(r.quarantine!), failAt).toBe(true);
      expect(objects.text(`${r.quarantine!}.reason.txt`), failAt).toContain('Nothing from this file was applied');
    }
  });
});

describe('the next night closed derives every customer the ingest changed, whatever the ingest date', () => {
  it('a night before the upload derives as of its own end; orders dated later count on their own night', async () => {
    const objects = new MemoryObjectStore();
    const customers = new MemoryCustomerStore();
    const nightlyLedger = new MemoryNightlyLedger();
    // History uploaded on the 20th (a brand starting today), then the nights closed for earlier dates.
    const deps = { objects, customers, ledger: new MemoryLedger(), config: defaultConfig, asOf: '2026-03-20' };
    const csv = 'order_id,customer_id,ordered_at,amount\nA1,0001,2026-03-01,100\nA2,0001,2026-03-12,50\nB1,0002,2026-03-15,70\n';
    await objects.put('incoming/orders/h.csv', csv);
    await ingestObject({ key: 'incoming/orders/h.csv', etag: 'h', lastModifiedMs: 0 }, deps);
    expect(customers.states.get('0001')?.state.orderCount).toBe(2);
    const nightly = { customers, ledger: nightlyLedger, config: defaultConfig };
    const [snap] = await runNightly('2026-03-10', nightly);
    // Only what was known by the end of the 10th: 0001's first order; 0002 has not bought yet.
    expect(snap).toMatchObject({ night: '2026-03-10', totals: { brand: { active: 1 } } });
    const c1 = customers.states.get('0001')!;
    expect(c1.derived).toMatchObject({ stage: 'exploration', stageSince: '2026-03-01' });
    expect(c1.state).toMatchObject({ asOf: '2026-03-10', orderCount: 1, totalSpend: '100.00', nextOrderDate: '2026-03-12' });
    expect(c1.dueDate).toBe('2026-03-12');
    expect(customers.states.get('0002')?.derived).toMatchObject({ stage: 'prospect' });
    const snaps = await runNightly('2026-03-19', nightly);
    expect(snaps.at(-1)).toMatchObject({ night: '2026-03-19', totals: { brand: { active: 2 } } });
    expect(customers.states.get('0001')?.state).toMatchObject({ orderCount: 2, totalSpend: '150.00' });
    expect(customers.states.get('0001')?.derived).toMatchObject({ stage: 'formation', stageSince: '2026-03-12' });
    expect(customers.states.get('0002')?.derived).toMatchObject({ stage: 'exploration', stageSince: '2026-03-15' });
  });
});
