import { createRequire } from 'node:module';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { z } from 'zod';
import type { LogLevelName } from '../../lib/observability/logger.ts';
import { METRICS_NAMESPACE, type ServiceName } from '../../lib/observability/metric-names.ts';
import { contextString } from '../context.ts';

/**
 * Environment variable names Lambda reserves (setting them fails the deployment, or is silently
 * overridden by the runtime). The env schemas may still *read* them (e.g. AWS_REGION with a
 * default), but a function's `environment` can never set them.
 */
export const LAMBDA_RESERVED_ENV_KEYS = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_RUNTIME_API',
  'AWS_REGION',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_RUNTIME_DIR',
  'LAMBDA_TASK_ROOT',
] as const;
export type LambdaReservedEnvKey = (typeof LAMBDA_RESERVED_ENV_KEYS)[number];

/** CDK context key setting every function's LOG_LEVEL (`cdk deploy -c moments:logLevel=debug`). */
export const LOG_LEVEL_CONTEXT_KEY = 'moments:logLevel';

/**
 * Lambda's application log level for each LOG_LEVEL value. Lambda drops JSON log lines below its level, and
 * Powertools takes that level (AWS_LAMBDA_LOG_LEVEL) over its own setting, so both come from the one LOG_LEVEL.
 * `silent` has no Lambda equivalent: FATAL, which nothing here logs at.
 */
export const APPLICATION_LOG_LEVELS: Record<LogLevelName, lambda.ApplicationLogLevel> = {
  debug: lambda.ApplicationLogLevel.DEBUG,
  info: lambda.ApplicationLogLevel.INFO,
  warn: lambda.ApplicationLogLevel.WARN,
  error: lambda.ApplicationLogLevel.ERROR,
  silent: lambda.ApplicationLogLevel.FATAL,
};

/** The function's LOG_LEVEL: its environment's, else the context's, else info; anything else fails the synth. */
export function functionLogLevel(scope: Construct, id: string, environment: Record<string, string>): LogLevelName {
  const fromEnv = environment['LOG_LEVEL'];
  const value = fromEnv ?? contextString(scope, LOG_LEVEL_CONTEXT_KEY) ?? 'info';
  if (!Object.hasOwn(APPLICATION_LOG_LEVELS, value))
    throw new Error(
      `${fromEnv === undefined ? `context ${LOG_LEVEL_CONTEXT_KEY}` : `${id}: LOG_LEVEL`} must be one of ${Object.keys(APPLICATION_LOG_LEVELS).join(', ')}, got ${JSON.stringify(value)}`,
    );
  return value as LogLevelName;
}

/** Retention of the log groups the stack creates (functions, state machine, CDK's handler). */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/** A zod schema describing a function's environment: an object of string-valued variables. */
export type EnvSchema = z.ZodType<unknown, Record<string, string | undefined>>;

/**
 * A schema's input as a Lambda environment holds it: a field whose input type is `unknown` (a
 * `z.coerce.number()`) is a string there.
 */
export type StringEnvInput<I> = { [K in keyof I]: unknown extends I[K] ? string | undefined : I[K] };

/**
 * Views a handler's env schema as an {@link EnvSchema} when some of its fields coerce (their zod
 * input type is `unknown`, which the EnvSchema constraint refuses). Type-only: the schema itself is
 * returned, and non-string values are still refused at synth by MomentsFunction. Not needed once
 * such fields declare their input, e.g. `z.coerce.number<string>()`.
 */
export function lambdaEnvSchema<S extends z.ZodType>(schema: S): z.ZodType<z.output<S>, StringEnvInput<z.input<S>>> {
  return schema as unknown as z.ZodType<z.output<S>, StringEnvInput<z.input<S>>>;
}

/** The variables a function may set: the schema's *input* keys, minus the ones Lambda reserves. */
export type FunctionEnvironment<S extends EnvSchema> = Omit<z.input<S>, LambdaReservedEnvKey>;

/** Names of the variables a function may set (for the bind helpers). */
export type EnvKey<S extends EnvSchema> = Extract<keyof FunctionEnvironment<S>, string>;

/** Esbuild banner so that CommonJS dependencies calling `require` work inside the ESM bundle. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __momentsCreateRequire } from 'node:module'; const require = __momentsCreateRequire(import.meta.url);";

export interface MomentsFunctionProps<S extends EnvSchema> {
  /** Absolute path of the handler module (TypeScript); it must export `handler`. */
  readonly entry: string;
  /**
   * The function's `service` in the metrics contract (lib/observability/metric-names.ts): set as
   * POWERTOOLS_SERVICE_NAME, so its logs and metrics carry it and the alarms find them.
   */
  readonly service: ServiceName;
  /** The function's env schema, shared with the handler, which parses `process.env` with it at cold start. */
  readonly envSchema: S;
  /**
   * Variables set on the function. Keys and value types come from the schema's input type, so a
   * typo or an invalid enum value is a compile error. Required keys may be left out here when a
   * bind helper (`bindTable`, `bindBucket`) sets them; the complete environment is checked against
   * the schema at synth time.
   */
  readonly environment: Partial<FunctionEnvironment<S>>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  readonly description?: string;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Async invocation settings (S3/EventBridge triggers): failure destination, retries, max event age. */
  readonly onFailure?: lambda.IDestination;
  /** @default 2 (the Lambda default) */
  readonly retryAttempts?: number;
  readonly maxEventAge?: Duration;
  readonly reservedConcurrentExecutions?: number;
}

/**
 * Variables every function gets for Powertools: the `service` dimension and the metrics namespace
 * of the contract the alarms and the dashboard read (lib/observability/metric-names.ts).
 */
export function powertoolsEnvironment(service: ServiceName): { POWERTOOLS_SERVICE_NAME: ServiceName; POWERTOOLS_METRICS_NAMESPACE: string } {
  return { POWERTOOLS_SERVICE_NAME: service, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE };
}

/**
 * The house Lambda function: Node.js 22 on arm64, bundled by the locally installed esbuild into
 * a minified ESM file with source maps, JSON logs into an explicitly created log group with a
 * retention, a dedicated role that may write only to that log group (no AWS managed policy), an
 * environment typed and validated by the handler's zod schema, and its Powertools service name.
 */
export class MomentsFunction<S extends EnvSchema> extends NodejsFunction {
  /** The log group created for this function (the inherited `logGroup` returns it as an ILogGroup). */
  readonly functionLogGroup: logs.LogGroup;
  readonly envSchema: S;
  /** The `service` dimension of this function's metrics. */
  readonly service: ServiceName;
  /** Variables set through props and bind helpers; validated against the schema at synth time. */
  private readonly declaredEnv = new Map<string, string>();

  constructor(scope: Construct, id: string, props: MomentsFunctionProps<S>) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${id} function`,
    });
    logGroup.grantWrite(role);

    const environment = checkedEnvironment(id, props.environment);
    const logLevel = functionLogLevel(scope, id, environment);
    environment['LOG_LEVEL'] = logLevel;
    assertLocalEsbuild();

    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      ...(props.description === undefined ? {} : { description: props.description }),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // Lambda's filter and Powertools' level from the same LOG_LEVEL (see APPLICATION_LOG_LEVELS).
      applicationLogLevelV2: APPLICATION_LOG_LEVELS[logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      environment,
      ...(props.onFailure === undefined ? {} : { onFailure: props.onFailure }),
      ...(props.retryAttempts === undefined ? {} : { retryAttempts: props.retryAttempts }),
      ...(props.maxEventAge === undefined ? {} : { maxEventAge: props.maxEventAge }),
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        // Bundle the AWS SDK instead of using the runtime's copy: the handler then runs the exact
        // SDK versions in package-lock.json (lib-storage, util-dynamodb and the clients together).
        bundleAwsSDK: true,
        // Local esbuild only (checked above); Docker bundling is never wanted here.
        forceDockerBundling: false,
      },
    });

    this.functionLogGroup = logGroup;
    this.envSchema = props.envSchema;
    this.service = props.service;
    for (const [key, value] of Object.entries(environment)) this.declaredEnv.set(key, value);
    // Source maps are only useful if Node applies them to stack traces.
    this.addEnvironment('NODE_OPTIONS', '--enable-source-maps');
    for (const [key, value] of Object.entries(powertoolsEnvironment(props.service))) {
      const declared = this.declaredEnv.get(key);
      if (declared !== undefined && declared !== value) {
        throw new Error(`${id}: ${key} comes from the service prop (${value}); the environment may not set it to ${declared}`);
      }
      this.declaredEnv.set(key, value);
      this.addEnvironment(key, value);
    }

    this.node.addValidation({ validate: () => this.validateEnvironment() });
  }

  /**
   * Sets one schema variable (used by the bind helpers). Binding a variable twice to different
   * values is a wiring error and throws.
   */
  setEnv(key: EnvKey<S>, value: string): this {
    assertNotReserved(this.node.id, key);
    const existing = this.declaredEnv.get(key);
    if (existing !== undefined && existing !== value) {
      const stack = Stack.of(this);
      throw new Error(
        `${this.node.path}: ${key} is already set to ${JSON.stringify(stack.resolve(existing))}, ` +
          `refusing to rebind it to ${JSON.stringify(stack.resolve(value))}`,
      );
    }
    this.declaredEnv.set(key, value);
    this.addEnvironment(key, value);
    return this;
  }

  /** The environment as declared (tokens unresolved), for tests and tooling. */
  get declaredEnvironment(): Readonly<Record<string, string>> {
    return Object.fromEntries(this.declaredEnv);
  }

  private validateEnvironment(): string[] {
    // Tokens are placeholder strings at this point, so string checks (presence, min length) hold;
    // a format check (url, regex) on a variable whose value is a token would need a literal.
    const result = this.envSchema.safeParse(Object.fromEntries(this.declaredEnv));
    if (result.success) return [];
    return result.error.issues.map(
      (issue) => `environment does not match its schema: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
}

let esbuildChecked = false;
/**
 * NodejsFunction silently falls back to bundling in Docker (pulling an image) when it cannot find
 * esbuild locally; synth must stay offline, so fail fast with an actionable message instead.
 */
function assertLocalEsbuild(): void {
  if (esbuildChecked) return;
  try {
    createRequire(import.meta.url).resolve('esbuild');
  } catch {
    throw new Error('esbuild is not installed locally (run `npm ci`); refusing to fall back to Docker bundling');
  }
  esbuildChecked = true;
}

function assertNotReserved(id: string, key: string): void {
  if ((LAMBDA_RESERVED_ENV_KEYS as readonly string[]).includes(key)) {
    throw new Error(`${id}: ${key} is reserved by Lambda and cannot be set in a function environment`);
  }
}

function checkedEnvironment(id: string, environment: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) {
    if (value === undefined) continue;
    assertNotReserved(id, key);
    if (typeof value !== 'string') throw new Error(`${id}: environment variable ${key} must be a string`);
    out[key] = value;
  }
  return out;
}

/** `write` is for functions that only put items (no reads at all, not even of what they wrote). */
export type TableAccess = 'read' | 'write' | 'readWrite';

/** Item reads (no stream actions: the table has no stream). */
export const TABLE_READ_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
] as const;
/** Item writes. */
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

export interface TableBindOptions {
  /**
   * Secondary indexes the function queries: dynamodb:Query on exactly these index ARNs. Nothing
   * else is granted on indexes (the CDK `grant*Data` helpers would add `<table>/index/*`).
   * @default none
   */
  readonly queryIndexes?: readonly string[];
}

/**
 * Grants the function item access to the table (the table ARN only) plus Query on the named
 * indexes, and sets `key` to the table name.
 */
export function bindTable<S extends EnvSchema>(
  fn: MomentsFunction<S>,
  table: dynamodb.ITable,
  key: EnvKey<S>,
  access: TableAccess = 'readWrite',
  options: TableBindOptions = {},
): iam.Grant {
  const actions =
    access === 'read'
      ? [...TABLE_READ_ACTIONS]
      : access === 'write'
        ? [...TABLE_WRITE_ACTIONS]
        : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS];
  let grant = iam.Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [table.tableArn] });
  const indexes = options.queryIndexes ?? [];
  if (indexes.length > 0) {
    for (const name of indexes) {
      // A Table knows its indexes: schemaV2() throws on a name it does not have.
      if (isTableWithSchema(table)) table.schemaV2(name);
    }
    grant = grant.combine(
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['dynamodb:Query'],
        resourceArns: indexes.map((name) => `${table.tableArn}/index/${name}`),
      }),
    );
  }
  if (table.encryptionKey !== undefined) {
    // DynamoDB decrypts the table key for writes too, so any write needs both.
    if (access === 'read') table.encryptionKey.grantDecrypt(fn);
    else table.encryptionKey.grantEncryptDecrypt(fn);
  }
  fn.setEnv(key, table.tableName);
  return grant;
}

function isTableWithSchema(table: dynamodb.ITable): table is dynamodb.ITable & { schemaV2(indexName?: string): unknown } {
  return typeof (table as { schemaV2?: unknown }).schemaV2 === 'function';
}

/**
 * Object-level access by key pattern (`incoming/*`). Each list yields one statement scoped to
 * exactly those patterns; nothing is granted on the bucket itself (no ListBucket, so reading a
 * missing key is AccessDenied rather than NoSuchKey).
 */
export interface BucketAccess {
  /** s3:GetObject (also covers HeadObject and the source side of CopyObject). */
  readonly read?: readonly string[];
  /** s3:PutObject (covers multipart uploads and the target side of CopyObject) and s3:AbortMultipartUpload. */
  readonly write?: readonly string[];
  /** s3:DeleteObject. */
  readonly delete?: readonly string[];
}

/** Grants the function prefix-scoped object access to the bucket and sets `key` to the bucket name. */
export function bindBucket<S extends EnvSchema>(
  fn: MomentsFunction<S>,
  bucket: s3.IBucket,
  key: EnvKey<S>,
  access: BucketAccess,
): void {
  const statements: Array<[readonly string[] | undefined, string[]]> = [
    [access.read, ['s3:GetObject']],
    [access.write, ['s3:PutObject', 's3:AbortMultipartUpload']],
    [access.delete, ['s3:DeleteObject']],
  ];
  let granted = false;
  for (const [patterns, actions] of statements) {
    if (patterns === undefined || patterns.length === 0) continue;
    for (const pattern of patterns) {
      if (!Token.isUnresolved(pattern) && (pattern === '*' || pattern.startsWith('/'))) {
        throw new Error(`bindBucket(${fn.node.id}): key pattern ${JSON.stringify(pattern)} must be a non-root prefix`);
      }
    }
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions, resources: patterns.map((p) => bucket.arnForObjects(p)) }),
    );
    granted = true;
  }
  if (!granted) throw new Error(`bindBucket(${fn.node.id}): no access requested`);
  // A bucket encrypted with a customer managed key would also need kms:Decrypt/GenerateDataKey.
  if (bucket.encryptionKey !== undefined) {
    if (access.read?.length) bucket.encryptionKey.grantDecrypt(fn);
    if (access.write?.length) bucket.encryptionKey.grantEncrypt(fn);
  }
  fn.setEnv(key, bucket.bucketName);
}
