import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, TimeZone, Validations, type CfnElement } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { IANAZone } from 'luxon';
import { nightlyEnvSchema } from '../../functions/nightly/env.ts';
import { SERVICES } from '../../lib/observability/metric-names.ts';
import { bindBucket, bindTable, DEFAULT_LOG_RETENTION, lambdaEnvSchema, MomentsFunction } from './moments-function.ts';

export const NIGHTLY_ENTRIES = {
  plan: fileURLToPath(new URL('../../functions/nightly-plan/handler.ts', import.meta.url)),
  segment: fileURLToPath(new URL('../../functions/nightly-segment/handler.ts', import.meta.url)),
  finish: fileURLToPath(new URL('../../functions/nightly-finish/handler.ts', import.meta.url)),
} as const;

/** The nightly functions' env schema (SEGMENT_MAX_CUSTOMERS coerces a string to a number). */
export const nightlyEnv = lambdaEnvSchema(nightlyEnvSchema);

/** Where the finish step writes each night's report (`reports/<night>/index.html`). */
export const REPORTS_PREFIX = 'reports/';

/** When the nightly starts: a wall-clock time in the brand's IANA time zone. */
export const NIGHTLY_DEFAULTS = { nightlyTime: '02:30', timeZone: 'Asia/Shanghai' } as const;

/** Shards processed at once within one night (the plan hands out lib/nightly/shard.ts SHARDS of them). */
export const SHARD_CONCURRENCY = 16;

/** `HH:MM` (24-hour clock) to hour and minute; anything else throws. */
export function parseNightlyTime(value: string): { hour: number; minute: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (m === null) throw new Error(`nightly time ${JSON.stringify(value)} is not a 24-hour HH:MM time (e.g. 02:30)`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/**
 * An IANA zone name as Scheduler expects it: `Area/Location` (or `UTC`), spelled with the tz
 * database's case. Offsets (`+08:00`, `GMT+8`) and abbreviations (`CST`, `EST`) throw, even where
 * the runtime's Intl would accept them.
 */
export function checkTimeZone(value: string): string {
  const fail = (why: string) =>
    new Error(`time zone ${JSON.stringify(value)} is not a valid IANA time zone (${why}; e.g. Asia/Shanghai)`);
  if (!/^(UTC|[A-Z][A-Za-z_]*(\/[A-Za-z0-9_+-]+)+)$/.test(value)) throw fail('expected Area/Location or UTC');
  if (!IANAZone.isValidZone(value)) throw fail('unknown zone');
  // Intl matches zone names case-insensitively; Scheduler does not. Aliases (Asia/Kolkata and
  // Asia/Calcutta) may resolve to each other, so only a difference in case alone is refused.
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  if (resolved !== value && resolved.toLowerCase() === value.toLowerCase()) throw fail(`spelled ${resolved}`);
  return value;
}

export interface NightlyWorkflowProps {
  /** The single table (with the `due` and `night` indexes the segment queries). */
  readonly table: dynamodb.Table;
  /** Names of the indexes the segment function queries. */
  readonly segmentIndexes: readonly string[];
  /** Brand-local start time, `HH:MM`. */
  readonly nightlyTime: string;
  /** Brand IANA time zone of `nightlyTime`. */
  readonly timeZone: string;
  /**
   * The touch queue. When given, the segment plans each processed customer's touches and queues
   * them (QUEUE_URL, sqs:SendMessage on this queue only).
   * @default no touches are planned
   */
  readonly touchQueue?: sqs.IQueue;
  /**
   * The data bucket. When given, the finish step writes the report of the run's last night to
   * reports/<night>/index.html (BUCKET_NAME, s3:PutObject on reports/* only).
   * @default no report is written
   */
  readonly bucket?: s3.IBucket;
}

/**
 * The nightly: EventBridge Scheduler starts a Step Functions execution at a brand-local time. Plan
 * lists the nights to close (missed nights in order); each night runs every shard in parallel, each
 * shard in bounded segments until done, then Finish closes the night (snapshot, then cursor).
 */
export class NightlyWorkflow extends Construct {
  readonly plan: MomentsFunction<typeof nightlyEnv>;
  readonly segment: MomentsFunction<typeof nightlyEnv>;
  readonly finish: MomentsFunction<typeof nightlyEnv>;
  readonly stateMachine: sfn.StateMachine;
  readonly stateMachineLogGroup: logs.LogGroup;
  readonly schedule: scheduler.Schedule;
  readonly scheduleRole: iam.Role;

  constructor(scope: Construct, id: string, props: NightlyWorkflowProps) {
    super(scope, id);
    // Validate first: a bad setting fails the synth before anything is built.
    const { hour, minute } = parseNightlyTime(props.nightlyTime);
    const timeZone = checkTimeZone(props.timeZone);
    const stack = Stack.of(this);

    // --- Functions ---------------------------------------------------------------------------------
    this.plan = new MomentsFunction(this, 'NightlyPlan', {
      entry: NIGHTLY_ENTRIES.plan,
      service: SERVICES.nightlyPlan,
      envSchema: nightlyEnv,
      environment: {},
      description: 'Nightly: lists the nights to close (missed ones in order) with their shards; fits the model when due',
      // The model fit (lib/model/keep-model.ts) reads a sample of at most ~sampleCustomers state items and
      // fits twice; CPU-bound, so memory buys CPU. Measured in BENCHMARKS.md (model-fit).
      memorySize: 1024,
      timeout: Duration.minutes(5),
    });
    // Reads the configuration, the cursor and the model's sample (a segment Scan); writes the lease, the model
    // and its fit records. No index.
    bindTable(this.plan, props.table, 'TABLE_NAME', 'readWrite');

    this.segment = new MomentsFunction(this, 'NightlySegment', {
      entry: NIGHTLY_ENTRIES.segment,
      service: SERVICES.nightlySegment,
      envSchema: nightlyEnv,
      // SEGMENT_MAX_CUSTOMERS keeps its schema default: one call handles at most that many
      // customers and hands back (done=false), far inside the timeout below.
      environment: {},
      description: 'Nightly: advances the due customers of one shard for one night, in bounded segments',
      // Derivation is CPU-bound: more memory buys more CPU.
      memorySize: 1024,
      timeout: Duration.minutes(5),
    });
    bindTable(this.segment, props.table, 'TABLE_NAME', 'readWrite', { queryIndexes: props.segmentIndexes });
    if (props.touchQueue !== undefined) {
      // SendMessageBatch is authorized as sqs:SendMessage; nothing else on the queue. An SQS-managed
      // SSE queue needs no KMS grant; a KMS-encrypted one gets the two key actions sending needs.
      props.touchQueue.grant(this.segment, 'sqs:SendMessage');
      props.touchQueue.encryptionMasterKey?.grant(this.segment, 'kms:GenerateDataKey', 'kms:Decrypt');
      this.segment.setEnv('QUEUE_URL', props.touchQueue.queueUrl);
    }

    this.finish = new MomentsFunction(this, 'NightlyFinish', {
      entry: NIGHTLY_ENTRIES.finish,
      service: SERVICES.nightlyFinish,
      envSchema: nightlyEnv,
      environment: {},
      description: 'Nightly: merges the shard totals of a finished night into the brand snapshot, then moves the cursor',
      timeout: Duration.minutes(2),
    });
    bindTable(this.finish, props.table, 'TABLE_NAME', 'readWrite');
    if (props.bucket) {
      bindBucket(this.finish, props.bucket, 'BUCKET_NAME', { write: [`${REPORTS_PREFIX}*`] });
      const policy = this.finish.role?.node.tryFindChild('DefaultPolicy');
      const bucketId = Stack.of(this).getLogicalId(props.bucket.node.defaultChild as CfnElement);
      if (policy)
        Validations.of(policy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${REPORTS_PREFIX}*]`,
          reason: 'The report is written under reports/<night>/: the prefix is as narrow as the key layout allows.',
        });
    }

    for (const fn of [this.plan, this.segment, this.finish]) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason: 'nodejs22.x is the house runtime (matches the bundle target and the tested Node line); moving to nodejs24.x is a deliberate upgrade.',
      });
    }

    // --- State machine -----------------------------------------------------------------------------
    const planTask = tasks.LambdaInvoke.jsonPath(this, 'Plan', {
      lambdaFunction: this.plan,
      // The execution input goes as is under "input": scheduled runs start with {} and the plan
      // function works out the night in the brand's zone; {"asOf": "YYYY-MM-DD"} closes up to a date.
      // The execution id holds the nightly lease, so two runs never work the same night at once.
      payload: sfn.TaskInput.fromObject({
        input: sfn.JsonPath.objectAt('$'),
        owner: sfn.JsonPath.stringAt('$$.Execution.Id'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });

    const segmentTask = tasks.LambdaInvoke.jsonPath(this, 'Segment', {
      lambdaFunction: this.segment,
      payload: sfn.TaskInput.fromObject({
        night: sfn.JsonPath.stringAt('$.night'),
        prevNight: sfn.JsonPath.stringAt('$.prevNight'),
        shard: sfn.JsonPath.numberAt('$.shard'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    const shardDone = sfn.Succeed.jsonPath(this, 'ShardDone');
    // The segment returns {night, prevNight, shard, done, processed}: call it again until done.
    const segmentLoop = segmentTask.next(
      sfn.Choice.jsonPath(this, 'SegmentDone?')
        .when(sfn.Condition.booleanEquals('$.done', true), shardDone)
        .otherwise(segmentTask),
    );

    const eachShard = sfn.Map.jsonPath(this, 'EachShard', {
      itemsPath: '$.shards',
      itemSelector: {
        night: sfn.JsonPath.stringAt('$.night'),
        prevNight: sfn.JsonPath.stringAt('$.prevNight'),
        shard: sfn.JsonPath.numberAt('$$.Map.Item.Value'),
      },
      maxConcurrency: SHARD_CONCURRENCY,
      // Keep the night item ({night, prevNight, shards}) as the state for Finish.
      resultPath: sfn.JsonPath.DISCARD,
    });
    eachShard.itemProcessor(segmentLoop);

    const finishTask = tasks.LambdaInvoke.jsonPath(this, 'Finish', {
      lambdaFunction: this.finish,
      payload: sfn.TaskInput.fromObject({
        night: sfn.JsonPath.stringAt('$.night'),
        owner: sfn.JsonPath.stringAt('$.owner'),
        last: sfn.JsonPath.stringAt('$.last'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });

    // Every task is safe to repeat, so every task retries. Plan only reads. A segment is resumable
    // by design: customers it already advanced have left the night's due index and are re-counted
    // from the night index instead of being applied twice, and writes are conditional on the
    // customer's revision; a repeated call continues where the failed one stopped. Finish writes the
    // same snapshot and cursor again.
    for (const task of [planTask, segmentTask, finishTask]) {
      // Lambda service errors and throttling: quick retries with exponential backoff and jitter.
      task.addRetry({
        errors: [
          'Lambda.ClientExecutionTimeoutException',
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
        ],
        interval: Duration.seconds(2),
        maxAttempts: 6,
        backoffRate: 2,
        maxDelay: Duration.seconds(60),
        jitterStrategy: sfn.JitterType.FULL,
      });
      // Function errors and timeouts (DynamoDB throttling, a crash half-way): a few slower retries.
      task.addRetry({
        errors: ['States.TaskFailed'],
        interval: Duration.seconds(15),
        maxAttempts: 3,
        backoffRate: 2,
        jitterStrategy: sfn.JitterType.FULL,
      });
    }

    // Nights strictly one after another: a night's totals start from the previous night's.
    const eachNight = sfn.Map.jsonPath(this, 'EachNight', {
      itemsPath: '$.nights',
      maxConcurrency: 1,
      resultPath: sfn.JsonPath.DISCARD,
    });
    eachNight.itemProcessor(eachShard.next(finishTask));

    const definition = planTask.next(eachNight).next(sfn.Succeed.jsonPath(this, 'Done'));

    this.stateMachineLogGroup = new logs.LogGroup(this, 'StateMachineLogGroup', {
      // The /aws/vendedlogs/ prefix keeps Step Functions from growing the account's CloudWatch Logs
      // resource policy (which has a size limit) for every state machine.
      logGroupName: `/aws/vendedlogs/states/${stack.stackName}-nightly`,
      retention: DEFAULT_LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'moments nightly: plan, then each night in order, each night its shards in parallel, then finish',
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      // Bounded well under a day, so a scheduled run never overlaps the next day's. A run cut off
      // here loses nothing: the next run plans from the cursor and the segments resume.
      timeout: Duration.hours(20),
      tracingEnabled: true,
      // Execution data (dates, shard numbers, counts) is encrypted at rest with a key Step Functions
      // owns; stated here so the template says so. Alarms on its runs: constructs/operations.ts.
      encryptionConfiguration: new sfn.AwsOwnedEncryptionConfiguration(),
      // Execution data is dates, shard numbers and counts (no customer data).
      logs: { destination: this.stateMachineLogGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.acknowledgeStateMachineRole();

    // --- Schedule ----------------------------------------------------------------------------------
    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      description: 'Lets EventBridge Scheduler start the nightly state machine, and nothing else',
      // Confused-deputy guard: only schedules of this account's default group may assume it.
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' }),
          },
        },
      }),
    });

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `moments nightly at ${props.nightlyTime} ${timeZone}`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: String(minute),
        hour: String(hour),
        timeZone: TimeZone.of(timeZone),
      }),
      timeWindow: scheduler.TimeWindow.off(),
      // The target grants the role states:StartExecution on this state machine only.
      target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
        role: this.scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject({}),
        // StartExecution is retried if it fails (throttling, a service blip) for up to an hour; a
        // night missed altogether is caught up by the next run's plan.
        retryAttempts: 10,
        maxEventAge: Duration.hours(1),
      }),
    });
  }

  /**
   * The state machine's role: lambda:InvokeFunction on each nightly function and its versions
   * (`<arn>:*`), and the CloudWatch Logs delivery and X-Ray actions, which support no resource.
   */
  private acknowledgeStateMachineRole(): void {
    const stack = Stack.of(this);
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) return;
    for (const fn of [this.plan, this.segment, this.finish]) {
      const fnId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
        reason: `Invoke is scoped to the ${fn.node.id} function; the :* suffix covers its versions and aliases, as the CDK Lambda task grants.`,
      });
    }
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'CloudWatch Logs vended-log delivery and X-Ray trace actions do not support resource-level permissions.',
    });
  }
}
