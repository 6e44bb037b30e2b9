import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event, SNSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as configHandler } from '../../functions/config/handler.ts';
import { handler as ingestHandler } from '../../functions/ingest/handler.ts';
import { handler as finishHandler } from '../../functions/nightly-finish/handler.ts';
import { handler as planHandler } from '../../functions/nightly-plan/handler.ts';
import { handler as segmentHandler } from '../../functions/nightly-segment/handler.ts';
import { handler as sendHandler } from '../../functions/send/handler.ts';
import { handler as sesEventsHandler } from '../../functions/ses-events/handler.ts';
import { localAdapterEnv, makeAdapters } from '../../lib/adapters/factory.ts';
import { writeSampleFiles } from '../../lib/cli/demo.ts';
import { ingestFiles } from '../../lib/cli/ingest-files.ts';
import type { FileSummary } from '../../lib/ingest/ports.ts';
import { startLocalStack, decodeS3EventKey } from '../../lib/local/local-stack.ts';
import { normalisePhone } from '../../lib/members/parse-member-row.ts';
import { METRICS_NAMESPACE, SERVICES } from '../../lib/observability/metric-names.ts';
import type { NightPlan } from '../../lib/nightly/run-nightly.ts';
import { addDays, today } from '../../lib/time.ts';
import { tempHome } from '../support/local-home.ts';
import { captureOutput } from '../support/capture-output.ts';
import { startSqsStub } from '../support/sqs-stub.ts';

const t = tempHome();
afterAll(() => t.cleanup());

const ZONE = 'Asia/Shanghai';

function testConfig(): string {
  const c = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8'));
  // Sent as soon as planned, whatever the hour the test runs at: no quiet hours, sendAt at midnight.
  c.contactPolicy.quietHours = { start: '00:00', end: '00:00' };
  c.contactPolicy.sendAt = '00:00';
  c.contactPolicy.frequencyCap = { maxTouches: 5, windowDays: 7 };
  c.contactPolicy.sendRatePerSecond = { sms: 200, email: 200 };
  const thanks = { moment: 'post-purchase', priority: 10, holdOut: 0.1, delayDays: 1, usefulDays: 7 };
  // Names go into the messages, so they pass through the sender (and must still stay out of its logs).
  c.campaigns = [
    { ...thanks, id: 'thanks-sms', name: '购后感谢短信', channels: ['sms'], templates: { 'zh-CN': { sms: '{{ customer.name }}，感谢您的惠顾。回T退订' } } },
    {
      ...thanks,
      id: 'thanks-email',
      name: '购后感谢邮件',
      channels: ['email'],
      templates: { 'zh-CN': { email: { subject: '{{ customer.name }}，感谢惠顾', html: '<p>{{ customer.name }}，感谢您的惠顾。</p>', text: '{{ customer.name }}，感谢您的惠顾。' } } },
    },
  ];
  return JSON.stringify(c);
}

interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  service: string;
  [metric: string]: unknown;
}

describe('logs and metrics of the whole pipeline (every function, in-process on the local stack, at DEBUG)', () => {
  it('writes many structured lines per function, never a phone number, email address or name, and EMF metrics that match what happened', { timeout: 120_000 }, async () => {
    const night = addDays(today(ZONE), -1);
    const files = join(t.home, 'files');
    const w = writeSampleFiles(files, { seed: 23, customers: 40, from: addDays(night, -20), to: night });
    // Hand-made members beside the sample's: every phone format brands export, Latin and Chinese names, and two
    // rejected rows whose bad values are an email address and a phone number.
    const mine = [
      { id: 'PII001', name: '欧阳娜娜', phone: '+86 139 0000 1111', email: 'nana.ouyang@example.cn' },
      { id: 'PII002', name: 'Lucy Brown', phone: '13900002222', email: 'lucy.brown@example.com' },
      { id: 'PII003', name: '司马相如', phone: '139-0000-3333', email: '88776655@qq.com' },
    ];
    const rejectedIds = ['zhang.san@example.org', '+86 138 0000 9999'];
    const myMembers = join(files, 'members-extra.csv');
    writeFileSync(
      myMembers,
      'customer_id,name,phone,email,sms_opt_in,email_opt_in\n' +
        mine.map((m) => `${m.id},${m.name},${m.phone},${m.email},1,1`).join('\n') +
        `\n${rejectedIds[0]},张三,13900004444,zhang.san@example.org,1,1\n"${rejectedIds[1]}",李四,13800009999,li.si@example.org,1,1\n`,
    );
    // A member export without its header line: its first row must not reach the quarantine reason (or the logs).
    const headerless = { id: 'Q9', name: 'Zhang Sanfeng', phone: '13900005555', email: 'sanfeng@example.org', birthday: '1980-01-01' };
    const headerlessFile = join(files, 'members-headerless.csv');
    writeFileSync(headerlessFile, `${Object.values(headerless).join(',')}\nQ10,Li Sifeng,13900006666,sifeng@example.org,1981-02-02\n`);
    const myOrders = join(files, 'orders-extra.csv');
    writeFileSync(myOrders, 'order_id,customer_id,ordered_at,amount\n' + mine.map((m, i) => `X${i},${m.id},${night}T11:00:00+08:00,${100 + i}.00`).join('\n') + '\n');

    const home = join(t.home, 'state');
    const stack = await startLocalStack({ home });
    const sqs = await startSqsStub();
    Object.assign(process.env, stack.env, {
      LOG_LEVEL: 'debug',
      MOMENTS_AS_OF: night,
      QUEUE_URL: sqs.queueUrl,
      // Some functions build their clients from the region alone, as on AWS (config and ses-events have no
      // local endpoint settings); the SDK's per-service endpoint variables point them at the local stack, and
      // anything else at a closed loopback port: nothing may leave 127.0.0.1.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: stack.endpoints.s3,
      AWS_ENDPOINT_URL_SES: stack.endpoints.ses,
      AWS_ENDPOINT_URL_SNS: stack.endpoints.sns,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    });
    // The bucket notifications, as infra sets them: incoming/ to ingest, config/campaigns.json to config.
    stack.setObjectCreatedHandler(async (e: S3Event) => {
      const key = decodeS3EventKey(e.Records[0]!.s3.object.key);
      if (key.startsWith('incoming/')) await ingestHandler(e);
      else if (key === 'config/campaigns.json') await configHandler(e);
    });
    const adapters = makeAdapters(localAdapterEnv(stack));
    const rt = {
      adapters,
      bucket: stack.bucket,
      settle: () => stack.idle(),
      errorFor: (key: string) => {
        const e = stack.errors.find((x) => x.key === key);
        return e ? String((e.error as Error)?.message ?? e.error) : undefined;
      },
    };

    let summaries: FileSummary[] = [];
    let plan: NightPlan | undefined;
    let closed: { customersProcessed: number } | undefined;
    let sesSent = 0;
    const smsBefore = stack.sns.messages.length;
    const lines = await captureOutput(async () => {
      try {
        const putConfig = async (body: string) => {
          await adapters.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: 'config/campaigns.json', Body: body }));
          await stack.idle();
        };
        await putConfig(testConfig());
        const bad = JSON.parse(testConfig());
        bad.contactPolicy.frequencyCap.maxTouches = 0;
        bad.contactPolicy.emailFrom = 'care@';
        await putConfig(JSON.stringify(bad));

        summaries = await ingestFiles(rt, [...w.orderFiles, w.membersFile, myMembers, myOrders, w.broken, headerlessFile]);

        // The nightly state machine: plan, every shard until done, finish.
        plan = await planHandler({ input: { asOf: night }, owner: 'pii-test' });
        for (const n of plan.nights) {
          for (const shard of n.shards) {
            let done = false;
            while (!done) done = (await segmentHandler({ night: n.night, prevNight: n.prevNight, shard })).done;
          }
          closed = await finishHandler({ night: n.night, owner: n.owner, last: n.last });
        }
        // A second run finds the night closed: nothing planned.
        expect((await planHandler({ input: { asOf: night }, owner: 'pii-test-again' })).nights).toEqual([]);

        // The touch queue: SNS throttles the first SMS (three attempts: the SDK's own retries), the sender backs off.
        stack.sns.throttleNext(3);
        for (const batch of sqs.take()) await sendHandler(batch);
        sesSent = ((await (await fetch(`${stack.endpoints.ses}/store`)).json()) as { emails: unknown[] }).emails.length;

        // SES tells of a permanent bounce (the notification names the recipient, with display name), and some noise.
        const bounce = {
          notificationType: 'Bounce',
          bounce: {
            bounceType: 'Permanent',
            bouncedRecipients: [{ emailAddress: mine[1]!.email, diagnosticCode: `smtp; 550 5.1.1 <${mine[1]!.email}>: Recipient address rejected` }],
          },
          mail: { source: 'care@lumiere.example.cn', destination: [mine[1]!.email], commonHeaders: { to: [`${mine[1]!.name} <${mine[1]!.email}>`], subject: `${mine[1]!.name}，感谢惠顾` } },
        };
        const sns = (id: string, message: string): SNSEvent['Records'][number] => ({
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: 'arn:aws:sns:us-east-1:000000000000:ses-events:1',
          Sns: { Type: 'Notification', MessageId: id, TopicArn: 'arn:aws:sns:us-east-1:000000000000:ses-events', Subject: '', Message: message, Timestamp: new Date().toISOString(), SignatureVersion: '1', Signature: '', SigningCertUrl: '', UnsubscribeUrl: '', MessageAttributes: {} },
        });
        await sesEventsHandler({ Records: [sns('n1', JSON.stringify(bounce)), sns('n2', 'not json at all')] });
      } finally {
        adapters.s3.destroy();
        adapters.dynamodb.destroy();
        await stack.stop();
        await sqs.stop();
      }
    });
    expect(stack.errors).toEqual([]);

    // The pipeline did what it should, so the lines below are about real work.
    expect(summaries.filter((s) => s.status === 'quarantined')).toHaveLength(2);
    expect(summaries.find((s) => s.file === 'members-headerless.csv')?.reason).toContain('found 5 columns, none a known header');
    const extra = summaries.find((s) => s.file === 'members-extra.csv')!;
    expect(extra).toMatchObject({ applied: 3, rejected: 2 });
    expect(plan?.nights).toHaveLength(1);
    const smsSent = stack.sns.messages.length - smsBefore;
    expect(smsSent).toBeGreaterThan(0);
    expect(sesSent).toBeGreaterThan(0);

    // (a) Structured JSON, many lines from every function.
    const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const logs = json.filter((j) => !('_aws' in j));
    const byService = (s: string) => logs.filter((l) => l.service === s);
    for (const s of Object.values(SERVICES)) expect(byService(s).length, `log lines of ${s}`).toBeGreaterThanOrEqual(2);
    expect(byService(SERVICES.ingest).length).toBeGreaterThanOrEqual(3 * summaries.length);
    expect(byService(SERVICES.nightlySegment).length).toBeGreaterThanOrEqual(2 * 16);
    expect(byService(SERVICES.send).filter((l) => l.message === 'touch').length).toBeGreaterThanOrEqual(smsSent + sesSent);
    for (const l of logs) expect(['DEBUG', 'INFO', 'WARN', 'ERROR']).toContain(l.level);
    expect(logs.filter((l) => l.level === 'DEBUG').length).toBeGreaterThan(0);
    // The debug lines carried the personal data the events hold, masked.
    const sesDebug = JSON.stringify(byService(SERVICES.sesEvents).find((l) => l.message === 'event'));
    expect(sesDebug).toContain('[redacted]');
    expect(sesDebug).toContain('[email]');

    // (b) No phone number (as exported, in E.164, nationally), email address or name of the input, on any line.
    const phones = new Set<string>();
    const emails = new Set<string>();
    const names = new Set<string>();
    const people = [
      ...w.sample.members.map((m) => ({ name: m.name, phone: m.phone, email: m.email })),
      ...mine,
      { name: '张三', phone: '13900004444', email: rejectedIds[0]! },
      { name: '李四', phone: '13800009999', email: 'li.si@example.org' },
      headerless,
      { name: 'Li Sifeng', phone: '13900006666', email: 'sifeng@example.org' },
    ];
    for (const p of people) {
      if (p.name && p.name.length >= 2) names.add(p.name);
      if (p.email) emails.add(p.email);
      if (p.phone && p.phone.replace(/\D/g, '').length >= 11) {
        phones.add(p.phone);
        const e164 = normalisePhone(p.phone, 'CN');
        if (e164) {
          phones.add(e164);
          phones.add(e164.replace(/^\+86/, ''));
        }
      }
    }
    for (const id of rejectedIds) (id.includes('@') ? emails : phones).add(id);
    // The headerless file's birthdays: no date of the pipeline's own is in 1980.
    names.add(headerless.birthday).add('1981-02-02');
    expect(names.size).toBeGreaterThan(30);
    expect(emails.size).toBeGreaterThan(20);
    expect(phones.size).toBeGreaterThan(60);
    const leaks: string[] = [];
    for (const line of lines)
      for (const v of [...phones, ...emails, ...names]) if (line.includes(v)) leaks.push(`${v} in ${line.slice(0, 300)}`);
    expect(leaks).toEqual([]);
    // Customer ids stay: they are what an operator follows.
    expect(lines.some((l) => l.includes('PII001'))).toBe(true);

    // (c) Embedded Metric Format: namespace and the single [service] dimension of the contract, values that match.
    const emf = json.filter((j) => '_aws' in j) as unknown as Emf[];
    for (const e of emf) {
      expect(e._aws.CloudWatchMetrics[0]!.Namespace).toBe(METRICS_NAMESPACE);
      expect(e._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
      expect(Object.values(SERVICES)).toContain(e.service);
    }
    const sum = (service: string, metric: string) =>
      emf.filter((e) => e.service === service && metric in e).reduce((n, e) => n + (e[metric] as number), 0);
    const total = (k: 'rows' | 'applied' | 'rejected' | 'customers') => summaries.reduce((n, s) => n + s[k], 0);
    expect(sum('ingest', 'RowsRead')).toBe(total('rows'));
    expect(sum('ingest', 'RowsApplied')).toBe(total('applied'));
    expect(sum('ingest', 'RowsApplied')).toBeGreaterThan(0);
    expect(sum('ingest', 'RowsRejected')).toBe(total('rejected'));
    expect(sum('ingest', 'RowsRejected')).toBeGreaterThanOrEqual(2);
    expect(sum('ingest', 'CustomersRecomputed')).toBe(total('customers'));
    expect(sum('ingest', 'FilesProcessed')).toBe(summaries.length - 2);
    expect(sum('ingest', 'FilesQuarantined')).toBe(2);
    expect(sum('config', 'ConfigsActivated')).toBe(1);
    expect(sum('config', 'ConfigsRejected')).toBe(1);
    expect(sum('nightly-plan', 'NightsPlanned')).toBe(1);
    expect(sum('nightly-segment', 'CustomersRecomputed')).toBe(closed!.customersProcessed);
    expect(closed!.customersProcessed).toBeGreaterThan(0);
    expect(sum('nightly-finish', 'NightsFinished')).toBe(1);
    expect(sum('send', 'TouchesSent')).toBe(smsSent + sesSent);
    expect(sum('send', 'TouchesSentSms')).toBe(smsSent);
    expect(sum('send', 'TouchesSentEmail')).toBe(sesSent);
    const providerFailures = byService(SERVICES.send).filter((l) => l.message === 'provider call failed');
    expect(providerFailures.length).toBeGreaterThanOrEqual(1);
    expect(sum('send', 'ProviderErrors')).toBe(providerFailures.length);
    expect(sum('ses-events', 'SuppressionsRecorded')).toBe(1);
  });
});
