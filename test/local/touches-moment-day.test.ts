import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocal } from '../../lib/cli/local-runtime.ts';
import { localTouches } from '../../lib/cli/local-touches.ts';
import { simulate } from '../../lib/cli/simulate.ts';
import { validateConfigJson } from '../../lib/config/validate.ts';
import { readSnsMessages } from '../../lib/local/sns-stub.ts';
import type { TouchRecord } from '../../lib/touches/touch.ts';
import { tempHome } from '../support/local-home.ts';
import { earliestAllowed, planningInstant } from '../support/moment-day-oracle.ts';

/**
 * Through the local stack: members in six zones, a brand in New York (DST starts 2026-03-08), three weeks of
 * nights. Every message SES and the SMS stub received is matched to its touch and its local day (customer zone,
 * from the member file) compared with the day the moment is for, worked out here from the member and order rows.
 */

const t = tempHome();
afterAll(() => t.cleanup());

const BRAND = 'America/New_York';
const FROM = '2026-02-18';
const TO = '2026-03-12';
const ZONES = ['America/New_York', 'Asia/Shanghai', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Europe/London', 'Australia/Lord_Howe'];
// 29 February (28th in 2026), a month end, the statement day, the DST change, an ordinary day.
const BIRTHDAYS = ['1992-02-29', '1988-02-28', '1990-03-01', '1985-03-08', '1979-02-21'];

const iso = (s: string) => DateTime.fromISO(s, { zone: 'UTC' });
const plusDays = (s: string, n: number) => iso(s).plus({ days: n }).toISODate()!;

interface Member {
  id: string;
  zone: string;
  birthday: string;
  /** Orders as [date, amount]; date-only, so brand-local days. */
  orders: [string, string][];
}

function members(): Member[] {
  const out: Member[] = [];
  ZONES.forEach((zone, z) =>
    BIRTHDAYS.forEach((birthday, b) => {
      const n = z * BIRTHDAYS.length + b;
      // Lots: Feb 2025 expires 2026-02-28 (7-day reminder 02-21), Mar 2025 expires 2026-03-31 (30-day one 03-01);
      // every balance on 03-01 is above the statement's minimum of 100 points.
      const history: [string, string][] = [
        ['2025-02-15', '120.00'],
        ['2025-03-20', '280.00'],
      ];
      // Some buy during the run (thank-you the next day), some made a single first purchase (nudge on day 15).
      const orders: [string, string][] = n % 3 === 0 ? [['2026-02-05', '190.00']] : n % 3 === 1 ? [...history, [plusDays(FROM, n % 17), '50.00']] : history;
      out.push({ id: `Z${n}`, zone, birthday, orders });
    }),
  );
  return out;
}

/** The day each kind of touch is for, from the rows. */
function intendedDay(tr: TouchRecord, m: Member): string {
  switch (tr.moment) {
    case 'birthday':
      return m.birthday.endsWith('02-29') ? '2026-02-28' : `2026-${m.birthday.slice(5)}`;
    case 'statement':
      return `${tr.periodKey}-01`;
    case 'points-expiry': {
      const [month, step] = tr.periodKey.split('@') as [string, string];
      return iso(`${month}-01`).plus({ months: 12 }).endOf('month').minus({ days: Number(step) }).toISODate()!;
    }
    case 'post-purchase':
      return plusDays(tr.periodKey, 1);
    case 'second-purchase':
      return plusDays(m.orders[0]![0], 15);
    default:
      throw new Error(`unexpected moment ${tr.moment}`);
  }
}

describe("through the local stack: each message arrives on its moment's day in the customer's zone", () => {
  it('SES and the SMS stub received every moment on its day D (or, where D was already over or in quiet hours when planned, on the first allowed day, with the reason)', { timeout: 300_000 }, async () => {
    const example = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8'));
    const checked = validateConfigJson({
      ...example,
      brand: { ...example.brand, timeZone: BRAND },
      stores: [],
      contactPolicy: { ...example.contactPolicy, frequencyCap: { maxTouches: 10, windowDays: 1 } },
      // Stage and tier moments depend on the lifecycle rules; the property test covers them. Everything else on.
      campaigns: example.campaigns.map((c: { moment: string }) => ({ ...c, holdOut: 0, enabled: !['win-back', 'tier-change'].includes(c.moment) })),
    });
    expect(checked.errors).toEqual([]);
    const config = checked.config!;
    const policy = config.contactPolicy;
    const ms = members();
    const files = join(t.home, 'files');
    mkdirSync(files, { recursive: true });
    const membersFile = join(files, 'members.csv');
    writeFileSync(
      membersFile,
      'customer_id,name,phone,email,sms_opt_in,email_opt_in,birthday,time_zone\n' +
        // Everyone reachable both ways: each campaign's own channel order picks SMS or email.
        ms.map((m, i) => `${m.id},会员${i},+86 138 0000 ${String(1000 + i)},${m.id.toLowerCase()}@example.com,1,1,${m.birthday},${m.zone}`).join('\n') +
        '\n',
    );
    // Every order in the first day's export (late history is fine), except those bought during the run.
    const byDay = new Map<string, string[]>();
    let o = 0;
    for (const m of ms)
      for (const [d, amount] of m.orders) {
        const file = d >= FROM ? d : FROM;
        byDay.set(file, [...(byDay.get(file) ?? []), `O${o++},${m.id},${d},${amount}`]);
      }
    for (const [d, rows] of byDay) writeFileSync(join(files, `orders-${d}.csv`), 'order_id,customer_id,ordered_at,amount\n' + rows.join('\n') + '\n');

    process.env['MOMENTS_HOME'] = join(t.home, 'state');
    const rt = await openLocal({ asOf: FROM });
    try {
      await rt.adapters.config.activate(config, 'day-v1');
      await simulate(rt, { ordersDir: files, membersFile, from: FROM, to: TO, config, configVersion: 'day-v1' });

      const local = localTouches(rt);
      const touches = new Map<string, TouchRecord>();
      for await (const x of local.store.scan()) touches.set(x.messageId ?? `-${x.key}`, x);
      local.close();
      const sms = readSnsMessages(rt.stack.home);
      const emails = ((await (await fetch(`${rt.stack.endpoints.ses}/store`)).json()) as { emails: { messageId: string }[] }).emails;
      const received = [...sms.map((m) => m.messageId), ...emails.map((m) => m.messageId)];
      const byId = new Map(ms.map((m) => [m.id, m]));
      const seen = new Map<string, number>();
      let onDay = 0;
      let later = 0;
      for (const id of received) {
        const tr = touches.get(id);
        expect(tr, `message ${id} has its touch`).toBeDefined();
        const m = byId.get(tr!.customerId)!;
        const d = intendedDay(tr!, m);
        // The night closing D-1 runs on D in the brand zone (or the run's first night, for a day before it).
        const plannedAt = planningInstant(d < plusDays(FROM, 1) ? plusDays(FROM, 1) : d, BRAND, config.nightly.localTime);
        const want = earliestAllowed(d, m.zone, plannedAt, policy.sendAt, policy.quietHours).toISODate()!;
        const got = DateTime.fromISO(tr!.sentAt!, { zone: m.zone }).toISODate()!;
        const label = `${tr!.key} (${m.zone}) for ${d}`;
        expect(got, label).toBe(want);
        if (got === d) onDay++;
        else {
          later++;
          expect(tr!.decisions.some((x) => x.status === 'deferred' && /quiet hours|had ended/.test(x.reason)), label).toBe(true);
        }
        seen.set(tr!.moment, (seen.get(tr!.moment) ?? 0) + 1);
      }
      // Every moment due in the run was received: each member's birthday, the March statement and 30-day reminder,
      // the 7-day reminder of 02-21, the thank-you after each order in the run, the nudge of day 15.
      for (const m of ms) {
        const mine = [...touches.values()].filter((x) => x.customerId === m.id && x.status === 'sent').map((x) => `${x.moment}:${intendedDay(x, m)}`);
        const birthday = m.birthday.endsWith('02-29') ? '2026-02-28' : `2026-${m.birthday.slice(5)}`;
        const expected = [`birthday:${birthday}`];
        if (m.orders.length > 1) expected.push('statement:2026-03-01', 'points-expiry:2026-03-01', 'points-expiry:2026-02-21');
        else expected.push('second-purchase:2026-02-20', 'statement:2026-03-01');
        for (const [d] of m.orders) if (d >= FROM && d < TO) expected.push(`post-purchase:${plusDays(d, 1)}`);
        const why = JSON.stringify([...touches.values()].filter((x) => x.customerId === m.id).map((x) => [x.key, x.status, x.decisions.map((y) => y.reason)]));
        for (const e of expected) expect(mine, `${m.id} (${m.zone}) received ${e}: ${why}`).toContain(e);
      }
      expect([...seen.keys()].sort()).toEqual(['birthday', 'points-expiry', 'post-purchase', 'second-purchase', 'statement']);
      expect(onDay).toBeGreaterThan(later);
      // Kiritimati (UTC+14) is 19 hours ahead of New York: the night closing D-1 runs in its evening quiet hours.
      expect(later).toBeGreaterThan(0);
    } finally {
      await rt.close();
    }
  });
});
