import type { RowError } from '../orders/order.ts';
import type { PutOutcome } from './ports.ts';

export interface ParsedRow {
  /** True when the row as a whole is rejected; otherwise `errors` are single values rejected. */
  rejectRow: boolean;
  errors: RowError[];
  apply?: () => Promise<PutOutcome | RowRefused>;
}

/** A valid row the store refused at write time (a member row of an erased customer): reported as rejected. */
export interface RowRefused {
  refused: RowError[];
}

/** What differs between order and member files: row validation, the write, and the per-customer finish. */
export interface RowHandler {
  missing: string[];
  ignored: string[];
  parse(fields: string[], line: number): ParsedRow;
  /** Customers touched, with whether this run wrote anything new for them. */
  touched(): Map<string, boolean>;
  finish(customerId: string, wrote: boolean, asOf: string): Promise<void>;
}
