import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configSchema } from '../../config/schema.ts';
import { CONFIG_KEY, historyLines, rollbackConfig } from '../../operations/config-rollback.ts';
import { reportConfigErrors, wholeNumber, withLocal, withRuntime } from '../cli-support.ts';
import type { Runtime } from '../runtime.ts';

/** The active configuration once it is no longer `before` (the config function ran on the upload). */
async function awaitActivation(rt: Runtime, before: { version: string; activatedAt?: string }, timeoutMs = 120_000) {
  await rt.settle();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await rt.adapters.config.active();
    if (now.version !== before.version || now.activatedAt !== before.activatedAt) return now;
    if (Date.now() > deadline)
      throw new Error(`${CONFIG_KEY} was uploaded but is not active after ${timeoutMs / 1000} s: see config/rejected/ and the config function's log`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export function registerConfig(program: Command): void {
  const cfg = program.command('config').description('campaign configuration');
  cfg
    .command('validate')
    .argument('<file>')
    .action(async (file: string) => {
      if (!reportConfigErrors(file)) console.log(`${file}: valid`);
    });
  cfg
    .command('activate')
    .description('validate and make active on the local stack')
    .argument('<file>')
    .action(async (file: string) => {
      if (reportConfigErrors(file)) return;
      await withLocal(async (rt) => {
        const config = configSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
        await rt.adapters.config.activate(config, `local:${new Date().toISOString()}`);
        console.log(`${file}: active`);
      });
    });
  cfg
    .command('history')
    .description('every activation, newest first: version, time, campaigns, a digest of the document')
    .option('--limit <n>', 'at most this many', wholeNumber('--limit', 1))
    .option('--json', 'one JSON object per activation')
    .action(async (o: { limit?: number; json?: boolean }) => {
      await withRuntime(program, async (rt) => {
        const lines = historyLines(await rt.adapters.config.history(o.limit ?? 20), await rt.adapters.config.active());
        for (const l of lines) {
          if (o.json) console.log(JSON.stringify(l));
          else
            console.log(
              `${l.active ? '*' : ' '} ${l.activatedAt}  ${l.version}  ` +
                (l.valid ? `${l.enabled}/${l.campaigns} campaigns enabled  ${l.brand}` : 'no longer valid (rollback refuses it)') +
                `  sha256:${l.digest}`,
            );
        }
        if (!lines.length && !o.json) console.log('no activation recorded yet');
      });
    });
  cfg
    .command('rollback')
    .description('make an earlier configuration active again: validated, then uploaded as config/campaigns.json')
    .argument('<version>', 'a version from `config history` (or a unique prefix of it)')
    .option('--json', 'the outcome as JSON')
    .action(async (version: string, o: { json?: boolean }) => {
      await withRuntime(program, async (rt) => {
        const r = await rollbackConfig(version, {
          history: (n) => rt.adapters.config.history(n),
          active: () => rt.adapters.config.active(),
          upload: (json) => rt.adapters.objects.put(CONFIG_KEY, json, 'application/json'),
          awaitActivation: (before) => awaitActivation(rt, before),
        });
        const out = { restored: r.restored.version, restoredFrom: r.restored.activatedAt, activeVersion: r.activeVersion, unchanged: r.unchanged };
        if (o.json) console.log(JSON.stringify(out));
        else if (r.unchanged) console.log(`version ${r.restored.version} is the active configuration already; nothing uploaded`);
        else
          console.log(
            `configuration of version ${r.restored.version} (activated ${r.restored.activatedAt}) is active again, as version ${r.activeVersion}`,
          );
      });
    });
}
