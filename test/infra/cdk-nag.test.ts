import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it, expect } from 'vitest';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { readValidationReport, reportFindings, synthMoments, testAppProps, type ValidationReport } from './support.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

// Proves the nag wiring used by the stack tests really reports: without these, an empty report in
// moments-stack.test.ts could just mean the plugin never ran or the report is read wrongly.
function badApp(failSynth: boolean): { app: App; bucket: s3.Bucket } {
  const app = new App(
    testAppProps({ bundle: false, context: { '@aws-cdk/core:failSynthOnValidationErrors': failSynth } }),
  );
  const stack = new Stack(app, 'Bad');
  const bucket = new s3.Bucket(stack, 'Plain', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, bucket };
}

describe('cdk-nag 3 in tests', () => {
  it('writes unacknowledged findings to the validation report', () => {
    const { app } = badApp(false);
    expect(reportFindings(readValidationReport(app.synth())).sort()).toEqual([
      'error AwsSolutions-S1 Bad/Plain/Resource',
      'error AwsSolutions-S10 Bad/Plain/Resource',
    ]);
  });

  it('fails an in-memory synth (the default) with the report', () => {
    const { app } = badApp(true);
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });

  it('drops a finding once it is acknowledged on the construct', () => {
    const { app, bucket } = badApp(false);
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'test' });
    expect(reportFindings(readValidationReport(app.synth()))).toEqual(['error AwsSolutions-S10 Bad/Plain/Resource']);
  });
});

describe('npm run synth (the CDK CLI on the real app)', () => {
  it('fails on a finding nobody acknowledged, naming the rule and the construct', async () => {
    const out = mkdtempSync(join(tmpdir(), 'moments-nag-probe-'));
    try {
      const run = promisify(execFile)('npm', ['run', 'synth', '--', '--app', 'node --import tsx test/infra/fixtures/nag-probe-app.ts', '-o', out], {
        cwd: repoRoot,
        timeout: 120_000,
      });
      const failure = await run.then(
        () => undefined,
        (e: { code?: number; stdout?: string; stderr?: string }) => e,
      );
      expect(failure, 'npm run synth succeeded despite an unacknowledged finding').toBeDefined();
      expect(failure!.code).not.toBe(0);
      const output = `${failure!.stdout ?? ''}${failure!.stderr ?? ''}`;
      expect(output).toMatch(/AwsSolutions-S10/);
      expect(output).toMatch(/Moments\/NagProbeBucket\/Resource/);
      // The report written next to the template holds exactly the probe's findings: the rest of the
      // app passed, so the failure is the probe's and nothing else's.
      const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8')) as ValidationReport;
      expect(reportFindings(report).sort()).toEqual([
        'error AwsSolutions-S1 Moments/NagProbeBucket/Resource',
        'error AwsSolutions-S10 Moments/NagProbeBucket/Resource',
      ]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('acknowledgements in the app', () => {
  const { app } = synthMoments();

  /** Every Validations.of(x).acknowledge() of the app: where, which rule, why. */
  function acknowledgements(): Array<{ path: string; rule: string; reason: string }> {
    return app.node.findAll().flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>))
        .map(([id, reason]) => ({ path: c.node.path, rule: id.replace(/^[A-Za-z]+::/, ''), reason })),
    );
  }

  /**
   * Runs the AwsSolutions pack over the app and records which acknowledgement silenced each finding
   * (the nearest construct, from the resource up, acknowledging that rule): cdk-nag's own lookup.
   */
  function acknowledgementsUsed(): Set<string> {
    const pack = new AwsSolutionsChecks();
    const hooks = pack as unknown as { isAcknowledged(resource: CfnResource, ruleId: string): boolean };
    const original = hooks.isAcknowledged.bind(pack);
    const used = new Set<string>();
    hooks.isAcknowledged = (resource, ruleId) => {
      const acknowledged = original(resource, ruleId);
      if (acknowledged) {
        for (let c: IConstruct | undefined = resource; c !== undefined; c = c.node.scope) {
          const here = acknowledgementsOn(c);
          if (here.includes(ruleId)) {
            used.add(`${c.node.path} ${ruleId}`);
            break;
          }
        }
      }
      return acknowledged;
    };
    const result = pack.validateScope(app);
    expect(result.violations).toEqual([]);
    return used;
  }
  const acknowledgementsOn = (c: IConstruct) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.keys(m.data as Record<string, string>).map((k) => k.replace(/^[A-Za-z]+::/, '')));

  it('each give a specific written reason', () => {
    const acks = acknowledgements();
    expect(acks.length).toBeGreaterThan(10);
    for (const a of acks) {
      expect(a.rule, a.path).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(a.reason.length, `${a.path} ${a.rule}: ${a.reason}`).toBeGreaterThanOrEqual(40);
      expect(a.reason, `${a.path} ${a.rule}`).not.toMatch(/^(test|todo|tbd|n\/a|ok|ignore|false positive|not needed)\b/i);
    }
  });

  it('each silence a finding the pack really raises (none is stale or too broad to matter)', () => {
    const used = acknowledgementsUsed();
    const stale = acknowledgements()
      .map((a) => `${a.path} ${a.rule}`)
      .filter((key) => !used.has(key));
    expect(stale).toEqual([]);
  });

  it('never acknowledge a whole rule on the app or the stack (only on the construct concerned)', () => {
    for (const a of acknowledgements()) expect(['', 'Moments'], `${a.path} ${a.rule}`).not.toContain(a.path);
  });
});
