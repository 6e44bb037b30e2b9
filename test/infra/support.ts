import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack, type AppProps, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { createMomentsApp } from '../../infra/moments-app.ts';
import { MomentsStack, type MomentsStackProps } from '../../infra/moments-stack.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The feature flags and settings from cdk.json, so tests synthesize what `npm run synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/**
 * App props for tests. `bundle: false` sets `aws:cdk:bundling-stacks` to no stack, the switch the
 * CDK CLI itself uses for `cdk synth -e OtherStack`: every construct is the real one, NodejsFunction
 * still resolves its entry and lock file, only the esbuild run is skipped (the asset gets a
 * placeholder hash). The app mode is forced to in-memory so that policy-validation findings
 * (cdk-nag) make `app.synth()` throw with the full report.
 */
export function testAppProps(opts: { bundle: boolean; context?: Record<string, unknown> }): AppProps {
  return {
    context: {
      ...cdkJsonContext(),
      '@aws-cdk/core:appMode': 'inmemory',
      'aws:cdk:bundling-stacks': opts.bundle ? ['**'] : [],
      ...opts.context,
    },
  };
}

export interface SynthedMoments {
  app: App;
  stack: MomentsStack;
  assembly: CloudAssembly;
  template: Template;
  /** Logical ID of a construct's CloudFormation resource (its default child). */
  id(construct: IConstruct): string;
}

/**
 * Synthesizes the real app (with cdk-nag registered) without bundling the handlers. Validation
 * findings do not throw here (as under the CDK CLI, which sets the same context key): they are
 * written to the validation report, which a test asserts to be empty, so a nag finding fails that
 * one test with the list of findings and the other assertions still run.
 */
export function synthMoments(): SynthedMoments {
  const { app, stack } = createMomentsApp(
    testAppProps({ bundle: false, context: { '@aws-cdk/core:failSynthOnValidationErrors': false } }),
  );
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  return {
    app,
    stack,
    assembly,
    template,
    id: (construct) => logicalId(construct),
  };
}

export function logicalId(construct: IConstruct): string {
  const cfn = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(cfn);
}

export interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    conclusion: string;
    violations?: Array<{ ruleName: string; severity?: string; violatingConstructs?: Array<{ constructPath?: string }> }>;
  }>;
}

/** Every finding of the report as `severity rule path`, for readable assertion failures. */
export function reportFindings(report: ValidationReport): string[] {
  return report.pluginReports.flatMap((p) =>
    (p.violations ?? []).flatMap((v) =>
      (v.violatingConstructs ?? [{}]).map((c) => `${v.severity ?? '?'} ${v.ruleName} ${c.constructPath ?? '?'}`),
    ),
  );
}

/** The policy-validation report CDK writes into the cloud assembly (cdk-nag 3 findings live here). */
export function readValidationReport(assembly: CloudAssembly): ValidationReport {
  const file = readdirSync(assembly.directory).find((f) => /(^|-)validation-report\.json$/.test(f));
  if (file === undefined) throw new Error(`no validation report in ${assembly.directory}`);
  return JSON.parse(readFileSync(join(assembly.directory, file), 'utf8')) as ValidationReport;
}

/**
 * Renders an IAM resource of a synthesized template as a readable string:
 * `{Fn::Join: ['', [{Fn::GetAtt: [B, 'Arn']}, '/incoming/*']]}` becomes `B.Arn/incoming/*`.
 */
export function renderArn(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const getAtt = obj['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `${String(getAtt[0])}.${String(getAtt[1])}`;
    if (typeof obj['Ref'] === 'string') return `Ref:${obj['Ref']}`;
    const join = obj['Fn::Join'];
    if (Array.isArray(join)) {
      const [sep, parts] = join as [string, unknown[]];
      return parts.map(renderArn).join(sep);
    }
  }
  return JSON.stringify(value);
}

export interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** All statements of the inline policies attached to a role (by the role's logical ID). */
export function roleStatements(template: Template, roleLogicalId: string): PolicyStatementJson[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const out: PolicyStatementJson[] = [];
  for (const policy of Object.values(policies)) {
    const props = policy['Properties'] as { Roles?: unknown[]; PolicyDocument: { Statement: PolicyStatementJson[] } };
    const attached = (props.Roles ?? []).some((r) => renderArn(r) === `Ref:${roleLogicalId}`);
    if (attached) out.push(...props.PolicyDocument.Statement);
  }
  return out;
}

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

export type TemplateResource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

/** The template's resources by logical ID. */
export function resourcesOf(template: Template): Record<string, TemplateResource> {
  return template.toJSON()['Resources'] as Record<string, TemplateResource>;
}

/** A stack of the real app with other props or context, without cdk-nag and without a synth. */
export function newMomentsStack(props: MomentsStackProps = {}, context: Record<string, unknown> = {}): MomentsStack {
  return new MomentsStack(new App(testAppProps({ bundle: false, context })), 'Custom', props);
}

/**
 * A value with CloudFormation intrinsics rendered to readable strings (see renderArn), so a
 * dashboard body (an Fn::Join of JSON text and tokens) can be parsed as JSON.
 */
export function renderJoin(value: unknown): string {
  if (value !== null && typeof value === 'object' && Array.isArray((value as Record<string, unknown>)['Fn::Join'])) {
    const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((p) => (typeof p === 'string' ? p : renderArn(p))).join(sep);
  }
  return renderArn(value);
}
