import { createWriteStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { configSchema } from '../config/schema.ts';
import { validateConfigJson } from '../config/validate.ts';
import { createHash } from 'node:crypto';
import { simulate } from './simulate.ts';
import { diffPreviews, previewNight, type PreviewResult } from '../touches/preview.ts';
import type { MomentsConfig } from '../config/schema.ts';
import type { CustomerState } from '../state/customer-state.ts';
import type { TouchRecord } from '../touches/touch.ts';
import { campaignResults } from '../results/campaign-results.ts';
import { reportFromStores } from '../report/build-report.ts';
import { formatMinor } from '../money.ts';
import { customerExportRow } from './export-fields.ts';
import { ingestFiles } from './ingest-files.ts';
import { openLocal } from './local-runtime.ts';
import { openRuntime } from './runtime.ts';
import { ingestProgress } from '../ingest/progress.ts';
import { runDemo } from './demo.ts';
import { runNightly } from '../nightly/run-nightly.ts';
import { fitOnBase } from '../model/fit-base.ts';
import { addDays, endOfLocalDay, isIsoDate, today } from '../time.ts';
import { localTouches } from './local-touches.ts';
import type { LocalRuntime } from './local-runtime.ts';
import { touchExportRows } from '../touches/touch.ts';
import { nightRunTime } from '../touches/timing.ts';

class UsageError extends Error {}

const asOfOption = new Option('--as-of <date>', 'compute state as of this brand-local date (YYYY-MM-DD)').argParser((v) => {
  if (!isIsoDate(v)) throw new UsageError(`--as-of expects a date YYYY-MM-DD, got "${v}"`);
  return v;
});

function targetCheck(target: string | undefined) {
  if (target && target !== 'local' && target !== 'aws') throw new UsageError(`--target must be local or aws, not "${target}"`);
}

export function buildCli(): Command {
  const program = new Command('moments')
    .description('moments: retail CRM pipeline (local embedded stack by default; state under MOMENTS_HOME)')
    .option('--target <target>', 'local (default) or aws', process.env['MOMENTS_TARGET'])
    .showHelpAfterError()
    .exitOverride();

  program
    .command('ingest')
    .description('upload order/member exports to incoming/ and process them through the bucket trigger')
    .argument('<files...>', 'CSV or CSV.gz files')
    .option('--json', 'one JSON object per file')
    .addOption(new Option('--kind <kind>', 'orders or members (default: from name or header)').choices(['orders', 'members']))
    .addOption(asOfOption)
    .action(async (files: string[], o: { json?: boolean; kind?: 'orders' | 'members'; asOf?: string }) => {
      targetCheck(program.opts()['target']);
      for (const f of files) {
        try {
          if (!statSync(f).isFile()) throw new Error();
        } catch {
          throw new UsageError(`cannot read ${f}: no such file`);
        }
      }
      const rt = await openRuntime(program.opts()['target'], o.asOf ? { asOf: o.asOf } : {});
      const tty = process.stderr.isTTY && !o.json;
      const onProgress = (p: { file: string; rows: number }) => {
        if (tty) process.stderr.write(`\r  ${p.file}: ${p.rows.toLocaleString()} rows read…`);
      };
      ingestProgress.on('progress', onProgress);
      let failed = false;
      try {
        for (const f of files) {
          const started = new Date().toISOString();
          const [s] = await ingestFiles(rt, [f], o.kind ? { kind: o.kind } : {});
          if (tty) process.stderr.write('\r\x1b[K');
          if (!s) continue;
          if (s.status === 'quarantined') failed = true;
          // The ledger answers for a file whose exact content was ingested before: say so instead of re-counting.
          const earlier = s.processedAt < started;
          if (o.json) console.log(JSON.stringify(earlier ? { ...s, alreadyIngested: true } : s));
          else if (earlier)
            console.log(`${s.file}: identical content already ingested at ${s.processedAt}: ${s.rows} rows, ${s.applied} applied, ${s.rejected} rejected; nothing to do`);
          else if (s.status === 'quarantined')
            console.log(`${s.file}: QUARANTINED (${s.reason}); moved to ${rt.where(s.quarantine ?? '')}, nothing applied`);
          else
            console.log(
              `${s.file}: ${s.rows} rows, ${s.applied} applied (${s.unchanged} already known), ${s.rejected} rejected` +
                (s.rejectedFields ? `, ${s.rejectedFields} values rejected` : '') +
                `, ${s.customers} customers` +
                (s.report ? `; report: ${rt.where(s.report)}` : ''),
            );
        }
      } finally {
        ingestProgress.off('progress', onProgress);
        await rt.close();
      }
      if (failed) process.exitCode = 1;
    });

  const exp = program.command('export').description('export derived data as JSON Lines');
  exp
    .command('customers')
    .description('one customer per line')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (o: { out?: string }) => {
      targetCheck(program.opts()['target']);
      const rt = await openRuntime(program.opts()['target']);
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      let n = 0;
      try {
        const snapshot = await rt.adapters.nightly.getSnapshot();
        const ctx = { model: await rt.adapters.nightly.getModel(), cutoffs: snapshot?.cutoffs, asOf: await rt.adapters.nightly.getCursor() };
        for await (const rec of rt.adapters.customers.scanCustomers()) {
          if (!rec.state) continue;
          if (!out.write(JSON.stringify(customerExportRow(rec, ctx)) + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
          n++;
        }
      } finally {
        if (o.out) await new Promise<void>((r) => (out as ReturnType<typeof createWriteStream>).end(() => r()));
        await rt.close();
      }
      if (o.out) console.error(`${n} customers written to ${o.out}`);
    });

  program
    .command('customer')
    .description('one customer: state, profile and the orders behind it')
    .argument('<id>', 'customer id (leading zeros matter)')
    .action(async (id: string) => {
      targetCheck(program.opts()['target']);
      const rt = await openRuntime(program.opts()['target']);
      try {
        const { state, orders } = await rt.adapters.customers.loadCustomer(id);
        const { profile } = await rt.adapters.customers.loadProfile(id);
        if (!state && !profile) {
          console.error(`no customer ${id}`);
          process.exitCode = 1;
          return;
        }
        const shown = orders
          .sort((a, b) => a.orderedAt - b.orderedAt)
          .map((o) => ({
            orderId: o.orderId,
            kind: o.kind,
            status: o.status,
            orderedAt: new Date(o.orderedAt).toISOString(),
            localDate: o.localDate,
            amount: formatMinor(o.amountMinor, o.currency),
            currency: o.currency,
            storeId: o.storeId ?? null,
            region: o.region ?? null,
            ...(o.originalOrderId ? { originalOrderId: o.originalOrderId } : {}),
            ...(o.pointsRedeemed ? { pointsRedeemed: o.pointsRedeemed } : {}),
          }));
        console.log(JSON.stringify({ state: state ?? null, profile: profile ?? null, orders: shown }, null, 2));
      } finally {
        await rt.close();
      }
    });

  program
    .command('nightly')
    .description('bring tiers, stages, points expiry and health snapshots up to a date (catches up missed nights)')
    .addOption(asOfOption)
    .option('--json', 'one JSON object per night')
    .option('--force', 'take over the lease of a run that died')
    .action(async (o: { asOf?: string; json?: boolean; force?: boolean }) => {
      targetCheck(program.opts()['target']);
      const rt = await openRuntime(program.opts()['target']);
      try {
        const { config } = await rt.adapters.config.load();
        const asOf = o.asOf ?? addDays(today(config.brand.timeZone), -1);
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
      } finally {
        await rt.close();
      }
    });

  const model = program.command('model').description('the BG/NBD purchase model behind pAlive');
  model
    .command('fit')
    .description('fit BG/NBD by maximum likelihood on the customer base as of a date')
    .requiredOption('--until <date>', 'last day of the calibration period (YYYY-MM-DD)')
    .option('--json', 'print {"r","alpha","a","b","logLikelihood","customers"}')
    .option('--activate', 'use these parameters for pAlive from now on')
    .action(async (o: { until: string; json?: boolean; activate?: boolean }) => {
      if (!isIsoDate(o.until)) throw new UsageError(`--until expects a date YYYY-MM-DD, got "${o.until}"`);
      targetCheck(program.opts()['target']);
      const rt = await openRuntime(program.opts()['target']);
      try {
        const fit = await fitOnBase(rt.adapters.customers.scanCustomers(), o.until);
        const out = { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b, logLikelihood: fit.logLikelihood, customers: fit.customers };
        if (o.json) console.log(JSON.stringify(out));
        else
          console.log(
            `BG/NBD on ${fit.customers} customers to ${o.until} (weeks): r=${fit.r.toFixed(4)} alpha=${fit.alpha.toFixed(4)} a=${fit.a.toFixed(4)} b=${fit.b.toFixed(4)} LL=${fit.logLikelihood.toFixed(2)}${fit.converged ? '' : ' (did not converge)'}`,
          );
        if (o.activate) {
          await rt.adapters.nightly.putModel({
            params: { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b },
            unitDays: 7,
            version: `bgnbd:${o.until}`,
            fittedAt: new Date().toISOString(),
            until: o.until,
            logLikelihood: fit.logLikelihood,
            customers: fit.customers,
          });
          if (!o.json) console.log('activated: pAlive and lifecycle rules use it from the next ingest or nightly');
        }
      } finally {
        await rt.close();
      }
    });

  program
    .command('deliver')
    .description('local stack: send the queued touches due up to a time (default now) to the local SES and SMS endpoints')
    .option('--until <time>', 'ISO date-time or YYYY-MM-DD (end of that day, brand time)')
    .action(async (o: { until?: string }) => {
      targetCheck(program.opts()['target']);
      if (program.opts()['target'] === 'aws') throw new UsageError('on AWS the send function consumes the touch queue; deliver is for the local stack');
      const rt = await openLocal();
      const local = localTouches(rt);
      try {
        const { config } = await rt.adapters.config.load();
        const until = !o.until ? Date.now() : /^\d{4}-\d{2}-\d{2}$/.test(o.until) ? endOfLocalDay(o.until, config.brand.timeZone) : Date.parse(o.until);
        if (!Number.isFinite(until)) throw new UsageError(`--until: not a date-time: ${o.until}`);
        const r = await local.deliver(until, config);
        local.save();
        const other = Object.entries(r.other).map(([k, n]) => `${n} ${k}`).join(', ');
        console.log(`${r.sent} sent${other ? `, ${other}` : ''}; ${local.queue.items.length} still queued, ${local.queue.dlq.length} in the dead-letter queue`);
        console.log(`  email: ${rt.stack.endpoints.ses}/store   SMS: ${rt.stack.home}/sns/messages.jsonl   log: npx moments export touches`);
      } finally {
        local.close();
        await rt.close();
      }
    });

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
      targetCheck(program.opts()['target']);
      for (const d of [o.from, o.to]) if (!isIsoDate(d)) throw new UsageError(`expected a date YYYY-MM-DD, got "${d}"`);
      if (o.from > o.to) throw new UsageError(`--from ${o.from} is after --to ${o.to}`);
      if (o.config) {
        const errors = validateConfigFile(o.config);
        if (errors.length) {
          for (const e of errors) console.error(e);
          process.exitCode = 1;
          return;
        }
      }
      const rt = await openLocal();
      try {
        if (o.config) {
          const text = readFileSync(o.config, 'utf8');
          await rt.adapters.config.activate(configSchema.parse(JSON.parse(text)), `file:${o.config}:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`);
        }
        const { config, version } = await rt.adapters.config.load();
        const days = await simulate(rt, { ordersDir: o.orders, ...(o.members ? { membersFile: o.members } : {}), from: o.from, to: o.to, config, configVersion: version }, (r) => {
          if (o.json) console.log(JSON.stringify(r));
          else {
            const other = Object.entries(r.other).map(([k, n]) => `${n} ${k}`).join(', ');
            process.stderr.write(`\r\x1b[K  ${r.date}: ${r.rows} rows, ${r.due} customers due, ${r.sent} touches sent${other ? `, ${other}` : ''}`);
          }
        });
        if (!o.json) {
          process.stderr.write('\n');
          console.log(`${days.length} days simulated, ${days.reduce((n, d) => n + d.sent, 0)} touches sent; npx moments export touches`);
        }
      } finally {
        await rt.close();
      }
    });

  program
    .command('preview')
    .description('what would go out on a day after consent, caps, quiet hours and hold-outs; nothing is sent or written')
    .addOption(new Option('--as-of <date>', 'the night to preview (YYYY-MM-DD)').makeOptionMandatory())
    .option('--campaign <id>', 'one campaign only')
    .option('--config <file>', 'also preview this configuration and show what would change if it were uploaded')
    .option('--json', 'the preview as one JSON object')
    .action(async (o: { asOf: string; campaign?: string; config?: string; json?: boolean }) => {
      if (!isIsoDate(o.asOf)) throw new UsageError(`--as-of expects a date YYYY-MM-DD, got "${o.asOf}"`);
      targetCheck(program.opts()['target']);
      let proposedConfig: MomentsConfig | undefined;
      if (o.config) {
        const errors = validateConfigFile(o.config);
        if (errors.length) {
          for (const e of errors) console.error(e);
          process.exitCode = 1;
          return;
        }
        proposedConfig = configSchema.parse(JSON.parse(readFileSync(o.config, 'utf8')));
      }
      const rt = await openRuntime(program.opts()['target']);
      try {
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
      } finally {
        await rt.close();
      }
    });

  program
    .command('results')
    .description('each campaign and month against its control group: conversion, revenue per customer, incremental revenue and lift (95% intervals), cost')
    .addOption(asOfOption)
    .option('--json', 'one JSON object per campaign and month')
    .action(async (o: { asOf?: string; json?: boolean }) => {
      targetCheck(program.opts()['target']);
      const rt = await openRuntime(program.opts()['target']);
      try {
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
      } finally {
        await rt.close();
      }
    });

  program
    .command('report')
    .description('one self-contained HTML report with charts: brand health, findings, base, points, campaign results')
    .addOption(asOfOption)
    .requiredOption('--out <file>', 'where to write the HTML file')
    .action(async (o: { asOf?: string; out: string }) => {
      targetCheck(program.opts()['target']);
      const rt = await openRuntime(program.opts()['target']);
      try {
        const { config } = await rt.adapters.config.load();
        const asOf = o.asOf ?? (await rt.adapters.nightly.getCursor()) ?? today(config.brand.timeZone);
        const tty = process.stderr.isTTY;
        const r = await reportFromStores(asOf, rt.adapters, config, (n) => {
          if (tty) process.stderr.write(`\r  reading customers: ${n.toLocaleString('en')}`);
        });
        if (tty) process.stderr.write('\r\x1b[K');
        writeFileSync(o.out, r.html);
        console.log(`${o.out}: ${r.charts} charts over ${r.customers} customers, as of ${asOf}`);
      } finally {
        await rt.close();
      }
    });

  exp
    .command('touches')
    .description('every touch decision, one per line: customerId, campaignId, moment, channel, status, reason, periodKey, plannedFor, sentAt, messageId')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (o: { out?: string }) => {
      targetCheck(program.opts()['target']);
      const rt = await openLocal();
      const local = localTouches(rt);
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      try {
        for await (const t of local.store.scan())
          for (const row of touchExportRows(t)) if (!out.write(JSON.stringify(row) + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
      } finally {
        if (o.out) await new Promise<void>((r) => (out as ReturnType<typeof createWriteStream>).end(() => r()));
        local.close();
        await rt.close();
      }
    });

  exp
    .command('snapshots')
    .description('brand health per closed night: rolling-year active customers and returning ratio, by store and region')
    .action(async () => {
      targetCheck(program.opts()['target']);
      const rt = await openRuntime(program.opts()['target']);
      try {
        for (const s of await rt.adapters.nightly.listSnapshots()) console.log(JSON.stringify(s));
      } finally {
        await rt.close();
      }
    });

  const cfg = program.command('config').description('campaign configuration');
  cfg
    .command('validate')
    .argument('<file>')
    .action(async (file: string) => {
      const errors = validateConfigFile(file);
      if (errors.length) {
        for (const e of errors) console.error(e);
        process.exitCode = 1;
      } else console.log(`${file}: valid`);
    });
  cfg
    .command('activate')
    .description('validate and make active on the local stack')
    .argument('<file>')
    .action(async (file: string) => {
      const errors = validateConfigFile(file);
      if (errors.length) {
        for (const e of errors) console.error(e);
        process.exitCode = 1;
        return;
      }
      const rt = await openLocal();
      try {
        const config = configSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
        await rt.adapters.config.activate(config, `local:${new Date().toISOString()}`);
        console.log(`${file}: active`);
      } finally {
        await rt.close();
      }
    });

  program
    .command('demo')
    .description('generate a seeded sample, ingest it on the local stack and show what happened')
    .option('--customers <n>', 'customers in the sample', '3000')
    .option('--seed <n>', 'generator seed', '42')
    .option('--months <n>', 'months of history', '6')
    .action(async (o: { customers: string; seed: string; months: string }) => {
      await runDemo({ customers: Number(o.customers), seed: Number(o.seed), months: Number(o.months) });
    });

  return program;
}

function validateConfigFile(file: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return [`${file}: ${(e as Error).message}`];
  }
  return validateConfigJson(json).errors.map((m) => `${file}: ${m}`);
}

function printPreview(p: PreviewResult, title: string): void {
  console.log(`\nPreview of ${p.night}, ${title}: ${p.customers} customers looked at`);
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

export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      return 2;
    }
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    console.error(`error: ${(e as Error).message ?? e}`);
    return 1;
  }
}
