import { normaliseHeader } from '../csv/headers.ts';

export interface HeaderMap<C extends string> {
  /** Canonical column -> field index. */
  index: Partial<Record<C, number>>;
  ignored: string[];
  missing: C[];
}

/** Maps a header row to canonical columns: configured mapping first, then canonical names, then known aliases. */
export function mapHeader<C extends string>(
  header: string[],
  canonical: readonly C[],
  aliases: Record<string, C>,
  configured: Record<string, C>,
  required: readonly C[],
): HeaderMap<C> {
  const canon = new Set<string>(canonical);
  const conf = new Map(Object.entries(configured).map(([k, v]) => [normaliseHeader(k), v] as const));
  const alias = new Map(Object.entries(aliases).map(([k, v]) => [normaliseHeader(k), v] as const));
  const index: Partial<Record<C, number>> = {};
  const ignored: string[] = [];
  header.forEach((raw, i) => {
    const h = normaliseHeader(raw);
    const col = conf.get(h) ?? (canon.has(h) ? (h as C) : alias.get(h));
    if (col !== undefined && index[col] === undefined) index[col] = i;
    else if (h) ignored.push(raw);
  });
  return { index, ignored, missing: required.filter((c) => index[c] === undefined) };
}

export function pick<C extends string>(fields: string[], map: HeaderMap<C>): Partial<Record<C, string>> {
  const row: Partial<Record<C, string>> = {};
  for (const [col, i] of Object.entries(map.index) as [C, number][]) {
    const v = fields[i];
    if (v !== undefined) row[col] = v;
  }
  return row;
}

/**
 * The header cells a quarantine reason may show. A file without a header has a data row in its place (a name, a
 * phone number, a birthday), and the reason reaches the logs and the reason file: only cells the header map
 * knew (canonical names, known aliases, configured mappings) are shown; any other cell is counted, never echoed,
 * whatever it looks like (a name such as "Zhang Sanfeng" looks like a header as much as "Beleg-Nr" does).
 */
export function describeHeader(cells: readonly string[], ignored: readonly string[]): string {
  const unknown = new Set(ignored);
  const known = cells.filter((c) => c.trim() !== '' && !unknown.has(c));
  const others = cells.length - known.length;
  const count = `${cells.length} column${cells.length === 1 ? '' : 's'}`;
  if (known.length === 0) return `found ${count}, none a known header; cells not shown, they may be a data row`;
  return `found ${count}: ${known.join(', ')}${others ? ` and ${others} not known, not shown (they may be a data row)` : ''}`;
}
