import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { reportFromStores } from '../../report/build-report.ts';
import { today } from '../../time.ts';
import { asOfOption, outPath, withRuntime } from '../cli-support.ts';
import { progressLine } from '../progress-line.ts';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('one self-contained HTML report with charts: brand health, findings, base, points, campaign results')
    .addOption(asOfOption())
    .requiredOption('--out <file>', 'where to write the HTML file')
    .action(async (o: { asOf?: string; out: string }) => {
      outPath(o.out);
      await withRuntime(program, async (rt) => {
        const { config } = await rt.adapters.config.load();
        const asOf = o.asOf ?? (await rt.adapters.nightly.getCursor()) ?? today(config.brand.timeZone);
        const progress = progressLine();
        const r = await reportFromStores(asOf, rt.adapters, config, (n) => progress.show(`  reading customers: ${n.toLocaleString('en')}`));
        progress.clear();
        writeFileSync(o.out, r.html);
        console.log(`${o.out}: ${r.charts} charts over ${r.customers} customers, as of ${asOf}`);
        for (const b of r.banners) console.log(`  warning: ${b}`);
      });
    });
}
