import type { SNSEvent } from 'aws-lambda';
import { makeTouchAdapters } from '../../lib/adapters/touch-factory.ts';
import { suppressionsFromSes } from '../../lib/touches/ses-events.ts';
import { sesEventsEnvSchema } from './env.ts';

let wired: ReturnType<typeof makeTouchAdapters> | undefined;

/** SES bounce and complaint notifications (through SNS): the address is suppressed for every later touch. */
export const handler = async (event: SNSEvent) => {
  wired ??= makeTouchAdapters(sesEventsEnvSchema.parse(process.env));
  let n = 0;
  for (const r of event.Records) {
    let msg: unknown;
    try {
      msg = JSON.parse(r.Sns.Message);
    } catch {
      console.log(JSON.stringify({ level: 'WARN', message: 'not an SES notification', messageId: r.Sns.MessageId }));
      continue;
    }
    for (const s of suppressionsFromSes(msg)) {
      await wired.touches.suppress('email', s.address, s.reason);
      n++;
    }
  }
  return { suppressed: n };
};
