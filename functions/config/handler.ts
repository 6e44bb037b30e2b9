import type { S3Event } from 'aws-lambda';
import { makeTouchAdapters } from '../../lib/adapters/touch-factory.ts';
import { activateUpload } from '../../lib/config/activate.ts';
import { decodeS3Key } from '../../lib/s3-event.ts';
import { configEnvSchema } from './env.ts';

let wired: ReturnType<typeof makeTouchAdapters> | undefined;

/** config/campaigns.json uploaded: validate, then activate under its S3 version or reject with a report. */
export const handler = async (event: S3Event) => {
  wired ??= makeTouchAdapters(configEnvSchema.parse(process.env));
  const a = wired;
  const out = [];
  for (const r of event.Records) {
    const key = decodeS3Key(r.s3.object.key);
    const version = r.s3.object.versionId ?? r.s3.object.eTag ?? r.eventTime;
    const res = await activateUpload(key, version, {
      read: (k) => a.objects!.read(k),
      put: (k, b, t) => a.objects!.put(k, b, t),
      activate: (c, v) => a.config.activate(c, v),
    });
    console.log(JSON.stringify({ level: res.active ? 'INFO' : 'WARN', message: res.active ? 'configuration activated' : 'configuration rejected', key, version, ...res }));
    out.push(res);
  }
  return out;
};
