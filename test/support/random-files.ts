import { createHash } from 'node:crypto';
import fc from 'fast-check';

export interface TestFile {
  key: string;
  body: Buffer;
  etag: string;
}

/** One orders row over a small id space (duplicates, versions and refunds collide), sometimes invalid. */
export const randomRow = fc.record({
  order: fc.integer({ min: 1, max: 12 }),
  customer: fc.constantFrom('001', '002', '0003', '04'),
  day: fc.integer({ min: 1, max: 28 }),
  hour: fc.integer({ min: 0, max: 23 }),
  amount: fc.integer({ min: 0, max: 99_999 }),
  status: fc.constantFrom('paid', 'paid', 'paid', 'cancelled', 'refunded', '已支付'),
  store: fc.constantFrom('S1', 'S2', 'S3', ''),
  updatedHour: fc.option(fc.integer({ min: 0, max: 23 }), { nil: undefined }),
  redeem: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
  bad: fc.boolean().map((b) => b && Math.random() < 0.15),
});

export type RandomRow = typeof randomRow extends fc.Arbitrary<infer T> ? T : never;

function csvLine(r: RandomRow): string {
  const refund = r.status === 'refunded';
  const orderId = refund ? `R${r.order}` : `O${r.order}`;
  const date = `2026-01-${String(r.day).padStart(2, '0')}`;
  return [
    orderId,
    r.bad ? '' : r.customer,
    `${date} ${String(r.hour).padStart(2, '0')}:15:00`,
    (r.amount / 100).toFixed(2),
    r.status,
    r.store,
    r.updatedHour === undefined ? '' : `2026-02-01 ${String(r.updatedHour).padStart(2, '0')}:00:00`,
    refund ? `O${r.order}` : '',
    !refund && r.redeem ? String(r.redeem) : '',
  ].join(',');
}

export function toFile(name: string, rows: RandomRow[]): TestFile {
  const text =
    'order_id,customer_id,ordered_at,amount,status,store_id,updated_at,original_order_id,points_redeemed\r\n' +
    rows.map(csvLine).join('\r\n') +
    '\r\n';
  const body = Buffer.from(text);
  return { key: `incoming/orders/${name}`, body, etag: createHash('md5').update(body).digest('hex') };
}

/** 1-5 daily export files over a small id space, so versions, duplicates and refunds collide often. */
export const randomFiles = fc
  .array(fc.array(randomRow, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 5 })
  .map((files) => files.map((rows, i) => toFile(`orders-2026-01-${String(i + 1).padStart(2, '0')}.csv`, rows)));
