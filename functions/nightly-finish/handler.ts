import { z } from 'zod';
import { finishNight } from '../../lib/nightly/run-nightly.ts';
import { nightlyWiring } from '../nightly/wiring.ts';

const input = z.object({
  night: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  owner: z.string().min(1),
  last: z.boolean(),
});

/** Closes a night once every shard is done: brand snapshot, then the cursor; the last night frees the lease. */
export const handler = async (event: unknown) => {
  const w = nightlyWiring();
  const { night, owner, last } = input.parse(event);
  const s = await finishNight(night, await w.deps());
  // The run's last night also leaves the report for people to open (reports/<night>/index.html).
  const report = last ? await w.writeReport(night) : undefined;
  if (last) await w.ledger.releaseLease(owner);
  return { night: s.night, active: s.totals.brand.active, returningRatio: s.returningRatio, customersProcessed: s.customersProcessed, ...(report ? { report } : {}) };
};
