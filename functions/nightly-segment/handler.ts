import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { SERVICES } from '../../lib/observability/metric-names.ts';
import { segmentMetrics } from '../../lib/observability/metrics.ts';
import { invocation, observability, type Observability } from '../../lib/observability/observe.ts';
import { processSegment, type SegmentResult } from '../../lib/nightly/run-nightly.ts';
import { nightlyWiring } from '../nightly/wiring.ts';

const input = z.object({
  night: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  prevNight: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable(),
  shard: z.number().int().min(0),
});

let o: Observability | undefined;

/** One shard of one night; returns done=false when its budget ran out (the state machine calls again). */
export const handler = async (event: unknown, context?: Context): Promise<SegmentResult & { prevNight: string | null }> => {
  const w = nightlyWiring();
  o ??= observability(SERVICES.nightlySegment, w.env);
  const obs = o;
  return invocation(obs, 'nightly segment', context, async () => {
    obs.logger.debug('event', { event });
    const { night, prevNight, shard } = input.parse(event);
    const r = await processSegment(night, prevNight, shard, await w.deps(), { maxCustomers: w.env.SEGMENT_MAX_CUSTOMERS });
    obs.logger.info('segment', { ...r, prevNight });
    obs.metrics.add(segmentMetrics(r));
    return { ...r, prevNight };
  });
};
