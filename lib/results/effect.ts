/** Two-group comparison for a campaign: target (intention to treat) against its randomly held-out control. */
export interface GroupStats {
  n: number;
  mean: number;
  variance: number;
}

export function stats(xs: readonly number[]): GroupStats {
  const n = xs.length;
  if (n === 0) return { n: 0, mean: 0, variance: 0 };
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  return { n, mean, variance };
}

export interface Difference {
  estimate: number;
  low: number;
  high: number;
}

/**
 * Difference of means with a Welch (unequal variances) normal-approximation interval: the large-sample
 * interval that does not assume the groups spread alike (a held-out group is usually much smaller).
 */
export function differenceOfMeans(t: GroupStats, c: GroupStats, z = 1.959964): Difference | null {
  if (t.n < 2 || c.n < 2) return null;
  const estimate = t.mean - c.mean;
  const se = Math.sqrt(t.variance / t.n + c.variance / c.n);
  return { estimate, low: estimate - z * se, high: estimate + z * se };
}
