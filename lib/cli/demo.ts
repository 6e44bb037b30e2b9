import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateSample, membersCsvWithInfo, ordersCsvWithInfo, sampleFileName } from '../sample/generate-sample.ts';
import { addDays } from '../time.ts';
import { latestClosableNight } from '../nightly/due.ts';
import { formatMinor } from '../money.ts';
import type { FileSummary } from '../ingest/ports.ts';
import { ingestProgress } from '../ingest/progress.ts';
import { ingestFiles } from './ingest-files.ts';
import { addCurrencies } from '../ingest/summary-warnings.ts';
import { readFileSync } from 'node:fs';
import { reportFromStores } from '../report/build-report.ts';
import { resolve } from 'node:path';
import { validateConfigJson } from '../config/validate.ts';
import { readSnsMessages } from '../local/sns-stub.ts';
import { filesByDate, simulate } from './simulate.ts';
import { localTouches } from './local-touches.ts';
import type { CustomerRecord } from '../ingest/ports.ts';
import { momentsHome, openLocal } from './local-runtime.ts';

/** Writes the day files of a seeded sample the way a brand's systems would: mixed encodings, a few bad rows. */
export function writeSampleFiles(dir: string, opts: { seed: number; customers: number; from: string; to: string }) {
  mkdirSync(dir, { recursive: true });
  const sample = generateSample(opts);
  const files: string[] = [];
  let badRows = 0;
  const gbkDay = Math.floor(sample.days.length / 2);
  sample.days.forEach((day, i) => {
    if (day.orders.length === 0) return;
    const gbk = i === gbkDay;
    const info = ordersCsvWithInfo(day.orders, {
      seed: opts.seed + i,
      crlf: i % 2 === 0,
      bom: i % 3 === 0,
      chineseHeaders: gbk,
      gbk,
      badRows: i % 20 === 5 ? 3 : 0,
      totalRow: i % 45 === 7,
    });
    badRows += info.badRows + (info.totalRow ? 1 : 0);
    let name = sampleFileName('orders', day.date);
    let body = info.buffer;
    if (i % 30 === 11) {
      name += '.gz';
      body = gzipSync(body);
    }
    writeFileSync(join(dir, name), body);
    files.push(join(dir, name));
  });
  const members = membersCsvWithInfo(sample.members, { seed: opts.seed, badRows: 4, bom: true });
  const membersFile = join(dir, sampleFileName('members', opts.to));
  writeFileSync(membersFile, members.buffer);
  // One upload nobody can read: a spreadsheet saved without its header row.
  const broken = join(dir, 'orders-broken-export.csv');
  writeFileSync(broken, 'A-1,0000001,2026-01-01,10.00\nA-2,0000002,2026-01-01,12.00\n');
  return { sample, orderFiles: files, membersFile, broken, badRows, badMemberFields: members.badRows };
}

export async function runDemo(opts: { customers: number; seed: number; months: number }): Promise<void> {
  const t0 = Date.now();
  const zone = 'Asia/Shanghai';
  const to = latestClosableNight(zone);
  const from = addDays(to, -Math.round(opts.months * 30.4));
  // History up to `cut` arrives in one go (a brand starting on moments); the last month is replayed day by day.
  const cut = addDays(to, -30);
  const home = momentsHome();
  const dir = join(home, 'sample');
  console.log(`moments demo: ${opts.customers} customers, ${from} .. ${to}, seed ${opts.seed}`);
  console.log(`  state in ${home} (set MOMENTS_HOME to change; delete it to start over)`);
  const w = writeSampleFiles(dir, { seed: opts.seed, customers: opts.customers, from, to });
  // A cross-border shop exporting in USD while brand.currency is CNY: the ingest warns, the report shows a banner.
  const usd = join(dir, 'orders-webshop-usd.csv');
  writeFileSync(
    usd,
    'order_id,customer_id,ordered_at,amount,currency,status\n' + [1, 2, 3].map((i) => `W-${i},W00000${i},${cut},${20 * i}.00,USD,paid\n`).join(''),
  );
  console.log(`  sample written to ${dir}: ${w.orderFiles.length} daily order files, 1 member file, 1 unreadable file, 1 file in USD`);

  const rt = await openLocal({ asOf: cut });
  const summaries: FileSummary[] = [];
  try {
    const configFile = resolve(import.meta.dirname, '../../examples/campaigns.json');
    const checked = validateConfigJson(JSON.parse(readFileSync(configFile, 'utf8')));
    if (!checked.config) throw new Error(`examples/campaigns.json: ${checked.errors.join('; ')}`);
    await rt.adapters.config.activate(checked.config, 'examples/campaigns.json');
    console.log(`  configuration: examples/campaigns.json (${checked.config.campaigns.length} campaigns) activated`);

    const byDate = filesByDate(dir);
    const history = [w.membersFile, ...[...byDate].filter(([d]) => d <= cut).flatMap(([, f]) => f), w.broken, usd];
    const tty = process.stdout.isTTY;
    let rows = 0;
    const onProgress = (p: { rows: number }) => void (rows = p.rows);
    ingestProgress.on('progress', onProgress);
    for (const [i, f] of history.entries()) {
      const [s] = await ingestFiles(rt, [f]);
      if (s) summaries.push(s);
      const msg = `  ingesting history: ${i + 1}/${history.length} files (${summaries.reduce((n, x) => n + x.rows, 0) + rows} rows)`;
      if (tty) process.stdout.write(`\r${msg}`);
      else if ((i + 1) % 25 === 0 || i + 1 === history.length) console.log(msg);
    }
    ingestProgress.off('progress', onProgress);
    if (tty) process.stdout.write('\n');

    const days = await simulate(rt, { ordersDir: dir, from: addDays(cut, 1), to, config: checked.config, configVersion: 'examples/campaigns.json' }, (r) => {
      const msg = `  replaying ${r.date}: ingest, nightly (${r.due} due), ${r.sent} touches sent`;
      if (tty) process.stdout.write(`\r\x1b[K${msg}`);
    });
    if (tty) process.stdout.write('\n');
    const replayed = days.reduce((n, d) => n + d.files, 0);

    const orders = summaries.filter((s) => s.kind === 'orders' && s.status === 'processed');
    const sum = (xs: FileSummary[], k: 'rows' | 'applied' | 'rejected' | 'unchanged') => xs.reduce((n, s) => n + s[k], 0);
    const members = summaries.find((s) => s.kind === 'members');
    const quarantined = summaries.filter((s) => s.status === 'quarantined');
    console.log('\nWhat happened');
    console.log(
      `  orders:  ${orders.length} history files + ${replayed} replayed, ${sum(orders, 'rows')} history rows, ${sum(orders, 'applied')} applied` +
        ` (${sum(orders, 'unchanged')} already known), ${sum(orders, 'rejected')} rejected`,
    );
    const enc = [...new Set(orders.map((s) => `${s.encoding}${s.compressed ? '+gzip' : ''}`))].join(', ');
    console.log(`           encodings seen: ${enc}`);
    const currencies = addCurrencies(orders.map((s) => s.currencies)) ?? {};
    console.log(`           applied by currency: ${Object.entries(currencies).map(([c, n]) => `${c} ${n}`).join(', ')} (brand.currency ${checked.config.brand.currency})`);
    if (members)
      console.log(
        `  members: ${members.rows} rows, ${members.applied} applied, ${members.rejected} rejected, ${members.rejectedFields} single values rejected`,
      );
    for (const q of quarantined) console.log(`  quarantined: ${q.file}: ${q.reason}`);
    // Warnings as the ingest printed them: rows outside brand.currency add nothing to spend, points or tiers.
    for (const s of summaries) for (const x of s.warnings ?? []) console.log(`  warning: ${s.file}: ${x}`);

    const snap = await rt.adapters.nightly.getSnapshot();
    const records: CustomerRecord[] = [];
    for await (const r of rt.adapters.customers.scanCustomers()) records.push(r);
    const states = records.flatMap((r) => (r.state ? [r.state] : []));
    const buyers = states.filter((s) => s.orderCount > 0);
    const repeat = buyers.filter((s) => s.purchaseDays >= 2).length;
    const spend = buyers.reduce((n, s) => n + s.totalSpendMinor, 0);
    console.log(`\nCustomer state (as of ${to})`);
    console.log(`  ${buyers.length} customers with orders, ${repeat} (${Math.round((100 * repeat) / Math.max(1, buyers.length))}%) bought on 2+ days`);
    console.log(`  net spend ${formatMinor(spend, 'CNY')} CNY, points outstanding ${buyers.reduce((n, s) => n + s.pointsBalance, 0)}`);
    const byRegion = new Map<string, number>();
    for (const s of buyers) byRegion.set(s.region ?? '?', (byRegion.get(s.region ?? '?') ?? 0) + 1);
    console.log(`  by region: ${[...byRegion].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r.replace(/\s+/g, ' ')} ${n}`).join(', ')}`);
    if (snap)
      console.log(
        `  nightly ${snap.night}: ${snap.customersProcessed} customers due, ${snap.totals.brand.active} active in the rolling year, returning ratio ${snap.returningRatio === null ? '-' : (100 * snap.returningRatio).toFixed(1) + '%'}`,
      );
    // The nightly fits its own purchase model: say on what, so pAlive in the export is not a mystery.
    const model = await rt.adapters.nightly.getModel();
    const [fit] = await rt.adapters.nightly.listFitRecords(1);
    if (model)
      console.log(
        `  purchase model (BG/NBD), fitted by the nightly itself for ${model.until ?? '?'}` +
          (fit?.status === 'activated' ? ` on ${fit.customers} customers (${fit.repeatCustomers} with a repeat purchase)` : '') +
          `: pAlive and expected purchases in the export`,
      );
    else console.log(`  purchase model: not fitted yet${fit?.reason ? ` (${fit.reason})` : ''}`);
    const touches = localTouches(rt);
    const byStatus = new Map<string, number>();
    const byCampaign = new Map<string, number>();
    for await (const t of touches.store.scan()) {
      byStatus.set(t.status, (byStatus.get(t.status) ?? 0) + 1);
      if (t.status === 'sent') byCampaign.set(t.campaignId, (byCampaign.get(t.campaignId) ?? 0) + 1);
    }
    touches.close();
    console.log(`\nTouches over the replayed month (each planned by the night before its day, sent on the day at sendAt, customer's zone)`);
    console.log(`  by status:   ${[...byStatus].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    console.log(`  sent by campaign: ${[...byCampaign].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    const sms = readSnsMessages(rt.stack.home).length;
    console.log(`  received locally: ${sms} SMS (SNS stub), email in aws-ses-v2-local (${rt.stack.endpoints.ses}/store while a command runs)`);
    const count = (xs: (string | null | undefined)[]) =>
      [...xs.reduce((m, x) => m.set(x ?? '-', (m.get(x ?? '-') ?? 0) + 1), new Map<string, number>())].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`  stages: ${count(records.map((r) => r.derived?.stage))}`);
    console.log(`  tiers:  ${count(records.map((r) => r.derived?.tier?.tier))}`);
    const top = [...buyers].sort((a, b) => b.totalSpendMinor - a.totalSpendMinor).slice(0, 5);
    console.log('  top customers by net spend:');
    for (const s of top)
      console.log(`    ${s.customerId}  ${s.totalSpend.padStart(10)} CNY  ${s.orderCount} orders  home ${s.homeStoreId}  points ${s.pointsBalance}`);

    const bucketDir = join(home, 's3', rt.stack.bucket);
    console.log('\nWhere to look');
    console.log(`  reject reports:   ${join(bucketDir, 'rejected')}/`);
    console.log(`  quarantined:      ${join(bucketDir, 'quarantine')}/`);
    console.log(`  all customers:    npx moments export customers --out customers.jsonl`);
    console.log(`  health by night:  npx moments export snapshots`);
    console.log(`  touch log:        npx moments export touches`);
    console.log(`  SMS received:     ${join(home, 'sns', 'messages.jsonl')}`);
    console.log(`  next nights:      npx moments nightly            (closes every night up to yesterday)`);
    console.log(`  one customer:     npx moments customer ${top[0]?.customerId ?? '<id>'}`);
    console.log(`  ingest your own:  npx moments ingest path/to/orders-2026-03-05.csv`);
    const report = join(home, 'report.html');
    const { config } = await rt.adapters.config.load();
    const built = await reportFromStores(to, rt.adapters, config);
    writeFileSync(report, built.html);
    console.log(`\nReport: ${report} (${built.charts} charts; open it in a browser, it needs no network)`);
    for (const b of built.banners) console.log(`  banner: ${b}`);
    console.log(`\nDone in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
  } finally {
    await rt.close();
  }
}
