import type { MomentsConfig } from '../config/schema.ts';
import type { ActiveModel } from '../derive/metrics.ts';
import type { CustomerRecord } from '../ingest/ports.ts';
import type { ErasureMark } from '../members/erasure.ts';
import { profileValues, type MemberProfile } from '../members/profile.ts';
import { healthContribution } from '../derive/derive.ts';
import { valueSegment, type ValueCutoffs } from '../nightly/health.ts';
import { advanceCustomer } from '../nightly/run-nightly.ts';
import type { NightlyCustomers, NightlyLedger } from '../nightly/ports.ts';
import { planCustomerTouches } from './decide-plan.ts';
import { proposeTouches } from './plan.ts';
import type { TouchRecord } from './touch.ts';
import { renderTouch } from './render-touch.ts';
import { nightRunTime } from './timing.ts';

export interface PreviewResult {
  night: string;
  customers: number;
  /** campaign -> status -> count (the final decision of each touch the night would make). */
  counts: Record<string, Record<string, number>>;
  /** campaign -> reason -> count, for suppressed, deferred, expired and held-out touches. */
  reasons: Record<string, Record<string, number>>;
  /** campaign -> locale -> a few rendered messages. */
  samples: Record<string, Record<string, { customerId: string; channel: string; text: string }[]>>;
}

export interface PreviewDeps {
  customers: AsyncIterable<CustomerRecord>;
  store: Pick<NightlyCustomers, 'loadCustomer'>;
  loadProfile(customerId: string): Promise<{ profile?: MemberProfile; erased?: ErasureMark }>;
  recentTouches(customerId: string): Promise<TouchRecord[]>;
  config: MomentsConfig;
  model?: ActiveModel | undefined;
  cutoffs?: ValueCutoffs | undefined;
  campaignId?: string | undefined;
  samplesPerLocale?: number;
}

/**
 * What the nightly would plan for `night` with this configuration, without writing or sending anything: every
 * customer is brought to the night in memory, its moments proposed and decided (control group, consent, quiet
 * hours, cap against the touches already on record), and a few messages rendered per campaign and locale.
 */
export async function previewNight(night: string, deps: PreviewDeps): Promise<PreviewResult> {
  const config = deps.campaignId ? { ...deps.config, campaigns: deps.config.campaigns.filter((c) => c.id === deps.campaignId) } : deps.config;
  const out: PreviewResult = { night, customers: 0, counts: {}, reasons: {}, samples: {} };
  const now = nightRunTime(night, config);
  const nightly = { customers: deps.store as NightlyCustomers, ledger: undefined as unknown as NightlyLedger, config, ...(deps.model ? { model: deps.model } : {}) };
  for await (const rec of deps.customers) {
    if (!rec.state) continue;
    out.customers++;
    const r = await advanceCustomer(rec, night, nightly);
    if (!r) continue;
    const { profile, erased } = await deps.loadProfile(rec.customerId);
    if (erased) continue; // the nightly plans nothing for an erased customer
    const values = profileValues(profile);
    const seg = valueSegment(healthContribution(r.state, night).trailingSpendMinor, deps.cutoffs);
    const proposals = proposeTouches({ state: r.state, derived: r.derived, profile: values, valueSegment: seg }, night, config);
    if (!proposals.length) continue;
    const recent = await deps.recentTouches(rec.customerId);
    const known = new Set(recent.map((t) => t.key));
    const storeZone = config.stores.find((s) => s.id === r.state.homeStoreId)?.timeZone;
    for (const p of proposals.filter((x) => known.has(x.key))) bump(out.counts, p.campaignId, 'already on record');
    const decided = planCustomerTouches(proposals.filter((x) => !known.has(x.key)), values, recent, { config, configVersion: 'preview', now, storeZone });
    for (const t of decided) {
      bump(out.counts, t.campaignId, t.status);
      // Reasons are grouped without their dates ("opted out 2026-10-18" and "... 2026-09-25" are one reason).
      for (const d of t.decisions) if (d.status !== 'planned') bump(out.reasons, t.campaignId, `${d.status}: ${d.reason.replace(/ ?\d{4}-\d{2}-\d{2}/g, '')}`);
      if (t.status !== 'planned') continue;
      const bucket = ((out.samples[t.campaignId] ??= {})[t.locale] ??= []);
      if (bucket.length >= (deps.samplesPerLocale ?? 2)) continue;
      const m = renderTouch(t, values.name, config);
      bucket.push({
        customerId: t.customerId,
        channel: t.channel ?? '-',
        text: 'error' in m ? `(cannot render: ${m.error})` : 'sms' in m ? `${m.sms} [${m.segments} segment${m.segments === 1 ? '' : 's'}]` : `${m.email.subject} | ${m.email.text.slice(0, 160)}`,
      });
    }
  }
  return out;
}

function bump(m: Record<string, Record<string, number>>, a: string, b: string) {
  const x = (m[a] ??= {});
  x[b] = (x[b] ?? 0) + 1;
}

/** Per campaign and status: the counts under each configuration and the difference. */
export function diffPreviews(active: PreviewResult, proposed: PreviewResult): { campaignId: string; status: string; active: number; proposed: number; change: number }[] {
  const rows: { campaignId: string; status: string; active: number; proposed: number; change: number }[] = [];
  const campaigns = new Set([...Object.keys(active.counts), ...Object.keys(proposed.counts)]);
  for (const c of [...campaigns].sort()) {
    const statuses = new Set([...Object.keys(active.counts[c] ?? {}), ...Object.keys(proposed.counts[c] ?? {})]);
    for (const s of [...statuses].sort()) {
      const a = active.counts[c]?.[s] ?? 0;
      const p = proposed.counts[c]?.[s] ?? 0;
      if (a !== p) rows.push({ campaignId: c, status: s, active: a, proposed: p, change: p - a });
    }
  }
  return rows;
}
