import type { MomentsConfig } from '../config/schema.ts';
import type { CustomerRecord } from '../ingest/ports.ts';
import type { HealthSnapshot } from '../nightly/health.ts';
import { valueSegment } from '../nightly/health.ts';
import { minorDigits } from '../money.ts';
import type { CampaignResult } from '../results/campaign-results.ts';
import { daysBetween } from '../time.ts';

export interface Series {
  label: string;
  data: (number | null)[];
}

/** One chart of the report: what it shows, its axes, its data, and the one line a reader should take away. */
export interface ChartSpec {
  id: string;
  section: string;
  title: string;
  kind: 'line' | 'bar';
  xLabel: string;
  yLabel: string;
  labels: string[];
  series: Series[];
  reading: string;
  /** Second y axis for series whose label ends with " (%)". */
  percentAxis?: boolean;
  highlight?: { from: string; to: string };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : null;
};
const pct = (a: number, b: number) => (b ? Math.round((1000 * a) / b) / 10 : null);

/** Month-end (or latest) snapshot per month. */
function monthly(snapshots: HealthSnapshot[]): HealthSnapshot[] {
  const byMonth = new Map<string, HealthSnapshot>();
  for (const s of [...snapshots].sort((a, b) => (a.night < b.night ? -1 : 1))) byMonth.set(s.night.slice(0, 7), s);
  return [...byMonth.values()];
}

/**
 * Everything the report draws, computed from the customer base, the nightly snapshots and the campaign results.
 * Pure: the caller reads the data; this only counts.
 */
export function reportCharts(
  customers: CustomerRecord[],
  snapshots: HealthSnapshot[],
  results: CampaignResult[],
  config: MomentsConfig,
  asOf: string,
): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const major = 10 ** minorDigits(config.brand.currency);
  const buyers = customers.filter((c) => c.state && c.state.orderCount > 0);

  // 1. Brand health month by month.
  const months = monthly(snapshots);
  const labels = months.map((s) => s.night.slice(0, 7));
  const active = months.map((s) => s.totals.brand.active);
  const ratio = months.map((s) => (s.returningRatio === null ? null : Math.round(1000 * s.returningRatio) / 10));
  charts.push({
    id: 'health-brand',
    section: 'Brand health',
    title: 'Rolling-year active customers and returning-customer ratio',
    kind: 'line',
    xLabel: 'Month (last closed night)',
    yLabel: 'Active customers',
    labels,
    series: [
      { label: 'Active customers, rolling year', data: active },
      { label: 'Returning ratio (%)', data: ratio },
    ],
    percentAxis: true,
    reading: months.length
      ? `${active[active.length - 1]} active customers at ${labels[labels.length - 1]}, ${ratio[ratio.length - 1] ?? '-'}% of them returning; healthy growth is both lines rising.`
      : 'No closed nights yet: run the nightly.',
  });
  const last = months[months.length - 1];
  for (const [what, key] of [
    ['store', 'stores'],
    ['region', 'regions'],
  ] as const) {
    const names = last ? Object.keys(last.totals[key]).sort((a, b) => last.totals[key][b]!.active - last.totals[key][a]!.active).slice(0, 8) : [];
    charts.push({
      id: `health-${what}`,
      section: 'Brand health',
      title: `Returning-customer ratio by ${what}, month by month`,
      kind: 'line',
      xLabel: 'Month',
      yLabel: 'Returning ratio (%)',
      labels,
      series: names.map((n) => ({ label: n.replace(/\s+/g, ' '), data: months.map((s) => pct(s.totals[key][n]?.returning ?? 0, s.totals[key][n]?.active ?? 0)) })),
      reading: names.length
        ? `Largest ${what}s by active customers; a ${what} whose ratio falls while others rise needs a look.`
        : `No ${what} data yet.`,
    });
  }

  // 2. Findings: days to the second purchase, half-life by cohort, later value by first-order band, retention by region.
  const gaps = buyers.flatMap((c) => (c.state!.purchaseDates.length > 1 ? [daysBetween(c.state!.purchaseDates[0]!, c.state!.purchaseDates[1]!)] : []));
  const bins = Array.from({ length: 13 }, (_, i) => i * 15);
  const hist = bins.map((b, i) => gaps.filter((g) => g >= b && (i === bins.length - 1 || g < bins[i + 1]!)).length);
  const inWindow = gaps.filter((g) => g >= 15 && g <= 30).length;
  charts.push({
    id: 'second-purchase',
    section: 'Findings',
    title: 'Days from the first to the second purchase',
    kind: 'bar',
    xLabel: 'Days after the first purchase',
    yLabel: 'Customers',
    labels: bins.map((b, i) => (i === bins.length - 1 ? `${b}+` : `${b}-${b + 14}`)),
    series: [{ label: 'Second purchases', data: hist }],
    highlight: { from: '15-29', to: '30-44' },
    reading: `${pct(inWindow, gaps.length) ?? 0}% of second purchases come 15-30 days after the first: the window for the second-purchase nudge.`,
  });
  const cohorts = new Map<string, number[]>();
  for (const c of buyers) {
    const s = c.state!;
    if (s.purchaseDates.length > 1) {
      const k = s.purchaseDates[0]!.slice(0, 7);
      cohorts.set(k, [...(cohorts.get(k) ?? []), daysBetween(s.purchaseDates[0]!, s.purchaseDates[1]!)]);
    }
  }
  const cohortKeys = [...cohorts.keys()].sort();
  charts.push({
    id: 'half-life',
    section: 'Findings',
    title: 'Customer half-life by first-purchase cohort',
    kind: 'bar',
    xLabel: 'Month of first purchase',
    yLabel: 'Days until half of the returners are back',
    labels: cohortKeys,
    series: [{ label: 'Half-life (days)', data: cohortKeys.map((k) => median(cohorts.get(k)!)) }],
    reading: 'Median days to come back among each cohort\'s returners; beyond it, reactivation rarely pays.',
  });
  const bands = [0, 200, 500, 1000, 2000];
  const bandOf = (x: number) => bands.filter((b) => x >= b).length - 1;
  const later = bands.map(() => [] as number[]);
  for (const c of buyers) {
    const s = c.state!;
    const first = (s.firstOrderAmountMinor ?? 0) / major;
    later[bandOf(first)]!.push(s.totalSpendMinor / major - first);
  }
  charts.push({
    id: 'first-order-value',
    section: 'Findings',
    title: 'Later value by first-order value',
    kind: 'bar',
    xLabel: `First order (${config.brand.currency})`,
    yLabel: `Average later net spend (${config.brand.currency})`,
    labels: bands.map((b, i) => (i === bands.length - 1 ? `${b}+` : `${b}-${bands[i + 1]! - 1}`)),
    series: [{ label: 'Later spend per customer', data: later.map((xs) => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : null)) }],
    reading: 'First-order value predicts later value: keep it on every customer and weigh it in targeting.',
  });
  const regions = new Map<string, { n: number; back: number }>();
  for (const c of buyers) {
    const r = (c.state!.region ?? '?').replace(/\s+/g, ' ');
    const x = regions.get(r) ?? { n: 0, back: 0 };
    x.n++;
    if (c.state!.purchaseDays > 1) x.back++;
    regions.set(r, x);
  }
  const regionKeys = [...regions.keys()].sort((a, b) => regions.get(b)!.n - regions.get(a)!.n);
  charts.push({
    id: 'retention-region',
    section: 'Findings',
    title: 'Retention by region',
    kind: 'bar',
    xLabel: 'Region',
    yLabel: 'Customers who bought on 2+ days (%)',
    labels: regionKeys,
    series: [{ label: 'Repeat buyers (%)', data: regionKeys.map((k) => pct(regions.get(k)!.back, regions.get(k)!.n)) }],
    reading: 'Retention differs by region: plan counter staffing and campaigns per region, not brand-wide.',
  });

  // Best-sellers: the products most often in first orders; do customers who started with one come back more?
  const firstProducts = new Map<string, number>();
  for (const c of buyers) for (const p of c.state!.firstOrderProducts ?? []) firstProducts.set(p, (firstProducts.get(p) ?? 0) + 1);
  const best = new Set([...firstProducts].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([p]) => p));
  const withProducts = buyers.filter((c) => c.state!.firstOrderProducts?.length);
  const groups = [
    { label: 'First order had a best-seller', xs: withProducts.filter((c) => c.state!.firstOrderProducts!.some((p) => best.has(p))) },
    { label: 'First order had none', xs: withProducts.filter((c) => !c.state!.firstOrderProducts!.some((p) => best.has(p))) },
  ];
  const repeat = groups.map((g) => pct(g.xs.filter((c) => c.state!.purchaseDays > 1).length, g.xs.length));
  charts.push({
    id: 'best-sellers',
    section: 'Findings',
    title: 'Stickiness of best-seller buyers',
    kind: 'bar',
    xLabel: `First order (best-sellers: the ${best.size} products most often in first orders)`,
    yLabel: 'Customers who came back (%)',
    labels: groups.map((g) => `${g.label} (${g.xs.length})`),
    series: [{ label: 'Came back (%)', data: repeat }],
    reading: withProducts.length
      ? `${repeat[0] ?? '-'}% of customers whose first order had a best-seller came back, against ${repeat[1] ?? '-'}% of the others.`
      : 'The order exports carry no product codes (a products column), so best-sellers cannot be told apart.',
  });

  // 3. Tiers, value segments, stages and the flows between stages.
  const count = (xs: string[]) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const tiers = count(customers.flatMap((c) => (c.derived?.tier ? [c.derived.tier.tier] : [])));
  const tierOrder = config.tiers.ladder.map((t) => t.name);
  charts.push({
    id: 'tiers',
    section: 'Customer base',
    title: 'Customers by tier',
    kind: 'bar',
    xLabel: 'Tier',
    yLabel: 'Customers',
    labels: tierOrder,
    series: [{ label: 'Customers', data: tierOrder.map((t) => tiers.get(t) ?? 0) }],
    reading: `${tierOrder.map((t) => `${t} ${tiers.get(t) ?? 0}`).join(', ')}.`,
  });
  const cutoffs = last?.cutoffs;
  const segs = count(customers.flatMap((c) => (c.health ? [valueSegment(c.health.contrib.trailingSpendMinor, cutoffs)] : [])));
  const segOrder = ['diamond', 'core', 'potential', 'base'];
  charts.push({
    id: 'segments',
    section: 'Customer base',
    title: 'Value pyramid (trailing-year spend rank)',
    kind: 'bar',
    xLabel: 'Value segment',
    yLabel: 'Customers',
    labels: segOrder,
    series: [{ label: 'Customers', data: segOrder.map((s) => segs.get(s) ?? 0) }],
    reading: 'Diamond and core customers carry most revenue: protect them from over-contact.',
  });
  const stages = count(customers.flatMap((c) => (c.derived ? [c.derived.stage] : [])));
  const stageOrder = [...new Set(config.lifecycle.rules.map((r) => r.stage))];
  charts.push({
    id: 'stages',
    section: 'Customer base',
    title: 'Customers by lifecycle stage',
    kind: 'bar',
    xLabel: 'Stage',
    yLabel: 'Customers',
    labels: stageOrder,
    series: [{ label: 'Customers', data: stageOrder.map((s) => stages.get(s) ?? 0) }],
    reading: `${stages.get('declining') ?? 0} declining and ${stages.get('lapsed') ?? 0} lapsed customers are the win-back audience.`,
  });
  const flows = new Map<string, number>();
  for (const c of customers)
    for (let i = 1; i < (c.derived?.stageHistory.length ?? 0); i++) {
      const k = `${c.derived!.stageHistory[i - 1]!.stage} → ${c.derived!.stageHistory[i]!.stage}`;
      flows.set(k, (flows.get(k) ?? 0) + 1);
    }
  const flowKeys = [...flows.keys()].sort((a, b) => flows.get(b)! - flows.get(a)!).slice(0, 12);
  charts.push({
    id: 'stage-flows',
    section: 'Customer base',
    title: 'Flows between lifecycle stages (all time)',
    kind: 'bar',
    xLabel: 'From → to',
    yLabel: 'Transitions',
    labels: flowKeys,
    series: [{ label: 'Transitions', data: flowKeys.map((k) => flows.get(k)!) }],
    reading: flowKeys.length ? `Most common move: ${flowKeys[0]} (${flows.get(flowKeys[0]!)}).` : 'No stage changes yet.',
  });

  // 4. Points liability and the expiry calendar.
  const liability = buyers.reduce((s, c) => s + c.state!.pointsBalance, 0);
  const expiry = new Map<string, number>();
  for (const c of buyers) for (const l of c.state!.pointsLots) if (l.remaining > 0 && l.expiresOn >= asOf) expiry.set(l.expiresOn.slice(0, 7), (expiry.get(l.expiresOn.slice(0, 7)) ?? 0) + l.remaining);
  const expiryKeys = [...expiry.keys()].sort().slice(0, 18);
  charts.push({
    id: 'points-expiry',
    section: 'Points',
    title: 'Points expiry calendar',
    kind: 'bar',
    xLabel: 'Month the points expire',
    yLabel: 'Points',
    labels: expiryKeys,
    series: [{ label: 'Points expiring', data: expiryKeys.map((k) => expiry.get(k)!) }],
    reading: `${liability.toLocaleString('en')} points outstanding; the tallest months are when reminders matter most.`,
  });

  // 5. Campaign results.
  const rs = results.filter((r) => r.revenuePerCustomer.difference);
  charts.push({
    id: 'campaigns',
    section: 'Campaigns',
    title: 'Incremental revenue per targeted customer against control (95% interval)',
    kind: 'bar',
    xLabel: 'Campaign and month',
    yLabel: `${config.brand.currency} per customer`,
    labels: rs.map((r) => `${r.campaignId} ${r.period}`),
    series: [
      { label: 'Estimate', data: rs.map((r) => Math.round(100 * r.revenuePerCustomer.difference!.estimate) / 100) },
      { label: 'Interval low', data: rs.map((r) => Math.round(100 * r.revenuePerCustomer.difference!.low) / 100) },
      { label: 'Interval high', data: rs.map((r) => Math.round(100 * r.revenuePerCustomer.difference!.high) / 100) },
    ],
    reading: rs.length
      ? 'A campaign whose interval lies above zero earned more than it would have without the message.'
      : 'No campaign has a closed conversion window with both groups yet.',
  });
  return charts;
}
