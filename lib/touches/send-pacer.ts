import type { Channel } from '../config/campaigns-schema.ts';

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: PacerClock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/**
 * A container's share of a channel's configured rate (sends per second), such that `containers` senders each
 * pacing at it never put more than `rate` sends into any one second: an even gap of 1/share seconds allows at
 * most floor(share) sends per second, so the share is rounded down to whole sends. Below one send per second a
 * container gets the plain quotient (the average then holds, not every one-second window).
 */
export function containerRate(rate: number, containers: number): number {
  return Math.floor(rate / containers) || rate / containers;
}

/**
 * Spaces one sender's provider calls per channel: each call waits for its slot, at least 1/rate seconds after
 * the previous one. Kept for the life of the container, so that a batch starts where the last one left off.
 */
export class SendPacer {
  private readonly next: Record<Channel, number> = { sms: 0, email: 0 };

  constructor(private readonly clock: PacerClock = realClock) {}

  async wait(channel: Channel, perSecond: number): Promise<void> {
    const now = this.clock.now();
    const at = Math.max(now, this.next[channel]);
    // Whole milliseconds, rounded up: summed fractions would drift a send into the previous second.
    this.next[channel] = at + Math.ceil(1000 / perSecond);
    if (at > now) await this.clock.sleep(at - now);
  }
}
