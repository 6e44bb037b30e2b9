/**
 * The metrics contract between the functions (which emit them as Embedded Metric Format through
 * Powertools Metrics) and the infra (alarms, dashboard). Every metric is emitted in namespace
 * METRICS_NAMESPACE with the single dimension set [service], where service is the function's SERVICES name;
 * alarms and the dashboard must use exactly these names and dimensions.
 */
export const METRICS_NAMESPACE = 'Moments';

/** The `service` dimension value per function. */
export const SERVICES = {
  ingest: 'ingest',
  nightlyPlan: 'nightly-plan',
  nightlySegment: 'nightly-segment',
  nightlyFinish: 'nightly-finish',
  send: 'send',
  config: 'config',
  sesEvents: 'ses-events',
} as const;
export type ServiceName = (typeof SERVICES)[keyof typeof SERVICES];

export const METRICS = {
  // ingest (service=ingest), all Count
  rowsRead: 'RowsRead',
  rowsApplied: 'RowsApplied',
  rowsRejected: 'RowsRejected',
  filesProcessed: 'FilesProcessed',
  filesQuarantined: 'FilesQuarantined',
  // ingest and nightly-segment: customers whose state/derivation was recomputed
  customersRecomputed: 'CustomersRecomputed',
  // nightly-finish: 1 per night closed (alarm: none by the deadline)
  nightsFinished: 'NightsFinished',
  // send (service=send): one per touch decision, by status, and by status and channel
  touchesSent: 'TouchesSent',
  touchesFailed: 'TouchesFailed',
  touchesSuppressed: 'TouchesSuppressed',
  touchesDeferred: 'TouchesDeferred',
  touchesHeldOut: 'TouchesHeldOut',
  touchesExpired: 'TouchesExpired',
  // provider (SES/SNS) calls that threw: throttling, 5xx, timeouts
  providerErrors: 'ProviderErrors',
  // ses-events: suppressions recorded from bounces and complaints
  suppressionsRecorded: 'SuppressionsRecorded',
  // config: uploads of config/campaigns.json activated, and rejected (the last good one stays active)
  configsActivated: 'ConfigsActivated',
  configsRejected: 'ConfigsRejected',
  // nightly-plan: nights a run planned (0 when everything was closed or another run holds the lease)
  nightsPlanned: 'NightsPlanned',
} as const;

/** Per-channel touch metric: e.g. touchChannelMetric('sent', 'sms') = 'TouchesSentSms'. */
export function touchChannelMetric(status: 'sent' | 'failed' | 'suppressed' | 'deferred' | 'held-out' | 'expired', channel: 'sms' | 'email'): string {
  const s = status === 'held-out' ? 'HeldOut' : status[0]!.toUpperCase() + status.slice(1);
  return `Touches${s}${channel === 'sms' ? 'Sms' : 'Email'}`;
}
