import type { MomentsConfig } from '../config/schema.ts';
import { minorDigits } from '../money.ts';
import type { CustomerState } from '../state/customer-state.ts';
import { addDays } from '../time.ts';
import { localDateOf } from '../touches/timing.ts';
import type { TouchRecord } from '../touches/touch.ts';
import { differenceOfMeans, stats, type Difference } from './effect.ts';

export interface CampaignResult {
  campaignId: string;
  /** Month the touches were planned for (YYYY-MM). */
  period: string;
  targeted: number;
  heldOut: number;
  sent: { sms: number; email: number };
  conversion: { targeted: number; heldOut: number; difference: Difference | null };
  revenuePerCustomer: { targeted: string; heldOut: string; difference: Difference | null };
  /** Incremental revenue over the whole targeted group (difference per customer x targeted), with its interval. */
  incrementalRevenue: Difference | null;
  /** Relative lift in conversion (targeted / held out - 1). */
  lift: number | null;
  cost: string;
  /** Incremental revenue per unit of send cost. */
  roi: number | null;
}

/**
 * Campaign results by intention to treat: every touch assigned to the target group (sent, suppressed, expired
 * or failed alike) against the control group the same hash held out, so the comparison is between two random
 * halves of one audience. A customer converts with a paid purchase within `windowDays` after the touch's planned
 * day; revenue is net spend in that window. Only touches whose window has closed by `asOf` count.
 */
export function campaignResults(
  touches: readonly TouchRecord[],
  states: ReadonlyMap<string, CustomerState>,
  config: MomentsConfig,
  asOf: string,
  opts: { windowDays: number; priceSms: number; priceEmail: number },
): CampaignResult[] {
  const digits = minorDigits(config.brand.currency);
  const groups = new Map<string, TouchRecord[]>();
  for (const t of touches) {
    const day = localDateOf(Date.parse(t.plannedFor), t.timeZone);
    if (addDays(day, opts.windowDays) > asOf) continue;
    const k = `${t.campaignId}|${day.slice(0, 7)}`;
    groups.set(k, [...(groups.get(k) ?? []), t]);
  }
  const out: CampaignResult[] = [];
  for (const [k, ts] of [...groups].sort()) {
    const [campaignId, period] = k.split('|') as [string, string];
    const outcome = (t: TouchRecord) => {
      const s = states.get(t.customerId);
      const from = localDateOf(Date.parse(t.plannedFor), t.timeZone);
      const to = addDays(from, opts.windowDays);
      let revenue = 0;
      let converted = false;
      for (const [d, v] of Object.entries(s?.spendByDay ?? {})) if (d > from && d <= to) revenue += v;
      for (const d of s?.purchaseDates ?? []) if (d > from && d <= to) converted = true;
      return { revenue: revenue / 10 ** digits, converted: converted ? 1 : 0 };
    };
    const target = ts.filter((t) => t.status !== 'held-out').map(outcome);
    const control = ts.filter((t) => t.status === 'held-out').map(outcome);
    const rT = stats(target.map((x) => x.revenue));
    const rC = stats(control.map((x) => x.revenue));
    const cT = stats(target.map((x) => x.converted));
    const cC = stats(control.map((x) => x.converted));
    const perCustomer = differenceOfMeans(rT, rC);
    const sms = ts.filter((t) => t.status === 'sent' && t.channel === 'sms').length;
    const email = ts.filter((t) => t.status === 'sent' && t.channel === 'email').length;
    const cost = sms * opts.priceSms + email * opts.priceEmail;
    const incremental = perCustomer && { estimate: perCustomer.estimate * rT.n, low: perCustomer.low * rT.n, high: perCustomer.high * rT.n };
    out.push({
      campaignId,
      period,
      targeted: rT.n,
      heldOut: rC.n,
      sent: { sms, email },
      conversion: { targeted: cT.mean, heldOut: cC.mean, difference: differenceOfMeans(cT, cC) },
      revenuePerCustomer: { targeted: rT.mean.toFixed(2), heldOut: rC.mean.toFixed(2), difference: perCustomer },
      incrementalRevenue: incremental,
      lift: cC.n > 0 && cC.mean > 0 ? cT.mean / cC.mean - 1 : null,
      cost: cost.toFixed(2),
      roi: incremental && cost > 0 ? incremental.estimate / cost : null,
    });
  }
  return out;
}
