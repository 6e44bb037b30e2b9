import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MomentsStack, type MomentsStackProps } from './moments-stack.ts';

export const STACK_NAME = 'Moments';

/**
 * Builds the app without synthesizing it, so tests can construct exactly what `cdk synth` runs.
 * The stack is environment-agnostic (no account/region, no lookups): synth needs no AWS access.
 */
export function createMomentsApp(
  props?: AppProps,
  stackProps?: Omit<MomentsStackProps, 'description'>,
): { app: App; stack: MomentsStack } {
  const app = new App(props);
  const stack = new MomentsStack(app, STACK_NAME, {
    ...stackProps,
    description: 'moments: retail CRM pipeline (ingest, nightly, touches)',
  });
  // cdk-nag 3 is a policy-validation plugin: findings land in the cloud assembly's validation
  // report and fail the synth unless acknowledged with Validations.of(construct).acknowledge().
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
