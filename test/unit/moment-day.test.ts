import fc from 'fast-check';
import { DateTime } from 'luxon';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, type MomentsConfig } from '../../lib/config/schema.ts';
import { validateConfigJson } from '../../lib/config/validate.ts';
import { advanceDerived, deriveFromOrders, type DerivedState } from '../../lib/derive/derive.ts';
import type { ProfileFields } from '../../lib/members/profile.ts';
import type { OrderRecord } from '../../lib/orders/order.ts';
import { advanceState } from '../../lib/state/advance-state.ts';
import type { CustomerState } from '../../lib/state/customer-state.ts';
import { planCustomerTouches } from '../../lib/touches/decide-plan.ts';
import { proposeTouches } from '../../lib/touches/plan.ts';
import { nightRunTime } from '../../lib/touches/timing.ts';
import type { TouchRecord } from '../../lib/touches/touch.ts';
import { earliestAllowed, inQuiet } from '../support/moment-day-oracle.ts';

/**
 * "A moment's day is the day the customer gets it": a simulated run of every night over random configurations,
 * zones and customers, waking the customer only when the due index says so (as the nightly does), and checking
 * the local day each touch is delivered on against the day it is for, computed here from the input rows.
 */

const example = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8'));

// Far ahead and far behind UTC, DST in both hemispheres, half-hour and 45-minute offsets, a 30-minute DST.
const ZONES = [
  'Asia/Shanghai',
  'America/New_York',
  'Pacific/Kiritimati',
  'Pacific/Pago_Pago',
  'Europe/London',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'America/St_Johns',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'America/Santiago',
  'UTC',
];
const FROM = '2026-01-01';
const TO = '2027-02-28';

const day = (d: DateTime) => d.toISODate()!;
const iso = (s: string) => DateTime.fromISO(s, { zone: 'UTC' });
const plusDays = (s: string, n: number) => day(iso(s).plus({ days: n }));
const daysFrom = (a: string, b: string) => Math.round(iso(b).diff(iso(a), 'days').days);
const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const dateIn = (from: string, to: string) => fc.integer({ min: 0, max: daysFrom(from, to) }).map((n) => plusDays(from, n));
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

const scenario = fc.record({
  brandZone: fc.constantFrom(...ZONES),
  customerZone: fc.option(fc.constantFrom(...ZONES), { nil: null }),
  storeZone: fc.option(fc.constantFrom(...ZONES), { nil: undefined }),
  nightlyAt: hhmm,
  sendAt: hhmm,
  quiet: fc.oneof(fc.constant({ start: '21:00', end: '09:00' }), fc.record({ start: hhmm, end: hhmm }).filter((q) => q.start !== q.end)),
  usefulDays: fc.integer({ min: 0, max: 4 }),
  daysBefore: fc.integer({ min: 0, max: 10 }),
  delayDays: fc.integer({ min: 1, max: 5 }),
  stageDelay: fc.integer({ min: 1, max: 4 }),
  dayOfMonth: fc.integer({ min: 1, max: 28 }),
  leadDays: fc.integer({ min: 0, max: 10 }),
  steps: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 3 }),
  // 29 February, month ends and the year's ends, or any day.
  birthday: fc.oneof(
    fc.constantFrom('1992-02-29', '--02-29', '1980-01-31', '1985-04-30', '1990-12-31', '2000-01-01', '--02-28', '1975-03-01'),
    dateIn('1970-01-01', '2004-12-31'),
  ),
  orderDays: fc.uniqueArray(dateIn('2025-06-01', '2027-03-31'), { minLength: 1, maxLength: 6 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function configOf(s: Scenario, cap = { maxTouches: 50, windowDays: 1 }): MomentsConfig {
  const params: Record<string, object> = {
    statement: { dayOfMonth: s.dayOfMonth, leadDays: s.leadDays },
    'points-expiry': { stepsDays: s.steps },
    'win-back': { delayDays: s.stageDelay },
    'tier-change': { delayDays: s.stageDelay },
    birthday: { daysBefore: s.daysBefore },
    'post-purchase': { delayDays: s.delayDays },
  };
  return parseConfig({
    ...example,
    brand: { ...example.brand, timeZone: s.brandZone },
    stores: [{ id: 'S1', name: 'store', ...(s.storeZone ? { timeZone: s.storeZone } : {}) }],
    nightly: { ...example.nightly, localTime: s.nightlyAt },
    // By default the cap is out of the way: the first property is about the day, the second about collisions.
    contactPolicy: { ...example.contactPolicy, sendAt: s.sendAt, quietHours: s.quiet, frequencyCap: cap },
    campaigns: example.campaigns.map((c: { moment: string }) => ({ ...c, ...(params[c.moment] ?? {}), enabled: true, holdOut: 0, usefulDays: s.usefulDays, channels: ['sms'], audience: {} })),
  });
}

function orderOn(d: string, i: number): OrderRecord {
  return { key: `O${i}`, orderId: `O${i}`, customerId: 'C1', kind: 'order', status: 'paid', orderedAt: Date.parse(`${d}T12:00:00Z`), localDate: d, amountMinor: 150_000 * (i + 1), currency: 'CNY', version: '0|x', storeId: 'S1' } as OrderRecord;
}

/** Every night from FROM to TO, the customer planned only on nights its due index (or a new order) wakes it. */
function simulate(s: Scenario, config: MomentsConfig) {
  const orders = [...s.orderDays].sort().map(orderOn);
  const orderDays = new Set(orders.map((o) => o.localDate));
  const profile: ProfileFields = {
    name: 'x', phone: '+8613812345678', email: null, birthday: s.birthday, locale: 'zh-CN', timeZone: s.customerZone,
    smsConsent: { optIn: true, at: '2020-01-01T00:00:00Z', source: 'm' }, emailConsent: null,
  } as ProfileFields;
  const facts = { birthday: s.birthday };
  let cur: { state: CustomerState; derived: DerivedState } = deriveFromOrders('C1', orders, config, plusDays(FROM, -1), undefined, facts);
  const log = new Map<string, TouchRecord>();
  const nights: Record<string, string> = {};
  for (let n = FROM; n <= TO; n = plusDays(n, 1)) {
    let due = orderDays.has(n);
    if (due) cur = deriveFromOrders('C1', orders, config, n, undefined, facts);
    else if (cur.derived.nextDue && cur.derived.nextDue <= n) {
      due = true;
      let { state, derived } = cur;
      while (derived.nextDue && derived.nextDue <= n) {
        state = advanceState(state, derived.nextDue);
        derived = advanceDerived(derived, state, derived.nextDue, config);
      }
      cur = { state: advanceState(state, n), derived };
    }
    if (!due || !cur.state.orderCount) continue;
    const proposals = proposeTouches({ state: cur.state, derived: cur.derived, profile, valueSegment: 'core' }, n, config).filter((p) => !log.has(p.key));
    const decided = planCustomerTouches(proposals, profile, [...log.values()], { config, configVersion: 'p', now: nightRunTime(n, config), storeZone: s.storeZone });
    for (const t of decided) {
      log.set(t.key, t);
      nights[t.key] = n;
    }
  }
  return { log, nights, orders };
}

/** The birthday moment day falling in year `y` (the period is the year of the day sent, daysBefore may cross it). */
function birthdayMomentIn(y: number, s: Scenario): string {
  const md = s.birthday.slice(-5);
  // 29 February is kept on 28 February in other years.
  const ofYear = (yy: number) => plusDays(md === '02-29' && !isLeap(yy) ? `${yy}-02-28` : `${yy}-${md}`, -s.daysBefore);
  return [ofYear(y), ofYear(y + 1)].find((d) => d.startsWith(String(y)))!;
}

/** The day a touch is for, from its period and the input rows (never from the planner's own dates). */
function intendedDay(t: TouchRecord, s: Scenario, config: MomentsConfig): string {
  const [what, at] = t.periodKey.split('@') as [string, string | undefined];
  switch (t.moment) {
    case 'birthday':
      return birthdayMomentIn(Number(t.periodKey), s);
    case 'post-purchase':
      return plusDays(t.periodKey, s.delayDays);
    case 'statement':
      return `${t.periodKey}-${String(s.dayOfMonth).padStart(2, '0')}`;
    case 'points-expiry': {
      const expires = day(iso(`${what}-01`).plus({ months: config.points.lotExpiryMonths }).endOf('month'));
      return plusDays(expires, -Number(at));
    }
    case 'second-purchase':
      return plusDays(t.periodKey, (config.campaigns.find((c) => c.moment === 'second-purchase') as { fromDay: number }).fromDay);
    case 'win-back':
      return plusDays(at!, s.stageDelay);
    case 'tier-change': {
      const warn = (config.campaigns.find((c) => c.moment === 'tier-change') as { downgradeWarningDays: number }).downgradeWarningDays;
      return what === 'up' ? plusDays(at!, s.stageDelay) : plusDays(at!, -warn);
    }
  }
  throw new Error(`no intended day for ${t.moment}`);
}

const farApart: Scenario = {
  brandZone: 'Pacific/Pago_Pago',
  customerZone: 'Pacific/Kiritimati',
  storeZone: undefined,
  nightlyAt: '02:30',
  sendAt: '10:00',
  quiet: { start: '21:00', end: '09:00' },
  usefulDays: 2,
  daysBefore: 3,
  delayDays: 2,
  stageDelay: 1,
  dayOfMonth: 1,
  leadDays: 7,
  steps: [30, 7],
  birthday: '1992-02-29',
  orderDays: ['2025-06-30', '2025-12-31', '2026-01-31', '2026-04-30'],
};

describe("a moment's day is the day the customer gets it", () => {
  it('every moment: delivered on its day D at sendAt in the customer zone, or later only for quiet hours or a plan made after D had begun, within usefulDays', () => {
    let onDay = 0;
    let aheadLate = 0;
    let aheadExpired = 0;
    const seen = new Set<string>();
    fc.assert(
      fc.property(scenario, (s) => {
        const config = configOf(s);
        const zone = s.customerZone ?? s.storeZone ?? s.brandZone;
        const { log, nights, orders } = simulate(s, config);
        for (const t of log.values()) {
          const d = intendedDay(t, s, config);
          const label = `${t.key} for ${d} in ${zone}, night ${nights[t.key]}`;
          expect(t.timeZone, label).toBe(zone);
          // Planned by the night closing D-1, which runs on D in the brand zone (the due index woke it then); a day
          // whose night came before the run is caught up by the run's first night, and judged from then on.
          // (The customer exists from its first order: a birthday just before it is caught up the same way.)
          const want = [plusDays(d, -1), FROM, orders[0]!.localDate].sort().at(-1);
          const night = nights[t.key]!;
          if (night !== want) {
            // Later only when an order in between made the customer eligible (points for a statement), and while useful.
            expect(orders.some((o) => o.localDate > want! && o.localDate <= night), label).toBe(true);
            expect(daysFrom(d, plusDays(night, 1)), label).toBeLessThanOrEqual(s.usefulDays);
          }
          const plannedAt = nightRunTime(nights[t.key]!, config).getTime();
          const e = earliestAllowed(d, zone, plannedAt, s.sendAt, s.quiet);
          // Useful for usefulDays after D; never past the lot's expiry or the day before the review it warns of;
          // the second-purchase nudge through its window.
          const step = Number(t.periodKey.split('@')[1]);
          const lastUseful =
            t.moment === 'second-purchase'
              ? plusDays(t.periodKey, (config.campaigns.find((c) => c.moment === 'second-purchase') as { toDay: number }).toDay)
              : [plusDays(d, s.usefulDays), ...(t.moment === 'points-expiry' ? [plusDays(d, step)] : []), ...(t.periodKey.startsWith('warn@') ? [plusDays(t.deadline!, -1)] : [])].sort()[0]!;
          const lateBy = day(e) > lastUseful;
          const lead = t.deadline && t.moment === 'statement' ? daysFrom(day(e), t.deadline) < s.leadDays : false;
          seen.add(t.moment);
          if (lateBy || lead) {
            if (DateTime.fromMillis(plannedAt, { zone }).toISODate()! > d && /had ended/.test(t.reason)) aheadExpired++;
            expect(t.status, label).toBe('expired');
            expect(t.reason.length, label).toBeGreaterThan(10);
            continue;
          }
          expect(t.status, label).toBe('planned');
          const at = DateTime.fromISO(t.plannedFor, { zone });
          // Never earlier than the earliest allowed instant, on the same local day as it.
          expect(at.toMillis(), label).toBeGreaterThanOrEqual(e.toMillis());
          expect(day(at), label).toBe(day(e));
          expect(inQuiet(at, s.quiet), label).toBe(false);
          if (day(at) === d) onDay++;
          else {
            // Later than D only with a reason on record: quiet hours, or D already over where the customer is.
            expect(t.decisions.some((x) => x.status === 'deferred' && /quiet hours|had ended/.test(x.reason)), label).toBe(true);
            if (DateTime.fromMillis(plannedAt, { zone }).toISODate()! > d) aheadLate++;
          }
          // On time when nothing stands in the way: D at sendAt exactly.
          const onTime = DateTime.fromISO(`${d}T${s.sendAt}`, { zone });
          if (onTime.toMillis() >= plannedAt && !inQuiet(onTime, s.quiet)) expect(at.toMillis(), label).toBe(onTime.toMillis());
        }
        // Completeness, from the rows: every birthday and every order's post-purchase whose planning night lies
        // in the run has its touch (the due index woke the customer on the right night).
        const keys = new Set([...log.values()].map((t) => `${t.moment}:${t.periodKey}`));
        for (let y = 2026; y <= 2027; y++) {
          const night = plusDays(birthdayMomentIn(y, s), -1);
          if (night >= FROM && night <= TO && orders.some((o) => o.localDate <= night)) expect(keys.has(`birthday:${y}`), `birthday ${y}`).toBe(true);
        }
        const days = [...new Set(orders.map((o) => o.localDate))].sort();
        for (const o of days) {
          const night = plusDays(o, s.delayDays - 1);
          // Only the latest order is followed up: a later order before the planning night replaces it.
          if (night < FROM || night > TO || days.some((x) => x > o && x <= night)) continue;
          expect(keys.has(`post-purchase:${o}`), `post-purchase ${o}`).toBe(true);
        }
      }),
      {
        numRuns: 40,
        seed: 20261203,
        // Always among the cases: a brand at UTC-11 and a customer at UTC+14, whose day D is over when the brand's
        // night closing D-1 runs; and New York against Shanghai across a DST change, with 29 February.
        examples: [
          [{ ...farApart, brandZone: 'Pacific/Pago_Pago', customerZone: 'Pacific/Kiritimati' }],
          [{ ...farApart, brandZone: 'Pacific/Pago_Pago', customerZone: 'Pacific/Kiritimati', usefulDays: 0 }],
          [{ ...farApart, brandZone: 'Asia/Shanghai', customerZone: 'America/New_York', birthday: '--02-29', daysBefore: 0, orderDays: ['2026-03-07', '2026-10-31'] }],
        ],
      },
    );
    expect(onDay).toBeGreaterThan(100);
    expect(aheadLate).toBeGreaterThan(0);
    expect(aheadExpired).toBeGreaterThan(0);
    // Every moment was exercised.
    expect([...seen].sort()).toEqual(['birthday', 'points-expiry', 'post-purchase', 'second-purchase', 'statement', 'tier-change', 'win-back']);
  });
  it('under a tight frequency cap a touch moves only forward, day by day, within its useful date, else is logged expired', () => {
    let moved = 0;
    let expired = 0;
    fc.assert(
      fc.property(scenario, fc.record({ maxTouches: fc.integer({ min: 1, max: 2 }), windowDays: fc.integer({ min: 1, max: 7 }) }), (s, cap) => {
        const config = configOf(s, cap);
        const zone = s.customerZone ?? s.storeZone ?? s.brandZone;
        const { log, nights } = simulate(s, config);
        const sent: number[] = [];
        for (const t of log.values()) {
          const d = intendedDay(t, s, config);
          const label = `${t.key} for ${d} in ${zone}, night ${nights[t.key]}`;
          const e = earliestAllowed(d, zone, nightRunTime(nights[t.key]!, config).getTime(), s.sendAt, s.quiet);
          if (t.status === 'expired') {
            expired++;
            expect(t.reason, label).toMatch(/useful date|deadline|had ended/);
            continue;
          }
          expect(t.status, label).toBe('planned');
          const at = DateTime.fromISO(t.plannedFor, { zone });
          // Never earlier than the uncapped time, never in quiet hours, never after its useful date.
          expect(at.toMillis(), label).toBeGreaterThanOrEqual(e.toMillis());
          expect(inQuiet(at, s.quiet), label).toBe(false);
          expect(t.plannedFor <= t.usefulUntil, label).toBe(true);
          if (day(at) !== day(e)) {
            moved++;
            expect(t.decisions.some((x) => x.status === 'deferred' && /frequency cap/.test(x.reason)), label).toBe(true);
          }
          sent.push(at.toMillis());
        }
        // And the cap holds over what was planned.
        sent.sort((a, b) => a - b);
        for (let i = cap.maxTouches; i < sent.length; i++) expect(sent[i]! - sent[i - cap.maxTouches]!).toBeGreaterThanOrEqual(cap.windowDays * 86_400_000);
      }),
      { numRuns: 25, seed: 11 },
    );
    expect(moved).toBeGreaterThan(0);
    expect(expired).toBeGreaterThan(0);
  });
  it('a delay of 0 days after an order, a stage or an upgrade is a configuration error naming the field: that day closes only at its night', () => {
    for (const moment of ['post-purchase', 'win-back', 'tier-change']) {
      const i = example.campaigns.findIndex((c: { moment: string }) => c.moment === moment);
      const json = { ...example, campaigns: example.campaigns.map((c: object, j: number) => (j === i ? { ...c, delayDays: 0 } : c)) };
      const errors = validateConfigJson(json).errors;
      const error = errors.find((e) => e.startsWith(`$.campaigns[${i}].delayDays`));
      expect(error, `${moment}: ${errors.join('; ')}`).toContain('at least 1: the day of the');
      expect(error).toContain('the next day is the earliest it can be delivered');
    }
  });
});
