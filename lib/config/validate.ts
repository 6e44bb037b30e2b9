import type { Campaign } from './campaigns-schema.ts';
import { formatConfigErrors, jsonPath } from './errors.ts';
import { checkConfigShape } from './limits.ts';
import { semanticErrors } from './semantic-checks.ts';
import { configSchema, type MomentsConfig } from './schema.ts';
import { validateTemplate } from '../touches/render.ts';

/** The variables the planner gives each moment's templates (lib/touches/plan.ts), with sample values. */
export function sampleVarsFor(moment: Campaign['moment'], locale: string): Record<string, unknown> {
  const zh = locale.startsWith('zh');
  const expiring = [
    { points: 1200, expiresOn: '2026-03-31' },
    { points: 300, expiresOn: '2026-06-30' },
  ];
  const base: Record<string, unknown> = {
    customer: { id: '0001234', name: zh ? '王小明' : 'Alexandra Chen', tier: 'gold', stage: 'stable', homeStoreId: 'S001' },
    points: { balance: 12680, expiring },
    tier: { name: 'gold', since: '2025-06-30', reviewOn: '2026-06-30' },
    campaign: { id: 'sample' },
  };
  switch (moment) {
    case 'statement':
      return { ...base, points: { balance: 12680, earnedLastMonth: 860, expiring }, deadline: '2026-03-31' };
    case 'points-expiry':
      return { ...base, lot: expiring[0], deadline: '2026-03-31' };
    case 'tier-change':
      return { ...base, deadline: '2026-06-30' };
    default:
      return base;
  }
}

/**
 * zod drops an own "__proto__" key of a record (lifecycle conditions, templates, column mappings) without a word,
 * its guard against prototype pollution; like any unknown key it is an error here. Walked without recursion:
 * uploads can nest deeply.
 */
function protoKeyErrors(json: unknown): string[] {
  const out: string[] = [];
  const stack: [unknown, (string | number)[]][] = [[json, []]];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, [...path, i]]));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === '__proto__') out.push(`${jsonPath(path)}: Unrecognized key: "__proto__"`);
        else stack.push([x, [...path, k]]);
      }
  }
  return out;
}

/**
 * Everything `config validate` and the config function check: the schema (with JSON paths) and every campaign
 * template rendered strictly against sample data of its moment, so a typo never reaches a customer.
 */
export function validateConfigJson(json: unknown): { config?: MomentsConfig; errors: string[] } {
  // A hostile or runaway document is refused on its shape before the schema walks it.
  const shape = checkConfigShape(json);
  if (shape.length) return { errors: shape };
  const proto = protoKeyErrors(json);
  const r = configSchema.safeParse(json);
  if (!r.success) return { errors: [...new Set([...proto, ...formatConfigErrors(r.error)])] };
  if (proto.length) return { errors: proto };
  const errors = semanticErrors(r.data);
  r.data.campaigns.forEach((c, i) => {
    for (const [locale, tpl] of Object.entries(c.templates)) {
      for (const e of validateTemplate(tpl, locale, {
        brandName: r.data.brand.name,
        currency: r.data.brand.currency,
        vars: sampleVarsFor(c.moment, locale),
        maxSmsSegments: c.maxSmsSegments,
      }))
        errors.push(`$.campaigns[${i}].templates.${locale}: ${e}`);
      for (const ch of c.channels)
        if (!tpl[ch] && locale === 'zh-CN') errors.push(`$.campaigns[${i}].templates.zh-CN.${ch}: campaign "${c.id}" may send by ${ch} but has no ${ch} template`);
    }
  });
  return errors.length ? { errors } : { config: r.data, errors };
}
