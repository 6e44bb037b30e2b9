import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { SERVICES } from '../../lib/observability/metric-names.ts';
import { planMetrics } from '../../lib/observability/metrics.ts';
import { invocation, observability, type Observability } from '../../lib/observability/observe.ts';
import { planNights, type NightPlan } from '../../lib/nightly/run-nightly.ts';
import { latestClosableNight, nightNotClosable } from '../../lib/nightly/due.ts';
import { nightlyWiring } from '../nightly/wiring.ts';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const input = z.object({
  /** The execution's input: {} when scheduled, {"asOf": "YYYY-MM-DD", "force": true} by hand. */
  input: z.object({ asOf: date.optional(), force: z.boolean().optional() }).passthrough().default({}),
  /** The execution id: the lease holder. */
  owner: z.string().min(1),
});

let o: Observability | undefined;

/**
 * First step of the nightly state machine. Scheduled runs carry no date: the night to close is the brand-local
 * day that just ended. Missed nights come back in order; nights already closed are not planned again; a run
 * that finds another one holding the lease plans nothing. Before the first night, the model is fitted when due
 * so that night's segments (which read the active model) already use it.
 */
export const handler = async (event: unknown, context?: Context): Promise<NightPlan> => {
  const w = nightlyWiring();
  o ??= observability(SERVICES.nightlyPlan, w.env);
  const obs = o;
  return invocation(obs, 'nightly plan', context, async () => {
    obs.logger.debug('event', { event });
    const { input: i, owner } = input.parse(event);
    const config = await w.config();
    const early = i.asOf && nightNotClosable(i.asOf, config.brand.timeZone);
    // Fails the execution with the reason rather than closing a night whose later orders would never count.
    if (early) throw new Error(`asOf ${early}`);
    const night = i.asOf ?? latestClosableNight(config.brand.timeZone);
    const plan = await planNights(night, w.ledger, owner, i.force ?? false);
    if (plan.skipped) obs.logger.warn('nightly skipped', { owner, reason: plan.skipped });
    else obs.logger.info('nights planned', { owner, asOf: night, force: i.force ?? false, nights: plan.nights.map((n) => n.night) });
    const first = plan.nights[0];
    if (first) {
      // The run holds the lease now: a model failure must not fail the plan (and strand the lease); the night
      // goes on with the model it has, and the error is logged (the invocation's error alarm does not fire).
      try {
        const { record } = await w.keepModel(first.night, config.model);
        if (record) obs.logger.info('model fit', { night: record.night, status: record.status, reason: record.reason, customers: record.customers, readMs: record.readMs, fitMs: record.fitMs });
      } catch (e) {
        obs.logger.error('model fit failed; the nights go on with the active model', { night: first.night, error: e instanceof Error ? e.message : String(e) });
      }
    }
    obs.metrics.add(planMetrics(plan));
    return plan;
  });
};
