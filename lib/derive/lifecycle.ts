import type { MomentsConfig } from '../config/schema.ts';
import type { Metrics } from './metrics.ts';

/** The stage of a customer no rule matches (the rules' own stages are the others). */
export const UNCLASSIFIED_STAGE = 'unclassified';

export interface StageMatch {
  stage: string;
  rule: string;
}

type Cond = { gt?: number | undefined; gte?: number | undefined; lt?: number | undefined; lte?: number | undefined; eq?: number | undefined };

export function holds(value: number | null, c: Cond): boolean {
  if (value === null) return false;
  if (c.gt !== undefined && !(value > c.gt)) return false;
  if (c.gte !== undefined && !(value >= c.gte)) return false;
  if (c.lt !== undefined && !(value < c.lt)) return false;
  if (c.lte !== undefined && !(value <= c.lte)) return false;
  if (c.eq !== undefined && value !== c.eq) return false;
  return true;
}

export function ruleId(rule: MomentsConfig['lifecycle']['rules'][number], index: number): string {
  return rule.id ?? `${rule.stage}#${index + 1}`;
}

/** First matching rule wins; the rule id is kept so a stage can always be explained. */
export function evaluateStage(metrics: Metrics, config: MomentsConfig): StageMatch {
  const rules = config.lifecycle.rules;
  for (const [i, rule] of rules.entries()) {
    const ok = Object.entries(rule.when).every(([m, c]) => holds(metrics[m as keyof Metrics], c as Cond));
    if (ok) return { stage: rule.stage, rule: ruleId(rule, i) };
  }
  return { stage: UNCLASSIFIED_STAGE, rule: 'no-rule-matched' };
}
