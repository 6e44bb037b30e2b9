import type { CustomerState } from './customer-state.ts';

/**
 * Moves a customer's state to a later date when no order falls in between: only time-driven parts change
 * (points lots expiring). Equals computeCustomerState(orders, config, date) under that condition.
 */
export function advanceState(state: CustomerState, date: string): CustomerState {
  if (date <= state.asOf) return state;
  const expired = [...state.pointsExpired];
  const lots = [];
  for (const lot of state.pointsLots) {
    if (lot.expiresOn < date) {
      if (lot.remaining > 0) expired.push({ month: lot.month, points: lot.remaining, expiredOn: lot.expiresOn });
    } else lots.push(lot);
  }
  return {
    ...state,
    asOf: date,
    pointsLots: lots,
    pointsExpired: expired,
    pointsBalance: lots.reduce((s, l) => s + l.remaining, 0),
    pointsExpiring: lots.filter((l) => l.remaining > 0).map((l) => ({ points: l.remaining, expiresOn: l.expiresOn })),
  };
}
