import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { FileSummary } from '../ingest/ports.ts';
import type { NightPlan, SegmentResult } from '../nightly/run-nightly.ts';
import type { BatchResult } from '../touches/deliver.ts';
import { METRICS, METRICS_NAMESPACE, touchChannelMetric, type ServiceName } from './metric-names.ts';

/** One Count metric value; the helpers below map domain results to these, the handler adds them. */
export interface MetricPoint {
  name: string;
  value: number;
}

/**
 * Per function: Powertools Metrics in namespace METRICS_NAMESPACE with the single dimension `service`, as the
 * alarms expect. Points added during an invocation are summed per name and written as one EMF line by
 * `flush()`, which the handler calls once per invocation (also when it fails). Disabled (the local CLI), it
 * writes nothing.
 */
export class ServiceMetrics {
  readonly powertools: Metrics;
  private readonly pending = new Map<string, number>();

  constructor(
    service: ServiceName,
    private readonly opts: { enabled: boolean; logger?: Logger },
  ) {
    this.powertools = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service, ...(opts.logger ? { logger: opts.logger } : {}) });
  }

  add(points: readonly MetricPoint[]): void {
    if (!this.opts.enabled) return;
    for (const p of points) this.pending.set(p.name, (this.pending.get(p.name) ?? 0) + p.value);
  }

  flush(): void {
    if (this.pending.size === 0) return;
    for (const [name, value] of this.pending) this.powertools.addMetric(name, MetricUnit.Count, value);
    this.pending.clear();
    this.powertools.publishStoredMetrics();
  }
}

/** A file through ingest: rows read, applied, rejected; processed or quarantined; customers recomputed. */
export function ingestMetrics(s: FileSummary): MetricPoint[] {
  return [
    { name: METRICS.rowsRead, value: s.rows },
    { name: METRICS.rowsApplied, value: s.applied },
    { name: METRICS.rowsRejected, value: s.rejected },
    { name: METRICS.filesProcessed, value: s.status === 'processed' ? 1 : 0 },
    { name: METRICS.filesQuarantined, value: s.status === 'quarantined' ? 1 : 0 },
    { name: METRICS.customersRecomputed, value: s.customers },
  ];
}

export function planMetrics(p: NightPlan): MetricPoint[] {
  return [{ name: METRICS.nightsPlanned, value: p.nights.length }];
}

/** One segment invocation of the nightly: the customers it recomputed. */
export function segmentMetrics(r: SegmentResult): MetricPoint[] {
  return [{ name: METRICS.customersRecomputed, value: r.processed }];
}

export function finishMetrics(): MetricPoint[] {
  return [{ name: METRICS.nightsFinished, value: 1 }];
}

type MetricStatus = Parameters<typeof touchChannelMetric>[0];
const TOUCH_METRIC: Record<MetricStatus, string> = {
  sent: METRICS.touchesSent,
  failed: METRICS.touchesFailed,
  suppressed: METRICS.touchesSuppressed,
  deferred: METRICS.touchesDeferred,
  'held-out': METRICS.touchesHeldOut,
  expired: METRICS.touchesExpired,
};
// Waiting for its planned time is not a decision; quiet hours and the cap defer the touch (send.ts).
const NOT_YET = 'not yet';

/**
 * The send function's batch: one count per touch decision taken now, by status and by status and channel, and
 * the provider calls that threw. A redelivered message for a touch already final (`repeat`) and a touch still
 * waiting for its time are not decisions. Every status is written, zeros included, so a quiet night reads 0.
 */
export function sendMetrics(outcomes: BatchResult['outcomes'], providerErrors: number): MetricPoint[] {
  const counts = new Map<string, number>();
  for (const name of Object.values(TOUCH_METRIC)) counts.set(name, 0);
  const bump = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const { outcome: o } of outcomes) {
    if ('error' in o) continue;
    let status: MetricStatus;
    if (o.done) {
      if (o.repeat || !(o.status in TOUCH_METRIC)) continue;
      status = o.status as MetricStatus;
    } else {
      if (o.reason === NOT_YET) continue;
      status = 'deferred';
    }
    bump(TOUCH_METRIC[status]);
    if (o.channel) bump(touchChannelMetric(status, o.channel));
  }
  return [...[...counts].map(([name, value]) => ({ name, value })), { name: METRICS.providerErrors, value: providerErrors }];
}

export function sesEventMetrics(suppressed: number): MetricPoint[] {
  return [{ name: METRICS.suppressionsRecorded, value: suppressed }];
}

export function configMetrics(results: readonly { active: boolean }[]): MetricPoint[] {
  const active = results.filter((r) => r.active).length;
  return [
    { name: METRICS.configsActivated, value: active },
    { name: METRICS.configsRejected, value: results.length - active },
  ];
}
