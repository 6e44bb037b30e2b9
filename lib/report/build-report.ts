import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { MomentsConfig } from '../config/schema.ts';
import type { CustomerRecord } from '../ingest/ports.ts';
import type { HealthSnapshot } from '../nightly/health.ts';
import { campaignResults } from '../results/campaign-results.ts';
import type { TouchRecord } from '../touches/touch.ts';
import { reportCharts } from './report-data.ts';
import { modelChart, type ModelSummary } from './model-section.ts';
import type { NightlyLedger } from '../nightly/ports.ts';
import { renderReportHtml } from './render-html.ts';
import { currencyBanner, otherCurrencyCustomers } from './currency-banner.ts';

const require = createRequire(import.meta.url);

/** Chart.js's UMD build, read from the installed package so the report carries it inline. */
export function chartJsSource(): string {
  // The package exports only its ESM entry; the UMD file sits beside it in dist/.
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

export interface ReportSources {
  customers: AsyncIterable<CustomerRecord>;
  touches: AsyncIterable<TouchRecord>;
  snapshots: HealthSnapshot[];
  config: MomentsConfig;
  /** The active model and the nightly's fit attempts. */
  model?: ModelSummary;
  onProgress?: (customers: number) => void;
}

/** Reads the base once and renders the whole report. */
export async function buildReport(asOf: string, src: ReportSources): Promise<{ html: string; charts: number; customers: number; banners: string[] }> {
  const customers: CustomerRecord[] = [];
  for await (const c of src.customers) {
    customers.push(c);
    if (customers.length % 10_000 === 0) src.onProgress?.(customers.length);
  }
  const touches: TouchRecord[] = [];
  for await (const t of src.touches) touches.push(t);
  const states = new Map(customers.flatMap((c) => (c.state ? [[c.customerId, c.state] as const] : [])));
  const results = campaignResults(touches, states, src.config, asOf, {
    windowDays: src.config.results.conversionDays,
    priceSms: src.config.results.pricePerSms,
    priceEmail: src.config.results.pricePerEmail,
  });
  const charts = reportCharts(customers, src.snapshots, results, src.config, asOf);
  const holdout = src.model && modelChart(src.model);
  if (holdout) charts.push(holdout);
  const last = [...src.snapshots].sort((a, b) => (a.night < b.night ? -1 : 1)).pop();
  const buyers = customers.filter((c) => c.state && c.state.orderCount > 0).length;
  // The base is read whole here anyway: counted from it, the banner is current as of the last ingest.
  const banner = currencyBanner(otherCurrencyCustomers(customers), src.config.brand.currency, buyers);
  const html = renderReportHtml({
    brand: src.config.brand.name,
    asOf,
    kpis: [
      { label: 'customers with orders', value: buyers.toLocaleString('en') },
      { label: 'active, rolling year', value: last ? last.totals.brand.active.toLocaleString('en') : '-' },
      { label: 'returning ratio', value: last?.returningRatio == null ? '-' : `${(100 * last.returningRatio).toFixed(1)}%` },
      { label: 'touches sent', value: touches.filter((t) => t.status === 'sent').length.toLocaleString('en') },
    ],
    charts,
    results,
    ...(src.model ? { model: src.model } : {}),
    notes: [
      'Half-life: median days to the second purchase among a cohort\'s customers who came back. Campaign results: intention to treat against the hash control group, Welch 95% intervals (see the README).',
      'Best-sellers are the products most often in first orders; stickiness needs a products column in the order export.',
    ],
    ...(banner ? { banners: [banner] } : {}),
    chartJs: chartJsSource(),
  });
  return { html, charts: charts.length, customers: customers.length, banners: banner ? [banner] : [] };
}

/** The stores a report reads: the customer base, the touch log and the nightly's snapshots. */
export interface ReportStores {
  customers: { scanCustomers(): AsyncIterable<CustomerRecord> };
  touches: { scan(): AsyncIterable<TouchRecord> };
  nightly: Pick<NightlyLedger, 'listSnapshots' | 'getModel' | 'listFitRecords'>;
}

/** The report of `asOf` from the stores, snapshots up to that night only. */
export async function reportFromStores(
  asOf: string,
  stores: ReportStores,
  config: MomentsConfig,
  onProgress?: (customers: number) => void,
): Promise<{ html: string; charts: number; customers: number; banners: string[] }> {
  return buildReport(asOf, {
    customers: stores.customers.scanCustomers(),
    touches: stores.touches.scan(),
    snapshots: (await stores.nightly.listSnapshots()).filter((s) => s.night <= asOf),
    config,
    // A report of an earlier night shows the attempts up to it; the active model is the one in use now.
    model: { active: await stores.nightly.getModel(), fits: (await stores.nightly.listFitRecords()).filter((f) => f.night <= asOf) },
    ...(onProgress ? { onProgress } : {}),
  });
}
