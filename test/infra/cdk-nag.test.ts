import { describe, it, expect } from 'vitest';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readValidationReport, reportFindings, testAppProps } from './support.ts';

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
