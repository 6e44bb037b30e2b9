import { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS, makeTableAdapters, type TableAdapters } from './table-factory.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import { S3BucketFiles } from './s3-bucket-files.ts';
import { s3RequestHandler } from './http-timeouts.ts';

/** The env every function shares; each function's zod schema extends this shape. */
export interface AdapterEnv {
  TABLE_NAME: string;
  BUCKET_NAME: string;
  AWS_REGION: string;
  S3_ENDPOINT?: string | undefined;
  DYNAMODB_ENDPOINT?: string | undefined;
  S3_FORCE_PATH_STYLE?: 'true' | 'false' | undefined;
}

export interface Adapters extends TableAdapters {
  s3: S3Client;
  objects: S3ObjectStore;
  files: S3BucketFiles;
}

/** The one place validated env turns into SDK clients and adapters. Endpoints are set only for the local stack. */
export function makeAdapters(env: AdapterEnv): Adapters {
  const local = !!(env.S3_ENDPOINT || env.DYNAMODB_ENDPOINT);
  const s3 = new S3Client({
    region: env.AWS_REGION,
    requestHandler: s3RequestHandler,
    ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
    forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
    // s3rver stores an aws-chunked streamed body verbatim; checksums only when S3 requires them.
    ...(local ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const, ...LOCAL_CREDENTIALS } : {}),
  });
  const bucket = { client: s3, bucketName: env.BUCKET_NAME };
  return { ...makeTableAdapters(env), s3, objects: new S3ObjectStore(bucket), files: new S3BucketFiles(bucket) };
}

/** The adapter env for the embedded stack's endpoints (CLI runtime, benchmarks). */
export function localAdapterEnv(stack: { tableName: string; bucket: string; endpoints: { s3: string; dynamodb: string } }): AdapterEnv {
  return {
    TABLE_NAME: stack.tableName,
    BUCKET_NAME: stack.bucket,
    AWS_REGION: 'us-east-1',
    S3_ENDPOINT: stack.endpoints.s3,
    DYNAMODB_ENDPOINT: stack.endpoints.dynamodb,
    S3_FORCE_PATH_STYLE: 'true',
  };
}
