import { randomUUID } from 'node:crypto';
import type { TouchQueue } from '../touches/ports.ts';
import type { BatchResult, QueueRecord } from '../touches/deliver.ts';

interface Item {
  messageId: string;
  body: string;
  notBefore: number;
  receiveCount: number;
}

/**
 * The touch queue of the local stack: SQS semantics that matter here (delivery not before a time, batches of
 * up to 10, a failed message redelivered after its delay, a dead-letter list after maxReceiveCount), driven by a
 * clock the caller moves, so a night's touches can be delivered at their planned local times in seconds.
 * Items are kept in a file under MOMENTS_HOME so they survive between CLI commands.
 */
export class LocalTouchQueue implements TouchQueue {
  items: Item[] = [];
  dlq: Item[] = [];

  constructor(private readonly maxReceiveCount = 5) {}

  async enqueue(keys: { key: string; notBefore: string }[]): Promise<void> {
    for (const k of keys) this.items.push({ messageId: randomUUID(), body: JSON.stringify({ key: k.key }), notBefore: Date.parse(k.notBefore), receiveCount: 0 });
  }

  /** Delivers, in time order, every message due up to `untilMs`; `setClock` is called with each batch's time. */
  async drain(untilMs: number, handle: (batch: QueueRecord[], clockMs: number) => Promise<BatchResult>): Promise<number> {
    let delivered = 0;
    for (;;) {
      this.items.sort((a, b) => a.notBefore - b.notBefore);
      const first = this.items[0];
      if (!first || first.notBefore > untilMs) return delivered;
      const clock = first.notBefore;
      const batch = this.items.filter((i) => i.notBefore <= clock).slice(0, 10);
      this.items = this.items.filter((i) => !batch.includes(i));
      for (const b of batch) b.receiveCount++;
      const res = await handle(batch.map((b) => ({ messageId: b.messageId, body: b.body, receiveCount: b.receiveCount })), clock);
      delivered += batch.length;
      for (const r of res.retry) {
        const item = batch.find((b) => b.messageId === r.messageId)!;
        // A wait (not yet, quiet hours, cap) is not a failure; only failures count towards the DLQ.
        if (r.failure && item.receiveCount >= this.maxReceiveCount) this.dlq.push(item);
        else this.items.push({ ...item, notBefore: clock + Math.max(1, r.afterSeconds) * 1000, receiveCount: r.failure ? item.receiveCount : 0 });
      }
    }
  }

  toJSON() {
    return { items: this.items, dlq: this.dlq };
  }

  static from(json: { items?: Item[]; dlq?: Item[] } | undefined, maxReceiveCount = 5): LocalTouchQueue {
    const q = new LocalTouchQueue(maxReceiveCount);
    q.items = json?.items ?? [];
    q.dlq = json?.dlq ?? [];
    return q;
  }
}
