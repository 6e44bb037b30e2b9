import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configSchema } from '../../config/schema.ts';
import { reportConfigErrors, withLocal } from '../cli-support.ts';

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
}
