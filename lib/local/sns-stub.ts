/**
 * A tiny loopback SNS stand-in for the local embedded stack.
 *
 * @aws-sdk/client-sns v3 (3.1169) speaks the awsQuery protocol: a form-encoded POST to `/`
 * (`Action=Publish&Version=2010-03-31&PhoneNumber=...&Message=...&MessageAttributes.entry.1.Name=...`)
 * and expects an XML answer. This stub answers:
 *   - `Publish` (records the message, returns a MessageId),
 *   - `CheckIfPhoneNumberIsOptedOut`, `ListPhoneNumbersOptedOut`, `OptInPhoneNumber`.
 * Test/CLI control endpoints (not part of SNS):
 *   - `GET /store`                       -> `{ messages: SnsPublishedMessage[], optedOut: string[] }`
 *   - `POST /clear-store`                -> forgets all messages (also truncates the JSONL file)
 *   - `POST /opt-out?phoneNumber=+1...`  (or JSON body `{"phoneNumber": "..."}`) marks a number opted out
 *   - `POST /opt-in?phoneNumber=...`     undoes it
 *   - `POST /throttle?count=N`           the next N `Publish` calls fail with SNS `Throttled` (HTTP 429)
 * Messages are kept in memory and appended as JSON lines to `${home}/sns/messages.jsonl` so another process
 * can read them (`readSnsMessages`). Only listens on 127.0.0.1.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface SnsMessageAttribute {
  DataType: string;
  StringValue?: string;
  /** base64, as sent on the wire */
  BinaryValue?: string;
}

export interface SnsPublishedMessage {
  messageId: string;
  phoneNumber?: string;
  topicArn?: string;
  targetArn?: string;
  subject?: string;
  message: string;
  messageAttributes: Record<string, SnsMessageAttribute>;
  /** The number was opted out when published: real SNS accepts the call but does not deliver. */
  optedOut: boolean;
  /** ISO-8601 time the stub received the publish. */
  at: string;
}

export interface SnsStub {
  /** e.g. http://127.0.0.1:54321 */
  readonly endpoint: string;
  readonly port: number;
  /** JSON-lines file the messages are appended to. */
  readonly file: string;
  /** Live view of the messages received (including those loaded from the file at start). */
  readonly messages: readonly SnsPublishedMessage[];
  optOut(phoneNumber: string): void;
  optIn(phoneNumber: string): void;
  /** Make the next `count` Publish calls answer a throttling error. */
  throttleNext(count: number): void;
  clear(): void;
  stop(): Promise<void>;
}

export interface SnsStubOptions {
  /** State dir; messages go to `${home}/sns/messages.jsonl`, opt-outs to `${home}/sns/opted-out.json`. */
  home: string;
  /** Default 0 (a free port). */
  port?: number;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export function snsMessagesFile(home: string): string {
  return join(home, 'sns', 'messages.jsonl');
}

/** Read the messages a (possibly other-process) stub has recorded under `home`. */
export function readSnsMessages(home: string): SnsPublishedMessage[] {
  return readJsonLines(snsMessagesFile(home));
}

function readJsonLines(file: string): SnsPublishedMessage[] {
  if (!existsSync(file)) return [];
  const out: SnsPublishedMessage[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as SnsPublishedMessage);
    } catch {
      // a torn last line from a crashed writer: skip it
    }
  }
  return out;
}

function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` / `.Value.BinaryValue` */
function parseMessageAttributes(params: URLSearchParams): Record<string, SnsMessageAttribute> {
  const entries = new Map<string, { name?: string; attr: Partial<SnsMessageAttribute> }>();
  for (const [k, v] of params) {
    const m = /^MessageAttributes\.entry\.(\d+)\.(Name|Value\.DataType|Value\.StringValue|Value\.BinaryValue)$/.exec(k);
    if (!m) continue;
    const idx = m[1] ?? '';
    const field = m[2] ?? '';
    const e = entries.get(idx) ?? { attr: {} };
    if (field === 'Name') e.name = v;
    else if (field === 'Value.DataType') e.attr.DataType = v;
    else if (field === 'Value.StringValue') e.attr.StringValue = v;
    else if (field === 'Value.BinaryValue') e.attr.BinaryValue = v;
    entries.set(idx, e);
  }
  const out: Record<string, SnsMessageAttribute> = {};
  for (const { name, attr } of entries.values()) {
    if (name === undefined) continue;
    out[name] = { DataType: attr.DataType ?? 'String', ...attr };
  }
  return out;
}

export async function startSnsStub(opts: SnsStubOptions): Promise<SnsStub> {
  const dir = join(opts.home, 'sns');
  mkdirSync(dir, { recursive: true });
  const file = snsMessagesFile(opts.home);
  const optOutFile = join(dir, 'opted-out.json');

  const messages: SnsPublishedMessage[] = readJsonLines(file);
  const optedOut = new Set<string>();
  if (existsSync(optOutFile)) {
    try {
      const list = JSON.parse(readFileSync(optOutFile, 'utf8')) as unknown;
      if (Array.isArray(list)) for (const p of list) if (typeof p === 'string') optedOut.add(p);
    } catch {
      // ignore a corrupt opt-out file
    }
  }
  let throttleRemaining = 0;

  const saveOptOuts = (): void => {
    writeFileSync(optOutFile, JSON.stringify([...optedOut].sort(), null, 2));
  };

  const sendXml = (res: ServerResponse, status: number, xml: string): void => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
    res.writeHead(status, {
      'content-type': 'text/xml',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(body);
  };

  const sendJson = (res: ServerResponse, status: number, value: unknown): void => {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const sendError = (res: ServerResponse, status: number, code: string, message: string, type = 'Sender'): void => {
    sendXml(
      res,
      status,
      `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code>` +
        `<Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
  };

  const result = (action: string, inner: string): string =>
    `<${action}Response xmlns="${XMLNS}"><${action}Result>${inner}</${action}Result>` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;

  const phoneFromControl = async (req: IncomingMessage, url: URL): Promise<string | undefined> => {
    const q = url.searchParams.get('phoneNumber');
    if (q) return q;
    const raw = (await readBody(req)).trim();
    if (raw === '') return undefined;
    if (raw.startsWith('{')) {
      const v = JSON.parse(raw) as { phoneNumber?: unknown };
      return typeof v.phoneNumber === 'string' ? v.phoneNumber : undefined;
    }
    return new URLSearchParams(raw).get('phoneNumber') ?? undefined;
  };

  const handleAction = (res: ServerResponse, params: URLSearchParams): void => {
    const action = params.get('Action');
    switch (action) {
      case 'Publish': {
        const message = params.get('Message');
        const phoneNumber = params.get('PhoneNumber') ?? undefined;
        const topicArn = params.get('TopicArn') ?? undefined;
        const targetArn = params.get('TargetArn') ?? undefined;
        if (message === null) {
          sendError(res, 400, 'ValidationError', '1 validation error detected: Value null at \'message\' failed to satisfy constraint: Member must not be null');
          return;
        }
        if (!phoneNumber && !topicArn && !targetArn) {
          sendError(res, 400, 'InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
          return;
        }
        if (throttleRemaining > 0) {
          throttleRemaining--;
          sendError(res, 429, 'Throttled', 'Rate exceeded');
          return;
        }
        const rec: SnsPublishedMessage = {
          messageId: randomUUID(),
          ...(phoneNumber !== undefined ? { phoneNumber } : {}),
          ...(topicArn !== undefined ? { topicArn } : {}),
          ...(targetArn !== undefined ? { targetArn } : {}),
          ...(params.get('Subject') !== null ? { subject: params.get('Subject') ?? '' } : {}),
          message,
          messageAttributes: parseMessageAttributes(params),
          optedOut: phoneNumber !== undefined && optedOut.has(phoneNumber),
          at: new Date().toISOString(),
        };
        messages.push(rec);
        appendFileSync(file, JSON.stringify(rec) + '\n');
        sendXml(res, 200, result('Publish', `<MessageId>${rec.messageId}</MessageId>`));
        return;
      }
      case 'CheckIfPhoneNumberIsOptedOut': {
        const p = params.get('phoneNumber');
        if (!p) {
          sendError(res, 400, 'InvalidParameter', 'Invalid parameter: PhoneNumber');
          return;
        }
        sendXml(res, 200, result('CheckIfPhoneNumberIsOptedOut', `<isOptedOut>${optedOut.has(p)}</isOptedOut>`));
        return;
      }
      case 'ListPhoneNumbersOptedOut': {
        const members = [...optedOut].sort().map((p) => `<member>${xmlEscape(p)}</member>`).join('');
        sendXml(res, 200, result('ListPhoneNumbersOptedOut', `<phoneNumbers>${members}</phoneNumbers>`));
        return;
      }
      case 'OptInPhoneNumber': {
        const p = params.get('phoneNumber');
        if (p) {
          optedOut.delete(p);
          saveOptOuts();
        }
        sendXml(res, 200, result('OptInPhoneNumber', ''));
        return;
      }
      default:
        sendError(res, 400, 'InvalidAction', `The action ${action ?? '(none)'} is not valid for this endpoint (moments SNS stub).`);
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      try {
        if (req.method === 'GET' && url.pathname === '/store') {
          sendJson(res, 200, { messages, optedOut: [...optedOut].sort() });
        } else if (req.method === 'GET' && url.pathname === '/health-check') {
          res.writeHead(200).end();
        } else if (req.method === 'POST' && url.pathname === '/clear-store') {
          stub.clear();
          sendJson(res, 200, { message: 'Store cleared' });
        } else if (req.method === 'POST' && (url.pathname === '/opt-out' || url.pathname === '/opt-in')) {
          const p = await phoneFromControl(req, url);
          if (!p) {
            sendJson(res, 400, { message: 'phoneNumber is required' });
            return;
          }
          if (url.pathname === '/opt-out') stub.optOut(p);
          else stub.optIn(p);
          sendJson(res, 200, { phoneNumber: p, optedOut: optedOut.has(p) });
        } else if (req.method === 'POST' && url.pathname === '/throttle') {
          const n = Number(url.searchParams.get('count') ?? '1');
          if (!Number.isInteger(n) || n < 0) {
            sendJson(res, 400, { message: 'count must be a non-negative integer' });
            return;
          }
          stub.throttleNext(n);
          sendJson(res, 200, { throttleRemaining });
        } else if (req.method === 'POST' && url.pathname === '/') {
          const body = await readBody(req);
          // The SDK may also put parameters in the query string; merge both.
          const params = new URLSearchParams(body);
          for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v);
          handleAction(res, params);
        } else {
          sendError(res, 404, 'NotFound', `${req.method ?? ''} ${url.pathname} is not handled by the moments SNS stub`);
        }
      } catch (err) {
        if (!res.headersSent) sendError(res, 500, 'InternalFailure', err instanceof Error ? err.message : String(err), 'Receiver');
        else res.destroy();
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const stub: SnsStub = {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    file,
    messages,
    optOut(phoneNumber) {
      optedOut.add(phoneNumber);
      saveOptOuts();
    },
    optIn(phoneNumber) {
      optedOut.delete(phoneNumber);
      saveOptOuts();
    },
    throttleNext(count) {
      throttleRemaining = Math.max(0, Math.floor(count));
    },
    clear() {
      messages.length = 0;
      writeFileSync(file, '');
    },
    stop() {
      return closeServer(server);
    },
  };
  return stub;
}

/** Close an http server and drop its keep-alive sockets so the process can exit promptly. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
