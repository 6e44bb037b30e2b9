import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configSchema } from '../../config/schema.ts';
import { isIsoDate } from '../../time.ts';
import { inputPath, reportConfigErrors, targetCheck, targetOf, UsageError, withLocal } from '../cli-support.ts';
import { progressLine } from '../progress-line.ts';
import { checkUploadNames } from '../ingest-files.ts';
import { filesByDate, simulate } from '../simulate.ts';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('replay daily exports day by day on the local stack: ingest, nightly and delivery for each day')
    .requiredOption('--orders <dir>', 'folder of daily order files (export date in each name)')
    .option('--members <file>', 'member export, ingested on the first day')
    .option('--config <file>', 'configuration to try (validated, then activated)')
    .requiredOption('--from <date>', 'first day (YYYY-MM-DD)')
    .requiredOption('--to <date>', 'last day (YYYY-MM-DD)')
    .option('--json', 'one JSON object per day')
    .action(async (o: { orders: string; members?: string; config?: string; from: string; to: string; json?: boolean }) => {
      targetCheck(targetOf(program));
      for (const d of [o.from, o.to]) if (!isIsoDate(d)) throw new UsageError(`expected a date YYYY-MM-DD, got "${d}"`);
      if (o.from > o.to) throw new UsageError(`--from ${o.from} is after --to ${o.to}`);
      inputPath(o.orders, { option: '--orders', folder: true });
      if (o.members) inputPath(o.members, { option: '--members' });
      checkUploadNames([...(o.members ? [o.members] : []), ...[...filesByDate(o.orders).values()].flat()], 'local');
      if (o.config && reportConfigErrors(o.config, '--config')) return;
      const progress = progressLine();
      await withLocal(async (rt) => {
        if (o.config) {
          const text = readFileSync(o.config, 'utf8');
          await rt.adapters.config.activate(configSchema.parse(JSON.parse(text)), `file:${o.config}:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`);
        }
        const { config, version } = await rt.adapters.config.load();
        const days = await simulate(rt, { ordersDir: o.orders, ...(o.members ? { membersFile: o.members } : {}), from: o.from, to: o.to, config, configVersion: version }, (r) => {
          if (o.json) console.log(JSON.stringify(r));
          else {
            const other = Object.entries(r.other).map(([k, n]) => `${n} ${k}`).join(', ');
            progress.show(`  ${r.date}: ${r.rows} rows, ${r.due} customers due, ${r.sent} touches sent${other ? `, ${other}` : ''}`);
          }
        });
        if (!o.json) {
          progress.keep();
          console.log(`${days.length} days simulated, ${days.reduce((n, d) => n + d.sent, 0)} touches sent; npx moments export touches`);
        }
      });
    });
}
