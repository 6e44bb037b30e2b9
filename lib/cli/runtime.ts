import { z } from 'zod';
import { makeAdapters, type Adapters } from '../adapters/factory.ts';
import { openLocal } from './local-runtime.ts';
import { UsageError } from './usage-error.ts';

/** What a CLI command needs, whether the stack is the embedded one or a deployed one. */
export interface Runtime {
  target: 'local' | 'aws';
  adapters: Adapters;
  bucket: string;
  /** Resolves when triggered work has run (local) — on AWS the trigger is asynchronous: callers poll. */
  settle(): Promise<void>;
  /** The trigger's error for a key, when the local stack saw one. */
  errorFor(key: string): string | undefined;
  /** Location a person can open for an object key. */
  where(key: string): string;
  close(): Promise<void>;
}

const awsTargetEnv = z.object({
  MOMENTS_BUCKET: z.string().min(1),
  MOMENTS_TABLE: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Optional endpoint overrides (a test double of AWS, such as another machine's embedded stack). */
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  AWS_ENDPOINT_URL_DYNAMODB: z.url().optional(),
});

export async function openRuntime(target: string | undefined, opts: { asOf?: string } = {}): Promise<Runtime> {
  if (!target || target === 'local') return openLocal(opts);
  if (target !== 'aws') throw new UsageError(`--target must be local or aws, not "${target}"`);
  const parsed = awsTargetEnv.safeParse(process.env);
  // The environment is part of how the command was called: a missing variable is a usage error.
  if (!parsed.success)
    throw new UsageError(
      `--target aws needs: ${parsed.error.issues.map((i) => `${i.path.join('.')} (${i.path[0] === 'MOMENTS_BUCKET' ? 'the BucketName output of the deployed stack' : i.path[0] === 'MOMENTS_TABLE' ? 'the TableName output of the deployed stack' : i.message})`).join('; ')}`,
    );
  const env = parsed.data;
  const adapters = makeAdapters({
    TABLE_NAME: env.MOMENTS_TABLE,
    BUCKET_NAME: env.MOMENTS_BUCKET,
    AWS_REGION: env.AWS_REGION,
    ...(env.AWS_ENDPOINT_URL_S3 ? { S3_ENDPOINT: env.AWS_ENDPOINT_URL_S3, S3_FORCE_PATH_STYLE: 'true' as const } : {}),
    ...(env.AWS_ENDPOINT_URL_DYNAMODB ? { DYNAMODB_ENDPOINT: env.AWS_ENDPOINT_URL_DYNAMODB } : {}),
  });
  return {
    target: 'aws',
    adapters,
    bucket: env.MOMENTS_BUCKET,
    settle: async () => {},
    errorFor: () => undefined,
    where: (key) => `s3://${env.MOMENTS_BUCKET}/${key}`,
    close: async () => {
      adapters.s3.destroy();
      adapters.dynamodb.destroy();
    },
  };
}
