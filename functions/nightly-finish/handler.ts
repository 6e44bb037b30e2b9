import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { SERVICES } from '../../lib/observability/metric-names.ts';
import { finishMetrics } from '../../lib/observability/metrics.ts';
import { invocation, observability, type Observability } from '../../lib/observability/observe.ts';
import { finishNight } from '../../lib/nightly/run-nightly.ts';
import { nightlyWiring } from '../nightly/wiring.ts';

const input = z.object({
  night: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  owner: z.string().min(1),
  last: z.boolean(),
});

let o: Observability | undefined;

/** Closes a night once every shard is done: brand snapshot, then the cursor; the last night frees the lease. */
export const handler = async (event: unknown, context?: Context) => {
  const w = nightlyWiring();
  o ??= observability(SERVICES.nightlyFinish, w.env);
  const obs = o;
  return invocation(obs, 'nightly finish', context, async () => {
    obs.logger.debug('event', { event });
    const { night, owner, last } = input.parse(event);
    const s = await finishNight(night, await w.deps());
    // The run's last night also leaves the report for people to open (reports/<night>/index.html).
    const report = last ? await w.writeReport(night) : undefined;
    if (last) await w.ledger.releaseLease(owner);
    const out = { night: s.night, active: s.totals.brand.active, returningRatio: s.returningRatio, customersProcessed: s.customersProcessed, ...(report ? { report } : {}) };
    obs.logger.info('night closed', { ...out, last });
    obs.metrics.add(finishMetrics());
    return out;
  });
};
