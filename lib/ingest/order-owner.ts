import type { OrderOwner } from './ports.ts';

/**
 * Order ids are brand-wide (issue 12, item 2): an id names one order of one customer. Each order row an ingest would
 * write first claims its id's owner item, which keeps the highest version claimed and whose it is:
 * - no owner yet, or the same customer: the row is written (the order item's own conditional write keeps the highest
 *   version); the owner follows the highest version;
 * - a later version (by its time) under another customer moves the order: the owner becomes the row's customer and the
 *   earlier customer's copy is removed;
 * - an earlier version under another customer is superseded: not written, counted unchanged;
 * - the same time under another customer is contested: the row is rejected with the reason, the owner's copy is
 *   removed, and the id stays contested until a later version claims it.
 * The removals are conditional deletes of that version or lower (CustomerStore.removeOrder), so they are safe to repeat:
 * every claim repeats the last one (`prev`), which makes a retry after a crash finish a move it finds done. A row that
 * does not win removes its own copy, so one left by a crash goes; a writer checks the owner again after writing its
 * order (lib/ingest/orders-rows.ts), so one that lost a race goes too.
 * The result depends only on the set of rows claimed, not on their order (test/unit/ingest-properties.test.ts).
 *
 * Orders stored before owner items existed have none: the first claim of such an id starts its owner, and a copy under
 * another customer stays until that file is replayed (README, "How state stays exact").
 */
export interface ClaimResult {
  /** The owner after this row (undefined: unchanged). */
  next?: Omit<OrderOwner, 'rev'>;
  outcome: 'write' | 'superseded' | { reject: string };
  /**
   * Conditional removals (customer, version or lower of the order), all made after the owner item is written: a writer
   * that claimed before this one and writes its copy after this read is then either seen by it (its own check after
   * writing reads this owner) or removed by it. The previous owner's `prev` is removed again too (a retry finishing a
   * move), before the owner item that names it is replaced.
   */
  remove: { customerId: string; version: string }[];
  removePrev?: { customerId: string; version: string };
}

const timeOf = (version: string) => version.slice(0, 15);

export function claimOrder(owner: Omit<OrderOwner, 'rev'> | undefined, row: { customerId: string; version: string; orderId: string }, file: string, line: number): ClaimResult {
  if (!owner) return { next: { customerId: row.customerId, version: row.version, file, line }, outcome: 'write', remove: [] };
  const remove: ClaimResult['remove'] = [];
  const removePrev = owner.prev;
  const done = (r: Omit<ClaimResult, 'remove' | 'removePrev'>): ClaimResult => ({ ...r, remove, ...(removePrev ? { removePrev } : {}) });
  const t = timeOf(row.version);
  const ot = timeOf(owner.version);
  if (owner.customerId === row.customerId) {
    if (row.version <= owner.version) return done({ outcome: 'write' });
    return done({ next: { ...owner, version: row.version, file, line }, outcome: 'write' });
  }
  // Another customer, or nobody (contested).
  if (t > ot) {
    const prev = owner.customerId !== undefined ? { customerId: owner.customerId, version: owner.version } : owner.prev;
    if (owner.customerId !== undefined) remove.push({ customerId: owner.customerId, version: owner.version });
    return done({ next: { customerId: row.customerId, version: row.version, file, line, ...(prev ? { prev } : {}) }, outcome: 'write' });
  }
  remove.push({ customerId: row.customerId, version: row.version });
  if (t < ot) return done({ outcome: 'superseded' });
  if (owner.customerId === undefined)
    return done({ outcome: { reject: `order ${row.orderId} is under two customers in this version (${owner.file}, line ${owner.line}): not applied` } });
  remove.push({ customerId: owner.customerId, version: owner.version });
  const { customerId: other } = owner;
  return done({
    next: { version: owner.version, file: owner.file, line: owner.line, prev: { customerId: other, version: owner.version } },
    outcome: {
      reject: `order ${row.orderId} is under customer ${other} in the same version (${owner.file}, line ${owner.line}): an order id belongs to one customer, neither is applied`,
    },
  });
}
