import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalTouchQueue } from '../../lib/local/touch-queue.ts';
import { maxInWindow, runSendFleet, touchLogFigures } from '../../lib/testing/send-fleet.ts';
import { MemoryCustomerStore, MemoryTouchStore } from '../../lib/testing/memory-ports.ts';
import { planTouchLoad, touchLoadConfig } from '../../lib/testing/touch-load.ts';
import { containerRate, SendPacer } from '../../lib/touches/send-pacer.ts';
import type { Providers } from '../../lib/touches/ports.ts';

function fakeClock(start = 0) {
  const c = { t: start, now: () => c.t, sleep: async (ms: number) => void (c.t += ms) };
  return c;
}

describe('send pacing', () => {
  it('spaces a channel at 1/rate, keeps spacing across batches, and paces channels independently', async () => {
    const clock = fakeClock();
    const pacer = new SendPacer(clock);
    const at: Record<string, number[]> = { sms: [], email: [] };
    for (const batch of [0, 1]) {
      for (let i = 0; i < 5; i++) {
        for (const ch of ['sms', 'email'] as const) {
          await pacer.wait(ch, ch === 'sms' ? 4 : 10);
          at[ch]!.push(clock.t);
        }
      }
      // A new batch (a new invocation of the same container) does not start the spacing over.
      expect(batch === 0 ? at['sms']!.at(-1) : at['sms']![5]! - at['sms']![4]!).toBe(batch === 0 ? 1000 : 250);
    }
    expect(at['sms']).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2250]);
    expect(maxInWindow(at['sms']!)).toBe(4);
  });

  it('containers pacing at their share never exceed the configured rate in any second, whatever their phases', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 12, maxLength: 12 }),
        async (rate, containers, phases) => {
          fc.pre(rate >= containers);
          const times: number[] = [];
          for (let c = 0; c < containers; c++) {
            const clock = fakeClock(phases[c]!);
            const pacer = new SendPacer(clock);
            for (let i = 0; i < 40; i++) {
              await pacer.wait('sms', containerRate(rate, containers));
              times.push(clock.t);
            }
          }
          expect(maxInWindow(times)).toBeLessThanOrEqual(rate);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a night of touches through the send path on a simulated clock: rates held, each touch final exactly once', async () => {
    const config = touchLoadConfig({ sms: 10, email: 20 });
    const customers = new MemoryCustomerStore();
    const touches = new MemoryTouchStore();
    const queue = new LocalTouchQueue();
    const plan = await planTouchLoad(300, { customers, touches, queue, config }, '2026-06-29');
    expect(plan).toMatchObject({ planned: 300, sms: 150, email: 150 });
    const got: { sms: string[]; email: string[] } = { sms: [], email: [] };
    let n = 0;
    const providers: Providers = {
      sendSms: async (to) => (got.sms.push(to), { messageId: `m${++n}` }),
      sendEmail: async (to) => (got.email.push(to), { messageId: `m${++n}` }),
    };
    const start = Date.parse('2026-06-30T00:00:00+08:00');
    const fleet = await runSendFleet(queue, { touches, loadProfile: (id) => customers.loadProfile(id), providers, config }, { containers: 5, batchSize: 10, startMs: start });
    const log = touchLogFigures([...touches.touches.values()]);
    expect(log).toMatchObject({ touches: 300, notFinal: 0, finalDecisionsNotOne: 0, sent: { sms: 150, email: 150 } });
    expect(log.maxPerSecond.sms).toBeLessThanOrEqual(10);
    expect(log.maxPerSecond.email).toBeLessThanOrEqual(20);
    // Each message once at its provider; none before the send time (10:00 local) nor in quiet hours.
    expect(new Set(got.sms).size).toBe(150);
    expect(new Set(got.email).size).toBe(150);
    expect(log.firstSentAt).toBeGreaterThanOrEqual(Date.parse('2026-06-30T10:00:00+08:00'));
    // 150 SMS, at most 10 in any second: the first to the last at least 14 simulated seconds apart.
    expect(log.sendingSeconds.sms).toBeGreaterThanOrEqual(14);
    expect(fleet).toMatchObject({ dlq: 0, outcomes: { sent: 300 } });
    // Queued for 10:00, each message received once, none came back.
    expect(fleet).toMatchObject({ received: 300, waits: 0 });
    expect(queue.items).toHaveLength(0);
  });
});
