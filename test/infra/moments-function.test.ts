import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, it, expect } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { z } from 'zod';
import {
  bindBucket,
  bindTable,
  ESM_REQUIRE_BANNER,
  MomentsFunction,
} from '../../infra/constructs/moments-function.ts';
import { ingestEnvSchema } from '../../functions/ingest/env.ts';
import { METRICS_NAMESPACE, SERVICES } from '../../lib/observability/metric-names.ts';
import { logicalId, testAppProps } from './support.ts';

const FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/cjs-deps-handler.ts', import.meta.url));

const fixtureSchema = z.object({
  TABLE_NAME: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  GREETING: z.enum(['hello', 'bonjour']),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});

function fixtureStack(bundle: boolean): { app: App; stack: Stack; table: dynamodb.Table; bucket: s3.Bucket } {
  const app = new App(testAppProps({ bundle }));
  const stack = new Stack(app, 'Fixture');
  const table = new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  const bucket = new s3.Bucket(stack, 'Bucket');
  return { app, stack, table, bucket };
}

describe('MomentsFunction bundling (real esbuild, no Docker)', () => {
  // The only test that runs esbuild: a small fixture entry, not the ingest handler (which other
  // people are editing), so this checks the construct's bundling settings, not their code.
  const { app, stack, table, bucket } = fixtureStack(true);
  const fn = new MomentsFunction(stack, 'Fixture', {
    entry: FIXTURE_ENTRY,
    service: SERVICES.ingest,
    envSchema: fixtureSchema,
    environment: { GREETING: 'hello' },
  });
  bindTable(fn, table, 'TABLE_NAME', 'read');
  bindBucket(fn, bucket, 'BUCKET_NAME', { read: ['in/*'] });
  const assembly = app.synth();
  const assetDirs = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'));

  it('emits one minified ESM bundle with the createRequire banner and a linked source map', () => {
    expect(assetDirs).toHaveLength(1);
    const dir = join(assembly.directory, assetDirs[0]!);
    expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
    // Minified: the fixture's identifiers and comments are gone.
    expect(code).not.toContain('Bundling fixture');
    expect(code).not.toMatch(/\bfixtureSchema\b/);
    const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.some((s) => s.endsWith('fixtures/cjs-deps-handler.ts'))).toBe(true);
  });

  it('produces a bundle that loads and runs (CommonJS dependencies included)', async () => {
    const mod = (await import(pathToFileURL(join(assembly.directory, assetDirs[0]!, 'index.mjs')).href)) as {
      handler: () => Promise<{ decoded: string; greeting: string }>;
    };
    const saved = process.env['GREETING'];
    process.env['GREETING'] = 'bonjour';
    try {
      expect(await mod.handler()).toEqual({ decoded: '你好', greeting: 'bonjour' });
    } finally {
      if (saved === undefined) delete process.env['GREETING'];
      else process.env['GREETING'] = saved;
    }
  });

  it('applies the house defaults', () => {
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 30,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(fn.functionLogGroup) } },
      Environment: {
        Variables: {
          GREETING: 'hello',
          TABLE_NAME: { Ref: logicalId(table) },
          BUCKET_NAME: { Ref: logicalId(bucket) },
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(fn.declaredEnvironment['GREETING']).toBe('hello');
  });
});

describe('MomentsFunction environment checks (no bundling)', () => {
  it('fails synth when a required variable is never set', () => {
    const { app, stack, table } = fixtureStack(false);
    const fn = new MomentsFunction(stack, 'Fn', {
      entry: FIXTURE_ENTRY,
      service: SERVICES.ingest,
      envSchema: fixtureSchema,
      environment: { GREETING: 'hello' },
    });
    bindTable(fn, table, 'TABLE_NAME');
    expect(() => app.synth()).toThrow(/Fixture\/Fn\] environment does not match its schema: BUCKET_NAME/);
  });

  it('fails synth when a literal value breaks the schema', () => {
    const { app, stack, table, bucket } = fixtureStack(false);
    const fn = new MomentsFunction(stack, 'Fn', {
      entry: FIXTURE_ENTRY,
      service: SERVICES.ingest,
      envSchema: fixtureSchema,
      environment: { GREETING: 'hi' as 'hello' },
    });
    bindTable(fn, table, 'TABLE_NAME');
    bindBucket(fn, bucket, 'BUCKET_NAME', { read: ['in/*'] });
    expect(() => app.synth()).toThrow(/environment does not match its schema: GREETING/);
  });

  it('accepts the real ingest schema with tokens for the names and leaves AWS_REGION to Lambda', () => {
    const { app, stack, table, bucket } = fixtureStack(false);
    const fn = new MomentsFunction(stack, 'Ingest', {
      entry: FIXTURE_ENTRY,
      service: SERVICES.ingest,
      envSchema: ingestEnvSchema,
      environment: { MOMENTS_AS_OF: '2024-05-01' },
    });
    bindTable(fn, table, 'TABLE_NAME');
    bindBucket(fn, bucket, 'BUCKET_NAME', { read: ['incoming/*'] });
    expect(() => app.synth()).not.toThrow();
    expect(Object.keys(fn.declaredEnvironment).sort()).toEqual([
      'BUCKET_NAME',
      // Always set, with the Lambda application log level derived from it (test/infra/log-level.test.ts).
      'LOG_LEVEL',
      'MOMENTS_AS_OF',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'TABLE_NAME',
    ]);
    expect(fn.declaredEnvironment['POWERTOOLS_SERVICE_NAME']).toBe(SERVICES.ingest);
    expect(fn.declaredEnvironment['POWERTOOLS_METRICS_NAMESPACE']).toBe(METRICS_NAMESPACE);
  });

  it('refuses Lambda-reserved variables', () => {
    const { stack } = fixtureStack(false);
    expect(
      () =>
        new MomentsFunction(stack, 'Fn', {
          entry: FIXTURE_ENTRY,
          service: SERVICES.ingest,
          envSchema: fixtureSchema,
          environment: { AWS_REGION: 'eu-west-1' } as never,
        }),
    ).toThrow(/AWS_REGION is reserved by Lambda/);
  });

  it('sets the Powertools service and metrics namespace of the metrics contract, and lets nothing override them', () => {
    const { stack } = fixtureStack(false);
    const fn = new MomentsFunction(stack, 'Fn', { entry: FIXTURE_ENTRY, service: SERVICES.send, envSchema: z.object({}), environment: {} });
    expect(fn.service).toBe('send');
    const vars = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const env = Object.values(vars)[0]!['Properties'].Environment.Variables as Record<string, unknown>;
    expect(env).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'send', POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE });
    // A schema that reads the variables may not be used to set them to something else.
    const withPowertools = z.object({ POWERTOOLS_SERVICE_NAME: z.string().optional() });
    expect(
      () =>
        new MomentsFunction(stack, 'Other', {
          entry: FIXTURE_ENTRY,
          service: SERVICES.send,
          envSchema: withPowertools,
          environment: { POWERTOOLS_SERVICE_NAME: 'ingest' },
        }),
    ).toThrow(/POWERTOOLS_SERVICE_NAME comes from the service prop \(send\)/);
  });

  it('refuses to rebind a variable to another resource', () => {
    const { stack, table } = fixtureStack(false);
    const other = new dynamodb.Table(stack, 'Other', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const fn = new MomentsFunction(stack, 'Fn', { entry: FIXTURE_ENTRY, service: SERVICES.ingest, envSchema: fixtureSchema, environment: {} });
    bindTable(fn, table, 'TABLE_NAME');
    expect(() => bindTable(fn, table, 'TABLE_NAME')).not.toThrow();
    expect(() => bindTable(fn, other, 'TABLE_NAME')).toThrow(/TABLE_NAME is already set/);
  });

  it('refuses bucket-wide object grants', () => {
    const { stack, bucket } = fixtureStack(false);
    const fn = new MomentsFunction(stack, 'Fn', { entry: FIXTURE_ENTRY, service: SERVICES.ingest, envSchema: fixtureSchema, environment: {} });
    expect(() => bindBucket(fn, bucket, 'BUCKET_NAME', { read: ['*'] })).toThrow(/non-root prefix/);
    expect(() => bindBucket(fn, bucket, 'BUCKET_NAME', {})).toThrow(/no access requested/);
  });

  it('grants Query on exactly the named indexes, and refuses an index the table does not have', () => {
    const { stack, table } = fixtureStack(false);
    table.addGlobalSecondaryIndex({ indexName: 'byDate', partitionKey: { name: 'd', type: dynamodb.AttributeType.STRING } });
    const tableOnly = z.object({ TABLE_NAME: z.string().min(1) });
    const other = new MomentsFunction(stack, 'Other', { entry: FIXTURE_ENTRY, service: SERVICES.ingest, envSchema: tableOnly, environment: {} });
    expect(() => bindTable(other, table, 'TABLE_NAME', 'read', { queryIndexes: ['nope'] })).toThrow(/nope/);
    const fn = new MomentsFunction(stack, 'Fn', { entry: FIXTURE_ENTRY, service: SERVICES.ingest, envSchema: tableOnly, environment: {} });
    bindTable(fn, table, 'TABLE_NAME', 'read', { queryIndexes: ['byDate'] });
    bindTable(other, table, 'TABLE_NAME', 'read');
    const tableId = logicalId(table);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/byDate']] },
          },
        ]),
      },
    });
    // The other function got no index access at all.
    const otherPolicies = Template.fromStack(stack).findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalId(other.role!) }] },
    });
    expect(Object.keys(otherPolicies)).toHaveLength(1);
    expect(JSON.stringify(otherPolicies)).toContain('dynamodb:GetItem');
    expect(JSON.stringify(otherPolicies)).not.toContain('/index/');
  });

  it('needs the entry to exist', () => {
    expect(existsSync(FIXTURE_ENTRY)).toBe(true);
  });
});

/**
 * Compile-time contract, checked by `npm run typecheck` (never executed): the environment is
 * typed by the schema's input type and the bind helpers only accept the schema's keys.
 */
export function typeLevelChecks(stack: Stack, table: dynamodb.ITable, bucket: s3.IBucket): void {
  const fn = new MomentsFunction(stack, 'Types', {
    entry: FIXTURE_ENTRY,
    service: SERVICES.ingest,
    envSchema: ingestEnvSchema,
    environment: { S3_FORCE_PATH_STYLE: 'true', MOMENTS_AS_OF: '2024-01-31' },
  });
  // @ts-expect-error: not in the schema
  new MomentsFunction(stack, 'T1', { entry: FIXTURE_ENTRY, service: SERVICES.ingest, envSchema: ingestEnvSchema, environment: { TABLE: 'x' } });
  // @ts-expect-error: not one of the enum values
  new MomentsFunction(stack, 'T2', { entry: FIXTURE_ENTRY, service: SERVICES.ingest, envSchema: ingestEnvSchema, environment: { S3_FORCE_PATH_STYLE: 'yes' } });
  // @ts-expect-error: reserved by Lambda, even though the schema reads it
  new MomentsFunction(stack, 'T3', { entry: FIXTURE_ENTRY, service: SERVICES.ingest, envSchema: ingestEnvSchema, environment: { AWS_REGION: 'eu-west-1' } });
  // @ts-expect-error: values are strings
  new MomentsFunction(stack, 'T4', { entry: FIXTURE_ENTRY, service: SERVICES.ingest, envSchema: ingestEnvSchema, environment: { TABLE_NAME: 1 } });
  // @ts-expect-error: unknown variable name
  bindTable(fn, table, 'TABLE');
  // @ts-expect-error: reserved variable name
  bindBucket(fn, bucket, 'AWS_REGION', { read: ['incoming/*'] });
}
