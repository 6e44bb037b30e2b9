import { makeTableAdapters } from '../../lib/adapters/table-factory.ts';
import { makeTouchAdapters } from '../../lib/adapters/touch-factory.ts';
import { reportFromStores } from '../../lib/report/build-report.ts';
import { keepModel } from '../../lib/model/keep-model.ts';
import type { MomentsConfig } from '../../lib/config/schema.ts';
import type { NightlyDeps } from '../../lib/nightly/run-nightly.ts';
import { nightlyEnvSchema, type NightlyEnv } from './env.ts';

/** Clients once per container; configuration and model per invocation (they change between nights). */
export function wireNightly(env: NightlyEnv) {
  const a = makeTableAdapters(env);
  // One DynamoDB client per container: the touch adapters build on the table adapters.
  const t = makeTouchAdapters(env, a);
  return {
    env,
    ledger: a.nightly,
    async deps(): Promise<NightlyDeps> {
      const { config, version } = await a.config.load();
      const model = await a.nightly.getModel();
      const cutoffs = (await a.nightly.getSnapshot())?.cutoffs;
      const touches = t.queue
        ? { store: t.touches, queue: t.queue, loadProfile: (id: string) => a.customers.loadProfile(id), configVersion: version, now: () => new Date(), cutoffs }
        : undefined;
      return { customers: a.customers, ledger: a.nightly, config, ...(model ? { model } : {}), ...(touches ? { touches } : {}) };
    },
    async config() {
      return (await a.config.load()).config;
    },
    /** Fits or refits the model when due, before the run's first night (lib/model/keep-model.ts). */
    async keepModel(night: string, model: MomentsConfig['model']) {
      return keepModel(night, { base: a.customers, ledger: a.nightly, config: model });
    },
    /** Writes the report of a closed night to reports/<night>/index.html, when the bucket is bound. */
    async writeReport(night: string): Promise<string | undefined> {
      if (!t.objects) return undefined;
      const { config } = await a.config.load();
      const { html } = await reportFromStores(night, { customers: a.customers, touches: t.touches, nightly: a.nightly }, config);
      const key = `reports/${night}/index.html`;
      await t.objects.put(key, html, 'text/html; charset=utf-8');
      return key;
    },
  };
}

let wired: ReturnType<typeof wireNightly> | undefined;

/** The container's wiring, from the validated env, made on first use. */
export function nightlyWiring(): ReturnType<typeof wireNightly> {
  wired ??= wireNightly(nightlyEnvSchema.parse(process.env));
  return wired;
}
