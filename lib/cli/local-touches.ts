import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeLocalSESClient, makeLocalSNSClient } from '../adapters/local-clients.ts';
import { AwsProviders } from '../adapters/providers.ts';
import type { MomentsConfig } from '../config/schema.ts';
import { LocalTouchQueue } from '../local/touch-queue.ts';
import { handleTouchBatch } from '../touches/deliver.ts';
import type { TouchPlanning } from '../touches/plan-night.ts';
import type { LocalRuntime } from './local-runtime.ts';

/** Touch planning and delivery on the local stack: the queue lives in a file under MOMENTS_HOME. */
export function localTouches(rt: LocalRuntime) {
  const file = join(rt.stack.home, 'touch-queue.json');
  const queue = LocalTouchQueue.from(existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined);
  const store = rt.adapters.touches;
  const ses = makeLocalSESClient(rt.stack.env);
  const sns = makeLocalSNSClient(rt.stack.env);
  const providers = new AwsProviders({ ses, sns });
  return {
    queue,
    store,
    planning(configVersion: string, now: (night: string) => Date): TouchPlanning {
      return { store, queue, loadProfile: (id) => rt.adapters.customers.loadProfile(id), configVersion, now };
    },
    /** Delivers every queued touch due up to `untilMs`, with the clock set to each message's time. */
    async deliver(untilMs: number, config: MomentsConfig): Promise<{ delivered: number; sent: number; other: Record<string, number> }> {
      let sent = 0;
      const other: Record<string, number> = {};
      const delivered = await queue.drain(untilMs, async (batch, clock) => {
        const r = await handleTouchBatch(batch, {
          touches: store,
          loadProfile: (id) => rt.adapters.customers.loadProfile(id),
          providers,
          config,
          now: () => new Date(clock),
        });
        for (const o of r.outcomes) {
          if ('done' in o.outcome && o.outcome.done) {
            if (o.outcome.status === 'sent') sent++;
            else other[o.outcome.status] = (other[o.outcome.status] ?? 0) + 1;
          }
        }
        return r;
      });
      return { delivered, sent, other };
    },
    save() {
      writeFileSync(file, JSON.stringify(queue));
    },
    close() {
      ses.destroy();
      sns.destroy();
    },
  };
}
