import type { Command } from 'commander';
import { campaignResults } from '../../results/campaign-results.ts';
import type { CustomerState } from '../../state/customer-state.ts';
import { today } from '../../time.ts';
import type { TouchRecord } from '../../touches/touch.ts';
import { asOfOption, withRuntime } from '../cli-support.ts';

export function registerResults(program: Command): void {
  program
    .command('results')
    .description('each campaign and month against its control group: conversion, revenue per customer, incremental revenue and lift (95% intervals), cost')
    .addOption(asOfOption())
    .option('--json', 'one JSON object per campaign and month')
    .action(async (o: { asOf?: string; json?: boolean }) => {
      await withRuntime(program, async (rt) => {
        const { config } = await rt.adapters.config.load();
        const asOf = o.asOf ?? (await rt.adapters.nightly.getCursor()) ?? today(config.brand.timeZone);
        const states = new Map<string, CustomerState>();
        for await (const r of rt.adapters.customers.scanCustomers()) if (r.state) states.set(r.customerId, r.state);
        const touches: TouchRecord[] = [];
        for await (const t of rt.adapters.touches.scan()) touches.push(t);
        const rows = campaignResults(touches, states, config, asOf, {
          windowDays: config.results.conversionDays,
          priceSms: config.results.pricePerSms,
          priceEmail: config.results.pricePerEmail,
        });
        const ci = (d: { estimate: number; low: number; high: number } | null, digits = 2, scale = 1) =>
          d ? `${(d.estimate * scale).toFixed(digits)} [${(d.low * scale).toFixed(digits)}, ${(d.high * scale).toFixed(digits)}]` : 'n/a';
        if (o.json) for (const r of rows) console.log(JSON.stringify(r));
        else {
          console.log(`Campaign results as of ${asOf} (conversion window ${config.results.conversionDays} days, intention to treat, 95% intervals)`);
          for (const r of rows)
            console.log(
              `  ${r.campaignId} ${r.period}: ${r.targeted} targeted / ${r.heldOut} held out; conversion ${(100 * r.conversion.targeted).toFixed(1)}% vs ${(100 * r.conversion.heldOut).toFixed(1)}% ` +
                `(difference ${ci(r.conversion.difference, 1, 100)} points); revenue/customer ${r.revenuePerCustomer.targeted} vs ${r.revenuePerCustomer.heldOut}; ` +
                `incremental revenue ${ci(r.incrementalRevenue, 0)}; cost ${r.cost}${r.roi === null ? '' : `; return ${r.roi.toFixed(1)}x`}`,
            );
          if (!rows.length) console.log('  no campaign has a closed conversion window yet');
        }
      });
    });
}
