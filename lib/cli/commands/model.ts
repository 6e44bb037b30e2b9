import type { Command } from 'commander';
import { fitOnBase } from '../../model/fit-base.ts';
import { UNIT_DAYS } from '../../model/keep-model.ts';
import { isIsoDate } from '../../time.ts';
import { UsageError, withRuntime } from '../cli-support.ts';

export function registerModel(program: Command): void {
  const model = program.command('model').description('the BG/NBD purchase model behind pAlive');
  model
    .command('fit')
    .description('fit BG/NBD by maximum likelihood on the customer base as of a date')
    .requiredOption('--until <date>', 'last day of the calibration period (YYYY-MM-DD)')
    .option('--json', 'print {"r","alpha","a","b","logLikelihood","customers"}')
    .option('--activate', 'use these parameters for pAlive from now on')
    .action(async (o: { until: string; json?: boolean; activate?: boolean }) => {
      if (!isIsoDate(o.until)) throw new UsageError(`--until expects a date YYYY-MM-DD, got "${o.until}"`);
      await withRuntime(program, async (rt) => {
        const t0 = performance.now();
        const fit = await fitOnBase(rt.adapters.customers.scanCustomers(), o.until, UNIT_DAYS);
        const fitMs = Math.round(performance.now() - t0);
        const out = { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b, logLikelihood: fit.logLikelihood, customers: fit.customers };
        if (o.json) console.log(JSON.stringify(out));
        else
          console.log(
            `BG/NBD on ${fit.customers} customers to ${o.until} (weeks): r=${fit.r.toFixed(4)} alpha=${fit.alpha.toFixed(4)} a=${fit.a.toFixed(4)} b=${fit.b.toFixed(4)} LL=${fit.logLikelihood.toFixed(2)}${fit.converged ? '' : ' (did not converge)'}`,
          );
        if (o.activate) {
          const fittedAt = new Date().toISOString();
          const params = { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b };
          await rt.adapters.nightly.putModel({ params, unitDays: UNIT_DAYS, version: `bgnbd:${o.until}`, fittedAt, until: o.until, logLikelihood: fit.logLikelihood, customers: fit.customers });
          // Beside the nightly's own attempts, so the report and the refit schedule see it (the whole base, read once).
          await rt.adapters.nightly.putFitRecord({
            night: o.until,
            attemptedAt: fittedAt,
            status: 'activated',
            reason: 'by hand: moments model fit --activate',
            customers: fit.customers,
            repeatCustomers: fit.repeatCustomers,
            sample: { segments: 1, totalSegments: 1, itemsRead: fit.customers },
            params,
            logLikelihood: fit.logLikelihood,
            iterations: fit.iterations,
            readMs: 0,
            fitMs,
            holdoutSkipped: 'fitted by hand',
          });
          if (!o.json) console.log('activated: pAlive and lifecycle rules use it from the next ingest or nightly');
        }
      });
    });
  model
    .command('history')
    .description('the active model and every fit attempt: the nightly\'s own and those made by hand')
    .option('--json', 'one JSON object per attempt, oldest first (lib/model/fit-record.ts)')
    .action(async (o: { json?: boolean }) => {
      await withRuntime(program, async (rt) => {
        const fits = await rt.adapters.nightly.listFitRecords();
        if (o.json) {
          for (const f of fits) console.log(JSON.stringify(f));
          return;
        }
        const m = await rt.adapters.nightly.getModel();
        console.log(m ? `active: ${m.version}, fitted ${m.fittedAt ?? '?'} on ${m.customers ?? '?'} customers, data to ${m.until ?? '?'}` : 'no model is active: pAlive is empty');
        for (const f of fits)
          console.log(
            `${f.night} ${f.status.padEnd(13)} ${String(f.customers).padStart(8)} customers (${f.sample.segments}/${f.sample.totalSegments} segments)${f.holdout ? `, holdout ${f.holdout.predicted.toFixed(0)} predicted / ${f.holdout.actual} actual` : ''}${f.reason ? `: ${f.reason}` : ''}`,
          );
        if (fits.length === 0) console.log('no fit attempt yet');
      });
    });
}
