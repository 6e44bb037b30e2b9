import { parseConfig, type MomentsConfig } from '../config/schema.ts';
import { deriveFromOrders } from '../derive/derive.ts';
import type { CustomerStore } from '../ingest/ports.ts';
import { applyProfile } from '../ingest/members-rows.ts';
import { parseMemberRow } from '../members/parse-member-row.ts';
import type { OrderRecord } from '../orders/order.ts';
import { mapPool } from '../pool.ts';
import { planNightTouches } from '../touches/plan-night.ts';
import type { TouchQueue, TouchStore } from '../touches/ports.ts';
import { nightRunTime } from '../touches/timing.ts';

/**
 * A night with one touch per customer, for load runs (test/local/load-touches.test.ts, bench/load-touches.ts):
 * every customer bought on the night before, so a post-purchase campaign (delay 1 day, no control group) plans
 * one touch each for the next morning's send time. Even customers take SMS, odd ones email (the campaign's
 * channels in order, by consent). Profiles go through the member-row validation; touches through the nightly's
 * own planning (planNightTouches: consent, send time, cap, record once, queue).
 */
export function touchLoadConfig(rates: { sms: number; email: number }): MomentsConfig {
  return parseConfig({
    brand: { name: 'Load', timeZone: 'Asia/Shanghai' },
    contactPolicy: { sendRatePerSecond: rates, sendAt: '10:00', quietHours: { start: '21:00', end: '09:00' }, emailFrom: 'care@load.example' },
    campaigns: [
      {
        id: 'thank-you',
        name: 'thanks',
        moment: 'post-purchase',
        enabled: true,
        priority: 10,
        channels: ['sms', 'email'],
        holdOut: 0,
        delayDays: 1,
        templates: {
          'zh-CN': {
            sms: '感谢您的惠顾，{{ customer.name }}。回T退订',
            email: { subject: '感谢您的惠顾', html: '<p>感谢您的惠顾，{{ customer.name }}</p>', text: '感谢您的惠顾，{{ customer.name }}' },
          },
        },
      },
    ],
  });
}

export const customerIdOf = (i: number) => `L${String(i).padStart(7, '0')}`;

/** Writes `n` member profiles, derives customers who bought on `purchaseDay`, and plans that night's touches. */
export async function planTouchLoad(
  n: number,
  deps: { customers: CustomerStore; touches: TouchStore; queue: TouchQueue; config: MomentsConfig },
  purchaseDay: string,
  onProgress?: (done: number) => void,
): Promise<{ night: string; planned: number; sms: number; email: number }> {
  const { config } = deps;
  // Delay 1 day: the touch is for the day after the purchase, planned by the night closing the purchase day
  // (lib/touches/moment-day.ts), sent that next morning.
  const night = purchaseDay;
  let planned = 0;
  let sms = 0;
  let done = 0;
  const ids = (function* () {
    for (let i = 1; i <= n; i++) yield i;
  })();
  await mapPool(ids, 16, async (i) => {
    const id = customerIdOf(i);
    const bySms = i % 2 === 0;
    const { profile } = parseMemberRow(
      {
        customer_id: id,
        name: `顾客${i}`,
        phone: `+86138${String(i).padStart(8, '0')}`,
        email: `c${i}@load.example`,
        sms_opt_in: bySms ? 'yes' : 'no',
        email_opt_in: 'yes',
      },
      { config, defaultVersionMs: Date.parse(`${purchaseDay}T00:00:00Z`), uploadMs: 0, line: i + 1, file: 'load-members.csv' },
    );
    await applyProfile(deps.customers, profile!);
    const order: OrderRecord = {
      key: `${id}-1`,
      orderId: `${id}-1`,
      customerId: id,
      kind: 'order',
      status: 'paid',
      orderedAt: Date.parse(`${purchaseDay}T04:00:00Z`),
      localDate: purchaseDay,
      amountMinor: 19_900,
      currency: 'CNY',
      storeId: 'S001',
      version: '000000000000000|load',
    };
    const { state, derived } = deriveFromOrders(id, [order], config, night);
    const touches = await planNightTouches(state, derived, 0, night, config, {
      store: deps.touches,
      queue: deps.queue,
      loadProfile: (c) => deps.customers.loadProfile(c),
      configVersion: 'load',
      now: (nt) => nightRunTime(nt, config),
    });
    for (const t of touches)
      if (t.status === 'planned') {
        planned++;
        if (t.channel === 'sms') sms++;
      }
    if (++done % 10_000 === 0) onProgress?.(done);
  });
  return { night, planned, sms, email: planned - sms };
}
