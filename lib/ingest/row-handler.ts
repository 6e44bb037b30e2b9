import type { RowError } from '../orders/order.ts';
import type { AnonymousSales } from './ports.ts';

/** A valid row the store refused at write time (a member row of an erased customer): reported as rejected. */
export interface RowRefused {
  refused: RowError[];
}

/** What differs between order and member files: row validation, the write, and the per-customer finish. */
export interface RowHandler<T extends object = object> {
  missing: string[];
  ignored: string[];
  /**
   * Validates one row: the item to apply, or (an array) the errors that reject the whole row. Single values
   * rejected while the rest of the row is applied (members) go to `onFieldErrors`.
   */
  parse(fields: string[], line: number, onFieldErrors: (errors: RowError[]) => void): T | RowError[];
  /**
   * Stores a batch of validated items (conditional writes; `lines` gives each item's line): how many were already
   * stored ('unchanged'), and the rows refused at write time (rows of earlier batches included: a later row can
   * overrule one already applied). Orders also count rows replaced by a later one and unmatched refunds (FileSummary).
   */
  applyAll(items: T[], lines: number[]): Promise<{ unchanged: number; refused: RowError[][]; replaced?: number; unmatchedRefunds?: number }>;
  /** Customers touched, with whether this run wrote anything new for them. */
  touched(): Map<string, boolean>;
  /** Recomputes the customer; says why, when some of its orders are not counted (lib/state/exact-totals.ts). */
  finish(customerId: string, wrote: boolean, asOf: string): Promise<string | undefined>;
  /** Orders: the applied items by currency (FileSummary.currencies). */
  currencies?(): Record<string, number>;
  /** Orders: the applied rows under brand.anonymousCustomerIds (FileSummary.anonymous), when there were any. */
  anonymous?(): AnonymousSales | undefined;
}
