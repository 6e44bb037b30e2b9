/** One version of an order (or of a refund), as stored. Customer state is derived from these alone. */
export interface OrderRecord {
  /** Storage key within the customer: the order id, or `R#...` for refunds. */
  key: string;
  orderId: string;
  customerId: string;
  kind: 'order' | 'refund';
  /** For orders: paid or cancelled (void). Refunds are always 'refunded'. */
  status: 'paid' | 'cancelled' | 'refunded';
  /** Epoch ms of the order time. */
  orderedAt: number;
  /** Calendar date in the brand time zone. */
  localDate: string;
  /** Positive amount in minor units: order total, or the amount refunded. */
  amountMinor: number;
  currency: string;
  storeId?: string;
  channel?: string;
  region?: string;
  originalOrderId?: string;
  pointsRedeemed?: number;
  /** Product codes on the order, when the export has them (best-seller analysis). */
  products?: string[];
  /**
   * Sortable version: `<epoch ms of updated_at or export time, 15 digits>|<content hash>`.
   * A higher version replaces a lower one; equal versions are identical content.
   */
  version: string;
}

export interface RowError {
  line: number;
  column: string;
  value: string;
  reason: string;
}
