import type { CustomerRecord } from '../ingest/ports.ts';
import type { ActiveModel } from '../derive/metrics.ts';
import { expectedPurchases, pAlive, rfmFromPurchaseDates } from '../model/bgnbd.ts';
import { valueSegment, type ValueCutoffs } from '../nightly/health.ts';

export interface ExportContext {
  model?: ActiveModel | undefined;
  cutoffs?: ValueCutoffs | undefined;
  /** The date pAlive and the expectation are stated for: the last closed night, else the state's own date. */
  asOf?: string | null | undefined;
}

const round = (x: number, d = 6) => Math.round(x * 10 ** d) / 10 ** d;

/** The customer export row (design.md "Contracts"): stable field names other tools rely on. */
export function customerExportRow(rec: CustomerRecord, ctx: ExportContext = {}): Record<string, unknown> {
  const s = rec.state!;
  const d = rec.derived;
  const date = ctx.asOf && ctx.asOf > s.asOf ? ctx.asOf : s.asOf;
  const obs = ctx.model ? rfmFromPurchaseDates(s.purchaseDates, date, ctx.model.unitDays) : undefined;
  return {
    customerId: s.customerId,
    firstOrderDate: s.firstOrderDate,
    lastOrderDate: s.lastOrderDate,
    firstOrderAmount: s.firstOrderAmount,
    firstOrderStoreId: s.firstOrderStoreId,
    orderCount: s.orderCount,
    purchaseDays: s.purchaseDays,
    totalSpend: s.totalSpend,
    currency: s.currency,
    ...(s.otherCurrencies ? { otherCurrencies: s.otherCurrencies } : {}),
    refundCount: s.refundCount,
    pointsBalance: s.pointsBalance,
    pointsExpiring: s.pointsExpiring,
    pointsExpiringSoon: d?.pointsExpiringSoon ?? null,
    homeStoreId: s.homeStoreId,
    region: s.region,
    tier: d?.tier?.tier ?? null,
    tierSince: d?.tier?.since ?? null,
    tierReviewOn: d?.tier?.reviewOn ?? null,
    valueSegment: rec.health ? valueSegment(rec.health.contrib.trailingSpendMinor, ctx.cutoffs) : null,
    stage: d?.stage ?? null,
    stageSince: d?.stageSince ?? null,
    stageRule: d?.stageRule ?? null,
    pAlive: ctx.model && obs ? round(pAlive(ctx.model.params, obs)) : null,
    expectedPurchases90d: ctx.model && obs ? round(expectedPurchases(ctx.model.params, obs, 90 / ctx.model.unitDays)) : null,
    asOf: s.asOf,
    // Orders left out so that the sums stay exact (lib/state/exact-totals.ts): the totals above do not include them.
    ...(s.uncounted ? { uncounted: s.uncounted } : {}),
  };
}
