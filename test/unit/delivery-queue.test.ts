import { describe, expect, it } from 'vitest';
import { LocalTouchQueue } from '../../lib/local/touch-queue.ts';
import { handleTouchBatch } from '../../lib/touches/deliver.ts';
import { suppressionsFromSes } from '../../lib/touches/ses-events.ts';
import { MemoryTouchStore } from '../../lib/testing/memory-ports.ts';
import { defaultConfig } from '../../lib/config/schema.ts';

describe('SES notifications', () => {
  it('permanent bounces and complaints suppress the address; transient bounces do not', () => {
    expect(suppressionsFromSes({ notificationType: 'Bounce', bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'a@x.com' }] } })).toEqual([
      { address: 'a@x.com', reason: 'permanent bounce (SES)' },
    ]);
    expect(suppressionsFromSes({ eventType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'b@x.com' }] } })).toEqual([
      { address: 'b@x.com', reason: 'complaint (SES)' },
    ]);
    expect(suppressionsFromSes({ notificationType: 'Bounce', bounce: { bounceType: 'Transient', bouncedRecipients: [{ emailAddress: 'c@x.com' }] } })).toEqual([]);
    expect(suppressionsFromSes({ notificationType: 'Delivery' })).toEqual([]);
  });
});

describe('touch queue', () => {
  const deps = {
    touches: new MemoryTouchStore(),
    loadProfile: async () => ({}),
    providers: { sendSms: async () => ({ messageId: 'x' }), sendEmail: async () => ({ messageId: 'y' }) },
    config: defaultConfig,
    now: () => new Date(),
  };
  it('a poison message is retried, then lands in the dead-letter queue; an unknown touch is dropped', async () => {
    const q = new LocalTouchQueue(3);
    q.items.push({ messageId: 'm1', body: 'not json', notBefore: 0, receiveCount: 0 });
    await q.enqueue([{ key: 'C9|nope|2026', notBefore: new Date(0).toISOString() }]);
    const delivered = await q.drain(Date.now(), (batch) => handleTouchBatch(batch, deps));
    expect(q.dlq.map((m) => m.messageId)).toEqual(['m1']);
    expect(q.items).toEqual([]);
    expect(delivered).toBe(4); // three receives of the poison message, one of the unknown key
  });
  it('a touch that must wait is not a failure: it comes back at its time', async () => {
    const store = new MemoryTouchStore();
    const later = new Date(Date.UTC(2026, 0, 2)).toISOString();
    await store.create({
      key: 'C1|c|p', customerId: 'C1', campaignId: 'c', moment: 'birthday', periodKey: 'p', channel: 'sms', status: 'planned', reason: '',
      plannedFor: later, usefulUntil: new Date(Date.UTC(2026, 0, 9)).toISOString(), priority: 1, configVersion: 'v', timeZone: 'UTC', locale: 'zh-CN', vars: {}, decisions: [], rev: 0,
    });
    const r = await handleTouchBatch([{ messageId: 'm', body: JSON.stringify({ key: 'C1|c|p' }), receiveCount: 1 }], { ...deps, touches: store, now: () => new Date(Date.UTC(2026, 0, 1)) });
    expect(r.retry).toEqual([{ messageId: 'm', afterSeconds: 86_400, failure: false }]);
  });
});
