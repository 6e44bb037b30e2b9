import type { HealthContribution } from '../derive/derive.ts';

export interface Counts {
  active: number;
  returning: number;
}

/** Brand health totals of one shard (or, merged, of the brand) on a night. */
export interface HealthTotals {
  brand: Counts;
  stores: Record<string, Counts>;
  regions: Record<string, Counts>;
  /** Active customers by trailing-spend bucket (value pyramid cut-offs). */
  spend: Record<string, number>;
}

export const emptyTotals = (): HealthTotals => ({ brand: { active: 0, returning: 0 }, stores: {}, regions: {}, spend: {} });

/** Log buckets of 5%: rank cut-offs are exact to within one bucket. */
export function spendBucket(minor: number): number {
  return minor <= 0 ? -1 : Math.floor(Math.log(minor) / Math.log(1.05));
}
export const bucketFloor = (b: number) => Math.ceil(1.05 ** b);

function bump(c: Counts | undefined, active: number, returning: number): Counts {
  return { active: (c?.active ?? 0) + active, returning: (c?.returning ?? 0) + returning };
}

/** Adds (sign 1) or removes (sign -1) one customer's contribution. */
export function applyContribution(t: HealthTotals, c: HealthContribution | null, sign: 1 | -1): void {
  if (!c || !c.active) return;
  const r = c.returning ? sign : 0;
  t.brand = bump(t.brand, sign, r);
  if (c.store) t.stores[c.store] = bump(t.stores[c.store], sign, r);
  if (c.region) t.regions[c.region] = bump(t.regions[c.region], sign, r);
  const b = spendBucket(c.trailingSpendMinor);
  if (b >= 0) t.spend[b] = (t.spend[b] ?? 0) + sign;
}

export function mergeTotals(parts: HealthTotals[]): HealthTotals {
  const t = emptyTotals();
  const add = (into: Record<string, Counts>, from: Record<string, Counts>) => {
    for (const [k, v] of Object.entries(from)) into[k] = bump(into[k], v.active, v.returning);
  };
  for (const p of parts) {
    t.brand = bump(t.brand, p.brand.active, p.brand.returning);
    add(t.stores, p.stores);
    add(t.regions, p.regions);
    for (const [b, n] of Object.entries(p.spend)) t.spend[b] = (t.spend[b] ?? 0) + n;
  }
  // Zero rows carry no information and would only grow the item.
  for (const m of [t.stores, t.regions]) for (const [k, v] of Object.entries(m)) if (v.active === 0 && v.returning === 0) delete m[k];
  for (const [b, n] of Object.entries(t.spend)) if (n === 0) delete t.spend[b];
  return t;
}

export interface ValueCutoffs {
  /** Minimum trailing spend (minor units) for each segment, highest first. */
  diamond: number;
  core: number;
  potential: number;
}

/** Cut-offs of the value pyramid from the spend histogram: the top shares by rank of trailing spend. */
export function valueCutoffs(spend: Record<string, number>, shares: { diamond: number; core: number; potential: number }): ValueCutoffs {
  const buckets = Object.entries(spend)
    .map(([b, n]) => [Number(b), n] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[0] - a[0]);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  const cut = (share: number) => {
    let seen = 0;
    let floor = Number.POSITIVE_INFINITY;
    for (const [b, n] of buckets) {
      if (seen + n > share * total && seen > 0) break;
      seen += n;
      floor = bucketFloor(b);
      if (seen >= share * total) break;
    }
    return floor;
  };
  return {
    diamond: cut(shares.diamond),
    core: cut(shares.diamond + shares.core),
    potential: cut(shares.diamond + shares.core + shares.potential),
  };
}

export function valueSegment(trailingSpendMinor: number, c: ValueCutoffs | undefined): string {
  if (!c || trailingSpendMinor <= 0) return 'base';
  const b = bucketFloor(spendBucket(trailingSpendMinor));
  if (b >= c.diamond) return 'diamond';
  if (b >= c.core) return 'core';
  if (b >= c.potential) return 'potential';
  return 'base';
}

export interface HealthSnapshot {
  night: string;
  totals: HealthTotals;
  cutoffs: ValueCutoffs;
  /** Returning-customer ratio, brand-wide. */
  returningRatio: number | null;
  customersProcessed: number;
}
