import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocal } from '../../lib/cli/local-runtime.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome();
afterAll(() => t.cleanup());

describe('config/campaigns.json uploaded to the bucket (the config function on the S3 trigger)', () => {
  it('a valid file is activated under its version; an invalid one is reported and the last good one stays', async () => {
    process.env['MOMENTS_HOME'] = join(t.home, 'state');
    const rt = await openLocal();
    try {
      const good = readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8');
      const put = async (body: string) => {
        const r = await rt.adapters.s3.send(new PutObjectCommand({ Bucket: rt.bucket, Key: 'config/campaigns.json', Body: body }));
        await rt.settle();
        return (r.ETag ?? '').replace(/"/g, '');
      };
      const v1 = await put(good);
      const a = await rt.adapters.config.load();
      expect(a.config.brand.name).toBe('Lumière Cosmetics');
      expect(a.version.replace(/"/g, '')).toBe(v1);

      const bad = JSON.parse(good);
      bad.contactPolicy.frequencyCap.maxTouches = 0;
      bad.campaigns[0].templates['zh-CN'].sms = '{{ points.balanse }}';
      await put(JSON.stringify(bad));
      const b = await rt.adapters.config.load();
      expect(b.version.replace(/"/g, '')).toBe(v1);
      const listed = await rt.adapters.s3.send(new ListObjectsV2Command({ Bucket: rt.bucket, Prefix: 'config/rejected/' }));
      expect(listed.Contents).toHaveLength(1);
      const got = await rt.adapters.s3.send(new GetObjectCommand({ Bucket: rt.bucket, Key: listed.Contents![0]!.Key! }));
      const report = await got.Body!.transformToString('utf8');
      expect(report).toContain('NOT activated; the previous configuration stays active');
      expect(report).toContain('$.contactPolicy.frequencyCap.maxTouches');

      await put('{ not json');
      expect((await rt.adapters.config.load()).version.replace(/"/g, '')).toBe(v1);
    } finally {
      await rt.close();
    }
  });
});
