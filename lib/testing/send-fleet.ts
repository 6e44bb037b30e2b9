import type { LocalTouchQueue } from '../local/touch-queue.ts';
import type { MomentsConfig } from '../config/schema.ts';
import { handleTouchBatch } from '../touches/deliver.ts';
import { containerRate, SendPacer } from '../touches/send-pacer.ts';
import type { SendDeps } from '../touches/send.ts';

/**
 * The send side of the touch pipeline as it runs on AWS, on a simulated clock: SQS hands batches of up to
 * `batchSize` messages to at most `containers` send Lambdas at once; each container runs the real batch handler
 * (handleTouchBatch -> sendTouch, the store and the providers it is given) with the send handler's per-container
 * pacing (SendPacer at containerRate). What is simulated is time only: a pacing wait moves that container's clock
 * instead of sleeping, and storage and provider calls take no simulated time. Containers are served in the order
 * of their clocks (a discrete-event simulation), so one night of touches runs in the time the calls take.
 *
 * Queue semantics as the send handler uses SQS: a touch not yet due (or deferred) comes back as a new message
 * at its time; a failure comes back after the visibility timeout and, after `maxReceiveCount`, goes to the DLQ.
 */
export interface FleetOptions {
  containers: number;
  batchSize: number;
  /** Simulated time the fleet starts at (epoch ms). */
  startMs: number;
  /** Messages due after this are left in the queue. */
  untilMs?: number;
  visibilityTimeoutMs?: number;
  maxReceiveCount?: number;
  /** Called every 10,000 messages received, with the simulated time. */
  onProgress?: (received: number, simulatedMs: number) => void;
}

export interface FleetResult {
  /** Simulated time the last batch finished. */
  endMs: number;
  batches: number;
  /** Messages handed to a container, redeliveries included. */
  received: number;
  dlq: number;
  /** Final outcomes by status, as the handler reported them. */
  outcomes: Record<string, number>;
  /** Messages that were waits (not yet due, quiet hours, cap) and came back. */
  waits: number;
  /** Simulated ms each container spent on batches (the rest it was idle). */
  busyMs: number[];
}

type Item = LocalTouchQueue['items'][number];

export async function runSendFleet(
  queue: LocalTouchQueue,
  deps: Omit<SendDeps, 'now' | 'throttle' | 'sleep'> & { config: MomentsConfig },
  opts: FleetOptions,
): Promise<FleetResult> {
  const visibility = opts.visibilityTimeoutMs ?? 360_000;
  const maxReceive = opts.maxReceiveCount ?? 5;
  // Everything queued so far, in time order; what comes back during the run goes to `later` (kept sorted).
  const main = queue.items.splice(0).sort((a, b) => a.notBefore - b.notBefore);
  let head = 0;
  const later: Item[] = [];
  const putBack = (item: Item) => {
    let i = later.length;
    while (i > 0 && later[i - 1]!.notBefore > item.notBefore) i--;
    later.splice(i, 0, item);
  };
  const peek = (): number | undefined => {
    const a = main[head]?.notBefore;
    const b = later[0]?.notBefore;
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  };
  const take = (t: number, n: number): Item[] => {
    const out: Item[] = [];
    while (out.length < n) {
      const a = main[head];
      const b = later[0];
      const pick = a && (!b || a.notBefore <= b.notBefore) ? 'main' : b ? 'later' : undefined;
      const item = pick === 'main' ? a! : pick === 'later' ? b! : undefined;
      if (!item || item.notBefore > t) break;
      if (pick === 'main') head++;
      else later.shift();
      out.push(item);
    }
    return out;
  };

  const containers = Array.from({ length: opts.containers }, () => {
    const c = { t: opts.startMs, busy: 0, pacer: undefined as unknown as SendPacer };
    c.pacer = new SendPacer({ now: () => c.t, sleep: async (ms) => void (c.t += ms) });
    return c;
  });
  const rates = deps.config.contactPolicy.sendRatePerSecond;
  const result: FleetResult = { endMs: opts.startMs, batches: 0, received: 0, dlq: 0, outcomes: {}, waits: 0, busyMs: [] };
  const dlq: Item[] = [];
  for (;;) {
    const next = peek();
    if (next === undefined || (opts.untilMs !== undefined && next > opts.untilMs)) break;
    const c = containers.reduce((m, x) => (x.t < m.t ? x : m));
    if (c.t < next) c.t = next; // idle until the next message is visible
    const batch = take(c.t, opts.batchSize);
    for (const b of batch) b.receiveCount++;
    const started = c.t;
    const res = await handleTouchBatch(
      batch.map((b) => ({ messageId: b.messageId, body: b.body, receiveCount: b.receiveCount })),
      {
        ...deps,
        now: () => new Date(c.t),
        throttle: (ch) => c.pacer.wait(ch, containerRate(rates[ch], opts.containers)),
        sleep: async (ms) => void (c.t += ms),
      },
    );
    c.busy += c.t - started;
    result.batches++;
    if (Math.floor((result.received + batch.length) / 10_000) > Math.floor(result.received / 10_000)) opts.onProgress?.(result.received + batch.length, c.t);
    result.received += batch.length;
    result.endMs = Math.max(result.endMs, c.t);
    for (const o of res.outcomes)
      if ('done' in o.outcome && o.outcome.done) result.outcomes[o.outcome.status] = (result.outcomes[o.outcome.status] ?? 0) + 1;
    for (const r of res.retry) {
      const item = batch.find((b) => b.messageId === r.messageId)!;
      if (!r.failure) {
        // The handler acknowledges a wait and queues a new message delayed to the touch's time.
        result.waits++;
        putBack({ ...item, notBefore: c.t + Math.max(1, r.afterSeconds) * 1000, receiveCount: 0 });
      } else if (item.receiveCount >= maxReceive) dlq.push(item);
      else putBack({ ...item, notBefore: started + visibility });
    }
  }
  // What was not delivered stays queued.
  queue.items.push(...main.slice(head), ...later);
  queue.dlq.push(...dlq);
  result.dlq = dlq.length;
  result.busyMs = containers.map((c) => c.busy);
  return result;
}

/** The most events in any window of `windowMs` (half-open, starting anywhere): sorted times, two pointers. */
export function maxInWindow(times: number[], windowMs = 1000): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    while (s[i]! - s[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** What a load run's touch log says: final statuses, decisions per touch, and the busiest second per channel. */
export function touchLogFigures(touches: { key: string; status: string; channel: string | null; sentAt?: string; decisions: { status: string }[] }[]) {
  const FINAL = new Set(['sent', 'held-out', 'suppressed', 'expired', 'failed']);
  const byStatus: Record<string, number> = {};
  let notFinal = 0;
  let finalDecisionsNotOne = 0;
  const sentAt: Record<string, number[]> = { sms: [], email: [] };
  for (const t of touches) {
    byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
    if (!FINAL.has(t.status)) notFinal++;
    // Exactly one final decision: a touch is never sent (or refused) twice.
    if (t.decisions.filter((d) => FINAL.has(d.status)).length !== 1) finalDecisionsNotOne++;
    if (t.status === 'sent' && t.channel && t.sentAt) sentAt[t.channel]!.push(Date.parse(t.sentAt));
  }
  const span = (xs: number[]) => (xs.length ? Math.max(...xs) - Math.min(...xs) : 0);
  return {
    touches: touches.length,
    byStatus,
    notFinal,
    finalDecisionsNotOne,
    sent: { sms: sentAt['sms']!.length, email: sentAt['email']!.length },
    maxPerSecond: { sms: maxInWindow(sentAt['sms']!), email: maxInWindow(sentAt['email']!) },
    /** First to last send per channel, simulated seconds. */
    sendingSeconds: { sms: span(sentAt['sms']!) / 1000, email: span(sentAt['email']!) / 1000 },
    firstSentAt: Math.min(...sentAt['sms']!, ...sentAt['email']!),
    lastSentAt: Math.max(...sentAt['sms']!, ...sentAt['email']!),
  };
}
