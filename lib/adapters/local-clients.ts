/**
 * SDK clients configured for the local embedded stack (see lib/local/local-stack.ts), built from the env
 * the stack hands out: AWS_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (S3RVER/S3RVER, which s3rver
 * checks signatures against), S3_ENDPOINT, DYNAMODB_ENDPOINT, SES_ENDPOINT, SNS_ENDPOINT.
 *
 * S3 uses path-style addressing and checksum calculation/validation WHEN_REQUIRED: with the SDK's default
 * (WHEN_SUPPORTED) a streamed body is sent aws-chunked with a trailing checksum, which s3rver stores verbatim
 * (corrupted).
 *
 * SES: the project depends on @aws-sdk/client-ses (v1 API); aws-ses-v2-local serves both the v1
 * `SendEmail`/`SendRawEmail` query actions and the v2 REST API, and records sends in `GET /store`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import { apiRequestHandler, s3RequestHandler } from './http-timeouts.ts';

export type LocalEnv = Record<string, string | undefined>;

export interface LocalClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  ses: SESClient;
  sns: SNSClient;
  /** Release the clients' keep-alive sockets. */
  destroy(): void;
}

function need(env: LocalEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`local stack env is missing ${name}`);
  return v;
}

/** Options applied to every client (e.g. `maxAttempts: 1` to see throttling errors un-retried). */
export interface LocalClientOptions {
  maxAttempts?: number;
}

function common(env: LocalEnv, o: LocalClientOptions = {}) {
  return {
    requestHandler: apiRequestHandler,
    ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
    region: env['AWS_REGION'] ?? 'us-east-1',
    credentials: {
      accessKeyId: env['AWS_ACCESS_KEY_ID'] ?? 'S3RVER',
      secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? 'S3RVER',
    },
  };
}

export function makeLocalS3Client(env: LocalEnv, o: LocalClientOptions = {}): S3Client {
  return new S3Client({
    ...common(env, o),
    requestHandler: s3RequestHandler,
    endpoint: need(env, 'S3_ENDPOINT'),
    forcePathStyle: env['S3_FORCE_PATH_STYLE'] !== 'false',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function makeLocalDynamoDBClient(env: LocalEnv, o: LocalClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient({ ...common(env, o), endpoint: need(env, 'DYNAMODB_ENDPOINT') });
}

export function makeLocalSESClient(env: LocalEnv, o: LocalClientOptions = {}): SESClient {
  return new SESClient({ ...common(env, o), endpoint: need(env, 'SES_ENDPOINT') });
}

export function makeLocalSNSClient(env: LocalEnv, o: LocalClientOptions = {}): SNSClient {
  return new SNSClient({ ...common(env, o), endpoint: need(env, 'SNS_ENDPOINT') });
}

export function makeLocalClients(env: LocalEnv, o: LocalClientOptions = {}): LocalClients {
  const s3 = makeLocalS3Client(env, o);
  const dynamodb = makeLocalDynamoDBClient(env, o);
  const ses = makeLocalSESClient(env, o);
  const sns = makeLocalSNSClient(env, o);
  return {
    s3,
    dynamodb,
    ses,
    sns,
    destroy() {
      s3.destroy();
      dynamodb.destroy();
      ses.destroy();
      sns.destroy();
    },
  };
}
