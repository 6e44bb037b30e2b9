/**
 * The local embedded stack (design.md "Local embedded stack"): dynalite, s3rver, aws-ses-v2-local and the SNS
 * stub, started in this process on 127.0.0.1 with free ports, state under `home`.
 *
 * The s3rver `event` emitter stands in for the S3 -> Lambda trigger: ObjectCreated events for keys under the
 * trigger prefixes (`incoming/`, `config/`) of the stack's bucket are turned into real-shaped `S3Event`s (key
 * URL-encoded like real S3) and passed to `onObjectCreated`. Objects the handler itself writes elsewhere
 * (`rejected/`, `quarantine/`, ...) do not trigger. `idle()` waits for all triggered work, including work
 * triggered by objects written by a handler.
 *
 * This module must not import @aws-sdk: SDK work goes through lib/adapters.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { ensureTable } from '../adapters/provision.ts';
import { makeLocalDynamoDBClient, makeLocalS3Client } from '../adapters/local-clients.ts';
import { S3BucketFiles } from '../adapters/s3-bucket-files.ts';
import { lockHome } from './home-lock.ts';
import { closeServer, startSnsStub, type SnsStub } from './sns-stub.ts';

const require = createRequire(import.meta.url);

// ---- minimal typings of the CommonJS emulators (none ship usable ESM types) ----

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  maxItemSizeKb?: number;
}
type DynaliteFactory = (opts: DynaliteOptions) => Server;

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}
type LevelCtor = new (path: string, opts?: { valueEncoding?: string }) => LevelDb;

/**
 * dynalite 4 ends every Query and Scan stream by calling `iterator.return()`, which abstract-level 3's iterators
 * do not have (they have `close()`), so no iterator was ever closed: each one stayed registered with the database,
 * holding its snapshot and prefetched items, about 10 KB a Query (measured: 40,000 Queries grew the heap by 390 MB;
 * a 1M-row load run died at 4 GB). Giving the iterators the `return` dynalite calls closes them.
 */
function closeDynaliteIterators(): void {
  const requireFromDynalite = createRequire(require.resolve('dynalite'));
  const requireFromLevel = createRequire(requireFromDynalite.resolve('classic-level'));
  const { AbstractValueIterator } = requireFromLevel('abstract-level') as { AbstractValueIterator: { prototype: object } };
  const common = Object.getPrototypeOf(AbstractValueIterator.prototype) as { return?: unknown; close(): Promise<void> };
  if (typeof common.return === 'function') return;
  Object.defineProperty(common, 'return', {
    configurable: true,
    writable: true,
    value: async function (this: { close(): Promise<void> }) {
      await this.close();
      return { done: true, value: undefined };
    },
  });
}

/**
 * dynalite opens LevelDB lazily and throws (uncaught, crashing the process) when the first request finds the
 * database locked by another process. Open it once ourselves first to turn that into a clear error (the home's
 * lock, lib/local/home-lock.ts, keeps out other moments processes; this catches anything else holding the store).
 */
async function preflightLevelDb(dir: string): Promise<void> {
  const requireFromDynalite = createRequire(require.resolve('dynalite'));
  const { Level } = requireFromDynalite('level') as { Level: LevelCtor };
  const db = new Level(dir, { valueEncoding: 'json' });
  try {
    await db.open();
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    throw new Error(
      code === 'LEVEL_LOCKED'
        ? `local DynamoDB store ${dir} is locked: another moments process is using this home (MOMENTS_HOME)`
        : `cannot open local DynamoDB store ${dir}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  await db.close();
}

interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  vhostBuckets?: boolean;
  resetOnClose?: boolean;
  configureBuckets: { name: string }[];
}
interface S3rverRawRecord {
  eventName: string;
  eventTime?: string;
  requestParameters?: { sourceIPAddress?: string };
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(event: 'event', listener: (ev: { Records: S3rverRawRecord[] }) => void): unknown;
  removeAllListeners(event: 'event'): unknown;
  httpServer?: Server;
}
type S3rverCtor = new (opts: S3rverOptions) => S3rverInstance;

type SesServerFactory = (cfg?: { host?: string; port?: number }) => Promise<Server>;

function loadSesServer(): SesServerFactory {
  const mod = require('aws-ses-v2-local') as { default?: SesServerFactory } | SesServerFactory;
  const fn = typeof mod === 'function' ? mod : mod.default;
  if (typeof fn !== 'function') throw new Error('aws-ses-v2-local: no server factory export found');
  return fn;
}

// ---- public API ----

export type ObjectCreatedHandler = (event: S3Event) => Promise<void>;

export interface TriggerError {
  bucket: string;
  /** Decoded object key. */
  key: string;
  eventName: string;
  error: unknown;
}

export interface LocalStackOptions {
  /** State dir: `${home}/dynamodb` (LevelDB), `${home}/s3` (s3rver), `${home}/sns` (SNS stub log). */
  home: string;
  /** Default `moments-local`. */
  bucket?: string;
  /** Default `moments-local`. */
  tableName?: string;
  onObjectCreated?: ObjectCreatedHandler;
  /** Key prefixes that trigger `onObjectCreated`. Default `['incoming/', 'config/']`. */
  triggerPrefixes?: string[];
}

export interface LocalStackEndpoints {
  s3: string;
  dynamodb: string;
  ses: string;
  sns: string;
}

export interface LocalStack {
  home: string;
  endpoints: LocalStackEndpoints;
  /** Env a handler (or makeLocalClients) needs to talk to this stack. */
  env: Record<string, string>;
  bucket: string;
  tableName: string;
  /** Errors thrown by `onObjectCreated`, in order (live array). */
  errors: TriggerError[];
  /** The SNS stub (messages, optOut, throttleNext, ...). */
  sns: SnsStub;
  /** Replace (or remove) the trigger handler after start, e.g. once `env` is known. */
  setObjectCreatedHandler(handler: ObjectCreatedHandler | undefined): void;
  /** Resolves once all triggered handler work (including cascades) has settled. */
  idle(): Promise<void>;
  /** Waits for triggered work, then closes every server. Idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_BUCKET = 'moments-local';
export const DEFAULT_TABLE = 'moments-local';
export const DEFAULT_TRIGGER_PREFIXES: readonly string[] = ['incoming/', 'config/'];

/**
 * Encode an object key the way real S3 does in event notifications: URL-encoded (like
 * `encodeURIComponent`, plus `!'()*`), spaces as `+`, `/` kept. Decode with
 * `decodeURIComponent(key.replace(/\+/g, ' '))`.
 */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((seg) =>
      encodeURIComponent(seg)
        .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
        .replace(/%20/g, '+'),
    )
    .join('/');
}

/** Inverse of `encodeS3EventKey` (what a Lambda handler does with `s3.object.key`). */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

function randomHex(n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(Math.random() * 16).toString(16);
  return s.toUpperCase();
}

let sequence = 0n;
/** Real S3 sequencers are hex strings that sort (after padding) in event order for a key. */
function nextSequencer(): string {
  sequence += 1n;
  const t = BigInt(Date.now()) * 1_000_000n + (sequence % 1_000_000n);
  return t.toString(16).toUpperCase().padStart(18, '0');
}

function toS3Event(raw: S3rverRawRecord, region: string): S3Event {
  const bucket = raw.s3.bucket.name;
  const record: S3EventRecord = {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: raw.eventTime ?? new Date().toISOString(),
    eventName: raw.eventName,
    userIdentity: { principalId: 'AWS:' + randomHex(21) },
    requestParameters: { sourceIPAddress: raw.requestParameters?.sourceIPAddress ?? '127.0.0.1' },
    responseElements: { 'x-amz-request-id': randomHex(16), 'x-amz-id-2': randomHex(56) },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'moments-local-trigger',
      bucket: { name: bucket, ownerIdentity: { principalId: randomHex(14) }, arn: `arn:aws:s3:::${bucket}` },
      object: {
        key: encodeS3EventKey(raw.s3.object.key),
        size: Number(raw.s3.object.size ?? 0),
        eTag: raw.s3.object.eTag ?? '',
        sequencer: nextSequencer(),
      },
    },
  };
  return { Records: [record] };
}

function listenLoopback(server: Server): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

/** aws-ses-v2-local relays to SMTP when SMTP_TRANSPORT is set; only allow that to a loopback host. */
function assertSesStaysLocal(): void {
  const raw = process.env['SMTP_TRANSPORT']?.trim();
  if (!raw) return;
  let host: unknown;
  try {
    host = (JSON.parse(raw) as { host?: unknown }).host;
  } catch {
    host = undefined;
  }
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new Error(
      'SMTP_TRANSPORT is set: aws-ses-v2-local would relay e-mail beyond loopback. Unset it (or point it at a loopback host) to use the local stack.',
    );
  }
}

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const home = resolve(opts.home);
  const bucket = opts.bucket ?? DEFAULT_BUCKET;
  const tableName = opts.tableName ?? DEFAULT_TABLE;
  const prefixes = opts.triggerPrefixes ?? [...DEFAULT_TRIGGER_PREFIXES];
  const region = 'us-east-1';
  const dynamoDir = join(home, 'dynamodb');
  const s3Dir = join(home, 's3');
  mkdirSync(dynamoDir, { recursive: true });
  mkdirSync(s3Dir, { recursive: true });
  assertSesStaysLocal();

  const cleanups: (() => Promise<void>)[] = [];
  const runCleanups = async (): Promise<void> => {
    const errs: unknown[] = [];
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (e) {
        errs.push(e);
      }
    }
    if (errs.length > 0) throw errs[0];
  };

  // Before anything opens the stores: a second process on this home stops here with who holds it.
  const unlock = await lockHome(home);
  cleanups.push(async () => unlock());

  let handler = opts.onObjectCreated;
  const inflight = new Set<Promise<void>>();
  const errors: TriggerError[] = [];

  try {
    // DynamoDB: dynalite on LevelDB; tables ACTIVE at once.
    await preflightLevelDb(dynamoDir);
    closeDynaliteIterators();
    const dynalite = require('dynalite') as DynaliteFactory;
    const dynaliteServer = dynalite({ path: dynamoDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const dynamoPort = await listenLoopback(dynaliteServer);
    cleanups.push(() => closeServer(dynaliteServer));

    // S3: s3rver on a directory.
    const S3rver = require('s3rver') as S3rverCtor;
    const s3rver = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: s3Dir,
      vhostBuckets: false,
      resetOnClose: false,
      configureBuckets: [{ name: bucket }],
    });
    const s3Addr = await s3rver.run();
    cleanups.push(async () => {
      s3rver.removeAllListeners('event');
      const srv = s3rver.httpServer;
      if (srv) await closeServer(srv);
    });

    // SES: aws-ses-v2-local (in-memory store, module-global).
    const sesServer = await loadSesServer()({ host: '127.0.0.1', port: 0 });
    const sesPort = (sesServer.address() as AddressInfo).port;
    cleanups.push(() => closeServer(sesServer));

    // SNS: loopback stub.
    const sns = await startSnsStub({ home });
    cleanups.push(() => sns.stop());

    const endpoints: LocalStackEndpoints = {
      s3: `http://127.0.0.1:${s3Addr.port}`,
      dynamodb: `http://127.0.0.1:${dynamoPort}`,
      ses: `http://127.0.0.1:${sesPort}`,
      sns: sns.endpoint,
    };
    const env: Record<string, string> = {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: region,
      S3_ENDPOINT: endpoints.s3,
      DYNAMODB_ENDPOINT: endpoints.dynamodb,
      SES_ENDPOINT: endpoints.ses,
      SNS_ENDPOINT: endpoints.sns,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      TABLE_NAME: tableName,
      BUCKET_NAME: bucket,
    };

    // Table.
    const ddb = makeLocalDynamoDBClient(env);
    try {
      await ensureTable(ddb, tableName);
    } catch (err) {
      throw new Error(
        `local DynamoDB (dynalite at ${dynamoDir}) failed to provision table ${tableName}; ` +
          `is another moments process using this home? ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    } finally {
      ddb.destroy();
    }

    // s3rver leaves the ETag out of ObjectCreated:Copy events (real S3 sends it): the trigger looks it up.
    let files: { s3: ReturnType<typeof makeLocalS3Client>; store: S3BucketFiles } | undefined;
    const etagOf = async (key: string): Promise<string> => {
      if (!files) {
        const s3 = makeLocalS3Client(env);
        files = { s3, store: new S3BucketFiles({ client: s3, bucketName: bucket }) };
        cleanups.push(async () => files?.s3.destroy());
      }
      return (await files.store.head(key))?.etag ?? '';
    };

    // Trigger.
    s3rver.on('event', (ev) => {
      for (const raw of ev.Records ?? []) {
        if (!raw.eventName.startsWith('ObjectCreated:')) continue;
        if (raw.s3.bucket.name !== bucket) continue;
        const key = raw.s3.object.key;
        if (!prefixes.some((p) => key.startsWith(p))) continue;
        const h = handler;
        if (!h) continue;
        const event = toS3Event(raw, region);
        // Registered synchronously (before s3rver answers the PUT), run on a later tick like a real trigger.
        const p: Promise<void> = (async () => {
          await new Promise<void>((r) => setImmediate(r));
          const object = event.Records[0]!.s3.object;
          if (!object.eTag) object.eTag = await etagOf(key);
          await h(event);
        })()
          .catch((error: unknown) => {
            errors.push({ bucket, key, eventName: raw.eventName, error });
          })
          .finally(() => {
            inflight.delete(p);
          });
        inflight.add(p);
      }
    });

    const idle = async (): Promise<void> => {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    };
    let stopping: Promise<void> | undefined;

    return {
      home,
      endpoints,
      env,
      bucket,
      tableName,
      errors,
      sns,
      setObjectCreatedHandler(h) {
        handler = h;
      },
      idle,
      stop() {
        stopping ??= (async () => {
          await idle();
          handler = undefined;
          await runCleanups();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await runCleanups().catch(() => undefined);
    throw err;
  }
}
