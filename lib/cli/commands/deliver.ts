import type { Command } from 'commander';
import { endOfLocalDay, isIsoDate } from '../../time.ts';
import { targetCheck, targetOf, UsageError, withLocal } from '../cli-support.ts';
import { localTouches } from '../local-touches.ts';

export function registerDeliver(program: Command): void {
  program
    .command('deliver')
    .description('local stack: send the queued touches due up to a time (default now) to the local SES and SMS endpoints')
    .option('--until <time>', 'ISO date-time or YYYY-MM-DD (end of that day, brand time)')
    .action(async (o: { until?: string }) => {
      targetCheck(targetOf(program));
      if (targetOf(program) === 'aws') throw new UsageError('on AWS the send function consumes the touch queue; deliver is for the local stack');
      const day = o.until !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(o.until);
      // Checked before the stack starts; a day's end needs the brand's zone, read from the configuration below.
      if (o.until !== undefined && (day ? !isIsoDate(o.until) : !Number.isFinite(Date.parse(o.until))))
        throw new UsageError(`--until expects a date-time or a date YYYY-MM-DD, got "${o.until}"`);
      await withLocal(async (rt) => {
        const local = localTouches(rt);
        try {
          const { config } = await rt.adapters.config.load();
          const until = !o.until ? Date.now() : day ? endOfLocalDay(o.until, config.brand.timeZone) : Date.parse(o.until);
          const r = await local.deliver(until, config);
          local.save();
          const other = Object.entries(r.other).map(([k, n]) => `${n} ${k}`).join(', ');
          console.log(`${r.sent} sent${other ? `, ${other}` : ''}; ${local.queue.items.length} still queued, ${local.queue.dlq.length} in the dead-letter queue`);
          console.log(`  email: ${rt.stack.endpoints.ses}/store   SMS: ${rt.stack.home}/sns/messages.jsonl   log: npx moments export touches`);
        } finally {
          local.close();
        }
      });
    });
}
