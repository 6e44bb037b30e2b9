import { makeTableAdapters } from '../../lib/adapters/table-factory.ts';
import { makeTouchAdapters } from '../../lib/adapters/touch-factory.ts';
import type { NightlyDeps } from '../../lib/nightly/run-nightly.ts';
import { nightlyEnvSchema, type NightlyEnv } from './env.ts';

/** Clients once per container; configuration and model per invocation (they change between nights). */
export function wireNightly(env: NightlyEnv) {
  const a = makeTableAdapters(env);
  const t = env.QUEUE_URL ? makeTouchAdapters({ TABLE_NAME: env.TABLE_NAME, AWS_REGION: env.AWS_REGION, QUEUE_URL: env.QUEUE_URL }) : undefined;
  return {
    env,
    ledger: a.nightly,
    async deps(): Promise<NightlyDeps> {
      const { config, version } = await a.config.load();
      const model = await a.nightly.getModel();
      const cutoffs = (await a.nightly.getSnapshot())?.cutoffs;
      const touches = t?.queue
        ? { store: t.touches, queue: t.queue, loadProfile: (id: string) => a.customers.loadProfile(id), configVersion: version, now: () => new Date(), cutoffs }
        : undefined;
      return { customers: a.customers, ledger: a.nightly, config, ...(model ? { model } : {}), ...(touches ? { touches } : {}) };
    },
    async config() {
      return (await a.config.load()).config;
    },
  };
}

let wired: ReturnType<typeof wireNightly> | undefined;

/** The container's wiring, from the validated env, made on first use. */
export function nightlyWiring(): ReturnType<typeof wireNightly> {
  wired ??= wireNightly(nightlyEnvSchema.parse(process.env));
  return wired;
}
