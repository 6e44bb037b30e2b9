/**
 * Socket timeouts for every SDK client (the factories and local-clients.ts pass these as `requestHandler`; the
 * client builds its NodeHttpHandler from them). Without them a connection that hangs holds the call until the
 * Lambda's own timeout; with them the call fails with a TimeoutError, which the SDK retries like any transient
 * error (so a conditional write that timed out is simply tried again: every write here is idempotent).
 */

/** TCP and TLS set-up. A regional endpoint answers in milliseconds; this only catches one that does not. */
export const CONNECTION_TIMEOUT_MS = 3_000;

/** No byte in either direction for this long: the connection is dead. Generous for a slow operation under load. */
export const SOCKET_IDLE_TIMEOUT_MS = 30_000;

/**
 * API calls (DynamoDB, SQS, SES, SNS): the whole request until the response starts. The slowest call here is a
 * DynamoDB Query of one partition page (1 MB), far below it.
 */
export const API_REQUEST_TIMEOUT_MS = 15_000;

/** DynamoDB, SQS, SES, SNS: small requests and responses. */
export const apiRequestHandler = {
  connectionTimeout: CONNECTION_TIMEOUT_MS,
  socketTimeout: SOCKET_IDLE_TIMEOUT_MS,
  requestTimeout: API_REQUEST_TIMEOUT_MS,
  throwOnRequestTimeout: true,
} as const;

/**
 * S3: no whole-request limit, because a PutObject's request lasts as long as its body takes to upload (the CLI
 * uploads whole exports); an idle socket is what a hung transfer looks like.
 */
export const s3RequestHandler = {
  connectionTimeout: CONNECTION_TIMEOUT_MS,
  socketTimeout: SOCKET_IDLE_TIMEOUT_MS,
} as const;
