import { describe, expect, it } from 'vitest';
import type { FileSummary } from '../../lib/ingest/ports.ts';
import { configDigest, historyLines, resolveVersion, rollbackConfig } from '../../lib/operations/config-rollback.ts';
import { nightlyExecutionInput, startNightlyCommand } from '../../lib/operations/nightly-execution.ts';
import type { BucketFiles, ConfigActivation, LedgerEntries, StoredFile } from '../../lib/operations/ports.ts';
import { kindFromName, listQuarantine, quarantineKeyOf, reprocessQuarantined } from '../../lib/operations/quarantine.ts';
import { arrivalMs, receivedAtOf, RECEIVED_AT_META } from '../../lib/operations/received-at.ts';
import { replayFile, RunbookInputError } from '../../lib/operations/replay.ts';

/** A bucket in memory: copies get a new "ETag" only when the bytes differ, as S3's MD5 ETags do. */
class FakeBucket implements BucketFiles {
  objects = new Map<string, StoredFile & { body: string }>();
  log: string[] = [];
  add(key: string, body: string, lastModified = new Date('2026-03-05T02:00:00Z'), metadata: Record<string, string> = {}) {
    this.objects.set(key, { key, body, etag: `md5(${body})`, size: body.length, lastModified, metadata, contentType: 'text/csv' });
  }
  async head(key: string) {
    const o = this.objects.get(key);
    return o ? { ...o, metadata: { ...o.metadata } } : undefined;
  }
  async *list(prefix: string) {
    for (const o of [...this.objects.values()].filter((x) => x.key.startsWith(prefix))) yield { ...o, metadata: {} };
  }
  async readText(key: string, maxBytes: number) {
    return (this.objects.get(key)?.body ?? '').slice(0, maxBytes);
  }
  async copy(from: string, to: string, opts: { metadata: Record<string, string>; contentType?: string }) {
    const src = this.objects.get(from)!;
    this.log.push(`copy ${from} -> ${to}`);
    this.objects.set(to, { ...src, key: to, metadata: opts.metadata, lastModified: new Date('2026-04-01T00:00:00Z'), ...(opts.contentType ? { contentType: opts.contentType } : {}) });
    return { etag: src.etag };
  }
  async remove(key: string) {
    this.log.push(`remove ${key}`);
    this.objects.delete(key);
  }
}

class FakeLedger implements LedgerEntries {
  byKey = new Map<string, FileSummary[]>();
  log: string[] = [];
  async entries(key: string) {
    return this.byKey.get(key) ?? [];
  }
  async forget(key: string) {
    this.log.push(`forget ${key}`);
    const n = this.byKey.get(key)?.length ?? 0;
    this.byKey.delete(key);
    return n;
  }
}

const summary = (key: string, etag: string, status: FileSummary['status'] = 'processed', extra: Partial<FileSummary> = {}): FileSummary => ({
  key,
  file: key.split('/').pop()!,
  kind: key.includes('/members/') ? 'members' : 'orders',
  etag,
  status,
  rows: 1,
  applied: status === 'processed' ? 1 : 0,
  unchanged: 0,
  rejected: 0,
  rejectedFields: 0,
  customers: 1,
  processedAt: '2026-04-01T00:00:01Z',
  ...extra,
});

function ports(bucket: FakeBucket, ledger: FakeLedger, status: FileSummary['status'] = 'processed') {
  const awaited: string[] = [];
  return {
    awaited,
    files: bucket,
    ledger,
    awaitResult: async (key: string, etag: string) => {
      // The ingest runs on the trigger only after the ledger no longer knows the bytes.
      expect(ledger.byKey.has(key)).toBe(false);
      awaited.push(`${key}@${etag}`);
      return summary(key, etag, status);
    },
  };
}

describe('arrival time carried by replays', () => {
  it('a copy carries the first arrival time, a copy of a copy keeps it, and the ingest uses it', () => {
    const first = receivedAtOf({ lastModified: new Date('2026-03-05T02:00:00Z'), metadata: {} });
    expect(first).toBe('2026-03-05T02:00:00.000Z');
    expect(receivedAtOf({ lastModified: new Date('2026-04-01T00:00:00Z'), metadata: { [RECEIVED_AT_META]: first } })).toBe(first);
    expect(receivedAtOf({ lastModified: new Date('2026-04-01T00:00:00Z'), metadata: { [RECEIVED_AT_META]: 'garbage' } })).toBe('2026-04-01T00:00:00.000Z');
    expect(arrivalMs('2026-04-01T00:00:00Z', { [RECEIVED_AT_META]: first })).toBe(Date.parse(first));
    expect(arrivalMs('2026-04-01T00:00:00Z', undefined)).toBe(Date.parse('2026-04-01T00:00:00Z'));
    expect(arrivalMs('2026-04-01T00:00:00Z', { [RECEIVED_AT_META]: 'x' })).toBe(Date.parse('2026-04-01T00:00:00Z'));
  });
});

describe('replay', () => {
  it('forgets the ledger entries of the key, then copies the object onto itself with its arrival time', async () => {
    const bucket = new FakeBucket();
    const ledger = new FakeLedger();
    bucket.add('incoming/orders/orders.csv', 'a', new Date('2026-03-05T02:00:00Z'), { other: 'kept' });
    ledger.byKey.set('incoming/orders/orders.csv', [summary('incoming/orders/orders.csv', 'md5(a)'), summary('incoming/orders/orders.csv', 'md5(old)')]);
    const p = ports(bucket, ledger);
    const r = await replayFile('incoming/orders/orders.csv', p);
    expect(r).toMatchObject({ forgotten: 2, receivedAt: '2026-03-05T02:00:00.000Z', summary: { status: 'processed' } });
    expect(bucket.log).toEqual(['copy incoming/orders/orders.csv -> incoming/orders/orders.csv']);
    expect(bucket.objects.get('incoming/orders/orders.csv')!.metadata).toEqual({ other: 'kept', [RECEIVED_AT_META]: '2026-03-05T02:00:00.000Z' });
    expect(p.awaited).toEqual(['incoming/orders/orders.csv@md5(a)']);
    // A second replay keeps the first arrival time, not the first replay's.
    expect((await replayFile('incoming/orders/orders.csv', p)).receivedAt).toBe('2026-03-05T02:00:00.000Z');
  });

  it('refuses keys that are not uploads, and says where a missing file may be', async () => {
    const p = ports(new FakeBucket(), new FakeLedger());
    for (const key of ['orders.csv', 'quarantine/orders.csv', 'incoming/other/x.csv', 'incoming/orders/'])
      await expect(replayFile(key, p)).rejects.toBeInstanceOf(RunbookInputError);
    await expect(replayFile('incoming/orders/gone.csv', p)).rejects.toThrow(/not in the bucket: quarantined files are under quarantine\//);
  });
});

describe('quarantine', () => {
  it('lists each quarantined file with its reason, not the reason files themselves', async () => {
    const bucket = new FakeBucket();
    bucket.add('quarantine/b.csv', 'x', new Date('2026-03-06T00:00:00Z'));
    bucket.add('quarantine/b.csv.reason.txt', 'b.csv: empty file\nNothing from this file was applied.\n');
    bucket.add('quarantine/a.xlsx', 'PK', new Date('2026-03-05T00:00:00Z'));
    expect(await listQuarantine(bucket)).toEqual([
      { key: 'quarantine/a.xlsx', name: 'a.xlsx', size: 2, quarantinedAt: '2026-03-05T00:00:00.000Z' },
      { key: 'quarantine/b.csv', name: 'b.csv', size: 1, quarantinedAt: '2026-03-06T00:00:00.000Z', reason: 'empty file' },
    ]);
  });

  it('keys and kinds', () => {
    expect(quarantineKeyOf('x.csv')).toBe('quarantine/x.csv');
    expect(quarantineKeyOf('quarantine/x.csv')).toBe('quarantine/x.csv');
    expect(quarantineKeyOf('quarantine/x.csv.reason.txt')).toBeUndefined();
    expect(quarantineKeyOf('quarantine/')).toBeUndefined();
    expect(kindFromName('会员资料_20260305.csv')).toBe('members');
    expect(kindFromName('订单导出_20260305.csv')).toBe('orders');
    expect(kindFromName('export.csv')).toBeUndefined();
  });

  it('moves the file back under the kind the ledger recorded, forgetting the quarantine, and clears it once processed', async () => {
    const bucket = new FakeBucket();
    const ledger = new FakeLedger();
    bucket.add('quarantine/export.csv', 'h', new Date('2026-03-05T03:00:00Z'));
    bucket.add('quarantine/export.csv.reason.txt', 'export.csv: no recognisable header');
    ledger.byKey.set('incoming/members/export.csv', [summary('incoming/members/export.csv', 'md5(h)', 'quarantined', { quarantine: 'quarantine/export.csv' })]);
    const p = ports(bucket, ledger);
    const r = await reprocessQuarantined('export.csv', p);
    expect(r).toMatchObject({ key: 'incoming/members/export.csv', cleared: true });
    expect(ledger.log).toEqual(['forget incoming/members/export.csv']);
    expect(bucket.log).toEqual(['copy quarantine/export.csv -> incoming/members/export.csv', 'remove quarantine/export.csv', 'remove quarantine/export.csv.reason.txt']);
    expect(bucket.objects.get('incoming/members/export.csv')!.metadata[RECEIVED_AT_META]).toBe('2026-03-05T03:00:00.000Z');
  });

  it('leaves the quarantine as the ingest rewrote it when the file is quarantined again', async () => {
    const bucket = new FakeBucket();
    bucket.add('quarantine/orders-1.csv', 'h');
    const r = await reprocessQuarantined('quarantine/orders-1.csv', ports(bucket, new FakeLedger(), 'quarantined'));
    expect(r).toMatchObject({ key: 'incoming/orders/orders-1.csv', cleared: false });
    expect(bucket.log).toEqual(['copy quarantine/orders-1.csv -> incoming/orders/orders-1.csv']);
  });

  it('takes a replacement instead of the quarantined bytes, and asks for --kind when nothing tells', async () => {
    const bucket = new FakeBucket();
    bucket.add('quarantine/export.csv', 'h');
    const p = ports(bucket, new FakeLedger());
    await expect(reprocessQuarantined('export.csv', p)).rejects.toThrow(/say --kind orders or --kind members/);
    const uploaded: string[] = [];
    const r = await reprocessQuarantined('export.csv', p, { kind: 'orders', replacement: async (key) => (uploaded.push(key), { etag: 'fixed' }) });
    expect(uploaded).toEqual(['incoming/orders/export.csv']);
    expect(p.awaited).toEqual(['incoming/orders/export.csv@fixed']);
    expect(r.cleared).toBe(true);
    expect(bucket.objects.has('quarantine/export.csv')).toBe(false);
    await expect(reprocessQuarantined('gone.csv', p, { kind: 'orders' })).rejects.toThrow(/not in the bucket/);
    await expect(reprocessQuarantined('x.csv.reason.txt', p)).rejects.toBeInstanceOf(RunbookInputError);
  });
});

const doc = (name: string, extra: object = {}) => ({ brand: { name }, ...extra });

describe('configuration history and rollback', () => {
  const history: ConfigActivation[] = [
    { version: 'v3-bbbb', activatedAt: '2026-03-03T00:00:00Z', document: doc('C') },
    { version: 'v2-aaaa', activatedAt: '2026-03-02T00:00:00Z', document: doc('B') },
    { version: 'v1-aaaa', activatedAt: '2026-03-01T00:00:00Z', document: doc('A') },
    { version: 'v0', activatedAt: '2026-02-01T00:00:00Z', document: doc('old', { campaigns: [{ id: 'x', holdOut: 5 }] }) },
  ];

  it('resolves a version exactly or by a unique prefix', () => {
    expect(resolveVersion(history, 'v2-aaaa').document).toEqual(doc('B'));
    expect(resolveVersion(history, 'v3-b').document).toEqual(doc('C'));
    expect(() => resolveVersion(history, 'v1-')).toThrow(/not in the configuration history/);
    expect(() => resolveVersion(history, 'v1-a')).not.toThrow();
    expect(() => resolveVersion([...history, { ...history[2]!, version: 'v1-abcd' }], 'v1-a')).toThrow(/ambiguous: v1-aaaa, v1-abcd/);
    expect(() => resolveVersion(history, 'v9')).toThrow(RunbookInputError);
  });

  it('lists the history with the active activation marked and documents today refuses flagged', () => {
    const lines = historyLines(history, { version: 'v3-bbbb', activatedAt: '2026-03-03T00:00:00Z' });
    expect(lines.map((l) => [l.version, l.active, l.valid, l.brand])).toEqual([
      ['v3-bbbb', true, true, 'C'],
      ['v2-aaaa', false, true, 'B'],
      ['v1-aaaa', false, true, 'A'],
      ['v0', false, false, undefined],
    ]);
    expect(lines[0]!.digest).toBe(configDigest(doc('C')));
  });

  function rollbackPorts() {
    const uploads: string[] = [];
    let active = { version: 'v3-bbbb', activatedAt: '2026-03-03T00:00:00Z' };
    return {
      uploads,
      history: async () => history,
      active: async () => active,
      upload: async (json: string) => void uploads.push(json),
      awaitActivation: async (before: { version: string }) => {
        expect(before.version).toBe('v3-bbbb');
        active = { version: 'v4-new', activatedAt: '2026-03-04T00:00:00Z' };
        return active;
      },
    };
  }

  it('uploads the earlier document as validated today and reports the version it is active under', async () => {
    const p = rollbackPorts();
    const r = await rollbackConfig('v1-aaaa', p);
    expect(r).toMatchObject({ restored: { version: 'v1-aaaa' }, activeVersion: 'v4-new', unchanged: false });
    expect(p.uploads).toHaveLength(1);
    // The validated document: defaults filled in, so it reads the same whatever the schema's defaults become.
    expect(JSON.parse(p.uploads[0]!)).toMatchObject({ brand: { name: 'A', timeZone: 'Asia/Shanghai' } });
  });

  it('refuses a document today’s validation rejects, with its errors, and uploads nothing', async () => {
    const p = rollbackPorts();
    await expect(rollbackConfig('v0', p)).rejects.toThrow(/does not pass today's validation; nothing changed:\n.*\$\.campaigns\[0\]/);
    expect(p.uploads).toEqual([]);
  });

  it('does nothing when the version asked for is the active document', async () => {
    const p = rollbackPorts();
    expect(await rollbackConfig('v3-bbbb', p)).toMatchObject({ unchanged: true, activeVersion: 'v3-bbbb' });
    expect(p.uploads).toEqual([]);
  });
});

describe('nightly on AWS', () => {
  it('is started as a state machine execution with the plan step’s input', () => {
    expect(nightlyExecutionInput({})).toBe('{}');
    expect(nightlyExecutionInput({ asOf: '2026-03-05', force: true })).toBe('{"asOf":"2026-03-05","force":true}');
    expect(startNightlyCommand({ asOf: '2026-03-05', stateMachineArn: 'arn:aws:states:r:1:stateMachine:N' })).toBe(
      `aws stepfunctions start-execution --state-machine-arn arn:aws:states:r:1:stateMachine:N --input '{"asOf":"2026-03-05"}'`,
    );
  });
});
