import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS, METRICS_NAMESPACE, SERVICES, touchChannelMetric, type ServiceName } from '../../lib/observability/metric-names.ts';
import { checkRatio, checkWholeNumber } from '../context.ts';
import type { EnvSchema, MomentsFunction } from './moments-function.ts';

/** Alarm thresholds (CDK context keys in moments-stack.ts). */
export interface OperationsSettings {
  /** Alarm when more than this share of the rows read in an hour were rejected (RowsRejected / RowsRead). */
  readonly rejectedRowRatio: number;
  /** Alarm when more than this share of an hour's send outcomes failed (TouchesFailed / (TouchesSent + TouchesFailed)). */
  readonly sendFailureRatio: number;
  /**
   * Alarm when no night has been closed (NightsFinished) for this many hours. Runs are daily, so it
   * must exceed 24: the hours beyond 24 are how much later than the previous one a run may finish.
   */
  readonly nightlyDeadlineHours: number;
}

export const OPERATIONS_DEFAULTS: OperationsSettings = {
  rejectedRowRatio: 0.05,
  sendFailureRatio: 0.05,
  nightlyDeadlineHours: 26,
};

/** CloudWatch allows at most 7 days of one-hour periods in an alarm's evaluation range. */
const MAX_DEADLINE_HOURS = 7 * 24;

export function checkOperationsSettings(s: OperationsSettings): OperationsSettings {
  checkRatio('rejectedRowRatio', s.rejectedRowRatio);
  checkRatio('sendFailureRatio', s.sendFailureRatio);
  const hours = checkWholeNumber('nightlyDeadlineHours', s.nightlyDeadlineHours, 25);
  if (hours > MAX_DEADLINE_HOURS) throw new Error(`nightlyDeadlineHours must be at most ${MAX_DEADLINE_HOURS} (CloudWatch's limit), got ${hours}`);
  return s;
}

/** A basic email address check: enough to catch a typo before SNS mails its confirmation nowhere. */
export function checkAlarmEmail(value: string): string {
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw new Error(`alarm email ${JSON.stringify(value)} is not an email address`);
  return value;
}

export interface OperationsProps {
  readonly settings: OperationsSettings;
  /** Subscribed to the alarm topic by email (SNS mails a confirmation link first). @default no subscription */
  readonly alarmEmail?: string;
  /** Every function of the stack: each gets an Errors alarm and a dashboard line. */
  readonly functions: ReadonlyArray<MomentsFunction<EnvSchema>>;
  /** Dead-letter queues by a short name (`IngestDlq`): each gets an alarm when a message is in it. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** The nightly state machine. */
  readonly stateMachine: sfn.IStateMachine;
  /** The touch queue, for the dashboard (deferred touches wait in it, so its depth is not an alarm). */
  readonly touchQueue: sqs.IQueue;
}

/** A metric of the functions' contract: namespace and the single `service` dimension from metric-names.ts. */
export function contractMetric(metricName: string, service: ServiceName, period: Duration, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service },
    statistic: cloudwatch.Stats.SUM,
    period,
    ...(label === undefined ? {} : { label }),
  });
}

/**
 * Alarms and the dashboard. Every alarm notifies (ALARM and back to OK) an SNS topic encrypted with
 * its own key, which CloudWatch, for this stack's alarms only, may publish to and encrypt for.
 */
export class Operations extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarmKey: kms.Key;
  readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm below, in creation order. */
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dlqAlarms: Record<string, cloudwatch.Alarm> = {};
  readonly errorAlarms: Record<string, cloudwatch.Alarm> = {};
  readonly rejectedRowsAlarm: cloudwatch.Alarm;
  readonly sendFailureAlarm: cloudwatch.Alarm;
  readonly nightlyFailedAlarm: cloudwatch.Alarm;
  readonly nightlyNotFinishedAlarm: cloudwatch.Alarm;
  /** Alarm names start with this (`<stack>-`); the topic and key policies are scoped to it. */
  readonly alarmNamePrefix: string;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const settings = checkOperationsSettings(props.settings);
    this.alarmNamePrefix = `${stack.stackName}-`;

    // --- Alarm topic ---------------------------------------------------------------------------------
    // CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key (its policy cannot
    // name CloudWatch): a customer managed key whose policy lets it, for this stack's alarms only.
    const alarmArns = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${this.alarmNamePrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': alarmArns },
    };
    this.alarmKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the moments alarm notification topic',
      enableKeyRotation: true,
    });
    this.alarmKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToEncrypt',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        // SNS encrypts each message under a data key: the two actions it needs, named exactly.
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'moments alarms',
      masterKey: this.alarmKey,
      enforceSSL: true,
    });
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(checkAlarmEmail(props.alarmEmail)));
    }
    const notify = new cwActions.SnsAction(this.alarmTopic);

    const alarm = (name: string, alarmProps: Omit<cloudwatch.AlarmProps, 'alarmName'>): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(this, `${name}Alarm`, { ...alarmProps, alarmName: `${this.alarmNamePrefix}${name}` });
      a.addAlarmAction(notify);
      a.addOkAction(notify);
      this.alarms.push(a);
      return a;
    };

    // --- Dead-letter queues: anything in one is work that failed every retry ------------------------
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.dlqAlarms[name] = alarm(`${name}-NotEmpty`, {
        alarmDescription: `${name} has messages: work that failed every retry. Read them, fix the cause, then redrive or delete them.`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    // --- Function errors (an invocation that threw or timed out) ------------------------------------
    for (const fn of props.functions) {
      this.errorAlarms[fn.node.id] = alarm(`${fn.node.id}-Errors`, {
        alarmDescription: `The ${fn.node.id} function (service ${fn.service}) failed an invocation (error or timeout). See its log group.`,
        metric: fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    // --- Rejected rows ---------------------------------------------------------------------------------
    const hour = Duration.hours(1);
    const rejectedRatio = new cloudwatch.MathExpression({
      // No rows read: no ratio (0), rather than a division by zero.
      expression: 'IF(rowsRead > 0, FILL(rowsRejected, 0) / rowsRead, 0)',
      usingMetrics: {
        rowsRead: contractMetric(METRICS.rowsRead, SERVICES.ingest, hour),
        rowsRejected: contractMetric(METRICS.rowsRejected, SERVICES.ingest, hour),
      },
      period: hour,
      label: 'Rejected row ratio',
    });
    this.rejectedRowsAlarm = alarm('RejectedRowRatio', {
      alarmDescription:
        `More than ${pct(settings.rejectedRowRatio)} of the rows read in an hour were rejected. ` +
        'Read rejected/<file>.errors.csv: usually a changed export layout or a new header spelling (columns.orders in the configuration).',
      metric: rejectedRatio,
      threshold: settings.rejectedRowRatio,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // --- Send failures ----------------------------------------------------------------------------------
    const sendFailureRatio = new cloudwatch.MathExpression({
      expression: 'IF((FILL(sent, 0) + FILL(failed, 0)) > 0, FILL(failed, 0) / (FILL(sent, 0) + FILL(failed, 0)), 0)',
      usingMetrics: {
        sent: contractMetric(METRICS.touchesSent, SERVICES.send, hour),
        failed: contractMetric(METRICS.touchesFailed, SERVICES.send, hour),
      },
      period: hour,
      label: 'Send failure ratio',
    });
    this.sendFailureAlarm = alarm('SendFailureRatio', {
      alarmDescription:
        `More than ${pct(settings.sendFailureRatio)} of an hour's sends failed. ` +
        '`moments export touches` lists each failed touch with its reason (SES/SNS rejection, outcome unknown after a crash).',
      metric: sendFailureRatio,
      threshold: settings.sendFailureRatio,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // --- Nightly -----------------------------------------------------------------------------------------
    this.nightlyFailedAlarm = alarm('NightlyFailed', {
      alarmDescription:
        'A nightly execution failed, timed out or was aborted. Open it in Step Functions; the next run resumes from the cursor, or start one by hand.',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
        usingMetrics: {
          failed: props.stateMachine.metricFailed({ statistic: cloudwatch.Stats.SUM }),
          timedOut: props.stateMachine.metricTimedOut({ statistic: cloudwatch.Stats.SUM }),
          aborted: props.stateMachine.metricAborted({ statistic: cloudwatch.Stats.SUM }),
        },
        period: hour,
        label: 'Failed, timed out or aborted executions',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // Every hour without a closed night breaches (no data is breaching: a nightly that never ran emits
    // nothing); all of the last `nightlyDeadlineHours` hours breaching means the night is late.
    this.nightlyNotFinishedAlarm = alarm('NightlyNotFinished', {
      alarmDescription:
        `No night has been closed for ${settings.nightlyDeadlineHours} hours. Check that the schedule ran ` +
        'and how far the last execution got; `moments nightly` or a StartExecution catches up missed nights in order.',
      metric: contractMetric(METRICS.nightsFinished, SERVICES.nightlyFinish, hour),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: settings.nightlyDeadlineHours,
      datapointsToAlarm: settings.nightlyDeadlineHours,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    // --- Dashboard ---------------------------------------------------------------------------------------
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-operations`,
      defaultInterval: Duration.days(7),
    });
    const day = Duration.days(1);
    const ingest = (name: string) => contractMetric(name, SERVICES.ingest, hour);
    const send = (name: string) => contractMetric(name, SERVICES.send, hour);
    const widget = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...extra });
    const thresholdLine = (value: number) => [{ value, label: 'alarm threshold', color: cloudwatch.Color.RED }];

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: '## Ingest', width: 24, height: 1 }),
      widget('Rows per hour', [ingest(METRICS.rowsRead), ingest(METRICS.rowsApplied), ingest(METRICS.rowsRejected)]),
      widget('Rejected row ratio', [rejectedRatio], { leftAnnotations: thresholdLine(settings.rejectedRowRatio) }),
      widget('Files per hour', [ingest(METRICS.filesProcessed), ingest(METRICS.filesQuarantined), ingest(METRICS.customersRecomputed)]),
    );
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: '## Nightly', width: 24, height: 1 }),
      widget('Nights closed per day', [contractMetric(METRICS.nightsFinished, SERVICES.nightlyFinish, day)]),
      widget('Executions per day', [
        props.stateMachine.metricSucceeded({ statistic: cloudwatch.Stats.SUM, period: day }),
        props.stateMachine.metricFailed({ statistic: cloudwatch.Stats.SUM, period: day }),
        props.stateMachine.metricTimedOut({ statistic: cloudwatch.Stats.SUM, period: day }),
        props.stateMachine.metricAborted({ statistic: cloudwatch.Stats.SUM, period: day }),
      ]),
      widget('Customers advanced and execution time', [contractMetric(METRICS.customersRecomputed, SERVICES.nightlySegment, day)], {
        right: [props.stateMachine.metricTime({ statistic: cloudwatch.Stats.MAXIMUM, period: day })],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: '## Touches', width: 24, height: 1 }),
      widget('Touch decisions per hour', [
        send(METRICS.touchesSent),
        send(METRICS.touchesFailed),
        send(METRICS.touchesSuppressed),
        send(METRICS.touchesDeferred),
        send(METRICS.touchesHeldOut),
        send(METRICS.touchesExpired),
      ]),
      widget('Sent and failed by channel', [
        send(touchChannelMetric('sent', 'sms')),
        send(touchChannelMetric('failed', 'sms')),
        send(touchChannelMetric('sent', 'email')),
        send(touchChannelMetric('failed', 'email')),
      ], { right: [send(METRICS.providerErrors)] }),
      widget('Send failure ratio', [sendFailureRatio], { leftAnnotations: thresholdLine(settings.sendFailureRatio) }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: '## Errors', width: 24, height: 1 }),
      widget('Function errors', props.functions.map((fn) => fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), label: fn.node.id }))),
      widget('Function throttles', props.functions.map((fn) => fn.metricThrottles({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), label: fn.node.id }))),
      widget('Queues', [
        ...Object.entries(props.deadLetterQueues).map(([name, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5), label: name }),
        ),
        props.touchQueue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5), label: 'TouchQueue' }),
      ], { right: [props.touchQueue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5), label: 'TouchQueue oldest (s)' })] }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }),
    );
  }
}

const pct = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;
