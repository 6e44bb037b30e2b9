import type { CustomerState } from '../state/customer-state.ts';

/** The customer export row (design.md "Contracts"): stable field names other tools rely on. */
export function customerExportRow(s: CustomerState): Record<string, unknown> {
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
    homeStoreId: s.homeStoreId,
    region: s.region,
    asOf: s.asOf,
  };
}
