import { z } from 'zod';
import { processSegment, type SegmentResult } from '../../lib/nightly/run-nightly.ts';
import { nightlyWiring } from '../nightly/wiring.ts';

const input = z.object({
  night: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  prevNight: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable(),
  shard: z.number().int().min(0),
});

/** One shard of one night; returns done=false when its budget ran out (the state machine calls again). */
export const handler = async (event: unknown): Promise<SegmentResult & { prevNight: string | null }> => {
  const w = nightlyWiring();
  const { night, prevNight, shard } = input.parse(event);
  const r = await processSegment(night, prevNight, shard, await w.deps(), { maxCustomers: w.env.SEGMENT_MAX_CUSTOMERS });
  if (w.env.LOG_LEVEL === 'info' || w.env.LOG_LEVEL === 'debug') console.log(JSON.stringify({ level: 'INFO', message: 'segment', ...r }));
  return { ...r, prevNight };
};
