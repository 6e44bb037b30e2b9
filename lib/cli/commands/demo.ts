import type { Command } from 'commander';
import { runDemo } from '../demo.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('generate a seeded sample, ingest it on the local stack and show what happened')
    .option('--customers <n>', 'customers in the sample', '3000')
    .option('--seed <n>', 'generator seed', '42')
    .option('--months <n>', 'months of history', '6')
    .action(async (o: { customers: string; seed: string; months: string }) => {
      await runDemo({ customers: Number(o.customers), seed: Number(o.seed), months: Number(o.months) });
    });
}
