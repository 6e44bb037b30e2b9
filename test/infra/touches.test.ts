import { existsSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { App } from 'aws-cdk-lib';
import { CONFIG_KEYS, checkSesIdentity, DEFAULT_SES_IDENTITY, TOUCH_ENTRIES, TOUCH_SETTINGS } from '../../infra/constructs/touches.ts';
import { MomentsStack } from '../../infra/moments-stack.ts';
import {
  asArray,
  readValidationReport,
  renderArn,
  reportFindings,
  roleStatements,
  synthMoments,
  testAppProps,
  type PolicyStatementJson,
} from './support.ts';

// One synthesis of the real app (no bundling, cdk-nag registered) for the whole file.
const synthed = synthMoments();
const { template, stack, assembly } = synthed;
const touches = stack.touches;
const ids = {
  table: synthed.id(stack.table),
  bucket: synthed.id(stack.bucket),
  queue: synthed.id(touches.queue),
  dlq: synthed.id(touches.dlq),
  eventsDlq: synthed.id(touches.eventsDlq),
  send: synthed.id(touches.send),
  config: synthed.id(touches.config),
  sesEvents: synthed.id(touches.sesEvents),
  segment: synthed.id(stack.nightly.segment),
  topic: synthed.id(touches.sesEventsTopic),
  key: synthed.id(touches.sesEventsKey),
  configurationSet: synthed.id(touches.configurationSet),
};
const tableArn = `${ids.table}.Arn`;
const obj = (key: string) => `${ids.bucket}.Arn/${key}`;

type Resource = { Type: string; Properties: Record<string, any> };
const resources = template.toJSON()['Resources'] as Record<string, Resource>;
const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
const actionsOf = (s: PolicyStatementJson) => asArray(s.Action);
const resourcesOf = (s: PolicyStatementJson) => asArray(s.Resource).map(renderArn).sort();
const statementsOf = (fn: 'send' | 'config' | 'sesEvents' | 'segment') => {
  const construct = fn === 'segment' ? stack.nightly.segment : touches[fn];
  return roleStatements(template, synthed.id(construct.role!));
};
/** action -> resources it is granted on, over all statements of a role (Allow only). */
function grants(statements: PolicyStatementJson[], service: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of statements) {
    expect(s.Effect).toBe('Allow');
    for (const a of actionsOf(s).filter((a) => a.startsWith(`${service}:`))) out[a] = [...(out[a] ?? []), ...resourcesOf(s)].sort();
  }
  return out;
}
const SES_IDENTITY_ARN = (identity: string) =>
  `arn:Ref:AWS::Partition:ses:Ref:AWS::Region:Ref:AWS::AccountId:identity/${identity}`;

describe('touch queue', () => {
  const queue = resources[ids.queue]!;
  const dlq = resources[ids.dlq]!;
  const sendTimeout = resources[ids.send]!.Properties['Timeout'] as number;

  it('is SSE-encrypted and redrives to its DLQ after 5 receives', () => {
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties['SqsManagedSseEnabled']).toBe(true);
    expect(queue.Properties['RedrivePolicy']).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] },
      maxReceiveCount: 5,
    });
  });

  it('hides a received batch for at least 6 times the send timeout', () => {
    expect(sendTimeout).toBe(60);
    expect(queue.Properties['VisibilityTimeout']).toBeGreaterThanOrEqual(6 * sendTimeout);
  });

  it('has an encrypted DLQ keeping messages 14 days, itself without a redrive', () => {
    expect(dlq.Type).toBe('AWS::SQS::Queue');
    expect(dlq.Properties['SqsManagedSseEnabled']).toBe(true);
    expect(dlq.Properties['MessageRetentionPeriod']).toBe(14 * 24 * 3600);
    expect(dlq.Properties['RedrivePolicy']).toBeUndefined();
  });

  it('denies non-TLS access to the queue and the DLQ', () => {
    for (const id of [ids.queue, ids.dlq, ids.eventsDlq]) {
      const policies = ofType('AWS::SQS::QueuePolicy').filter((p) =>
        (p.Properties['Queues'] as unknown[]).some((q) => JSON.stringify(q) === JSON.stringify({ Ref: id })),
      );
      expect(policies, id).toHaveLength(1);
      expect(policies[0]!.Properties['PolicyDocument'].Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('feeds the send function 10 at a time, with partial batch failures and bounded concurrency', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
      FunctionName: { Ref: ids.send },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: TOUCH_SETTINGS.maxConcurrency },
    });
    expect(TOUCH_SETTINGS.maxConcurrency).toBeGreaterThanOrEqual(2);
  });
});

describe('functions', () => {
  const env = (id: string) => resources[id]!.Properties['Environment'].Variables as Record<string, unknown>;

  it('point at existing handlers and run Node.js 22 on arm64', () => {
    for (const entry of Object.values(TOUCH_ENTRIES)) expect(existsSync(entry), entry).toBe(true);
    for (const id of [ids.send, ids.config, ids.sesEvents]) {
      expect(resources[id]!.Type).toBe('AWS::Lambda::Function');
      expect(resources[id]!.Properties['Runtime']).toBe('nodejs22.x');
      expect(resources[id]!.Properties['Architectures']).toEqual(['arm64']);
    }
  });

  it('send: TABLE_NAME is the table, QUEUE_URL the touch queue, its share of the rate, the SES configuration set', () => {
    expect(env(ids.send)).toMatchObject({
      TABLE_NAME: { Ref: ids.table },
      QUEUE_URL: { Ref: ids.queue },
      SEND_CONCURRENCY: '5',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(Object.keys(env(ids.send)).sort()).toEqual([
      'LOG_LEVEL',
      'NODE_OPTIONS',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'QUEUE_URL',
      'SEND_CONCURRENCY',
      'SES_CONFIGURATION_SET',
      'TABLE_NAME',
    ]);
    expect(env(ids.send)['POWERTOOLS_SERVICE_NAME']).toBe('send');
  });

  it('config: TABLE_NAME is the table, BUCKET_NAME the data bucket', () => {
    expect(env(ids.config)).toEqual({
      TABLE_NAME: { Ref: ids.table },
      BUCKET_NAME: { Ref: ids.bucket },
      NODE_OPTIONS: '--enable-source-maps',
      LOG_LEVEL: 'info',
      POWERTOOLS_SERVICE_NAME: 'config',
      POWERTOOLS_METRICS_NAMESPACE: 'Moments',
    });
  });

  it('ses-events: TABLE_NAME is the table', () => {
    expect(env(ids.sesEvents)).toEqual({
      TABLE_NAME: { Ref: ids.table },
      NODE_OPTIONS: '--enable-source-maps',
      LOG_LEVEL: 'info',
      POWERTOOLS_SERVICE_NAME: 'ses-events',
      POWERTOOLS_METRICS_NAMESPACE: 'Moments',
    });
  });

  it('config and ses-events send failed async invocations to an encrypted DLQ', () => {
    for (const id of [ids.config, ids.sesEvents]) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: id },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids.eventsDlq, 'Arn'] } } },
      });
    }
    expect(resources[ids.eventsDlq]!.Properties['SqsManagedSseEnabled']).toBe(true);
  });
});

describe('send permissions', () => {
  const statements = statementsOf('send');

  it('may send email only from the configured SES identity, through the stack configuration set', () => {
    const ses = grants(statements, 'ses');
    expect(Object.keys(ses)).toEqual(['ses:SendEmail']);
    expect(ses['ses:SendEmail']).toHaveLength(2);
    expect(ses['ses:SendEmail']).toContainEqual(SES_IDENTITY_ARN(DEFAULT_SES_IDENTITY));
    expect(JSON.stringify(ses['ses:SendEmail'])).toContain('configuration-set/');
  });

  it('takes the SES identity from the stack prop, and refuses anything but a domain or an address', () => {
    const custom = new MomentsStack(new App(testAppProps({ bundle: false })), 'Custom', { sesIdentity: 'news@brand.example' });
    expect(renderArn(custom.resolve(custom.touches.sesIdentityArn))).toBe(SES_IDENTITY_ARN('news@brand.example'));
    expect(checkSesIdentity('mail.brand.example')).toBe('mail.brand.example');
    for (const bad of ['', '*', 'brand', '*.brand.example', 'arn:aws:ses:us-east-1:1:identity/x.com', 'a b@brand.example', 'x@']) {
      expect(() => checkSesIdentity(bad), bad).toThrow(/not a domain or an email address/);
    }
  });

  it('has "*" only for SMS publish and the opt-out check, limited to the stack region', () => {
    const wildcard = statements.filter((s) => resourcesOf(s).includes('*'));
    expect(wildcard).toHaveLength(1);
    expect(actionsOf(wildcard[0]!).sort()).toEqual(['sns:CheckIfPhoneNumberIsOptedOut', 'sns:Publish']);
    expect(resourcesOf(wildcard[0]!)).toEqual(['*']);
    expect(wildcard[0]!.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } });
    expect(Object.keys(grants(statements, 'sns')).sort()).toEqual(['sns:CheckIfPhoneNumberIsOptedOut', 'sns:Publish']);
  });

  it('consumes its own queue, and sends only to it (a touch that must wait goes back as a new message)', () => {
    const sqs = grants(statements, 'sqs');
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:SendMessage']) {
      expect(sqs[action], action).toEqual([`${ids.queue}.Arn`]);
    }
    for (const resourcesOfAction of Object.values(sqs)) expect(resourcesOfAction).toEqual([`${ids.queue}.Arn`]);
  });

  it('reads and writes table items, and nothing in S3', () => {
    const ddb = grants(statements, 'dynamodb');
    for (const action of ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem']) expect(ddb[action], action).toEqual([tableArn]);
    expect(grants(statements, 's3')).toEqual({});
  });
});

describe('config permissions and trigger', () => {
  const statements = statementsOf('config');

  it('reads exactly config/campaigns.json (and its versions), writes only under config/rejected/', () => {
    expect(grants(statements, 's3')).toEqual({
      's3:GetObject': [obj('config/campaigns.json')],
      's3:GetObjectVersion': [obj('config/campaigns.json')],
      's3:PutObject': [obj('config/rejected/*')],
      's3:AbortMultipartUpload': [obj('config/rejected/*')],
    });
  });

  it('writes table items without reading any', () => {
    const ddb = grants(statements, 'dynamodb');
    expect(Object.keys(ddb).sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    for (const r of Object.values(ddb)) expect(r).toEqual([tableArn]);
  });

  it('is triggered by ObjectCreated on config/ ... campaigns.json only', () => {
    expect(CONFIG_KEYS.campaigns).toBe(`${CONFIG_KEYS.prefix}${CONFIG_KEYS.suffix}`);
    const configs = ofType('Custom::S3BucketNotifications').flatMap(
      (n) => (n.Properties['NotificationConfiguration'].LambdaFunctionConfigurations ?? []) as Array<Record<string, any>>,
    );
    const mine = configs.filter((c) => JSON.stringify(c['LambdaFunctionArn']) === JSON.stringify({ 'Fn::GetAtt': [ids.config, 'Arn'] }));
    expect(mine).toHaveLength(1);
    expect(mine[0]!['Events']).toEqual(['s3:ObjectCreated:*']);
    const rules = (mine[0]!['Filter'].Key.FilterRules as Array<{ Name: string; Value: string }>).map((r) => `${r.Name}=${r.Value}`);
    expect(rules.sort()).toEqual(['prefix=config/', 'suffix=campaigns.json']);
    // The reject reports it writes can never trigger it again.
    expect(`${CONFIG_KEYS.rejected}2026-01-01T00-00-00-000Z-campaigns.json.errors.txt`.endsWith(CONFIG_KEYS.suffix)).toBe(false);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 's3.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [ids.config, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [ids.bucket, 'Arn'] },
    });
  });
});

describe('nightly segment', () => {
  it('has QUEUE_URL bound to the touch queue', () => {
    expect(resources[ids.segment]!.Properties['Environment'].Variables['QUEUE_URL']).toEqual({ Ref: ids.queue });
  });

  it('may only SendMessage to the touch queue', () => {
    expect(grants(statementsOf('segment'), 'sqs')).toEqual({ 'sqs:SendMessage': [`${ids.queue}.Arn`] });
  });
});

describe('no S3 or DynamoDB wildcard beyond the table and the config prefixes', () => {
  it('holds for every touch function and the segment', () => {
    const allowedDdb = new Set([tableArn, `${tableArn}/index/due`, `${tableArn}/index/night`]);
    const allowedS3 = new Set([obj('config/campaigns.json'), obj('config/rejected/*')]);
    for (const fn of ['send', 'config', 'sesEvents', 'segment'] as const) {
      for (const s of statementsOf(fn)) {
        for (const a of actionsOf(s)) expect(a, fn).not.toMatch(/\*/);
        const services = new Set(actionsOf(s).map((a) => a.split(':')[0]));
        if (services.has('dynamodb')) for (const r of resourcesOf(s)) expect(allowedDdb.has(r), `${fn} ${r}`).toBe(true);
        if (services.has('s3')) for (const r of resourcesOf(s)) expect(allowedS3.has(r), `${fn} ${r}`).toBe(true);
      }
    }
  });
});

describe('SES bounces and complaints', () => {
  it('publishes BOUNCE and COMPLAINT events of the configuration set to the topic', () => {
    const destinations = ofType('AWS::SES::ConfigurationSetEventDestination');
    expect(destinations).toHaveLength(1);
    const { ConfigurationSetName, EventDestination } = destinations[0]!.Properties;
    expect(ConfigurationSetName).toEqual({ Ref: ids.configurationSet });
    expect(EventDestination.Enabled).toBe(true);
    expect([...EventDestination.MatchingEventTypes].sort()).toEqual(['bounce', 'complaint']);
    expect(EventDestination.SnsDestination).toEqual({ TopicARN: { Ref: ids.topic } });
  });

  it('encrypts the topic with a rotated customer managed key that SES may use for this configuration set', () => {
    expect(resources[ids.topic]!.Properties['KmsMasterKeyId']).toEqual({ 'Fn::GetAtt': [ids.key, 'Arn'] });
    const key = resources[ids.key]!.Properties;
    expect(key['EnableKeyRotation']).toBe(true);
    const forSes = (key['KeyPolicy'].Statement as Array<Record<string, any>>).filter(
      (s) => JSON.stringify(s['Principal']) === JSON.stringify({ Service: 'ses.amazonaws.com' }),
    );
    expect(forSes).toHaveLength(1);
    expect([...asArray(forSes[0]!['Action'])].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(forSes[0]!['Condition'].StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(renderArn(forSes[0]!['Condition'].ArnLike['aws:SourceArn'])).toMatch(
      new RegExp(`:configuration-set/Ref:${ids.configurationSet}$`),
    );
  });

  it('lets only SES (this account, this configuration set) publish, over TLS only', () => {
    const policies = ofType('AWS::SNS::TopicPolicy').filter(
      (p) => JSON.stringify(p.Properties['Topics']) === JSON.stringify([{ Ref: ids.topic }]),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties['PolicyDocument'].Statement as Array<Record<string, any>>;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const allows = statements.filter((s) => s['Effect'] === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]!['Principal']).toEqual({ Service: 'ses.amazonaws.com' });
    expect(allows[0]!['Action']).toBe('sns:Publish');
    expect(allows[0]!['Condition'].StringEquals['AWS:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    expect(renderArn(allows[0]!['Condition'].StringEquals['AWS:SourceArn'])).toMatch(
      new RegExp(`:configuration-set/Ref:${ids.configurationSet}$`),
    );
  });

  it('subscribes the ses-events function, which writes suppressions and reads nothing', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: ids.topic },
      Endpoint: { 'Fn::GetAtt': [ids.sesEvents, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [ids.sesEvents, 'Arn'] },
      SourceArn: { Ref: ids.topic },
    });
    const ddb = grants(statementsOf('sesEvents'), 'dynamodb');
    expect(ddb['dynamodb:PutItem']).toEqual([tableArn]);
    expect(ddb['dynamodb:GetItem']).toBeUndefined();
    expect(grants(statementsOf('sesEvents'), 's3')).toEqual({});
  });
});

describe('outputs and synthesis', () => {
  it('outputs the configuration set name and the touch queue URL', () => {
    template.hasOutput('SesConfigurationSetName', { Value: { Ref: ids.configurationSet } });
    template.hasOutput('TouchQueueUrl', { Value: { Ref: ids.queue } });
  });

  it('leaves no cdk-nag finding on the touch resources', () => {
    const findings = reportFindings(readValidationReport(assembly));
    expect(findings.filter((f) => f.includes('/Touches/'))).toEqual([]);
    expect(findings).toEqual([]);
  });
});
