import { describe, it, expect } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { OPERATIONS_DEFAULTS } from '../../infra/constructs/operations.ts';
import { CONTEXT_KEYS } from '../../infra/moments-stack.ts';
import { METRICS, METRICS_NAMESPACE, SERVICES, touchChannelMetric } from '../../lib/observability/metric-names.ts';
import type { IConstruct } from 'constructs';
import { asArray, newMomentsStack, renderArn, renderJoin, resourcesOf, synthMoments } from './support.ts';

// One synthesis of the real app (no bundling, cdk-nag registered) for the whole file.
const synthed = synthMoments();
const { template, stack } = synthed;
const resources = resourcesOf(template);
const ops = stack.operations;
const topicId = synthed.id(ops.alarmTopic);
const keyId = synthed.id(ops.alarmKey);

type MetricStat = { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: unknown }> }; Stat: string; Period: number };
type AlarmProps = {
  AlarmName: string;
  MetricName?: string;
  Namespace?: string;
  Dimensions?: Array<{ Name: string; Value: unknown }>;
  Statistic?: string;
  Period?: number;
  Metrics?: Array<{ Id: string; Expression?: string; MetricStat?: MetricStat; ReturnData?: boolean }>;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
};
const alarms = (t: Template = template) =>
  Object.values(resourcesOf(t))
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => r.Properties as AlarmProps);
const alarmNamed = (name: string, t: Template = template) => {
  const found = alarms(t).filter((a) => a.AlarmName === name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};
/** The metric-math inputs of an alarm by id, and its expression. */
function mathOf(alarm: AlarmProps): { expression: string; inputs: Record<string, MetricStat> } {
  const entries = alarm.Metrics ?? [];
  const expr = entries.filter((m) => m.Expression !== undefined);
  expect(expr).toHaveLength(1);
  expect(expr[0]!.ReturnData).toBe(true);
  const inputs: Record<string, MetricStat> = {};
  for (const m of entries) if (m.MetricStat) inputs[m.Id] = m.MetricStat;
  return { expression: expr[0]!.Expression!, inputs };
}
const contractMetric = (stat: MetricStat | undefined) =>
  stat && { namespace: stat.Metric.Namespace, name: stat.Metric.MetricName, dims: stat.Metric.Dimensions, stat: stat.Stat, period: stat.Period };

const lambdas = Object.entries(resources).filter(
  ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties['Runtime'] === 'nodejs22.x',
);
/** Every queue some other resource dead-letters into (SQS redrive or Lambda on-failure destination). */
function deadLetterQueueIds(): string[] {
  const ids = new Set<string>();
  for (const r of Object.values(resources)) {
    const redrive = r.Properties?.['RedrivePolicy']?.deadLetterTargetArn;
    if (redrive) ids.add(renderArn(redrive).replace(/\.Arn$/, ''));
    const onFailure = r.Properties?.['DestinationConfig']?.OnFailure?.Destination;
    if (onFailure) ids.add(renderArn(onFailure).replace(/\.Arn$/, ''));
  }
  for (const id of ids) expect(resources[id]?.Type, id).toBe('AWS::SQS::Queue');
  return [...ids].sort();
}

describe('alarms', () => {
  it('are exactly: one per dead-letter queue, one per function, rejected rows, send failures, nightly failed and late', () => {
    const dlqs = deadLetterQueueIds();
    expect(dlqs).toHaveLength(3);
    expect(lambdas).toHaveLength(7);
    expect(alarms()).toHaveLength(dlqs.length + lambdas.length + 4);
    expect(ops.alarms).toHaveLength(alarms().length);
  });

  it('all notify the alarm topic when they fire and when they recover, under the stack-name prefix', () => {
    for (const a of alarms()) {
      expect(a.AlarmName.startsWith('Moments-'), a.AlarmName).toBe(true);
      expect(a.AlarmActions, a.AlarmName).toEqual([{ Ref: topicId }]);
      expect(a.OKActions, a.AlarmName).toEqual([{ Ref: topicId }]);
    }
  });

  it('fire on any message visible in each dead-letter queue', () => {
    for (const dlqId of deadLetterQueueIds()) {
      const on = alarms().filter((a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }]));
      expect(on, dlqId).toHaveLength(1);
      expect(on[0]).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
    expect(Object.keys(ops.dlqAlarms).sort()).toEqual(['EventsDlq', 'IngestDlq', 'TouchDlq']);
  });

  it('fire on any error of each function', () => {
    for (const [fnId] of lambdas) {
      const on = alarms().filter((a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: fnId } }]));
      expect(on, fnId).toHaveLength(1);
      expect(on[0]).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('fire when more than the threshold share of an hour\'s rows were rejected (ingest metrics of the contract)', () => {
    const alarm = alarmNamed('Moments-RejectedRowRatio');
    const { expression, inputs } = mathOf(alarm);
    expect(expression).toBe('IF(rowsRead > 0, FILL(rowsRejected, 0) / rowsRead, 0)');
    const dims = [{ Name: 'service', Value: SERVICES.ingest }];
    expect(contractMetric(inputs['rowsRead'])).toEqual({ namespace: METRICS_NAMESPACE, name: METRICS.rowsRead, dims, stat: 'Sum', period: 3600 });
    expect(contractMetric(inputs['rowsRejected'])).toEqual({ namespace: METRICS_NAMESPACE, name: METRICS.rowsRejected, dims, stat: 'Sum', period: 3600 });
    expect(alarm).toMatchObject({
      Threshold: OPERATIONS_DEFAULTS.rejectedRowRatio,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('fire when more than the threshold share of an hour\'s send outcomes failed (send metrics of the contract)', () => {
    const alarm = alarmNamed('Moments-SendFailureRatio');
    const { expression, inputs } = mathOf(alarm);
    expect(expression).toBe('IF((FILL(sent, 0) + FILL(failed, 0)) > 0, FILL(failed, 0) / (FILL(sent, 0) + FILL(failed, 0)), 0)');
    const dims = [{ Name: 'service', Value: SERVICES.send }];
    expect(contractMetric(inputs['sent'])).toEqual({ namespace: METRICS_NAMESPACE, name: METRICS.touchesSent, dims, stat: 'Sum', period: 3600 });
    expect(contractMetric(inputs['failed'])).toEqual({ namespace: METRICS_NAMESPACE, name: METRICS.touchesFailed, dims, stat: 'Sum', period: 3600 });
    expect(alarm).toMatchObject({ Threshold: OPERATIONS_DEFAULTS.sendFailureRatio, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
  });

  it('fire when a nightly execution fails, times out or is aborted', () => {
    const alarm = alarmNamed('Moments-NightlyFailed');
    const { expression, inputs } = mathOf(alarm);
    expect(expression).toBe('FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)');
    const smId = synthed.id(stack.nightly.stateMachine);
    const expected = { failed: 'ExecutionsFailed', timedOut: 'ExecutionsTimedOut', aborted: 'ExecutionsAborted' };
    for (const [id, name] of Object.entries(expected)) {
      expect(contractMetric(inputs[id])).toEqual({
        namespace: 'AWS/States',
        name,
        dims: [{ Name: 'StateMachineArn', Value: { Ref: smId } }],
        stat: 'Sum',
        period: 3600,
      });
    }
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
  });

  it('fire when no night has been closed for the deadline, counting hours without data as late', () => {
    const alarm = alarmNamed('Moments-NightlyNotFinished');
    expect(alarm).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRICS.nightsFinished,
      Dimensions: [{ Name: 'service', Value: SERVICES.nightlyFinish }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: OPERATIONS_DEFAULTS.nightlyDeadlineHours,
      DatapointsToAlarm: OPERATIONS_DEFAULTS.nightlyDeadlineHours,
      TreatMissingData: 'breaching',
    });
    // A day between runs must never be enough on its own.
    expect(OPERATIONS_DEFAULTS.nightlyDeadlineHours).toBeGreaterThan(24);
  });

  it('read custom metrics under the dimension each function is told to emit (POWERTOOLS_SERVICE_NAME)', () => {
    const envOf = (fn: IConstruct) => resources[synthed.id(fn)]!.Properties['Environment'].Variables as Record<string, string>;
    const serviceOf = (fn: IConstruct) => envOf(fn)['POWERTOOLS_SERVICE_NAME'];
    const nsOf = (fn: IConstruct) => envOf(fn)['POWERTOOLS_METRICS_NAMESPACE'];
    const rejected = mathOf(alarmNamed('Moments-RejectedRowRatio')).inputs['rowsRead']!.Metric;
    expect(rejected.Dimensions[0]!.Value).toBe(serviceOf(stack.ingest));
    expect(rejected.Namespace).toBe(nsOf(stack.ingest));
    const sent = mathOf(alarmNamed('Moments-SendFailureRatio')).inputs['sent']!.Metric;
    expect(sent.Dimensions[0]!.Value).toBe(serviceOf(stack.touches.send));
    expect(sent.Namespace).toBe(nsOf(stack.touches.send));
    expect(alarmNamed('Moments-NightlyNotFinished').Dimensions![0]!.Value).toBe(serviceOf(stack.nightly.finish));
  });
});

describe('alarm topic', () => {
  const topic = resources[topicId]!.Properties;
  const key = resources[keyId]!.Properties;
  const alarmArnPattern = /^arn:Ref:AWS::Partition:cloudwatch:Ref:AWS::Region:Ref:AWS::AccountId:alarm:Moments-\*$/;

  it('is encrypted with its own rotated key, which CloudWatch may use only for this stack\'s alarms', () => {
    expect(topic['KmsMasterKeyId']).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(key['EnableKeyRotation']).toBe(true);
    const forCloudWatch = (key['KeyPolicy'].Statement as Array<Record<string, any>>).filter(
      (s) => JSON.stringify(s['Principal']) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
    );
    expect(forCloudWatch).toHaveLength(1);
    expect(asArray(forCloudWatch[0]!['Action']).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(forCloudWatch[0]!['Condition'].StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(renderArn(forCloudWatch[0]!['Condition'].ArnLike['aws:SourceArn'])).toMatch(alarmArnPattern);
  });

  it('lets only this stack\'s alarms publish, over TLS only', () => {
    const policies = Object.values(resources).filter(
      (r) => r.Type === 'AWS::SNS::TopicPolicy' && JSON.stringify(r.Properties['Topics']) === JSON.stringify([{ Ref: topicId }]),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties['PolicyDocument'].Statement as Array<Record<string, any>>;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const allows = statements.filter((s) => s['Effect'] === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: topicId } });
    expect(renderArn(allows[0]!['Condition'].ArnLike['aws:SourceArn'])).toMatch(alarmArnPattern);
  });

  it('has no subscription unless an alarm email is configured', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 1); // the ses-events function's, on the SES topic
    expect(Object.values(resources).some((r) => r.Type === 'AWS::SNS::Subscription' && JSON.stringify(r.Properties['TopicArn']) === JSON.stringify({ Ref: topicId }))).toBe(false);
  });
});

describe('settings', () => {
  const custom = Template.fromStack(
    newMomentsStack({}, {
      [CONTEXT_KEYS.alarmEmail]: 'ops@brand.example',
      [CONTEXT_KEYS.rejectedRowRatio]: '0.1',
      [CONTEXT_KEYS.sendFailureRatio]: 0.2,
      [CONTEXT_KEYS.nightlyDeadlineHours]: '30',
    }),
  );

  it('take the thresholds and the alarm email from the context', () => {
    // newMomentsStack names the stack Custom: the alarm names follow it.
    expect(alarmNamed('Custom-RejectedRowRatio', custom).Threshold).toBe(0.1);
    expect(alarmNamed('Custom-SendFailureRatio', custom).Threshold).toBe(0.2);
    expect(alarmNamed('Custom-NightlyNotFinished', custom)).toMatchObject({ EvaluationPeriods: 30, DatapointsToAlarm: 30 });
    const topic = synthed.id(stack.operations.alarmTopic); // same logical ID in both stacks
    custom.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@brand.example', TopicArn: { Ref: topic } });
  });

  it('prefer the stack props to the context', () => {
    const t = Template.fromStack(newMomentsStack({ operations: { rejectedRowRatio: 0.3 } }, { [CONTEXT_KEYS.rejectedRowRatio]: '0.1' }));
    expect(alarmNamed('Custom-RejectedRowRatio', t).Threshold).toBe(0.3);
  });

  it('refuse thresholds that cannot work, naming the setting', () => {
    expect(() => newMomentsStack({}, { [CONTEXT_KEYS.rejectedRowRatio]: '5%' })).toThrow(/context moments:rejectedRowRatio must be a number/);
    expect(() => newMomentsStack({ operations: { rejectedRowRatio: 1.5 } })).toThrow(/rejectedRowRatio must be a ratio between 0 and 1/);
    expect(() => newMomentsStack({ operations: { sendFailureRatio: 0 } })).toThrow(/sendFailureRatio must be a ratio/);
    // 24 hours or less would fire every day between two runs.
    expect(() => newMomentsStack({ operations: { nightlyDeadlineHours: 24 } })).toThrow(/nightlyDeadlineHours must be a whole number >= 25/);
    expect(() => newMomentsStack({ operations: { nightlyDeadlineHours: 200 } })).toThrow(/at most 168/);
    expect(() => newMomentsStack({ alarmEmail: 'ops at brand' })).toThrow(/is not an email address/);
  });
});

describe('dashboard', () => {
  const dashboards = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard');
  const body = JSON.parse(renderJoin(dashboards[0]![1].Properties['DashboardBody'])) as {
    widgets: Array<{ type: string; properties: { title?: string; markdown?: string; metrics?: unknown[][]; alarms?: unknown[] } }>;
  };
  const titles = body.widgets.map((w) => w.properties.title ?? w.properties.markdown);
  /** [namespace, metric name, dimension name, value, ...] rows of the graph widgets (math expressions skipped). */
  const metricRows = body.widgets.flatMap((w) => (w.properties.metrics ?? []).filter((row) => typeof row[0] === 'string' && row.length >= 2)) as string[][];
  const customRows = metricRows.filter((row) => row[0] === METRICS_NAMESPACE);

  it('is one named dashboard, output with the alarm topic', () => {
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]![1].Properties['DashboardName']).toBe('Moments-operations');
    template.hasOutput('DashboardName', { Value: { Ref: dashboards[0]![0] } });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
  });

  it('has ingest, nightly, touches and errors sections with their graphs, and every alarm\'s status', () => {
    for (const section of ['## Ingest', '## Nightly', '## Touches', '## Errors']) expect(titles).toContain(section);
    for (const t of ['Rows per hour', 'Rejected row ratio', 'Nights closed per day', 'Executions per day', 'Touch decisions per hour', 'Send failure ratio', 'Function errors', 'Queues']) {
      expect(titles).toContain(t);
    }
    const status = body.widgets.filter((w) => w.type === 'alarm');
    expect(status).toHaveLength(1);
    expect(status[0]!.properties.alarms).toHaveLength(alarms().length);
  });

  it('graphs the contract metrics of ingest, nightly and touches, each under its service', () => {
    const shown = new Set(customRows.map((row) => `${row[1]}/${row[3]}`));
    for (const m of [METRICS.rowsRead, METRICS.rowsApplied, METRICS.rowsRejected, METRICS.filesProcessed, METRICS.filesQuarantined]) {
      expect(shown).toContain(`${m}/${SERVICES.ingest}`);
    }
    expect(shown).toContain(`${METRICS.nightsFinished}/${SERVICES.nightlyFinish}`);
    expect(shown).toContain(`${METRICS.customersRecomputed}/${SERVICES.nightlySegment}`);
    for (const m of [METRICS.touchesSent, METRICS.touchesFailed, METRICS.touchesSuppressed, METRICS.touchesDeferred, METRICS.touchesHeldOut, METRICS.touchesExpired, METRICS.providerErrors]) {
      expect(shown).toContain(`${m}/${SERVICES.send}`);
    }
    expect(shown).toContain(`${touchChannelMetric('failed', 'sms')}/${SERVICES.send}`);
  });

  it('uses only names of the metrics contract, with the service dimension', () => {
    const known = new Set<string>([
      ...Object.values(METRICS),
      ...(['sent', 'failed', 'suppressed', 'deferred', 'held-out', 'expired'] as const).flatMap((s) =>
        (['sms', 'email'] as const).map((c) => touchChannelMetric(s, c)),
      ),
    ]);
    const services = new Set<string>(Object.values(SERVICES));
    expect(customRows.length).toBeGreaterThan(10);
    for (const row of customRows) {
      expect(known, row.join(' ')).toContain(row[1]);
      expect(row[2]).toBe('service');
      expect(services, row.join(' ')).toContain(row[3]);
    }
    for (const row of metricRows.filter((r) => r[0] === 'AWS/Lambda' && r[1] === 'Errors')) expect(row[2]).toBe('FunctionName');
    expect(metricRows.filter((r) => r[0] === 'AWS/Lambda' && r[1] === 'Errors')).toHaveLength(lambdas.length);
  });
});
