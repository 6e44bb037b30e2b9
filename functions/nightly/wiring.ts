import { makeTableAdapters } from '../../lib/adapters/table-factory.ts';
import type { NightlyDeps } from '../../lib/nightly/run-nightly.ts';
import { nightlyEnvSchema, type NightlyEnv } from './env.ts';

/** Clients once per container; configuration and model per invocation (they change between nights). */
export function wireNightly(env: NightlyEnv) {
  const a = makeTableAdapters(env);
  return {
    env,
    ledger: a.nightly,
    async deps(): Promise<NightlyDeps> {
      const { config } = await a.config.load();
      const model = await a.nightly.getModel();
      return { customers: a.customers, ledger: a.nightly, config, ...(model ? { model } : {}) };
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
