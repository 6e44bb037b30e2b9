import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { configSchema, type MomentsConfig } from '../../config/schema.ts';
import { isIsoDate } from '../../time.ts';
import { diffPreviews, previewNight, type PreviewResult } from '../../touches/preview.ts';
import { reportConfigErrors, targetCheck, targetOf, UsageError, withRuntime } from '../cli-support.ts';
import { momentDayOf } from '../../touches/moment-day.ts';

export function registerPreview(program: Command): void {
  program
    .command('preview')
    .description('what a night would plan (the touches of the day after it) after consent, caps, quiet hours and hold-outs; nothing is sent or written')
    .addOption(new Option('--as-of <date>', 'the night to preview (YYYY-MM-DD); it plans the touches of the next day').makeOptionMandatory())
    .option('--campaign <id>', 'one campaign only')
    .option('--config <file>', 'also preview this configuration and show what would change if it were uploaded')
    .option('--json', 'the preview as one JSON object')
    .action(async (o: { asOf: string; campaign?: string; config?: string; json?: boolean }) => {
      if (!isIsoDate(o.asOf)) throw new UsageError(`--as-of expects a date YYYY-MM-DD, got "${o.asOf}"`);
      targetCheck(targetOf(program));
      let proposedConfig: MomentsConfig | undefined;
      if (o.config) {
        if (reportConfigErrors(o.config, '--config')) return;
        proposedConfig = configSchema.parse(JSON.parse(readFileSync(o.config, 'utf8')));
      }
      await withRuntime(program, async (rt) => {
        const active = await rt.adapters.config.load();
        if (o.campaign && ![...active.config.campaigns, ...(proposedConfig?.campaigns ?? [])].some((c) => c.id === o.campaign))
          throw new UsageError(`no campaign "${o.campaign}" in the configuration`);
        const run = async (config: MomentsConfig) =>
          previewNight(o.asOf, {
            customers: rt.adapters.customers.scanCustomers(),
            store: rt.adapters.customers,
            loadProfile: (id) => rt.adapters.customers.loadProfile(id),
            recentTouches: (id) => rt.adapters.touches.recent(id),
            config,
            model: await rt.adapters.nightly.getModel(),
            cutoffs: (await rt.adapters.nightly.getSnapshot())?.cutoffs,
            campaignId: o.campaign,
          });
        const now = await run(active.config);
        const next = proposedConfig ? await run(proposedConfig) : undefined;
        if (o.json) {
          console.log(JSON.stringify({ active: now, ...(next ? { proposed: next, changes: diffPreviews(now, next) } : {}) }));
          return;
        }
        printPreview(now, `active configuration (${active.version})`);
        if (next) {
          printPreview(next, `proposed configuration (${o.config})`);
          const changes = diffPreviews(now, next);
          console.log(`\nIf ${o.config} were uploaded:`);
          if (!changes.length) console.log('  nothing would change on this day');
          for (const c of changes) console.log(`  ${c.campaignId.padEnd(22)} ${c.status.padEnd(18)} ${String(c.active).padStart(6)} -> ${String(c.proposed).padStart(6)} (${c.change > 0 ? '+' : ''}${c.change})`);
        }
        console.log('\nNothing was sent or written.');
      });
    });
}

function printPreview(p: PreviewResult, title: string): void {
  console.log(`\nPreview of the night ${p.night} (touches for ${momentDayOf(p.night)}), ${title}: ${p.customers} customers looked at`);
  const statuses = ['planned', 'held-out', 'suppressed', 'expired', 'already on record'];
  console.log(`  ${'campaign'.padEnd(22)}${statuses.map((s) => s.padStart(19)).join('')}`);
  for (const [c, counts] of Object.entries(p.counts).sort())
    console.log(`  ${c.padEnd(22)}${statuses.map((s) => String(counts[s] ?? 0).padStart(19)).join('')}`);
  if (!Object.keys(p.counts).length) console.log('  no campaign has anything for this day');
  for (const [c, reasons] of Object.entries(p.reasons).sort()) {
    console.log(`  ${c}:`);
    for (const [r, n] of Object.entries(reasons).sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`    ${String(n).padStart(6)}  ${r}`);
  }
  for (const [c, locales] of Object.entries(p.samples).sort())
    for (const [locale, msgs] of Object.entries(locales))
      for (const m of msgs) console.log(`  sample ${c} ${locale} ${m.channel} to ${m.customerId}: ${m.text.replace(/\s+/g, ' ')}`);
}
