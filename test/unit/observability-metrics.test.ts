import { describe, expect, it } from 'vitest';
import type { FileSummary } from '../../lib/ingest/ports.ts';
import { makeLogger } from '../../lib/observability/logger.ts';
import { METRICS, METRICS_NAMESPACE, touchChannelMetric } from '../../lib/observability/metric-names.ts';
import {
  configMetrics,
  finishMetrics,
  ingestMetrics,
  planMetrics,
  segmentMetrics,
  sendMetrics,
  ServiceMetrics,
  sesEventMetrics,
  type MetricPoint,
} from '../../lib/observability/metrics.ts';
import { invocation, observability } from '../../lib/observability/observe.ts';
import { reportProviderErrors } from '../../lib/observability/provider-errors.ts';
import type { BatchResult } from '../../lib/touches/deliver.ts';
import { ThrottledError, type Providers } from '../../lib/touches/ports.ts';
import { captureOutput } from '../support/capture-output.ts';

const asRecord = (points: MetricPoint[]) => Object.fromEntries(points.map((p) => [p.name, p.value]));

const summary: FileSummary = {
  key: 'incoming/members/m.csv', file: 'm.csv', kind: 'members', etag: 'e', status: 'processed',
  rows: 10, applied: 7, unchanged: 1, rejected: 2, rejectedFields: 3, customers: 6, processedAt: '2026-03-01T00:00:00Z',
};

describe('domain results to metric values', () => {
  it('ingest: rows read, applied, rejected; the file processed or quarantined; customers recomputed', () => {
    expect(asRecord(ingestMetrics(summary))).toEqual({ RowsRead: 10, RowsApplied: 7, RowsRejected: 2, FilesProcessed: 1, FilesQuarantined: 0, CustomersRecomputed: 6 });
    const q = { ...summary, status: 'quarantined' as const, rows: 0, applied: 0, rejected: 0, customers: 0 };
    expect(asRecord(ingestMetrics(q))).toEqual({ RowsRead: 0, RowsApplied: 0, RowsRejected: 0, FilesProcessed: 0, FilesQuarantined: 1, CustomersRecomputed: 0 });
  });

  it('nightly, config and ses-events', () => {
    expect(planMetrics({ owner: 'o', nights: [{ night: '2026-03-01', prevNight: null, shards: [0], owner: 'o', last: true }] })).toEqual([{ name: 'NightsPlanned', value: 1 }]);
    expect(planMetrics({ owner: 'o', nights: [], skipped: 'lease held' })).toEqual([{ name: 'NightsPlanned', value: 0 }]);
    expect(segmentMetrics({ night: '2026-03-01', shard: 3, done: false, processed: 250 })).toEqual([{ name: 'CustomersRecomputed', value: 250 }]);
    expect(finishMetrics()).toEqual([{ name: 'NightsFinished', value: 1 }]);
    expect(asRecord(configMetrics([{ active: true }, { active: false }, { active: false }]))).toEqual({ ConfigsActivated: 1, ConfigsRejected: 2 });
    expect(sesEventMetrics(2)).toEqual([{ name: 'SuppressionsRecorded', value: 2 }]);
  });

  it('send: one count per decision by status and by status and channel; waits, repeats and unreadable messages are not decisions', () => {
    const outcomes: BatchResult['outcomes'] = [
      { key: 'a', outcome: { done: true, status: 'sent', channel: 'sms' } },
      { key: 'b', outcome: { done: true, status: 'sent', channel: 'email' } },
      { key: 'c', outcome: { done: true, status: 'sent', channel: 'sms' } },
      { key: 'c', outcome: { done: true, status: 'sent', channel: 'sms', repeat: true } }, // redelivered
      { key: 'd', outcome: { done: true, status: 'failed', channel: 'sms' } },
      { key: 'e', outcome: { done: true, status: 'suppressed', channel: 'email' } },
      { key: 'f', outcome: { done: true, status: 'expired', channel: 'email' } },
      { key: 'g', outcome: { done: true, status: 'failed' } }, // touch record missing: no channel
      { key: 'h', outcome: { done: false, retryAfterSeconds: 60, reason: 'not yet' } },
      { key: 'i', outcome: { done: false, retryAfterSeconds: 600, reason: 'quiet hours', channel: 'sms' } },
      { key: 'j', outcome: { done: false, retryAfterSeconds: 86400, reason: 'frequency cap', channel: 'email' } },
      { key: '?', outcome: { error: 'unreadable message m9: no touch key in message body' } },
    ];
    const m = asRecord(sendMetrics(outcomes, 3));
    expect(m).toEqual({
      TouchesSent: 3, TouchesSentSms: 2, TouchesSentEmail: 1,
      TouchesFailed: 2, TouchesFailedSms: 1,
      TouchesSuppressed: 1, TouchesSuppressedEmail: 1,
      TouchesExpired: 1, TouchesExpiredEmail: 1,
      TouchesDeferred: 2, TouchesDeferredSms: 1, TouchesDeferredEmail: 1,
      TouchesHeldOut: 0,
      ProviderErrors: 3,
    });
    // The names are the contract's.
    expect(touchChannelMetric('deferred', 'email')).toBe('TouchesDeferredEmail');
    for (const name of Object.keys(m).filter((k) => !/(Sms|Email)$/.test(k))) expect(Object.values(METRICS)).toContain(name);
  });

  it('an empty batch still says zero for every status and for provider errors', () => {
    const m = asRecord(sendMetrics([], 0));
    expect(Object.values(m).every((v) => v === 0)).toBe(true);
    expect(Object.keys(m).sort()).toEqual(['ProviderErrors', 'TouchesDeferred', 'TouchesExpired', 'TouchesFailed', 'TouchesHeldOut', 'TouchesSent', 'TouchesSuppressed']);
  });
});

describe('ServiceMetrics (Powertools EMF)', () => {
  it('writes one EMF line per flush: the contract namespace, the single [service] dimension, values summed per name', async () => {
    const m = new ServiceMetrics('ingest', { enabled: true });
    const lines = await captureOutput(() => {
      m.add(ingestMetrics(summary));
      m.add(ingestMetrics({ ...summary, applied: 3 }));
      m.flush();
      m.flush(); // nothing pending: nothing written, no warning
    });
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0]!);
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['service']],
        Metrics: ['RowsRead', 'RowsApplied', 'RowsRejected', 'FilesProcessed', 'FilesQuarantined', 'CustomersRecomputed'].map((Name) => ({ Name, Unit: 'Count' })),
      },
    ]);
    expect(emf).toMatchObject({ service: 'ingest', RowsRead: 20, RowsApplied: 10, RowsRejected: 4, FilesProcessed: 2, CustomersRecomputed: 12 });
  });

  it('disabled (the local CLI), it writes nothing', async () => {
    const m = new ServiceMetrics('ingest', { enabled: false });
    const lines = await captureOutput(() => {
      m.add(ingestMetrics(summary));
      m.flush();
    });
    expect(lines).toEqual([]);
  });
});

describe('invocation', () => {
  it('logs the error (redacted) before it goes on, and writes the metrics however the invocation ends', async () => {
    const o = observability('send', { LOG_LEVEL: 'info' });
    let caught: unknown;
    const lines = await captureOutput(async () => {
      caught = await invocation(o, 'send', undefined, async () => {
        o.metrics.add(sendMetrics([{ key: 'a', outcome: { done: true, status: 'sent', channel: 'sms' } }], 1));
        throw new Error('DynamoDB refused the write for 13812345678');
      }).catch((e: unknown) => e);
    });
    expect((caught as Error).message).toBe('DynamoDB refused the write for 13812345678');
    const [log, emf] = lines.map((l) => JSON.parse(l));
    expect(log).toMatchObject({ level: 'ERROR', message: 'send failed', service: 'send', error: { message: 'DynamoDB refused the write for [phone]' } });
    expect(emf).toMatchObject({ service: 'send', TouchesSent: 1, TouchesSentSms: 1, ProviderErrors: 1 });
  });

  it('silent and metrics disabled: the handler writes nothing at all', async () => {
    const o = observability('ingest', { LOG_LEVEL: 'silent', POWERTOOLS_METRICS_DISABLED: 'true' });
    const lines = await captureOutput(() =>
      invocation(o, 'ingest', undefined, async () => {
        o.logger.info('x');
        o.metrics.add(ingestMetrics(summary));
        throw new Error('boom');
      }).catch(() => {}),
    );
    expect(lines).toEqual([]);
  });
});

describe('reportProviderErrors', () => {
  it('reports every provider call that throws, throttling included, and passes results and errors through unchanged', async () => {
    let n = 0;
    const refused = new Error('Invalid parameter: PhoneNumber');
    const p: Providers = {
      smsOptedOut: async () => {
        if (++n === 1) throw new ThrottledError('Rate exceeded');
        return false;
      },
      sendSms: async (to) => {
        if (to === 'bad') throw refused;
        return { messageId: 's1' };
      },
      sendEmail: async () => ({ messageId: 'e1' }),
    };
    const seen: [string, unknown][] = [];
    const w = reportProviderErrors(p, (call, e) => seen.push([call, e]));
    await expect(w.smsOptedOut!('+8613812345678')).rejects.toBeInstanceOf(ThrottledError);
    expect(await w.smsOptedOut!('+8613812345678')).toBe(false);
    expect(await w.sendSms('+8613812345678', 'hi')).toEqual({ messageId: 's1' });
    await expect(w.sendSms('bad', 'hi')).rejects.toBe(refused);
    expect(await w.sendEmail('a@b.c', 'f@b.c', { subject: 's', html: 'h', text: 't' })).toEqual({ messageId: 'e1' });
    expect(seen.map(([c]) => c)).toEqual(['smsOptedOut', 'sendSms']);
    expect(seen[1]![1]).toBe(refused);
    // A provider without an opt-out list stays without one.
    expect('smsOptedOut' in reportProviderErrors({ sendSms: p.sendSms, sendEmail: p.sendEmail }, () => {})).toBe(false);
  });
});

describe('makeLogger', () => {
  it('names the service on every line', async () => {
    const lines = await captureOutput(() => makeLogger('nightly-segment', 'info').info('segment', { processed: 3 }));
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'INFO', service: 'nightly-segment', message: 'segment', processed: 3 });
  });
});
