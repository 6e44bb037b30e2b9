import type { MomentsConfig } from '../config/schema.ts';
import { deriveFromOrders, healthContribution } from '../derive/derive.ts';
import type { HealthMark } from '../ingest/ports.ts';
import { applyContribution, emptyTotals } from '../nightly/health.ts';
import type { NightlyLedger } from '../nightly/ports.ts';
import { shardOf, SHARDS } from '../nightly/shard.ts';
import type { OrderRecord } from '../orders/order.ts';
import { mapPool } from '../pool.ts';
import { mulberry32 } from '../sample/generate-sample.ts';
import { addDays } from '../time.ts';
import type { CustomerState } from '../state/customer-state.ts';
import type { DerivedState } from '../derive/derive.ts';

/**
 * A customer base as it stands after the night of CLOSED was closed, for nightly load runs (bench/nightly-cost.ts,
 * bench/load-nightly.ts, test/local/load-nightly.test.ts): state items only, derived from generated orders.
 */
export const CLOSED = '2026-06-29';
export const NIGHT = '2026-06-30';

/** Mostly one or two purchases, a few regulars; first purchase up to three years back. */
export function customerOrders(id: string, rnd: () => number): OrderRecord[] {
  const n = rnd() < 0.6 ? 1 : rnd() < 0.8 ? 2 + Math.floor(rnd() * 2) : 4 + Math.floor(rnd() * 8);
  let day = -Math.floor(rnd() * 1095) - 1;
  const out: OrderRecord[] = [];
  for (let i = 0; i < n && day < 0; i++) {
    const date = addDays(CLOSED, day + 1);
    out.push({
      key: `${id}-${i}`,
      orderId: `${id}-${i}`,
      customerId: id,
      kind: 'order',
      status: 'paid',
      orderedAt: Date.parse(`${date}T04:00:00Z`),
      localDate: date,
      amountMinor: 5_000 + Math.floor(rnd() * 150_000),
      currency: 'CNY',
      storeId: `S${String(1 + Math.floor(rnd() * 9)).padStart(3, '0')}`,
      version: '000000000000000|bench',
    });
    day += 7 + Math.floor(-Math.log(1 - rnd()) * 60);
  }
  return out;
}


export const baseCustomerId = (i: number) => String(i).padStart(8, '0');

/**
 * Writes customers 1..n (state, derived state, the health mark of CLOSED, the due date) through `save`, then the
 * shard totals of CLOSED and the cursor, as the night of CLOSED would have left them.
 */
export async function seedNightlyBase(
  n: number,
  config: MomentsConfig,
  save: (state: CustomerState, extras: { derived: DerivedState; health: HealthMark; dueDate: string | null }) => Promise<unknown>,
  ledger: NightlyLedger,
  opts: { concurrency?: number; onProgress?: (written: number) => void } = {},
): Promise<{ due: number }> {
  const rnd = mulberry32(20260630);
  const totals = Array.from({ length: SHARDS }, () => emptyTotals());
  let due = 0;
  let written = 0;
  const ids = (function* () {
    for (let i = 1; i <= n; i++) yield baseCustomerId(i);
  })();
  await mapPool(ids, opts.concurrency ?? 16, async (id) => {
    const r = deriveFromOrders(id, customerOrders(id, rnd), config, CLOSED);
    const contrib = healthContribution(r.state, CLOSED);
    applyContribution(totals[shardOf(id)]!, contrib, 1);
    if (r.derived.nextDue && r.derived.nextDue <= NIGHT) due++;
    await save(r.state, { derived: r.derived, health: { contrib, night: CLOSED, prev: null }, dueDate: r.derived.nextDue });
    if (++written % 100_000 === 0) opts.onProgress?.(written);
  });
  for (let s = 0; s < SHARDS; s++) await ledger.putShardTotals(s, CLOSED, totals[s]!, 0);
  await ledger.setCursor(CLOSED);
  return { due };
}
