import { describe, expect, it } from 'vitest';
import { differenceOfMeans, stats } from '../../lib/results/effect.ts';
import { mulberry32 } from '../../lib/sample/generate-sample.ts';

describe('effect estimate', () => {
  it('on simulated campaigns with a known true effect, the 95% interval covers it about 95% of the time', () => {
    const rnd = mulberry32(2026);
    const trueEffect = 12; // yuan per targeted customer
    let covered = 0;
    const runs = 600;
    for (let r = 0; r < runs; r++) {
      // Revenue is mostly zero with a heavy tail, as after a real touch; 10% held out.
      const draw = (extra: number) => (rnd() < 0.15 ? 80 + -Math.log(1 - rnd()) * 300 : 0) + (rnd() < 0.1 ? extra * 10 : 0);
      const target = Array.from({ length: 1800 }, () => draw(trueEffect));
      const control = Array.from({ length: 200 }, () => draw(0));
      const d = differenceOfMeans(stats(target), stats(control))!;
      if (d.low <= trueEffect && trueEffect <= d.high) covered++;
    }
    const rate = covered / runs;
    // 95% nominal; with 600 runs the observed rate has a standard error of about 0.9 points.
    expect(rate).toBeGreaterThan(0.92);
    expect(rate).toBeLessThan(0.98);
  });
  it('needs two customers in each group', () => {
    expect(differenceOfMeans(stats([1]), stats([1, 2]))).toBeNull();
    expect(stats([2, 4])).toEqual({ n: 2, mean: 3, variance: 2 });
  });
});

import { campaignResults } from '../../lib/results/campaign-results.ts';
import { defaultConfig } from '../../lib/config/schema.ts';
import type { TouchRecord } from '../../lib/touches/touch.ts';
import type { CustomerState } from '../../lib/state/customer-state.ts';

describe('campaign results', () => {
  const touch = (id: string, status: TouchRecord['status'], day: string, channel: 'sms' | 'email' | null = 'sms'): TouchRecord => ({
    key: `${id}|c1|p`, customerId: id, campaignId: 'c1', moment: 'win-back', periodKey: 'p', channel, status, reason: '', plannedFor: `${day}T02:00:00.000Z`,
    usefulUntil: `${day}T23:00:00.000Z`, priority: 1, configVersion: 'v', timeZone: 'Asia/Shanghai', locale: 'zh-CN', vars: {}, decisions: [], rev: 1,
  });
  const state = (purchases: Record<string, number>) => ({ purchaseDates: Object.keys(purchases).sort(), spendByDay: purchases }) as unknown as CustomerState;
  it('compares everyone assigned to the target (suppressed included) with the held-out group, over closed windows only', () => {
    const touches = [
      touch('a', 'sent', '2026-03-01'),
      touch('b', 'suppressed', '2026-03-01', null),
      touch('c', 'sent', '2026-03-01', 'email'),
      touch('d', 'held-out', '2026-03-01'),
      touch('e', 'held-out', '2026-03-01'),
      touch('f', 'sent', '2026-03-25'), // window still open on 2026-03-30
    ];
    const states = new Map([
      ['a', state({ '2026-03-05': 10_000 })],
      ['b', state({ '2026-02-01': 5_000 })],
      ['c', state({ '2026-03-20': 2_000 })], // after the 14-day window
      ['d', state({ '2026-03-03': 4_000 })],
      ['e', state({})],
      ['f', state({ '2026-03-26': 9_000 })],
    ]);
    const [r] = campaignResults(touches, states, defaultConfig, '2026-03-30', { windowDays: 14, priceSms: 0.05, priceEmail: 0.01 });
    expect(r).toMatchObject({ campaignId: 'c1', period: '2026-03', targeted: 3, heldOut: 2, sent: { sms: 1, email: 1 }, cost: '0.06' });
    expect(r!.conversion.targeted).toBeCloseTo(1 / 3);
    expect(r!.conversion.heldOut).toBeCloseTo(1 / 2);
    expect(r!.revenuePerCustomer).toMatchObject({ targeted: '33.33', heldOut: '20.00' });
    expect(r!.incrementalRevenue!.estimate).toBeCloseTo((100 / 3 - 20) * 3);
  });
});
