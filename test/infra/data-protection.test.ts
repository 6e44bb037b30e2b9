import { describe, it, expect } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { App, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { checkDataRetention, DATA_RETENTION_DEFAULTS } from '../../infra/constructs/data-lifecycle.ts';
import { hardenBucketNotificationsHandler } from '../../infra/constructs/notifications-handler.ts';
import { CONTEXT_KEYS } from '../../infra/moments-stack.ts';
import { asArray, newMomentsStack, renderArn, resourcesOf, synthMoments, type TemplateResource } from './support.ts';

// Encryption at rest, TLS in transit, recovery, retention: asserted over every resource of a kind,
// so a new bucket, queue, topic or function without them fails here. One synthesis for the file.
const synthed = synthMoments();
const { template, stack } = synthed;
const resources = resourcesOf(template);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('encryption at rest', () => {
  it('every bucket is encrypted (SSE-S3: server access log delivery supports no other)', () => {
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    for (const [id, b] of buckets) {
      expect(b.Properties['BucketEncryption'], id).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
    }
  });

  it('the table is encrypted with KMS and recoverable to any second of the last 35 days', () => {
    const [[, table]] = ofType('AWS::DynamoDB::Table') as [[string, TemplateResource]];
    expect(table.Properties['SSESpecification']).toEqual({ SSEEnabled: true });
    expect(table.Properties['PointInTimeRecoverySpecification']).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(resources[synthed.id(stack.table)]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('every queue (touch queue and the three dead-letter queues) is encrypted', () => {
    const queues = ofType('AWS::SQS::Queue');
    expect(queues).toHaveLength(4);
    for (const [id, q] of queues) {
      const encrypted = q.Properties['SqsManagedSseEnabled'] === true || q.Properties['KmsMasterKeyId'] !== undefined;
      expect(encrypted, id).toBe(true);
    }
  });

  it('every topic (SES events, alarms) is encrypted with a customer managed key of the stack, rotated yearly', () => {
    const topics = ofType('AWS::SNS::Topic');
    expect(topics).toHaveLength(2);
    for (const [id, t] of topics) {
      const keyId = renderArn(t.Properties['KmsMasterKeyId']).replace(/\.Arn$/, '');
      expect(resources[keyId]?.Type, id).toBe('AWS::KMS::Key');
    }
    for (const [id, k] of ofType('AWS::KMS::Key')) expect(k.Properties['EnableKeyRotation'], id).toBe(true);
  });

  it('the state machine\'s execution data is encrypted (AWS owned key, stated explicitly)', () => {
    const [[, sm]] = ofType('AWS::StepFunctions::StateMachine') as [[string, TemplateResource]];
    expect(sm.Properties['EncryptionConfiguration']).toEqual({ Type: 'AWS_OWNED_KEY' });
  });
});

describe('encryption in transit', () => {
  it('every bucket refuses plain HTTP and TLS older than 1.2, on the bucket and its objects', () => {
    for (const [id] of ofType('AWS::S3::Bucket')) {
      const policies = ofType('AWS::S3::BucketPolicy').filter(([, p]) => JSON.stringify(p.Properties['Bucket']) === JSON.stringify({ Ref: id }));
      expect(policies, id).toHaveLength(1);
      const statements = policies[0]![1].Properties['PolicyDocument'].Statement as Array<Record<string, any>>;
      const scope = [`${id}.Arn`, `${id}.Arn/*`];
      const denies = statements.filter((s) => s['Effect'] === 'Deny' && s['Action'] === 's3:*');
      expect(denies.map((s) => s['Condition'])).toEqual(
        expect.arrayContaining([{ Bool: { 'aws:SecureTransport': 'false' } }, { NumericLessThan: { 's3:TlsVersion': 1.2 } }]),
      );
      for (const s of denies) expect(asArray(s['Resource']).map(renderArn), id).toEqual(scope);
    }
  });

  it('every bucket blocks public access and disables ACLs', () => {
    for (const [id, b] of ofType('AWS::S3::Bucket')) {
      expect(b.Properties['PublicAccessBlockConfiguration'], id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties['OwnershipControls'], id).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    }
  });
});

describe('log retention', () => {
  it('every log group has a retention (one month)', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    // 7 functions, the state machine, the CDK notifications handler.
    expect(groups).toHaveLength(9);
    for (const [id, g] of groups) expect(g.Properties['RetentionInDays'], id).toBe(30);
  });

  it('every function, CDK\'s notifications handler included, logs to one of those groups (no implicit group kept forever)', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(8);
    for (const [id, fn] of functions) {
      const group = renderArn(fn.Properties['LoggingConfig']?.LogGroup).replace(/^Ref:/, '');
      expect(resources[group]?.Type, id).toBe('AWS::Logs::LogGroup');
      expect(resources[group]!.Properties['RetentionInDays'], id).toBeGreaterThan(0);
    }
  });

  it('the notifications handler is created before its first invocation can log, and the hardening fails loudly without it', () => {
    const [[handlerId, handler]] = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('BucketNotificationsHandler')) as [[string, TemplateResource]];
    // Its role's policy (log group write) exists before the function runs at deploy time.
    expect(handler.DependsOn?.some((d) => d.includes('RoleDefaultPolicy')), handlerId).toBe(true);
    expect(() => hardenBucketNotificationsHandler(new Stack(new App(), 'Empty'), logs.RetentionDays.ONE_MONTH)).toThrow(
      /no BucketNotificationsHandler in the stack/,
    );
  });

  it('the state machine logs to its vended-logs group', () => {
    const [[, sm]] = ofType('AWS::StepFunctions::StateMachine') as [[string, TemplateResource]];
    const dest = sm.Properties['LoggingConfiguration'].Destinations[0].CloudWatchLogsLogGroup.LogGroupArn;
    const id = renderArn(dest).replace(/\.Arn$/, '');
    expect(resources[id]!.Properties).toEqual({ LogGroupName: '/aws/vendedlogs/states/Moments-nightly', RetentionInDays: 30 });
  });
});

describe('data bucket lifecycle', () => {
  type Rule = Record<string, any>;
  const rulesOf = (t: Template): Rule[] => {
    const id = synthed.id(stack.bucket);
    return resourcesOf(t)[id]!.Properties['LifecycleConfiguration'].Rules as Rule[];
  };
  const byPrefix = (rules: Rule[], prefix: string) => {
    const found = rules.filter((r) => r['Prefix'] === prefix);
    expect(found, prefix).toHaveLength(1);
    return found[0]!;
  };
  const rules = rulesOf(template);

  it('moves raw exports under incoming/ to Standard-IA after 30 days and deletes them after a year', () => {
    expect(byPrefix(rules, 'incoming/')).toEqual({
      Id: 'incoming-raw-exports',
      Prefix: 'incoming/',
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
      ExpirationInDays: 365,
    });
  });

  it('deletes reject reports and quarantined files after 90 days, reports after a year', () => {
    for (const prefix of ['rejected/', 'quarantine/', 'config/rejected/']) expect(byPrefix(rules, prefix)['ExpirationInDays']).toBe(90);
    expect(byPrefix(rules, 'reports/')['ExpirationInDays']).toBe(365);
  });

  it('deletes previous versions after 90 days, then their delete markers, and abandoned multipart uploads', () => {
    expect(rules).toContainEqual({
      Id: 'expire-noncurrent-versions',
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
      ExpiredObjectDeleteMarker: true,
    });
    expect(rules).toContainEqual(expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }));
  });

  it('covers every prefix a function writes under, and never expires the active configuration', () => {
    // Object prefixes some role may PutObject to, from the policies themselves.
    const bucketArn = `${synthed.id(stack.bucket)}.Arn/`;
    const written = new Set<string>();
    for (const [, p] of ofType('AWS::IAM::Policy')) {
      for (const s of p.Properties['PolicyDocument'].Statement as Array<Record<string, any>>) {
        if (!asArray(s['Action']).includes('s3:PutObject')) continue;
        for (const r of asArray(s['Resource']).map(renderArn)) if (r.startsWith(bucketArn)) written.add(r.slice(bucketArn.length).replace(/\*$/, ''));
      }
    }
    expect([...written].sort()).toEqual(['config/rejected/', 'incoming/parts/', 'quarantine/', 'rejected/', 'reports/', 'splits/']);
    // A prefix is covered by its own rule or by the rule of a prefix it lies under (parts under incoming/).
    const covering = (prefix: string) => rules.filter((r) => prefix.startsWith(r['Prefix'] ?? '\u0000') && r['ExpirationInDays'] !== undefined);
    for (const prefix of written) expect(covering(prefix).length, prefix).toBeGreaterThan(0);
    for (const prefix of written) for (const r of covering(prefix)) expect(r['ExpirationInDays'], prefix).toBeGreaterThan(0);
    for (const r of rules) if (r['ExpirationInDays'] !== undefined) expect('config/campaigns.json'.startsWith(r['Prefix'] ?? ''), r['Id']).toBe(false);
  });

  it('takes each retention from the context', () => {
    const custom = rulesOf(
      Template.fromStack(
        newMomentsStack({}, {
          [CONTEXT_KEYS.incomingInfrequentAccessDays]: '0',
          [CONTEXT_KEYS.incomingRetentionDays]: '730',
          [CONTEXT_KEYS.rejectedRetentionDays]: 30,
          [CONTEXT_KEYS.reportRetentionDays]: '120',
          [CONTEXT_KEYS.noncurrentVersionRetentionDays]: '7',
        }),
      ),
    );
    expect(byPrefix(custom, 'incoming/')).toEqual({ Id: 'incoming-raw-exports', Prefix: 'incoming/', Status: 'Enabled', ExpirationInDays: 730 });
    expect(byPrefix(custom, 'rejected/')['ExpirationInDays']).toBe(30);
    expect(byPrefix(custom, 'quarantine/')['ExpirationInDays']).toBe(30);
    expect(byPrefix(custom, 'reports/')['ExpirationInDays']).toBe(120);
    expect(custom).toContainEqual(expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 7 } }));
  });

  it('refuses retentions S3 would reject or that make no sense, naming the setting', () => {
    const with_ = (r: Partial<typeof DATA_RETENTION_DEFAULTS>) => () => checkDataRetention({ ...DATA_RETENTION_DEFAULTS, ...r });
    expect(with_({ incomingInfrequentAccessDays: 10 })).toThrow(/incomingInfrequentAccessDays must be 0 \(no transition\) or at least 30/);
    expect(with_({ incomingInfrequentAccessDays: 60, incomingRetentionDays: 60 })).toThrow(/incomingRetentionDays \(60\) must be later than/);
    expect(with_({ reportRetentionDays: 0 })).toThrow(/reportRetentionDays must be a whole number >= 1/);
    expect(with_({ rejectedRetentionDays: 1.5 })).toThrow(/rejectedRetentionDays must be a whole number/);
    expect(() => newMomentsStack({}, { [CONTEXT_KEYS.reportRetentionDays]: 'a year' })).toThrow(/context moments:reportRetentionDays must be a number/);
    expect(() => newMomentsStack({ retention: { noncurrentVersionRetentionDays: -1 } })).toThrow(/noncurrentVersionRetentionDays/);
  });
});
