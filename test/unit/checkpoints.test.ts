import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/schema.ts';
import type { OrderRecord } from '../../lib/orders/order.ts';
import { configKey, fitFolds, foldsFromJson, foldsToJson, MAX_FOLDS_BYTES } from '../../lib/state/checkpoints.ts';
import { deriveFromOrders } from '../../lib/derive/derive.ts';
import { foldOrders } from '../../lib/state/state-fold.ts';
import { addDays } from '../../lib/time.ts';

describe('fitFolds: checkpoints never push the state item past DynamoDB 400 KB', () => {
  const config = parseConfig({});
  const history = (refunds: number): OrderRecord[] =>
    Array.from({ length: refunds }, (_, i): OrderRecord[] => {
      const date = addDays('2024-01-01', i % 700);
      const base = { customerId: 'C', orderedAt: Date.parse(`${date}T03:00:00Z`), localDate: date, currency: 'CNY', version: '0|x' };
      return [
        { ...base, key: `O${i}`, orderId: `O${i}`, kind: 'order', status: 'paid', amountMinor: 10_000 },
        { ...base, key: `R#${i}`, orderId: `R${i}`, kind: 'refund', status: 'refunded', amountMinor: 1_000, originalOrderId: `O${i}`, orderedAt: base.orderedAt + 1 },
      ];
    }).flat();

  it('keeps the checkpoints of an ordinary long history, drops those of one with very many refunds naming originals', () => {
    const small = { key: configKey(config), head: foldOrders(undefined, history(100), config, '2026-01-01').fold };
    expect(fitFolds(small)).toBe(small);
    // One entry per original named by a refund: 10,000 of them are past the budget.
    const large = { key: configKey(config), head: foldOrders(undefined, history(10_000), config, '2026-01-01').fold };
    expect(Buffer.byteLength(JSON.stringify(large))).toBeGreaterThan(MAX_FOLDS_BYTES);
    expect(fitFolds(large)).toBeUndefined();
    expect(fitFolds(undefined)).toBeUndefined();
  });

  it('stores the fold once when the derivation ended where the state did (after a night), and reads back the same', () => {
    const orders = history(300);
    const cp = deriveFromOrders('C', orders, config, '2026-01-01').checkpoint;
    const same = { key: configKey(config), head: cp.fold, derive: cp, deriveKey: 'k' };
    const text = foldsToJson(same);
    expect(JSON.stringify(foldsFromJson(text))).toBe(JSON.stringify(same));
    expect(text.length).toBeLessThan(JSON.stringify(same).length - 0.9 * JSON.stringify(cp.fold).length);
    expect(foldsFromJson(text).derive!.fold).not.toBe(foldsFromJson(text).head);
    // Different folds: both kept.
    const other = { ...same, head: foldOrders(undefined, orders, config, '2026-02-01').fold };
    expect(foldsToJson(other)).toBe(JSON.stringify(other));
    expect(JSON.stringify(foldsFromJson(foldsToJson(other)))).toBe(JSON.stringify(other));
  });
});
