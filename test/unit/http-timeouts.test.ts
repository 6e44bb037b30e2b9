import { describe, expect, it } from 'vitest';
import { makeAdapters } from '../../lib/adapters/factory.ts';
import { API_REQUEST_TIMEOUT_MS, CONNECTION_TIMEOUT_MS, SOCKET_IDLE_TIMEOUT_MS } from '../../lib/adapters/http-timeouts.ts';
import { makeLocalClients } from '../../lib/adapters/local-clients.ts';
import { makeTouchAdapters } from '../../lib/adapters/touch-factory.ts';

/** The settings the client's NodeHttpHandler resolved (what it applies to every request). */
async function handlerSettings(client: { config: { requestHandler: unknown } }) {
  const h = client.config.requestHandler as { configProvider: Promise<Record<string, unknown>> };
  const c = await h.configProvider;
  return { connectionTimeout: c['connectionTimeout'], socketTimeout: c['socketTimeout'], requestTimeout: c['requestTimeout'], throwOnRequestTimeout: c['throwOnRequestTimeout'] };
}

const api = { connectionTimeout: CONNECTION_TIMEOUT_MS, socketTimeout: SOCKET_IDLE_TIMEOUT_MS, requestTimeout: API_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true };
// S3 bodies can be large: no whole-request limit, only the idle one.
const s3 = { connectionTimeout: CONNECTION_TIMEOUT_MS, socketTimeout: SOCKET_IDLE_TIMEOUT_MS, requestTimeout: undefined, throwOnRequestTimeout: undefined };

describe('every SDK client gives up on a hung connection instead of waiting for the Lambda timeout', () => {
  it('the functions’ factories', async () => {
    const a = makeAdapters({ TABLE_NAME: 't', BUCKET_NAME: 'b', AWS_REGION: 'us-east-1' });
    expect(await handlerSettings(a.dynamodb)).toEqual(api);
    expect(await handlerSettings(a.s3)).toEqual(s3);
    const t = makeTouchAdapters({ TABLE_NAME: 't', AWS_REGION: 'us-east-1', QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/q', BUCKET_NAME: 'b' });
    const p = t.providers as unknown as { ses: never; sns: never };
    expect(await handlerSettings(p.ses)).toEqual(api);
    expect(await handlerSettings(p.sns)).toEqual(api);
    expect(await handlerSettings((t.queue as unknown as { opts: { client: never } }).opts.client)).toEqual(api);
    expect(await handlerSettings((t.objects as unknown as { client: never }).client)).toEqual(s3);
    for (const c of [a.dynamodb, a.s3, t.dynamodb]) c.destroy();
  });

  it('the local stack’s clients', async () => {
    const c = makeLocalClients({ S3_ENDPOINT: 'http://127.0.0.1:1', DYNAMODB_ENDPOINT: 'http://127.0.0.1:1', SES_ENDPOINT: 'http://127.0.0.1:1', SNS_ENDPOINT: 'http://127.0.0.1:1' });
    expect(await handlerSettings(c.dynamodb)).toEqual(api);
    expect(await handlerSettings(c.ses)).toEqual(api);
    expect(await handlerSettings(c.sns)).toEqual(api);
    expect(await handlerSettings(c.s3)).toEqual(s3);
    c.destroy();
  });
});
