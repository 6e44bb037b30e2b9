import { CfnResource, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * S3 event notifications are applied at deploy time by a CDK-provided singleton Lambda
 * (`BucketNotificationsHandler<hash>`) whose construct offers no log or role settings. Left alone it
 * logs to an implicitly created log group kept forever, through the AWS managed
 * AWSLambdaBasicExecutionRole (logs:CreateLogGroup/CreateLogStream/PutLogEvents on `*`).
 *
 * This gives it an explicit log group with a retention, points the function at it, and replaces
 * the managed policy with write access to that log group only. It throws when the handler is
 * missing or shaped differently (a CDK upgrade), so the change is noticed instead of silently undone.
 */
export function hardenBucketNotificationsHandler(stack: Stack, retention: logs.RetentionDays): logs.LogGroup {
  const handler = stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
  if (handler === undefined) {
    throw new Error('hardenBucketNotificationsHandler: no BucketNotificationsHandler in the stack (call it after addEventNotification)');
  }
  const fn = handler.node.tryFindChild('Resource');
  const role = handler.node.tryFindChild('Role');
  if (!(fn instanceof CfnResource) || fn.cfnResourceType !== 'AWS::Lambda::Function' || !(role instanceof iam.Role)) {
    throw new Error(`hardenBucketNotificationsHandler: ${handler.node.path} no longer has a Resource function and a Role; revisit this for the new CDK version`);
  }

  const logGroup = new logs.LogGroup(stack, 'BucketNotificationsHandlerLogGroup', {
    retention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // The function references the log group, so CloudFormation creates it first.
  fn.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName });
  // Replaces the role's lazily rendered managed policy list (only AWSLambdaBasicExecutionRole) at the
  // L1, where cdk-nag and the template both read it.
  (role.node.defaultChild as iam.CfnRole).managedPolicyArns = undefined;
  logGroup.grantWrite(role);
  return logGroup;
}

