import { fileURLToPath } from 'node:url';
import { Duration, Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { configEnvSchema } from '../../functions/config/env.ts';
import { sendEnvSchema } from '../../functions/send/env.ts';
import { sesEventsEnvSchema } from '../../functions/ses-events/env.ts';
import { SERVICES } from '../../lib/observability/metric-names.ts';
import { bindBucket, bindTable, MomentsFunction } from './moments-function.ts';

export const TOUCH_ENTRIES = {
  send: fileURLToPath(new URL('../../functions/send/handler.ts', import.meta.url)),
  config: fileURLToPath(new URL('../../functions/config/handler.ts', import.meta.url)),
  sesEvents: fileURLToPath(new URL('../../functions/ses-events/handler.ts', import.meta.url)),
} as const;

/** The configuration upload the config function activates, and where it reports a rejection. */
export const CONFIG_KEYS = {
  prefix: 'config/',
  suffix: 'campaigns.json',
  campaigns: 'config/campaigns.json',
  rejected: 'config/rejected/',
} as const;

/** The touch pipeline's settings (asserted by test/infra/touches.test.ts). */
export const TOUCH_SETTINGS = {
  sendTimeout: Duration.seconds(60),
  /** SQS's own maximum per ReceiveMessage; the handler reports partial batch failures. */
  batchSize: 10,
  /**
   * Send containers at once. The handler throttles each container to the configured per-channel
   * rate, so the account-wide rate is at most this many times it: keep the two in step.
   */
  maxConcurrency: 5,
  /** Receives before a message goes to the DLQ. */
  maxReceiveCount: 5,
  retention: Duration.days(14),
} as const;

/** The placeholder SES identity used when none is configured (never verified: sends fail until set). */
export const DEFAULT_SES_IDENTITY = 'example.com';

/**
 * An SES identity as the IAM resource names it: a domain (`example.com`) or an email address
 * (`noreply@example.com`). Wildcards, ARNs and anything else throw, so the grant never widens.
 */
export function checkSesIdentity(value: string): string {
  if (Token.isUnresolved(value)) return value;
  const domain = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
  const at = value.lastIndexOf('@');
  const ok =
    at === -1
      ? domain.test(value)
      : /^[A-Za-z0-9.!#$%&'+/=?^_`{|}~-]{1,64}$/.test(value.slice(0, at)) && domain.test(value.slice(at + 1));
  if (!ok) {
    throw new Error(
      `SES identity ${JSON.stringify(value)} is not a domain or an email address (e.g. example.com or noreply@example.com)`,
    );
  }
  return value;
}

export interface TouchesProps {
  /** The single table (touch items, suppressions, profiles, the active configuration). */
  readonly table: dynamodb.ITable;
  /** The data bucket holding `config/campaigns.json`. */
  readonly bucket: s3.IBucket;
  /** The verified SES identity (domain or address) the touches are sent from. */
  readonly sesIdentity: string;
}

/**
 * Touches (SMS and email sends): the touch queue and its DLQ feeding the send function; the config
 * function activating `config/campaigns.json`; SES bounce and complaint events through an encrypted
 * SNS topic into the ses-events function, which suppresses the addresses.
 */
export class Touches extends Construct {
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;
  readonly send: MomentsFunction<typeof sendEnvSchema>;
  readonly config: MomentsFunction<typeof configEnvSchema>;
  readonly sesEvents: MomentsFunction<typeof sesEventsEnvSchema>;
  /** Failed async invocations of the config and ses-events functions. */
  readonly eventsDlq: sqs.Queue;
  readonly sesEventsKey: kms.Key;
  readonly sesEventsTopic: sns.Topic;
  readonly configurationSet: ses.ConfigurationSet;
  readonly sesIdentityArn: string;

  constructor(scope: Construct, id: string, props: TouchesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const sesIdentity = checkSesIdentity(props.sesIdentity);
    this.sesIdentityArn = stack.formatArn({ service: 'ses', resource: 'identity', resourceName: sesIdentity });

    // --- Touch queue -------------------------------------------------------------------------------
    this.dlq = new sqs.Queue(this, 'TouchDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: TOUCH_SETTINGS.retention,
    });
    // No AwsSolutions-SQS3 acknowledgement: cdk-nag sees the touch queue's redrive to it.

    this.queue = new sqs.Queue(this, 'TouchQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's guidance for a Lambda event source: at least 6 x the function timeout, so a batch
      // that is retried by Lambda is not delivered to a second container meanwhile.
      visibilityTimeout: Duration.seconds(TOUCH_SETTINGS.sendTimeout.toSeconds() * 6),
      // Deferred touches wait in the queue (hidden by the sender) until due: keep them the longest.
      retentionPeriod: TOUCH_SETTINGS.retention,
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: TOUCH_SETTINGS.maxReceiveCount },
    });

    // --- Send ----------------------------------------------------------------------------------------
    this.send = new MomentsFunction(this, 'Send', {
      entry: TOUCH_ENTRIES.send,
      service: SERVICES.send,
      envSchema: sendEnvSchema,
      environment: {},
      description: 'Sends due touches from the touch queue by SES (email) and SNS (SMS); logs every decision',
      timeout: TOUCH_SETTINGS.sendTimeout,
    });
    // Touch items, suppressions, profiles and the active configuration (items only, no index).
    bindTable(this.send, props.table, 'TABLE_NAME', 'readWrite');
    this.send.setEnv('QUEUE_URL', this.queue.queueUrl);
    // Each container sends at its share of the configured rate, so the total holds.
    this.send.setEnv('SEND_CONCURRENCY', String(TOUCH_SETTINGS.maxConcurrency));
    // A touch that must wait is queued again as a new message (SQS counts every receive towards the DLQ).
    this.queue.grantSendMessages(this.send);
    // Grants the consume actions on this queue only (ReceiveMessage, DeleteMessage,
    // ChangeMessageVisibility, which the handler also calls to defer a touch).
    this.send.addEventSource(
      new eventSources.SqsEventSource(this.queue, {
        batchSize: TOUCH_SETTINGS.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: TOUCH_SETTINGS.maxConcurrency,
      }),
    );
    // SES v1 SendEmail is authorized on the sending identity's ARN.
    this.send.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ses:SendEmail'], resources: [this.sesIdentityArn] }),
    );
    // SMS to a phone number has no resource ARN: sns:Publish and the opt-out check take `*`.
    // The region condition keeps them to this stack's region.
    this.send.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sns:CheckIfPhoneNumberIsOptedOut', 'sns:Publish'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
      }),
    );
    const sendPolicy = this.send.role?.node.tryFindChild('DefaultPolicy');
    if (sendPolicy !== undefined) {
      Validations.of(sendPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'sns:Publish to a phone number (SMS) and sns:CheckIfPhoneNumberIsOptedOut support no resource ARN; both are limited to the stack region by condition.',
      });
    }

    // --- Async failures (config and ses-events) --------------------------------------------------------
    this.eventsDlq = new sqs.Queue(this, 'EventsDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: TOUCH_SETTINGS.retention,
    });
    Validations.of(this.eventsDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the config and ses-events functions\' failed async invocations; a message in it raises the EventsDlq-NotEmpty alarm.',
    });

    // --- Config ----------------------------------------------------------------------------------------
    this.config = new MomentsFunction(this, 'Config', {
      entry: TOUCH_ENTRIES.config,
      service: SERVICES.config,
      envSchema: configEnvSchema,
      environment: {},
      description: 'Validates an uploaded config/campaigns.json, then activates it or writes a reject report',
      onFailure: new destinations.SqsDestination(this.eventsDlq),
      retryAttempts: 2,
    });
    bindTable(this.config, props.table, 'TABLE_NAME', 'write');
    bindBucket(this.config, props.bucket, 'BUCKET_NAME', {
      read: [CONFIG_KEYS.campaigns],
      write: [`${CONFIG_KEYS.rejected}*`],
    });
    // The bucket is versioned: reading a given version of the configuration.
    this.config.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObjectVersion'], resources: [props.bucket.arnForObjects(CONFIG_KEYS.campaigns)] }),
    );
    const configPolicy = this.config.role?.node.tryFindChild('DefaultPolicy');
    if (configPolicy !== undefined) {
      const bucketId = stack.getLogicalId(props.bucket.node.defaultChild as CfnElement);
      Validations.of(configPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${CONFIG_KEYS.rejected}*]`,
        reason: `Reject reports are written under ${CONFIG_KEYS.rejected} with a timestamped name; the prefix is as narrow as the key layout allows.`,
      });
    }
    props.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.config), {
      prefix: CONFIG_KEYS.prefix,
      suffix: CONFIG_KEYS.suffix,
    });

    // --- SES events --------------------------------------------------------------------------------------
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      // The account-level suppression list as a second line behind the table's suppressions.
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    const configurationSetArn = stack.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });
    // The sender names the set on every email, so SES publishes its bounces and complaints to the topic.
    this.send.setEnv('SES_CONFIGURATION_SET', this.configurationSet.configurationSetName);
    this.send.addToRolePolicy(new iam.PolicyStatement({ actions: ['ses:SendEmail'], resources: [configurationSetArn] }));

    // SES cannot use the AWS managed SNS key (its policy cannot be changed): a customer managed key
    // whose policy lets SES, for this configuration set only, encrypt what it publishes.
    this.sesEventsKey = new kms.Key(this, 'SesEventsKey', {
      description: 'Encrypts the SES bounce/complaint notification topic',
      enableKeyRotation: true,
    });
    this.sesEventsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSesEventPublishing',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        // SNS encrypts each message under a data key from GenerateDataKey: the two actions it uses,
        // named exactly (no GenerateDataKey* pattern, which would also allow key pairs).
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': configurationSetArn },
        },
      }),
    );

    this.sesEventsTopic = new sns.Topic(this, 'SesEventsTopic', {
      displayName: 'moments SES bounces and complaints',
      masterKey: this.sesEventsKey,
      enforceSSL: true,
    });
    // Also adds the topic policy letting SES publish, for this configuration set and account only.
    this.configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: ses.EventDestination.snsTopic(this.sesEventsTopic),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
    });

    this.sesEvents = new MomentsFunction(this, 'SesEvents', {
      entry: TOUCH_ENTRIES.sesEvents,
      service: SERVICES.sesEvents,
      envSchema: sesEventsEnvSchema,
      environment: {},
      description: 'Suppresses addresses that bounced permanently or complained (SES events via SNS)',
      onFailure: new destinations.SqsDestination(this.eventsDlq),
      retryAttempts: 2,
    });
    // Writes suppression items only.
    bindTable(this.sesEvents, props.table, 'TABLE_NAME', 'write');
    this.sesEventsTopic.addSubscription(new subscriptions.LambdaSubscription(this.sesEvents));

    for (const fn of [this.send, this.config, this.sesEvents]) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason: 'nodejs22.x is the house runtime (matches the bundle target and the tested Node line); moving to nodejs24.x is a deliberate upgrade.',
      });
    }
  }
}
