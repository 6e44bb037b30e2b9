import { z } from 'zod';
import { planNights, type NightPlan } from '../../lib/nightly/run-nightly.ts';
import { addDays, today } from '../../lib/time.ts';
import { nightlyWiring } from '../nightly/wiring.ts';

const input = z.object({ asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() }).passthrough();

/**
 * First step of the nightly state machine. Scheduled runs carry no date: the night to close is the brand-local
 * day that just ended. Missed nights come back in order; nights already closed are not planned again.
 */
export const handler = async (event: unknown): Promise<NightPlan> => {
  const w = nightlyWiring();
  const { asOf } = input.parse(event ?? {});
  const config = await w.config();
  const night = asOf ?? addDays(today(config.brand.timeZone), -1);
  return planNights(night, w.ledger);
};
