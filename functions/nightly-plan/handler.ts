import { z } from 'zod';
import { planNights, type NightPlan } from '../../lib/nightly/run-nightly.ts';
import { addDays, today } from '../../lib/time.ts';
import { nightlyWiring } from '../nightly/wiring.ts';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const input = z.object({
  /** The execution's input: {} when scheduled, {"asOf": "YYYY-MM-DD", "force": true} by hand. */
  input: z.object({ asOf: date.optional(), force: z.boolean().optional() }).passthrough().default({}),
  /** The execution id: the lease holder. */
  owner: z.string().min(1),
});

/**
 * First step of the nightly state machine. Scheduled runs carry no date: the night to close is the brand-local
 * day that just ended. Missed nights come back in order; nights already closed are not planned again; a run
 * that finds another one holding the lease plans nothing.
 */
export const handler = async (event: unknown): Promise<NightPlan> => {
  const w = nightlyWiring();
  const { input: i, owner } = input.parse(event);
  const config = await w.config();
  const night = i.asOf ?? addDays(today(config.brand.timeZone), -1);
  const plan = await planNights(night, w.ledger, owner, i.force ?? false);
  if (plan.skipped) console.log(JSON.stringify({ level: 'WARN', message: 'nightly skipped', reason: plan.skipped }));
  return plan;
};
