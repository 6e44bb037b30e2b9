import type { Command } from 'commander';
import { wholeNumber } from '../cli-support.ts';
import { runDemo } from '../demo.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('generate a seeded sample, ingest it on the local stack and show what happened')
    .option('--customers <n>', 'customers in the sample', wholeNumber('--customers', 1), 3000)
    .option('--seed <n>', 'generator seed', wholeNumber('--seed', 0), 42)
    .option('--months <n>', 'months of history', wholeNumber('--months', 1), 6)
    .action(async (o: { customers: number; seed: number; months: number }) => {
      await runDemo(o);
    });
}
