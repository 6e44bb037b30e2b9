import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMomentsApp } from '../../infra/moments-app.ts';
import { LOG_LEVEL_CONTEXT_KEY, MomentsFunction } from '../../infra/constructs/moments-function.ts';
import { observabilityEnv } from '../../lib/observability/env.ts';
import { SERVICES } from '../../lib/observability/metric-names.ts';
import { testAppProps } from './support.ts';

const FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/cjs-deps-handler.ts', import.meta.url));
const schema = z.object({ ...observabilityEnv });

type Fn = { Properties: { Environment?: { Variables?: Record<string, unknown> }; LoggingConfig?: { ApplicationLogLevel?: string } } };

/** LOG_LEVEL and Lambda's application log level of every function that has a LOG_LEVEL. */
function levels(stack: Stack): { env: unknown; lambda: string | undefined }[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function') as Record<string, Fn>)
    .filter((f) => f.Properties.Environment?.Variables?.['LOG_LEVEL'] !== undefined)
    .map((f) => ({ env: f.Properties.Environment!.Variables!['LOG_LEVEL'], lambda: f.Properties.LoggingConfig?.ApplicationLogLevel }));
}

function fixture(context: Record<string, unknown> = {}, environment: Record<string, string> = {}): Stack {
  const stack = new Stack(new App(testAppProps({ bundle: false, context })), 'Fixture');
  new MomentsFunction(stack, 'Fn', { entry: FIXTURE_ENTRY, service: SERVICES.ingest, envSchema: schema, environment });
  return stack;
}

describe('LOG_LEVEL and the Lambda application log level agree (Powertools prefers the latter)', () => {
  it('every function of the stack gets both from moments:logLevel', () => {
    const { stack } = createMomentsApp(
      testAppProps({ bundle: false, context: { [LOG_LEVEL_CONTEXT_KEY]: 'debug', '@aws-cdk/core:failSynthOnValidationErrors': false } }),
    );
    const all = levels(stack);
    // ingest, config, send, ses-events, nightly plan, segment, finish
    expect(all).toHaveLength(7);
    for (const l of all) expect(l).toEqual({ env: 'debug', lambda: 'DEBUG' });
  });

  it('defaults to info / INFO', () => {
    expect(levels(fixture())).toEqual([{ env: 'info', lambda: 'INFO' }]);
  });

  it("a function's own LOG_LEVEL wins over the context, and silent maps to FATAL", () => {
    expect(levels(fixture({ [LOG_LEVEL_CONTEXT_KEY]: 'debug' }, { LOG_LEVEL: 'warn' }))).toEqual([{ env: 'warn', lambda: 'WARN' }]);
    expect(levels(fixture({ [LOG_LEVEL_CONTEXT_KEY]: 'silent' }))).toEqual([{ env: 'silent', lambda: 'FATAL' }]);
    expect(levels(fixture({ [LOG_LEVEL_CONTEXT_KEY]: 'error' }))).toEqual([{ env: 'error', lambda: 'ERROR' }]);
  });

  it('refuses a level Powertools does not know, naming the key', () => {
    expect(() => fixture({ [LOG_LEVEL_CONTEXT_KEY]: 'verbose' })).toThrow(/context moments:logLevel must be one of debug, info, warn, error, silent, got "verbose"/);
  });
});
