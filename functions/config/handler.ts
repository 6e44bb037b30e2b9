import type { Context, S3Event } from 'aws-lambda';
import { makeTouchAdapters } from '../../lib/adapters/touch-factory.ts';
import { activateUpload } from '../../lib/config/activate.ts';
import { SERVICES } from '../../lib/observability/metric-names.ts';
import { configMetrics } from '../../lib/observability/metrics.ts';
import { invocation, observability } from '../../lib/observability/observe.ts';
import { decodeS3Key } from '../../lib/s3-event.ts';
import { configEnvSchema } from './env.ts';

function wire() {
  const env = configEnvSchema.parse(process.env);
  return { a: makeTouchAdapters(env), o: observability(SERVICES.config, env) };
}
let wired: ReturnType<typeof wire> | undefined;

/** config/campaigns.json uploaded: validate, then activate under its S3 version or reject with a report. */
export const handler = async (event: S3Event, context?: Context) => {
  wired ??= wire();
  const { a, o } = wired;
  return invocation(o, 'config', context, async () => {
    o.logger.debug('event', { event });
    const out = [];
    for (const r of event.Records) {
      const key = decodeS3Key(r.s3.object.key);
      const version = r.s3.object.versionId ?? r.s3.object.eTag ?? r.eventTime;
      const res = await activateUpload(key, version, {
        read: (k) => a.objects!.read(k),
        put: (k, b, t) => a.objects!.put(k, b, t),
        activate: (c, v) => a.config.activate(c, v),
      });
      if (res.active) o.logger.info('configuration activated', { key, version });
      else o.logger.warn('configuration rejected', { key, version, report: res.report, errors: res.errors });
      out.push(res);
    }
    o.metrics.add(configMetrics(out));
    return out;
  });
};
