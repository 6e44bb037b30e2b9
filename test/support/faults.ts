/**
 * Fault injection for the real SDK v3 clients against the local stack: a middleware on the client's stack, inside
 * the SDK's retry loop (so the SDK's own retry sees every injected fault, as it would see the real one), that on a
 * seeded schedule throws the error shapes AWS services really return, loses the answer of a request the service
 * did handle, or breaks a GetObject body after N bytes. Every injection is logged, so a test can check that the
 * faults it is about actually happened.
 */
import { Readable } from 'node:stream';
import {
  DynamoDBServiceException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { SESServiceException } from '@aws-sdk/client-ses';
import { InternalErrorException, ThrottledException } from '@aws-sdk/client-sns';

export type FaultKind =
  /** Refused before the service did anything: the service's throttling error (400 or 429). */
  | 'throttle'
  /** Refused with a 5xx: 500 InternalServerError or 503 ServiceUnavailable; nothing was done. */
  | 'server-error'
  /** The socket timed out before the request reached the service; nothing was done. */
  | 'timeout'
  /** The service handled the request, then the answer was lost (a socket timeout or reset on the way back). */
  | 'lost-response'
  /** The service handled the request, then the process died before it could use the answer. */
  | 'crash'
  /** GetObject only: the body stream fails after `afterBytes` bytes (connection reset mid-download). */
  | 'body-error';

export interface FaultRule {
  /** Command name, e.g. 'PutItemCommand', or a pattern. */
  command: string | RegExp;
  kind: FaultKind;
  /** Only calls whose input passes (e.g. one key or one status). */
  when?: (input: Record<string, unknown>) => boolean;
  /** Which matching calls fail, 1-based; or `rate`, a seeded probability per matching call. */
  calls?: number[];
  rate?: number;
  /** At most this many injections by this rule. */
  max?: number;
  /** body-error: bytes delivered before the stream breaks. */
  afterBytes?: number;
  /** Which 5xx for server-error (default 503). */
  status?: 500 | 503;
}

export interface Injection {
  client: string;
  command: string;
  kind: FaultKind;
  /** 1-based index among the calls matching the rule. */
  call: number;
}

/** The thrown error when the process "dies" after the service handled a request. */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

/** mulberry32: small, fast, seedable (schedules must replay exactly from a seed). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: `fault-${Math.random().toString(36).slice(2, 10)}`, attempts: 1, totalRetryDelay: 0 });

/** What each service answers when it throttles, per its API reference. */
function throttleError(client: string, command: string): Error {
  const message = 'Rate exceeded';
  switch (client) {
    case 'DynamoDBClient':
      // PutItem/Query/GetItem on a provisioned table vs the newer on-demand/account throttling error.
      return command === 'PutItemCommand'
        ? new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: meta(400) })
        : new ThrottlingException({ message, $metadata: meta(400) });
    case 'S3Client':
      return new S3ServiceException({ name: 'SlowDown', $fault: 'server', message: 'Please reduce your request rate.', $metadata: meta(503) });
    case 'SESClient':
      return new SESServiceException({ name: 'Throttling', $fault: 'client', message: 'Maximum sending rate exceeded.', $metadata: meta(400) });
    case 'SNSClient':
      return new ThrottledException({ message: 'Rate exceeded', $metadata: meta(429) });
    default:
      throw new Error(`no throttling error shape for ${client}`);
  }
}

function serverError(client: string, status: 500 | 503): Error {
  const message = status === 503 ? 'Service Unavailable' : 'Internal Server Error';
  switch (client) {
    case 'DynamoDBClient':
      return status === 500
        ? new InternalServerError({ message, $metadata: meta(500) })
        : new DynamoDBServiceException({ name: 'ServiceUnavailable', $fault: 'server', message, $metadata: meta(503) });
    case 'S3Client':
      return new S3ServiceException({ name: status === 500 ? 'InternalError' : 'ServiceUnavailable', $fault: 'server', message, $metadata: meta(status) });
    case 'SESClient':
      return new SESServiceException({ name: status === 500 ? 'InternalFailure' : 'ServiceUnavailable', $fault: 'server', message, $metadata: meta(status) });
    case 'SNSClient':
      return status === 500
        ? new InternalErrorException({ message, $metadata: meta(500) })
        : new SNSServiceExceptionLike('ServiceUnavailable', message, status);
    default:
      throw new Error(`no 5xx shape for ${client}`);
  }
}

/** SNS has no modelled 503 class; the SDK then throws its service exception with the wire code as name. */
class SNSServiceExceptionLike extends Error {
  readonly $fault = 'server';
  readonly $metadata;
  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.$metadata = meta(status);
  }
}

/** As @smithy/node-http-handler throws them. */
function socketTimeout(): Error {
  return Object.assign(new Error('the request socket timed out after 3000 ms of inactivity'), { name: 'TimeoutError' });
}
function connectionReset(): Error {
  return Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
}

/** A body that delivers `n` bytes of the real one, then fails like a reset connection. */
function breakAfter(body: Readable, n: number): Readable {
  async function* cut(): AsyncGenerator<Buffer> {
    let seen = 0;
    for await (const chunk of body) {
      const b = chunk as Buffer;
      if (seen + b.length >= n) {
        if (n > seen) yield b.subarray(0, n - seen);
        body.destroy();
        throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
      }
      seen += b.length;
      yield b;
    }
    // Shorter than n: the break happens at the very end, before the stream could report its end.
    throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
  }
  return Readable.from(cut(), { objectMode: false });
}

type Handler = (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown>; response: unknown }>;
interface StackLike {
  add(mw: (next: Handler, context: { clientName?: string; commandName?: string }) => Handler, opts: Record<string, unknown>): void;
  remove(name: string): boolean;
}

export class FaultInjector {
  readonly injected: Injection[] = [];
  /** Calls seen per command (all clients this injector is attached to). */
  readonly calls = new Map<string, number>();
  private readonly random: () => number;
  private rules: { rule: FaultRule; seen: number; fired: number }[] = [];
  private readonly attached: StackLike[] = [];

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  /** Replaces the schedule (the counts of earlier calls are kept). */
  set(rules: FaultRule[]): this {
    this.rules = rules.map((rule) => ({ rule, seen: 0, fired: 0 }));
    return this;
  }

  clear(): this {
    return this.set([]);
  }

  count(kind?: FaultKind, command?: string): number {
    return this.injected.filter((i) => (!kind || i.kind === kind) && (!command || i.command === command)).length;
  }

  /** Adds the injector to a client: after the SDK's retry middleware, before the request is sent. */
  attach<C extends { middlewareStack: unknown }>(client: C): C {
    const stack = client.middlewareStack as StackLike;
    stack.add((next, context) => (args) => this.handle(next, context, args), {
      step: 'finalizeRequest',
      priority: 'low',
      name: 'momentsFaultInjector',
      override: true,
    });
    this.attached.push(stack);
    return client;
  }

  detach(): void {
    for (const s of this.attached.splice(0)) s.remove('momentsFaultInjector');
  }

  /** Every rule counts every call it matches (so `calls` are indices of the command's calls); the first hit wins. */
  private pick(command: string, input: Record<string, unknown>): { rule: FaultRule; call: number } | undefined {
    let chosen: { rule: FaultRule; call: number } | undefined;
    for (const r of this.rules) {
      const { rule } = r;
      if (typeof rule.command === 'string' ? rule.command !== command : !rule.command.test(command)) continue;
      if (rule.when && !rule.when(input)) continue;
      r.seen++;
      if (chosen || (rule.max !== undefined && r.fired >= rule.max)) continue;
      const hit = rule.calls ? rule.calls.includes(r.seen) : rule.rate !== undefined ? this.random() < rule.rate : false;
      if (!hit) continue;
      r.fired++;
      chosen = { rule, call: r.seen };
    }
    return chosen;
  }

  private async handle(
    next: Handler,
    context: { clientName?: string; commandName?: string },
    args: { input: Record<string, unknown> },
  ): Promise<{ output: Record<string, unknown>; response: unknown }> {
    const client = context.clientName ?? '?';
    const command = context.commandName ?? '?';
    this.calls.set(command, (this.calls.get(command) ?? 0) + 1);
    const hit = this.pick(command, args.input);
    if (!hit) return next(args);
    const { rule } = hit;
    this.injected.push({ client, command, kind: rule.kind, call: hit.call });
    switch (rule.kind) {
      case 'throttle':
        throw throttleError(client, command);
      case 'server-error':
        throw serverError(client, rule.status ?? 503);
      case 'timeout':
        throw socketTimeout();
      case 'lost-response': {
        await next(args);
        throw this.random() < 0.5 ? socketTimeout() : connectionReset();
      }
      case 'crash': {
        await next(args);
        throw new SimulatedCrash(`process died after ${command} was handled`);
      }
      case 'body-error': {
        const r = await next(args);
        const body = r.output['Body'];
        if (!(body instanceof Readable)) throw new Error(`body-error on ${command}: no stream body`);
        return { ...r, output: { ...r.output, Body: breakAfter(body, rule.afterBytes ?? 1) } };
      }
    }
  }
}

/**
 * Runs `invoke` the way Lambda runs an asynchronous event (an S3 notification) or Step Functions a task with a
 * Retry: again after a failure, up to `attempts` times in all. Returns the result and every failure on the way.
 */
export async function retryLikeLambda<T>(invoke: (attempt: number) => Promise<T>, attempts = 3): Promise<{ result: T; failures: unknown[] }> {
  const failures: unknown[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      return { result: await invoke(attempt), failures };
    } catch (e) {
      failures.push(e);
      if (attempt >= attempts) throw Object.assign(new Error(`still failing after ${attempts} attempts: ${(e as Error).message}`), { failures });
    }
  }
}
