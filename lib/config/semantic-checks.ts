import { MEMBER_COLUMNS, ORDER_COLUMNS, normaliseHeader } from '../csv/headers.ts';
import { UNCLASSIFIED_STAGE } from '../derive/lifecycle.ts';
import { parseAmount } from '../money.ts';
import { jsonPath } from './errors.ts';
import type { MomentsConfig } from './schema.ts';

/**
 * Checks across fields that the schema cannot make one value at a time: a document that passes them all and is
 * still wrong would validate and then break the ingest or a campaign without a word (a marketer's typo must never
 * stop what was working). Each error is `$.path: why`, with the path of the value to change.
 */
export function semanticErrors(config: MomentsConfig): string[] {
  const errors: string[] = [];
  const at = (path: readonly (string | number)[], why: string) => errors.push(`${jsonPath(path)}: ${why}`);

  // Store ids: the ingest looks a row's store up by id, so a second entry would silently lose to the first.
  const storeAt = new Map<string, number>();
  config.stores.forEach((s, i) => {
    const first = storeAt.get(s.id);
    if (first === undefined) storeAt.set(s.id, i);
    else at(['stores', i, 'id'], `store id "${s.id}" is already used by ${jsonPath(['stores', first])}; store ids must be unique`);
  });

  // A column mapping may add spellings, not rename canonical columns: {"amount": "customer_id"} would read every
  // canonical file's amount column as its customer id (and then quarantine it for a missing amount).
  for (const [kind, canonical] of [
    ['orders', ORDER_COLUMNS],
    ['members', MEMBER_COLUMNS],
  ] as const) {
    const names = new Set<string>(canonical);
    for (const [header, column] of Object.entries(config.columns[kind])) {
      const h = normaliseHeader(header);
      if (names.has(h) && h !== column)
        at(['columns', kind, header], `"${header}" is the canonical ${kind} column "${h}" and cannot be mapped to "${column}"; map only header spellings that are not canonical names`);
    }
  }

  // The tier ladder, from lowest to highest: names unique, each minSpend an amount of the brand currency and above
  // the one before (tiers.ts takes the highest rung reached, so a rung out of order could never be earned).
  const currency = config.brand.currency;
  const tierAt = new Map<string, number>();
  let previous: { minor: number; text: string } | undefined;
  config.tiers.ladder.forEach((t, i) => {
    const first = tierAt.get(t.name);
    if (first === undefined) tierAt.set(t.name, i);
    else at(['tiers', 'ladder', i, 'name'], `tier "${t.name}" is already ${jsonPath(['tiers', 'ladder', first])}; tier names must be unique`);
    const a = parseAmount(t.minSpend, currency);
    if ('error' in a) {
      at(['tiers', 'ladder', i, 'minSpend'], `"${t.minSpend}" is not an amount of ${currency} (${a.error})`);
      return;
    }
    if (previous && a.minor <= previous.minor)
      at(['tiers', 'ladder', i, 'minSpend'], `${t.minSpend} is not above the tier before it (${previous.text}); the ladder goes from the lowest tier to the highest`);
    previous = { minor: a.minor, text: t.minSpend };
  });

  // Shares of the value pyramid; what is left is "base". A little slack for binary fractions (0.7 + 0.2 + 0.1).
  const { diamond, core, potential } = config.valueSegments;
  const shares = diamond + core + potential;
  if (shares > 1 + 1e-9) at(['valueSegments'], `diamond + core + potential = ${+shares.toFixed(6)}, at most 1 (the rest of the customers is "base")`);

  // Audiences and triggers name stages and tiers that exist; a misspelt one would match no customer, ever.
  const stages = new Set([...config.lifecycle.rules.map((r) => r.stage), UNCLASSIFIED_STAGE]);
  const stageList = [...stages].map((s) => `"${s}"`).join(', ');
  const tierList = [...tierAt.keys()].map((s) => `"${s}"`).join(', ');
  config.campaigns.forEach((c, i) => {
    if (c.moment === 'win-back')
      c.onStages.forEach((s, j) => {
        if (!stages.has(s)) at(['campaigns', i, 'onStages', j], `no lifecycle rule gives the stage "${s}" (stages: ${stageList})`);
      });
    c.audience.stages?.forEach((s, j) => {
      if (!stages.has(s)) at(['campaigns', i, 'audience', 'stages', j], `no lifecycle rule gives the stage "${s}" (stages: ${stageList})`);
    });
    c.audience.tiers?.forEach((t, j) => {
      if (!tierAt.has(t)) at(['campaigns', i, 'audience', 'tiers', j], `no tier "${t}" in $.tiers.ladder (tiers: ${tierList})`);
    });
  });
  return errors;
}
