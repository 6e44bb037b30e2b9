import type { Command } from 'commander';
import { runNightly } from '../../nightly/run-nightly.ts';
import { reportFromStores } from '../../report/build-report.ts';
import { latestClosableNight, nightNotClosable } from '../../nightly/due.ts';
import { nightRunTime } from '../../touches/timing.ts';
import { startNightlyCommand } from '../../operations/nightly-execution.ts';
import { asOfOption, targetOf, UsageError, withRuntime } from '../cli-support.ts';
import { localTouches } from '../local-touches.ts';
import type { LocalRuntime } from '../local-runtime.ts';

export function registerNightly(program: Command): void {
  program
    .command('nightly')
    .description('bring tiers, stages, points expiry and health snapshots up to a date (catches up missed nights)')
    .addOption(asOfOption())
    .option('--json', 'one JSON object per night')
    .option('--force', 'take over the lease of a run that died')
    .action(async (o: { asOf?: string; json?: boolean; force?: boolean }) => {
      // On AWS the state machine runs the nights: its segments plan and queue the touches, which this process
      // cannot (it has no touch queue), and a night closed without them would never plan them again.
      // A night closed before it ended would never count that day's later orders. The brand's zone is in the
      // configuration, so the local check waits for it; on AWS the plan step refuses the same way.
      if (targetOf(program) === 'aws')
        throw new UsageError(
          'on AWS the nightly runs in its state machine; start it with\n  ' +
            startNightlyCommand({ ...(o.asOf ? { asOf: o.asOf } : {}), ...(o.force ? { force: true } : {}), ...(process.env['MOMENTS_NIGHTLY_ARN'] ? { stateMachineArn: process.env['MOMENTS_NIGHTLY_ARN'] } : {}) }),
        );
      await withRuntime(program, async (rt) => {
        const { config } = await rt.adapters.config.load();
        const early = o.asOf && nightNotClosable(o.asOf, config.brand.timeZone);
        if (early) throw new UsageError(`--as-of ${early}`);
        const asOf = o.asOf ?? latestClosableNight(config.brand.timeZone);
        const model = await rt.adapters.nightly.getModel();
        const local = rt.target === 'local' ? localTouches(rt as LocalRuntime) : undefined;
        const { version } = await rt.adapters.config.load();
        const cutoffs = (await rt.adapters.nightly.getSnapshot())?.cutoffs;
        const deps = {
          customers: rt.adapters.customers,
          ledger: rt.adapters.nightly,
          config,
          ...(model ? { model } : {}),
          // Locally a night "runs" at its scheduled time, so a replay of history plans touches as it would have.
          ...(local ? { touches: { ...local.planning(version, (night: string) => nightRunTime(night, config)), cutoffs } } : {}),
        };
        const done = await runNightly(
          asOf,
          deps,
          (s) => {
            if (o.json) console.log(JSON.stringify({ night: s.night, customersProcessed: s.customersProcessed, active: s.totals.brand.active, returningRatio: s.returningRatio }));
            else
              console.log(
                `${s.night}: ${s.customersProcessed} customers due, ${s.totals.brand.active} active in the rolling year, returning ratio ${s.returningRatio === null ? '-' : (100 * s.returningRatio).toFixed(1) + '%'}`,
              );
          },
          o.force ? { force: true } : {},
        );
        if (done.length === 0 && !o.json) console.log(`nothing to do: nights up to ${(await rt.adapters.nightly.getCursor()) ?? asOf} are closed`);
        const lastNight = done[done.length - 1]?.night;
        if (lastNight) {
          // As the finish step does on AWS: the run's last night leaves its report in the bucket.
          const r = await reportFromStores(lastNight, rt.adapters, config);
          await rt.adapters.objects.put(`reports/${lastNight}/index.html`, r.html, 'text/html; charset=utf-8');
          if (!o.json) console.log(`report: ${rt.where(`reports/${lastNight}/index.html`)}`);
        }
        if (local) {
          local.save();
          local.close();
          if (!o.json && local.queue.items.length) console.log(`${local.queue.items.length} touches queued: npx moments deliver`);
        }
      });
    });
}
