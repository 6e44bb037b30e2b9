import { describe, it, expect } from 'vitest';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { INGEST_ENTRY } from '../../infra/moments-stack.ts';
import { asArray, readValidationReport, renderArn, reportFindings, roleStatements, synthMoments } from './support.ts';

// One synthesis for the whole file (no bundling, see support.ts), with cdk-nag registered as in
// infra/app.ts; its findings are asserted in 'synthesis' below.
const synthed = synthMoments();
const { template, stack, assembly } = synthed;
const bucketId = synthed.id(stack.bucket);
const logsBucketId = synthed.id(stack.accessLogsBucket);
const tableId = synthed.id(stack.table);
const ingestId = synthed.id(stack.ingest);
const dlqId = synthed.id(stack.ingestDlq);
const logGroupId = synthed.id(stack.ingest.functionLogGroup);
const roleId = synthed.id(stack.ingest.role!);

const actionsOf = (s: { Action: string | string[] }) => asArray(s.Action);
const resourcesOf = (s: { Resource: unknown }) => asArray(s.Resource).map(renderArn).sort();

describe('data bucket', () => {
  it('blocks public access, encrypts with S3-managed keys, is versioned and logs access', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: logsBucketId }, LogFilePrefix: 'data-bucket/' },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    const bucket = template.toJSON()['Resources'][bucketId];
    expect(bucket?.Properties?.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('denies every request that is not TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: [
              { 'Fn::GetAtt': [bucketId, 'Arn'] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
            ],
          },
        ]),
      },
    });
  });

  it('has an access-log bucket that is private, TLS-only and SSE-S3', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LifecycleConfiguration: Match.objectLike({ Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 365 })]) }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('table', () => {
  // The nightly's indexes are asserted in nightly.test.ts.
  it('is keyed pk (S) / sk (S), on demand, with point-in-time recovery, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('ingest function', () => {
  it('runs Node.js 22 on arm64 with the configured size and timeout', () => {
    expect(INGEST_ENTRY).toMatch(/functions[\\/]ingest[\\/]handler\.ts$/);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 900,
      Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
    });
  });

  it('binds TABLE_NAME and BUCKET_NAME to the table and the data bucket, and sets no reserved variable', () => {
    const fn = template.toJSON()['Resources'][ingestId];
    const vars = fn?.Properties?.Environment?.Variables as Record<string, unknown>;
    expect(vars['TABLE_NAME']).toEqual({ Ref: tableId });
    expect(vars['BUCKET_NAME']).toEqual({ Ref: bucketId });
    expect(vars['NODE_OPTIONS']).toBe('--enable-source-maps');
    expect(vars['POWERTOOLS_SERVICE_NAME']).toBe('ingest');
    expect(vars['POWERTOOLS_METRICS_NAMESPACE']).toBe('Moments');
    expect(vars['LOG_LEVEL']).toBe('info');
    expect(Object.keys(vars).sort()).toEqual([
      'BUCKET_NAME',
      'LOG_LEVEL',
      'NODE_OPTIONS',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'TABLE_NAME',
    ]);
  });

  it('logs JSON into its own log group kept for one month', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroupId } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(template.toJSON()['Resources'][logGroupId]?.Properties?.RetentionInDays).toBe(30);
  });

  it('is triggered by ObjectCreated under incoming/orders/, incoming/members/ and incoming/parts/ (parts of a split file) only', () => {
    const notifications = template.findResources('Custom::S3BucketNotifications');
    const configs = Object.values(notifications).flatMap((n) => {
      const props = n['Properties'] as {
        BucketName: unknown;
        NotificationConfiguration: { LambdaFunctionConfigurations?: unknown[]; QueueConfigurations?: unknown[]; TopicConfigurations?: unknown[] };
      };
      expect(props.BucketName).toEqual({ Ref: bucketId });
      expect(props.NotificationConfiguration.QueueConfigurations).toBeUndefined();
      expect(props.NotificationConfiguration.TopicConfigurations).toBeUndefined();
      return props.NotificationConfiguration.LambdaFunctionConfigurations ?? [];
    });
    // The config function's trigger (config/campaigns.json) is asserted in touches.test.ts.
    const ingestConfigs = configs.filter(
      (c) => JSON.stringify((c as { LambdaFunctionArn: unknown }).LambdaFunctionArn) === JSON.stringify({ 'Fn::GetAtt': [ingestId, 'Arn'] }),
    );
    const expected = (prefix: string) => ({
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: prefix }] } },
      LambdaFunctionArn: { 'Fn::GetAtt': [ingestId, 'Arn'] },
    });
    expect(ingestConfigs).toHaveLength(3);
    expect(ingestConfigs).toEqual(expect.arrayContaining([expected('incoming/orders/'), expected('incoming/members/'), expected('incoming/parts/')]));
    // No other trigger reaches under incoming/.
    for (const c of configs.filter((c) => !ingestConfigs.includes(c))) {
      expect(JSON.stringify(c)).not.toContain('incoming/');
    }
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 's3.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [ingestId, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [bucketId, 'Arn'] },
    });
  });

  it('sends failed async invocations to an encrypted, TLS-only SQS queue after 2 retries', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: ingestId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('ingest permissions (least privilege)', () => {
  const statements = roleStatements(template, roleId);
  const s3Grants = new Map<string, string[]>();
  for (const s of statements) {
    for (const action of actionsOf(s).filter((a) => a.startsWith('s3:'))) {
      s3Grants.set(action, [...(s3Grants.get(action) ?? []), ...resourcesOf(s)].sort());
    }
  }
  const obj = (key: string) => `${bucketId}.Arn/${key}`;

  it('uses only Allow statements, no wildcard action and no "*" resource', () => {
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const a of actionsOf(s)) expect(a).not.toMatch(/(^\*$)|(:\*$)/);
      for (const r of resourcesOf(s)) expect(r).not.toBe('*');
    }
  });

  it('grants GetObject on incoming/* and splits/*, DeleteObject on incoming/*, rejected/* and splits/*, PutObject on rejected/*, quarantine/*, incoming/parts/* and splits/*', () => {
    expect(Object.fromEntries(s3Grants)).toEqual({
      's3:GetObject': [obj('incoming/*'), obj('splits/*')],
      's3:DeleteObject': [obj('incoming/*'), obj('rejected/*'), obj('splits/*')],
      's3:PutObject': [obj('incoming/parts/*'), obj('quarantine/*'), obj('rejected/*'), obj('splits/*')],
      's3:AbortMultipartUpload': [obj('incoming/parts/*'), obj('quarantine/*'), obj('rejected/*'), obj('splits/*')],
    });
  });

  it('grants item read/write on the table only', () => {
    const ddb = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(ddb).toHaveLength(1);
    expect(resourcesOf(ddb[0]!)).toEqual([`${tableId}.Arn`]);
    expect(actionsOf(ddb[0]!)).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem']),
    );
  });

  it('may write logs only to its own log group and send only to its DLQ', () => {
    const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(logs.map(resourcesOf)).toEqual([[`${logGroupId}.Arn`]]);
    expect(actionsOf(logs[0]!).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    const sqs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    expect(sqs.map(resourcesOf)).toEqual([[`${dlqId}.Arn`]]);
  });

  it('touches nothing but its log group, DLQ, table and data bucket', () => {
    const allowed = new Set([`${logGroupId}.Arn`, `${dlqId}.Arn`, `${tableId}.Arn`]);
    for (const r of statements.flatMap(resourcesOf)) {
      if (!allowed.has(r)) expect(r.startsWith(`${bucketId}.Arn/`)).toBe(true);
    }
  });

  it('has a dedicated role without AWS managed policies', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
      Description: 'Execution role of the Ingest function',
    });
  });
});

describe('outputs', () => {
  it('exports the bucket and table names and the nightly state machine', () => {
    template.hasOutput('BucketName', { Value: { Ref: bucketId } });
    template.hasOutput('TableName', { Value: { Ref: tableId } });
    template.hasOutput('NightlyStateMachineArn', { Value: { Ref: synthed.id(stack.nightly.stateMachine) } });
  });
});

describe('synthesis', () => {
  it('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
    const findings = reportFindings(readValidationReport(assembly));
    expect(findings, `unacknowledged cdk-nag findings:\n${findings.join('\n')}`).toEqual([]);
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });

  it('needs nothing from the network: env-agnostic, no context lookups, only file assets', () => {
    expect(stack.resolve(stack.account)).toEqual({ Ref: 'AWS::AccountId' });
    expect(assembly.manifest.missing ?? []).toEqual([]);
    const artifact = assembly.getStackArtifact(stack.artifactId);
    expect(artifact.environment.account).toBe('unknown-account');
    const manifests = assembly.artifacts.filter(AssetManifestArtifact.isAssetManifestArtifact);
    expect(manifests).toHaveLength(1);
    const contents = manifests[0]!.contents;
    expect(Object.keys(contents.dockerImages ?? {})).toEqual([]);
    // The stack template itself plus one zipped code asset per function (ingest, nightly plan,
    // segment and finish, touch send, config and ses-events).
    const codeAssets = Object.values(contents.files ?? {}).filter((f) => f.source.packaging === 'zip');
    expect(codeAssets).toHaveLength(7);
  });
});
