import type { RowError } from '../orders/order.ts';

/**
 * The erasure tombstone kept on a customer's profile item once a personal-data erasure was requested. It holds
 * no personal data: when and under which request. While `complete` is false the erasure is under way (a rerun of
 * `moments customer erase` finishes it); either way the customer is treated as erased from the first write.
 */
export interface ErasureMark {
  at: string;
  requestId: string;
  complete: boolean;
}

/** The reason logged on every touch an erasure stopped (status suppressed). */
export const ERASED_REASON = 'erased';

/**
 * The reject-report entry for a member row of an erased customer: the row's personal data is not stored again.
 * Only the id is echoed (the other values are exactly what must not be kept).
 */
export function erasedMemberRow(customerId: string, mark: ErasureMark, line: number): RowError {
  return {
    line,
    column: 'customer_id',
    value: customerId,
    reason: `customer's personal data was erased on ${mark.at.slice(0, 10)} at their request (request ${mark.requestId}); member rows for this id are not applied`,
  };
}
