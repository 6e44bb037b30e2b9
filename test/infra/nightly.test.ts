import { existsSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { INDEXES, LOCAL_INDEX } from '../../lib/adapters/provision.ts';
import { SERVICES } from '../../lib/observability/metric-names.ts';
import { MomentsFunction } from '../../infra/constructs/moments-function.ts';
import {
  checkTimeZone,
  NIGHTLY_DEFAULTS,
  NIGHTLY_ENTRIES,
  nightlyEnv,
  parseNightlyTime,
} from '../../infra/constructs/nightly-workflow.ts';
import { MomentsStack, type MomentsStackProps } from '../../infra/moments-stack.ts';
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
const nightly = stack.nightly;
const tableId = synthed.id(stack.table);
const tableArn = `${tableId}.Arn`;
const smId = synthed.id(nightly.stateMachine);
const fnIds = {
  plan: synthed.id(nightly.plan),
  segment: synthed.id(nightly.segment),
  finish: synthed.id(nightly.finish),
};

const resources = template.toJSON()['Resources'] as Record<string, { Type: string; Properties: Record<string, any> }>;
const actionsOf = (s: PolicyStatementJson) => asArray(s.Action);
const resourcesOf = (s: PolicyStatementJson) => asArray(s.Resource).map(renderArn).sort();

/** The state machine's ASL, with each token rendered as `LogicalId.Arn` (see renderArn). */
function definition(): Asl {
  const body = resources[smId]?.Properties['DefinitionString'] as { 'Fn::Join': [string, unknown[]] };
  const [sep, parts] = body['Fn::Join'];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : renderArn(p))).join(sep)) as Asl;
}
interface AslState {
  Type: string;
  [key: string]: any;
}
interface Asl {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
}

/** The schedule of a stack built with other settings (read from the L1, without a synth). */
function scheduleOf(props: MomentsStackProps, context: Record<string, unknown> = {}): Record<string, unknown> {
  const cfn = newStack(props, context).nightly.schedule.node.defaultChild as scheduler.CfnSchedule;
  return { ScheduleExpression: cfn.scheduleExpression, ScheduleExpressionTimezone: cfn.scheduleExpressionTimezone };
}

function newStack(props: MomentsStackProps, context: Record<string, unknown> = {}): MomentsStack {
  return new MomentsStack(new App(testAppProps({ bundle: false, context })), 'Custom', props);
}

describe('table indexes', () => {
  it('has the due and night GSIs, string keys, projecting ALL', () => {
    const table = Object.values(template.findResources('AWS::DynamoDB::Table'))[0]!['Properties'] as Record<string, any>;
    expect(table['GlobalSecondaryIndexes']).toEqual([
      {
        IndexName: 'due',
        KeySchema: [
          { AttributeName: 'dueShard', KeyType: 'HASH' },
          { AttributeName: 'dueSk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: 'night',
        KeySchema: [
          { AttributeName: 'nightShard', KeyType: 'HASH' },
          { AttributeName: 'nightSk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table['AttributeDefinitions']).toEqual(
      ['pk', 'sk', 'dueShard', 'dueSk', 'nightShard', 'nightSk', 'od'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    );
  });

  it('has the byDay LSI the refresh reads a long history from (orders by day within a customer)', () => {
    const table = Object.values(template.findResources('AWS::DynamoDB::Table'))[0]!['Properties'] as Record<string, any>;
    expect(table['LocalSecondaryIndexes']).toEqual([
      {
        IndexName: 'byDay',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'od', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect([LOCAL_INDEX.name, LOCAL_INDEX.sk]).toEqual(['byDay', 'od']);
  });

  it('leaves the LSI out for a stack whose table predates it (adding one would replace the table)', () => {
    const t = Template.fromStack(newStack({}, { 'moments:byDayIndex': 'false' }));
    const table = Object.values(t.findResources('AWS::DynamoDB::Table'))[0]!['Properties'] as Record<string, unknown>;
    expect(table['LocalSecondaryIndexes']).toBeUndefined();
    expect(() => newStack({}, { 'moments:byDayIndex': 'no' })).toThrow('moments:byDayIndex must be true or false');
  });

  it('is declared from the same list the local stack provisions', () => {
    // The literal expectations above and the local provisioning must describe the same indexes.
    expect(INDEXES.map((i) => [i.name, i.pk, i.sk])).toEqual([
      ['due', 'dueShard', 'dueSk'],
      ['night', 'nightShard', 'nightSk'],
    ]);
  });
});

describe('nightly functions', () => {
  const expected = [
    { key: 'plan', timeout: 300, memory: 1024, service: 'nightly-plan', entry: /functions[\\/]nightly-plan[\\/]handler\.ts$/ },
    { key: 'segment', timeout: 300, memory: 1024, service: 'nightly-segment', entry: /functions[\\/]nightly-segment[\\/]handler\.ts$/ },
    { key: 'finish', timeout: 120, memory: 256, service: 'nightly-finish', entry: /functions[\\/]nightly-finish[\\/]handler\.ts$/ },
  ] as const;

  for (const { key, timeout, memory, service, entry } of expected) {
    it(`${key}: Node.js 22 on arm64, ${timeout} s, TABLE_NAME bound to the table`, () => {
      expect(NIGHTLY_ENTRIES[key]).toMatch(entry);
      expect(existsSync(NIGHTLY_ENTRIES[key])).toBe(true);
      const fn = resources[fnIds[key]]!;
      expect(fn.Type).toBe('AWS::Lambda::Function');
      expect(fn.Properties['Runtime']).toBe('nodejs22.x');
      expect(fn.Properties['Architectures']).toEqual(['arm64']);
      expect(fn.Properties['Handler']).toBe('index.handler');
      expect(fn.Properties['Timeout']).toBe(timeout);
      expect(fn.Properties['MemorySize']).toBe(memory);
      // The segment also queues the touches it plans (asserted in touches.test.ts).
      const queue = key === 'segment' ? { QUEUE_URL: { Ref: synthed.id(stack.touches.queue) } } : {};
      // Finish writes the run's report to the data bucket.
      const bucket = key === 'finish' ? { BUCKET_NAME: { Ref: synthed.id(stack.bucket) } } : {};
      expect(fn.Properties['Environment']).toEqual({
        Variables: {
          TABLE_NAME: { Ref: tableId },
          NODE_OPTIONS: '--enable-source-maps',
          LOG_LEVEL: 'info',
          // The metrics contract's service dimension and namespace (the alarms read them).
          POWERTOOLS_SERVICE_NAME: service,
          POWERTOOLS_METRICS_NAMESPACE: 'Moments',
          ...queue,
          ...bucket,
        },
      });
    });
  }

  it('keeps every segment far under Lambda\'s 15 minutes', () => {
    expect(resources[fnIds.segment]!.Properties['Timeout']).toBeLessThanOrEqual(5 * 60);
  });

  it('checks the nightly env at synth (SEGMENT_MAX_CUSTOMERS is a positive integer string)', () => {
    const app = new App(testAppProps({ bundle: false }));
    const fixture = new Stack(app, 'Env');
    const table = new dynamodb.Table(fixture, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    new MomentsFunction(fixture, 'Fn', {
      entry: NIGHTLY_ENTRIES.segment,
      service: SERVICES.nightlySegment,
      envSchema: nightlyEnv,
      environment: { TABLE_NAME: table.tableName, SEGMENT_MAX_CUSTOMERS: '0' },
    });
    expect(() => app.synth()).toThrow(/environment does not match its schema: SEGMENT_MAX_CUSTOMERS/);
  });
});

describe('nightly permissions (least privilege)', () => {
  const statementsOf = (fn: keyof typeof fnIds) => roleStatements(template, synthed.id(nightly[fn].role!));
  const ddb = (fn: keyof typeof fnIds) =>
    statementsOf(fn).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));

  it('plan reads the table (the model sample is a Scan) and writes its items (lease, model), no index', () => {
    const statements = ddb('plan');
    expect(statements).toHaveLength(1);
    expect(resourcesOf(statements[0]!)).toEqual([tableArn]);
    const actions = actionsOf(statements[0]!);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:DeleteItem']));
    // And nothing but DynamoDB reads and its own logs.
    const other = statementsOf('plan').flatMap(actionsOf).filter((a) => !a.startsWith('dynamodb:'));
    expect(other.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('segment reads and writes the table and queries exactly the due and night indexes', () => {
    const statements = ddb('segment');
    const onTable = statements.filter((s) => resourcesOf(s).includes(tableArn));
    expect(onTable).toHaveLength(1);
    expect(resourcesOf(onTable[0]!)).toEqual([tableArn]);
    expect(actionsOf(onTable[0]!)).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
    );
    const onIndexes = statements.filter((s) => !resourcesOf(s).includes(tableArn));
    expect(onIndexes.map((s) => actionsOf(s))).toEqual([['dynamodb:Query']]);
    expect(resourcesOf(onIndexes[0]!)).toEqual([`${tableArn}/index/due`, `${tableArn}/index/night`]);
  });

  it('finish reads and writes the table items only (no index)', () => {
    const statements = ddb('finish');
    expect(statements).toHaveLength(1);
    expect(resourcesOf(statements[0]!)).toEqual([tableArn]);
    expect(actionsOf(statements[0]!)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
  });

  it('no nightly function role has a wildcard resource or action (beyond the reports/ prefix finish writes)', () => {
    for (const fn of ['plan', 'segment', 'finish'] as const) {
      for (const s of statementsOf(fn)) {
        expect(s.Effect).toBe('Allow');
        for (const r of resourcesOf(s)) expect(r.replace(/\/reports\/\*$/, '')).not.toMatch(/\*/);
        for (const a of actionsOf(s)) expect(a).not.toMatch(/\*/);
      }
    }
    const s3 = statementsOf('finish').filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3.flatMap(actionsOf).sort()).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
    expect(s3.flatMap(resourcesOf)).toEqual([expect.stringMatching(/\/reports\/\*$/)]);
  });
});

describe('state machine', () => {
  const asl = definition();
  const states = asl.States;
  const eachNight = states['EachNight']!;
  const nightStates = eachNight['ItemProcessor'].States as Record<string, AslState>;
  const eachShard = nightStates['EachShard']!;
  const shardStates = eachShard['ItemProcessor'].States as Record<string, AslState>;

  it('plans first, then maps over the nights one at a time', () => {
    expect(asl.StartAt).toBe('Plan');
    expect(states['Plan']).toMatchObject({ Type: 'Task', Resource: `${fnIds.plan}.Arn`, Next: 'EachNight' });
    // The execution input ({} from the schedule, or {asOf, force}) goes to the plan function under "input",
    // with the execution id that holds the nightly lease.
    expect(states['Plan']!['Parameters']).toEqual({ 'input.$': '$', 'owner.$': '$$.Execution.Id' });
    expect(eachNight).toMatchObject({ Type: 'Map', ItemsPath: '$.nights', MaxConcurrency: 1, ResultPath: null });
    expect(eachNight['ItemProcessor'].StartAt).toBe('EachShard');
    expect(states[eachNight['Next']]!.Type).toBe('Succeed');
  });

  it('maps over the night\'s shards 16 at a time, each with {night, prevNight, shard}, then finishes the night', () => {
    expect(eachShard).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.shards',
      MaxConcurrency: 16,
      ItemSelector: { 'night.$': '$.night', 'prevNight.$': '$.prevNight', 'shard.$': '$$.Map.Item.Value' },
      // The night item stays the state, for Finish.
      ResultPath: null,
      Next: 'Finish',
    });
    expect(nightStates['Finish']).toMatchObject({
      Type: 'Task',
      Resource: `${fnIds.finish}.Arn`,
      // The last night's Finish frees the lease its run took in Plan.
      Parameters: { 'night.$': '$.night', 'owner.$': '$.owner', 'last.$': '$.last' },
      End: true,
    });
  });

  it('calls the segment in a loop until it reports done', () => {
    expect(eachShard['ItemProcessor'].StartAt).toBe('Segment');
    const segment = shardStates['Segment']!;
    expect(segment).toMatchObject({
      Type: 'Task',
      Resource: `${fnIds.segment}.Arn`,
      Parameters: { 'night.$': '$.night', 'prevNight.$': '$.prevNight', 'shard.$': '$.shard' },
    });
    const choice = shardStates[segment['Next']]!;
    expect(choice.Type).toBe('Choice');
    expect(choice['Choices']).toEqual([{ Variable: '$.done', BooleanEquals: true, Next: 'ShardDone' }]);
    expect(choice['Default']).toBe('Segment');
    expect(shardStates['ShardDone']!.Type).toBe('Succeed');
  });

  it('retries every task on Lambda service errors and throttling with backoff', () => {
    for (const task of [states['Plan']!, shardStates['Segment']!, nightStates['Finish']!]) {
      const retry = task['Retry'] as Array<{ ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }>;
      const service = retry[0]!;
      expect(service.ErrorEquals).toEqual(
        expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'Lambda.SdkClientException']),
      );
      expect(service.BackoffRate).toBe(2);
      expect(service.MaxAttempts).toBeGreaterThanOrEqual(3);
      expect(retry.map((r) => r.ErrorEquals)).toContainEqual(['States.TaskFailed']);
    }
  });

  it('is a standard workflow bounded under a day, logging ALL to its log group, with X-Ray', () => {
    expect(asl.TimeoutSeconds).toBe(20 * 3600);
    const sm = resources[smId]!.Properties;
    expect(sm['StateMachineType']).toBe('STANDARD');
    expect(sm['TracingConfiguration']).toEqual({ Enabled: true });
    expect(sm['LoggingConfiguration']).toMatchObject({
      Level: 'ALL',
      Destinations: [
        { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [synthed.id(nightly.stateMachineLogGroup), 'Arn'] } } },
      ],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/Moments-nightly',
      RetentionInDays: 30,
    });
  });

  it('may invoke the three nightly functions and nothing else', () => {
    const statements = roleStatements(template, synthed.id(nightly.stateMachine.role));
    const invoke = statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(actionsOf(invoke[0]!)).toEqual(['lambda:InvokeFunction']);
    const fns = Object.values(fnIds).map((id) => `${id}.Arn`);
    expect(resourcesOf(invoke[0]!)).toEqual([...fns, ...fns.map((f) => `${f}:*`)].sort());
    // The rest is log delivery and X-Ray (no resource-level permissions exist for them).
    const rest = statements.filter((s) => s !== invoke[0]).flatMap(actionsOf);
    for (const a of rest) expect(a).toMatch(/^(logs|xray):/);
  });
});

describe('schedule', () => {
  const scheduleRoleId = synthed.id(nightly.scheduleRole);

  it('starts the state machine at 02:30 Asia/Shanghai by default, with input {} and no flexible window', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 2 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { Ref: smId },
        RoleArn: { 'Fn::GetAtt': [scheduleRoleId, 'Arn'] },
        Input: '{}',
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
      },
    });
    expect(NIGHTLY_DEFAULTS).toEqual({ nightlyTime: '02:30', timeZone: 'Asia/Shanghai' });
  });

  it('uses a dedicated role that may only StartExecution on this state machine', () => {
    expect(roleStatements(template, scheduleRoleId)).toEqual([
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: smId } },
    ]);
    const role = resources[scheduleRoleId]!.Properties;
    expect(role['ManagedPolicyArns']).toBeUndefined();
    expect(role['Policies']).toBeUndefined();
    const trust = role['AssumeRolePolicyDocument'].Statement as Array<Record<string, any>>;
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Principal: { Service: 'scheduler.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    expect(renderArn(trust[0]!['Condition'].StringEquals['aws:SourceArn'])).toMatch(/:scheduler:.*:schedule-group\/default$/);
    // No other policy in the stack grants StartExecution to anyone.
    const starters = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p['Properties']).includes('states:StartExecution'),
    );
    expect(starters).toHaveLength(1);
  });

  it('follows the props, then the context, for the time and zone', () => {
    expect(scheduleOf({ nightlyTime: '23:05', timeZone: 'Europe/Paris' })).toMatchObject({
      ScheduleExpression: 'cron(5 23 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
    });
    const context = { 'moments:nightlyTime': '00:00', 'moments:timeZone': 'America/New_York' };
    expect(scheduleOf({}, context)).toMatchObject({
      ScheduleExpression: 'cron(0 0 * * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
    });
    // Props win over context.
    expect(scheduleOf({ timeZone: 'UTC' }, context)).toMatchObject({
      ScheduleExpression: 'cron(0 0 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
    });
  });

  it('refuses an invalid time or zone at synth', () => {
    for (const nightlyTime of ['2:30', '24:00', '02:60', '0230', '02:30:00', ' 02:30', '']) {
      expect(() => newStack({ nightlyTime }), nightlyTime).toThrow(/is not a 24-hour HH:MM time/);
    }
    for (const timeZone of ['Asia/Shanghia', 'asia/shanghai', 'Asia/shanghai', 'GMT+8', '+08:00', 'CST', '']) {
      expect(() => newStack({ timeZone }), timeZone).toThrow(/is not a valid IANA time zone/);
    }
    expect(() => newStack({}, { 'moments:timeZone': 'Mars/Olympus' })).toThrow(/is not a valid IANA time zone/);
    expect(() => newStack({}, { 'moments:nightlyTime': 230 })).toThrow(/context moments:nightlyTime must be a string/);
  });

  it('parses times and accepts real zones', () => {
    expect(parseNightlyTime('00:00')).toEqual({ hour: 0, minute: 0 });
    expect(parseNightlyTime('23:59')).toEqual({ hour: 23, minute: 59 });
    expect(parseNightlyTime('07:05')).toEqual({ hour: 7, minute: 5 });
    for (const z of ['Asia/Shanghai', 'Europe/Paris', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata', 'Etc/GMT-8', 'UTC']) {
      expect(checkTimeZone(z)).toBe(z);
    }
  });
});

describe('synthesis', () => {
  it('leaves no cdk-nag finding on the nightly', () => {
    const findings = reportFindings(readValidationReport(assembly));
    expect(findings.filter((f) => f.includes('/Nightly/')), findings.join('\n')).toEqual([]);
    expect(findings).toEqual([]);
  });
});

/**
 * Compile-time contract, checked by `npm run typecheck` (never executed): the nightly functions'
 * environment is typed by their schema, with coerced numbers set as strings.
 */
export function typeLevelChecks(scope: Stack): void {
  const entry = NIGHTLY_ENTRIES.plan;
  new MomentsFunction(scope, 'T0', { entry, service: SERVICES.nightlySegment, envSchema: nightlyEnv, environment: { SEGMENT_MAX_CUSTOMERS: '5000', LOG_LEVEL: 'warn' } });
  // @ts-expect-error: a Lambda environment holds strings
  new MomentsFunction(scope, 'T1', { entry, service: SERVICES.nightlySegment, envSchema: nightlyEnv, environment: { SEGMENT_MAX_CUSTOMERS: 5000 } });
  // @ts-expect-error: not one of the enum values
  new MomentsFunction(scope, 'T2', { entry, service: SERVICES.nightlySegment, envSchema: nightlyEnv, environment: { LOG_LEVEL: 'loud' } });
  // @ts-expect-error: not in the schema
  new MomentsFunction(scope, 'T3', { entry, service: SERVICES.nightlySegment, envSchema: nightlyEnv, environment: { BUCKET: 'b' } });
}
