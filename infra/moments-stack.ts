import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ingestEnvSchema } from '../functions/ingest/env.ts';
import { INDEXES, LOCAL_INDEX } from '../lib/adapters/provision.ts';
import { SERVICES } from '../lib/observability/metric-names.ts';
import { DATA_RETENTION_DEFAULTS, dataBucketLifecycleRules, type DataRetention } from './constructs/data-lifecycle.ts';
import { bindBucket, bindTable, DEFAULT_LOG_RETENTION, MomentsFunction } from './constructs/moments-function.ts';
import { NIGHTLY_DEFAULTS, NightlyWorkflow, REPORTS_PREFIX } from './constructs/nightly-workflow.ts';
import { hardenBucketNotificationsHandler } from './constructs/notifications-handler.ts';
import { OPERATIONS_DEFAULTS, Operations, type OperationsSettings } from './constructs/operations.ts';
import { CONFIG_KEYS, DEFAULT_SES_IDENTITY, Touches } from './constructs/touches.ts';
import { contextNumber, contextString } from './context.ts';
import { PARTS_PREFIX, SPLITS_PREFIX } from '../lib/ingest/part-meta.ts';

/** Key prefixes of the data bucket (the contract with the CLI and the people reading the outputs). */
export const PREFIXES = {
  incomingOrders: 'incoming/orders/',
  incomingMembers: 'incoming/members/',
  incoming: 'incoming/',
  /** Parts of a large upload split across invocations (lib/ingest/part-meta.ts); each part triggers ingest. */
  incomingParts: PARTS_PREFIX,
  /** Split plans and the parts' reject reports before they are merged. */
  splits: SPLITS_PREFIX,
  rejected: 'rejected/',
  quarantine: 'quarantine/',
  reports: REPORTS_PREFIX,
} as const;

export const INGEST_ENTRY = fileURLToPath(new URL('../functions/ingest/handler.ts', import.meta.url));

/** CDK context keys (`cdk deploy -c key=value`) for the settings the stack props leave out. */
export const CONTEXT_KEYS = {
  /**
   * `false` leaves out the byDay local index. An LSI can only be made with the table: adding it to a table deployed
   * before it would REPLACE the table. Such a stack sets this to false and keeps reading whole partitions.
   */
  byDayIndex: 'moments:byDayIndex',
  nightlyTime: 'moments:nightlyTime',
  timeZone: 'moments:timeZone',
  sesIdentity: 'moments:sesIdentity',
  /** Email address subscribed to the alarm topic. */
  alarmEmail: 'moments:alarmEmail',
  /** Retention, in days (see DataRetention). */
  incomingInfrequentAccessDays: 'moments:incomingInfrequentAccessDays',
  incomingRetentionDays: 'moments:incomingRetentionDays',
  rejectedRetentionDays: 'moments:rejectedRetentionDays',
  reportRetentionDays: 'moments:reportRetentionDays',
  noncurrentVersionRetentionDays: 'moments:noncurrentVersionRetentionDays',
  /** Alarm thresholds (see OperationsSettings). */
  rejectedRowRatio: 'moments:rejectedRowRatio',
  sendFailureRatio: 'moments:sendFailureRatio',
  nightlyDeadlineHours: 'moments:nightlyDeadlineHours',
} as const;

/** Which context key sets each retention field. */
const RETENTION_KEYS: Record<keyof DataRetention, string> = {
  incomingInfrequentAccessDays: CONTEXT_KEYS.incomingInfrequentAccessDays,
  incomingRetentionDays: CONTEXT_KEYS.incomingRetentionDays,
  rejectedRetentionDays: CONTEXT_KEYS.rejectedRetentionDays,
  reportRetentionDays: CONTEXT_KEYS.reportRetentionDays,
  noncurrentVersionRetentionDays: CONTEXT_KEYS.noncurrentVersionRetentionDays,
};
const OPERATIONS_KEYS: Record<keyof OperationsSettings, string> = {
  rejectedRowRatio: CONTEXT_KEYS.rejectedRowRatio,
  sendFailureRatio: CONTEXT_KEYS.sendFailureRatio,
  nightlyDeadlineHours: CONTEXT_KEYS.nightlyDeadlineHours,
};

export interface MomentsStackProps extends StackProps {
  /**
   * Brand-local time the nightly starts, `HH:MM` (24-hour).
   * @default context `moments:nightlyTime`, else '02:30'
   */
  readonly nightlyTime?: string;
  /**
   * The brand's IANA time zone, in which `nightlyTime` is read.
   * @default context `moments:timeZone`, else 'Asia/Shanghai'
   */
  readonly timeZone?: string;
  /**
   * The verified SES identity touches are emailed from: a domain (`brand.example`) or an address
   * (`news@brand.example`). The send function may call ses:SendEmail on this identity only, so the
   * `from` addresses of the campaign configuration must belong to it. The placeholder default is
   * never verified: set it for a real deployment, e.g. `cdk deploy -c moments:sesIdentity=brand.example`.
   *
   * SES publishes bounces and complaints only for mail sent with the stack's configuration set
   * (output `SesConfigurationSetName`). The sender names it on every email; if other senders share
   * the identity, make it the identity's default too:
   * `aws sesv2 put-email-identity-configuration-set-attributes --email-identity <identity>
   * --configuration-set-name <SesConfigurationSetName>`.
   * @default context `moments:sesIdentity`, else 'example.com'
   */
  readonly sesIdentity?: string;
  /**
   * How long the data bucket keeps raw exports, reject reports, reports and old versions.
   * @default each field from its context key (CONTEXT_KEYS), else DATA_RETENTION_DEFAULTS
   */
  readonly retention?: Partial<DataRetention>;
  /**
   * Alarm thresholds.
   * @default each field from its context key (CONTEXT_KEYS), else OPERATIONS_DEFAULTS
   */
  readonly operations?: Partial<OperationsSettings>;
  /**
   * Email address subscribed to the alarm topic.
   * @default context `moments:alarmEmail`, else no subscription (subscribe to the AlarmTopicArn output yourself)
   */
  readonly alarmEmail?: string;
}

export class MomentsStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly table: dynamodb.Table;
  readonly ingest: MomentsFunction<typeof ingestEnvSchema>;
  readonly ingestDlq: sqs.Queue;
  readonly nightly: NightlyWorkflow;
  readonly touches: Touches;
  readonly operations: Operations;
  readonly retention: DataRetention;

  constructor(scope: Construct, id: string, props?: MomentsStackProps) {
    super(scope, id, props);
    this.retention = settingsFor(this, DATA_RETENTION_DEFAULTS, RETENTION_KEYS, props?.retention);

    // --- Storage -------------------------------------------------------------------------------
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // Server access log delivery supports SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // No S1 acknowledgment needed: cdk-nag recognises a bucket that is a server access log target.

    this.bucket = new s3.Bucket(this, 'DataBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data-bucket/',
      // Versioning guards against overwrites; old versions, raw exports and reports need not live forever.
      lifecycleRules: dataBucketLifecycleRules(this.retention, {
        incoming: PREFIXES.incoming,
        rejectReports: [PREFIXES.rejected, PREFIXES.quarantine, CONFIG_KEYS.rejected, PREFIXES.splits],
        reports: PREFIXES.reports,
      }),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Orders are the source of truth: never delete the table with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The nightly's sparse indexes, declared from the same list the local stack provisions.
    for (const index of INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.pk, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sk, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    // Orders by day within a customer, so a refresh reads only what changed (an LSI: it reads consistently; it can
    // only be created with the table: a stack deployed before it sets moments:byDayIndex=false, see CONTEXT_KEYS).
    const byDay = contextString(this, CONTEXT_KEYS.byDayIndex);
    if (byDay !== undefined && byDay !== 'true' && byDay !== 'false') throw new Error(`context ${CONTEXT_KEYS.byDayIndex} must be true or false, got ${JSON.stringify(byDay)}`);
    if (byDay !== 'false')
      this.table.addLocalSecondaryIndex({
        indexName: LOCAL_INDEX.name,
        sortKey: { name: LOCAL_INDEX.sk, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });

    // --- Ingest ----------------------------------------------------------------------------------
    this.ingestDlq = new sqs.Queue(this, 'IngestDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.ingestDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the ingest function\'s failed async invocations; a message in it raises the IngestDlq-NotEmpty alarm.',
    });

    this.ingest = new MomentsFunction(this, 'Ingest', {
      entry: INGEST_ENTRY,
      service: SERVICES.ingest,
      envSchema: ingestEnvSchema,
      environment: {},
      description: 'Applies uploaded order and member files to the table; rejects or quarantines bad input',
      memorySize: 1024,
      timeout: Duration.minutes(15),
      onFailure: new destinations.SqsDestination(this.ingestDlq),
      retryAttempts: 2,
    });
    bindTable(this.ingest, this.table, 'TABLE_NAME', 'readWrite');
    bindBucket(this.ingest, this.bucket, 'BUCKET_NAME', {
      read: [`${PREFIXES.incoming}*`, `${PREFIXES.splits}*`],
      // A large upload is split: the parts under incoming/parts/, the plan and the parts' reports under splits/.
      write: [`${PREFIXES.rejected}*`, `${PREFIXES.quarantine}*`, `${PREFIXES.incomingParts}*`, `${PREFIXES.splits}*`],
      // Quarantine moves the file: copy to quarantine/, then delete from incoming/. A clean re-upload
      // deletes the stale reject report of the earlier upload of the same name (of a part: under splits/).
      delete: [`${PREFIXES.incoming}*`, `${PREFIXES.rejected}*`, `${PREFIXES.splits}*`],
    });
    // The prefix-scoped object ARNs above are the least privilege S3 can express; cdk-nag flags
    // every `/*` wildcard, so each one is acknowledged individually (a new prefix fails the synth).
    const bucketLogicalId = this.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    const ingestPolicy = this.ingest.role?.node.tryFindChild('DefaultPolicy');
    if (ingestPolicy !== undefined) {
      for (const prefix of [PREFIXES.incoming, PREFIXES.rejected, PREFIXES.quarantine, PREFIXES.incomingParts, PREFIXES.splits]) {
        Validations.of(ingestPolicy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${prefix}*]`,
          reason: `Object access is scoped to the ${prefix} prefix of the data bucket, as narrow as the key layout allows.`,
        });
      }
    }
    Validations.of(this.ingest).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'nodejs22.x is the house runtime (matches the bundle target and the tested Node line); moving to nodejs24.x is a deliberate upgrade.',
    });

    for (const prefix of [PREFIXES.incomingOrders, PREFIXES.incomingMembers, PREFIXES.incomingParts]) {
      this.bucket.addEventNotification(
        s3.EventType.OBJECT_CREATED,
        new s3n.LambdaDestination(this.ingest),
        { prefix },
      );
    }

    // --- Touches ---------------------------------------------------------------------------------
    this.touches = new Touches(this, 'Touches', {
      table: this.table,
      bucket: this.bucket,
      sesIdentity: props?.sesIdentity ?? contextString(this, CONTEXT_KEYS.sesIdentity) ?? DEFAULT_SES_IDENTITY,
    });

    // --- Nightly ---------------------------------------------------------------------------------
    this.nightly = new NightlyWorkflow(this, 'Nightly', {
      touchQueue: this.touches.queue,
      table: this.table,
      bucket: this.bucket,
      segmentIndexes: INDEXES.map((i) => i.name),
      nightlyTime: props?.nightlyTime ?? contextString(this, CONTEXT_KEYS.nightlyTime) ?? NIGHTLY_DEFAULTS.nightlyTime,
      timeZone: props?.timeZone ?? contextString(this, CONTEXT_KEYS.timeZone) ?? NIGHTLY_DEFAULTS.timeZone,
    });

    // Notifications are all added (ingest above, config in Touches): now its handler exists.
    hardenBucketNotificationsHandler(this, DEFAULT_LOG_RETENTION);

    // --- Operations ------------------------------------------------------------------------------
    const alarmEmail = props?.alarmEmail ?? contextString(this, CONTEXT_KEYS.alarmEmail);
    this.operations = new Operations(this, 'Operations', {
      settings: settingsFor(this, OPERATIONS_DEFAULTS, OPERATIONS_KEYS, props?.operations),
      ...(alarmEmail === undefined || alarmEmail === '' ? {} : { alarmEmail }),
      functions: [
        this.ingest,
        this.nightly.plan,
        this.nightly.segment,
        this.nightly.finish,
        this.touches.send,
        this.touches.config,
        this.touches.sesEvents,
      ],
      deadLetterQueues: {
        IngestDlq: this.ingestDlq,
        TouchDlq: this.touches.dlq,
        EventsDlq: this.touches.eventsDlq,
      },
      stateMachine: this.nightly.stateMachine,
      touchQueue: this.touches.queue,
    });

    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName, description: 'Data bucket (incoming/, config/, rejected/, quarantine/, reports/)' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'DynamoDB table (pk/sk)' });
    new CfnOutput(this, 'TouchQueueUrl', { value: this.touches.queue.queueUrl, description: 'Touch queue (the nightly plans into it, the send function drains it)' });
    new CfnOutput(this, 'SesConfigurationSetName', {
      value: this.touches.configurationSet.configurationSetName,
      description: 'SES configuration set publishing bounces and complaints; make it the sending identity\'s default',
    });
    new CfnOutput(this, 'NightlyStateMachineArn', {
      value: this.nightly.stateMachine.stateMachineArn,
      description: 'Nightly state machine (start it with {} or {"asOf":"YYYY-MM-DD"} to run or catch up by hand)',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.operations.alarmTopic.topicArn,
      description: 'SNS topic every alarm notifies (ALARM and OK): subscribe email, chat or paging to it',
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.operations.dashboard.dashboardName,
      description: 'CloudWatch dashboard: ingest, nightly, touches and errors',
    });
  }
}

/** Each field from the props, else its context key, else the default. */
function settingsFor<T extends object>(scope: Construct, defaults: T, keys: Record<keyof T, string>, given: Partial<T> | undefined): T {
  const out = { ...defaults };
  for (const field of Object.keys(defaults) as Array<keyof T>) {
    const value = given?.[field] ?? contextNumber(scope, keys[field]);
    if (value !== undefined) out[field] = value as T[keyof T];
  }
  return out;
}
