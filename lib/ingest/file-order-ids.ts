import type { OrderRecord, RowError } from '../orders/order.ts';

/**
 * What one file says about its order ids (issue 12, items 2 and 3). Order ids are brand-wide: an id names one order of
 * one customer. Rows are seen in file order; for each, and for an earlier row it overrules, a decision:
 * - a later row of the same order, customer and version with other content replaces the earlier one (the later row in
 *   the file wins: two stores' `1001` for one customer too), its version chained just above the earlier one's;
 * - a later version under another customer moves the order: the earlier customer's row is dropped;
 *   an earlier version under another customer changes nothing (counted unchanged);
 * - the same version under two customers: neither row is applied, both are rejected with the reason;
 * - a refund naming an original order of this file that belongs to another customer is rejected.
 * The ingest applies these as it streams (lib/ingest/orders-rows.ts); a file split into parts has them worked out for
 * the whole file when it is planned (lib/ingest/split-file.ts), so its parts decide as the whole file would.
 */
export type Decision =
  /** Write the row with this version instead of its own; `replaced` when it replaced an earlier row. */
  | { v: string; replaced?: true }
  /** Not written: an earlier version than the file's own for the order ('unchanged'), or a row replaced by a later one.
   * `replaced` when the row had itself replaced an earlier one before it was overruled (a plan's decisions keep it). */
  | { skip: 'unchanged' | 'replaced'; replaced?: true }
  | { reject: RowError[]; replaced?: true };

interface Said {
  customerId: string;
  version: string;
  line: number;
  currency: string;
  contested: boolean;
  /** Later lines with the same content as `line`: a decision about that row is about them too. */
  dups?: number[];
}

/** The epoch-ms part of a version (lib/orders/order.ts): the first 15 characters. */
const timeOf = (version: string) => version.slice(0, 15);
/** The content-hash part of a plain version. */
const hashOf = (version: string) => version.slice(16);

/**
 * A later row of the same order and version: the earlier version with the row's own hash appended sorts just above it
 * (a longer string with the same beginning) and below anything that was above it; a re-upload computes the same.
 */
const chained = (earlier: string, later: string) => `${earlier}~${hashOf(later)}`;

/** An earlier row a decision is about: where it is and what was stored for it. */
export interface Overruled {
  line: number;
  customerId: string;
  key: string;
  version: string;
  currency: string;
}

export class FileOrderIds {
  private readonly said = new Map<string, Said>();

  /**
   * The decision for row `o` at `line` (undefined: write it as it is), after calling `overrule` for an earlier row it
   * changes the decision of.
   */
  see(o: OrderRecord, line: number, overrule: (earlier: Overruled, d: Decision) => void): Decision | undefined {
    if (o.kind !== 'order') return o.originalOrderId ? this.refund(o, line) : undefined;
    const p = this.said.get(o.key);
    const fresh = () => void this.said.set(o.key, { customerId: o.customerId, version: o.version, line, currency: o.currency, contested: false });
    if (!p) return fresh();
    const overruleAll = (d: (line: number) => Decision) => {
      for (const l of [p.line, ...(p.dups ?? [])]) overrule({ line: l, customerId: p.customerId, key: o.key, version: p.version, currency: p.currency }, d(l));
      delete p.dups;
    };
    const t = timeOf(o.version);
    const pt = timeOf(p.version);
    if (t < pt) return p.customerId !== o.customerId || p.contested ? { skip: 'unchanged' } : undefined;
    if (t > pt) {
      if (p.customerId !== o.customerId && !p.contested) overruleAll(() => ({ skip: 'unchanged' }));
      return fresh();
    }
    if (p.contested)
      return { reject: [{ line, column: 'order_id', value: o.orderId, reason: `order ${o.orderId} is under two customers in this version (line ${p.line}): not applied` }] };
    if (p.customerId !== o.customerId) {
      overruleAll((l) => ({ reject: contested(l, o.orderId, o.customerId, line) }));
      p.contested = true;
      return { reject: contested(line, o.orderId, p.customerId, p.line) };
    }
    if (o.version === p.version) {
      // An identical duplicate: the store says unchanged.
      (p.dups ??= []).push(line);
      return undefined;
    }
    // The same content as the row that currently wins: the same version as it (unchanged), not a replacement.
    if (p.version.endsWith(hashOf(o.version))) {
      (p.dups ??= []).push(line);
      return { v: p.version };
    }
    overruleAll(() => ({ skip: 'replaced' }));
    p.version = chained(p.version, o.version);
    p.line = line;
    p.currency = o.currency;
    return { v: p.version, replaced: true };
  }

  /** A refund whose original is an order of this file under another customer. */
  private refund(o: OrderRecord, line: number): Decision | undefined {
    const owner = this.said.get(o.originalOrderId!);
    if (!owner || owner.contested || owner.customerId === o.customerId) return undefined;
    return {
      reject: [
        {
          line,
          column: 'original_order_id',
          value: o.originalOrderId!,
          reason: `order ${o.originalOrderId} belongs to customer ${owner.customerId} (line ${owner.line}), not ${o.customerId}: the refund is not applied`,
        },
      ],
    };
  }
}

function contested(line: number, id: string, other: string, otherLine: number): RowError[] {
  return [
    {
      line,
      column: 'order_id',
      value: id,
      reason: `order ${id} is under customer ${other} too (line ${otherLine}), in the same version: an order id belongs to one customer, neither row is applied`,
    },
  ];
}
