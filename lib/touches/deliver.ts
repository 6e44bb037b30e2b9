import { sendTouch, type SendDeps, type SendOutcome } from './send.ts';

export interface QueueRecord {
  messageId: string;
  body: string;
  receiveCount: number;
}

export interface BatchResult {
  /** Message ids to deliver again, with the delay; `failure` counts towards the dead-letter queue, a wait does not. */
  retry: { messageId: string; afterSeconds: number; failure: boolean }[];
  outcomes: { key: string; outcome: SendOutcome | { error: string } }[];
}

/** A poison message (unparseable body) goes back to the queue until the redrive policy moves it to the DLQ. */
export async function handleTouchBatch(records: QueueRecord[], deps: SendDeps): Promise<BatchResult> {
  const out: BatchResult = { retry: [], outcomes: [] };
  for (const r of records) {
    let key: string;
    try {
      const body = JSON.parse(r.body) as { key?: unknown };
      if (typeof body.key !== 'string' || !body.key.includes('|')) throw new Error('no touch key in message body');
      key = body.key;
    } catch (e) {
      out.retry.push({ messageId: r.messageId, afterSeconds: 0, failure: true });
      out.outcomes.push({ key: '?', outcome: { error: `unreadable message ${r.messageId}: ${(e as Error).message}` } });
      continue;
    }
    try {
      const o = await sendTouch(key, deps);
      out.outcomes.push({ key, outcome: o });
      if (!o.done) out.retry.push({ messageId: r.messageId, afterSeconds: o.retryAfterSeconds, failure: false });
    } catch (e) {
      out.retry.push({ messageId: r.messageId, afterSeconds: 30, failure: true });
      out.outcomes.push({ key, outcome: { error: (e as Error).message } });
    }
  }
  return out;
}
