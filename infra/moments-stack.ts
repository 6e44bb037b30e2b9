import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import { ingestEnvSchema } from '../functions/ingest/env.ts';
import { INDEXES } from '../lib/adapters/provision.ts';
import { PARTS_PREFIX, SPLITS_PREFIX } from '../lib/ingest/part-meta.ts';
import { bindBucket, bindTable, MomentsFunction } from './constructs/moments-function.ts';
import { NIGHTLY_DEFAULTS, NightlyWorkflow } from './constructs/nightly-workflow.ts';
import { DEFAULT_SES_IDENTITY, Touches } from './constructs/touches.ts';

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
} as const;

export const INGEST_ENTRY = fileURLToPath(new URL('../functions/ingest/handler.ts', import.meta.url));

/** CDK context keys that set the nightly's start time and zone, and the SES identity, when the props do not. */
export const CONTEXT_KEYS = {
  nightlyTime: 'moments:nightlyTime',
  timeZone: 'moments:timeZone',
  sesIdentity: 'moments:sesIdentity',
} as const;

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
   * (output `SesConfigurationSetName`). The sender names none, so make it the identity's default:
   * `aws sesv2 put-email-identity-configuration-set-attributes --email-identity <identity>
   * --configuration-set-name <SesConfigurationSetName>`.
   * @default context `moments:sesIdentity`, else 'example.com'
   */
  readonly sesIdentity?: string;
}

export class MomentsStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly table: dynamodb.Table;
  readonly ingest: MomentsFunction<typeof ingestEnvSchema>;
  readonly ingestDlq: sqs.Queue;
  readonly nightly: NightlyWorkflow;
  readonly touches: Touches;

  constructor(scope: Construct, id: string, props?: MomentsStackProps) {
    super(scope, id, props);

    // --- Storage -------------------------------------------------------------------------------
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
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
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data-bucket/',
      lifecycleRules: [
        // Versioning guards against overwrites; old versions need not live forever.
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(90) },
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
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

    // --- Ingest ----------------------------------------------------------------------------------
    this.ingestDlq = new sqs.Queue(this, 'IngestDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.ingestDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the ingest function\'s failed async invocations.',
    });

    this.ingest = new MomentsFunction(this, 'Ingest', {
      entry: INGEST_ENTRY,
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
    acknowledgeBucketNotificationsHandler(this);

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

    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName, description: 'Data bucket (incoming/, rejected/, quarantine/)' });
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
  }
}

function contextString(scope: Construct, key: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * S3 notifications are configured by a CDK-provided singleton custom resource
 * (BucketNotificationsHandler...) whose role and runtime we do not control.
 */
function acknowledgeBucketNotificationsHandler(stack: Stack): void {
  const handler: IConstruct | undefined = stack.node.children.find((c) =>
    c.node.id.startsWith('BucketNotificationsHandler'),
  );
  if (handler === undefined) return;
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'CDK-managed custom resource that applies the bucket notification configuration at deploy time.',
  });
}
