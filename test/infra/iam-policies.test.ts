import { describe, it, expect } from 'vitest';
import { asArray, renderArn, resourcesOf, synthMoments } from './support.ts';

// Walks every policy statement of the synthesized stack. One synthesis of the real app for the file.
const synthed = synthMoments();
const resources = resourcesOf(synthed.template);

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface Located {
  where: string;
  statement: Statement;
}

/**
 * Actions AWS authorizes only on `Resource: "*"` (no resource-level permission exists), each with
 * why it is needed. A statement may use `*` only if every one of its actions is here.
 */
const RESOURCE_STAR_ALLOWED: Record<string, { why: string; condition?: string }> = {
  'sns:Publish': {
    why: 'the send function texts a phone number (SMS), which has no ARN; no topic publish is granted this way',
    condition: 'aws:RequestedRegion',
  },
  'sns:CheckIfPhoneNumberIsOptedOut': {
    why: 'the opt-out check before each SMS has no resource type',
    condition: 'aws:RequestedRegion',
  },
  'logs:CreateLogDelivery': { why: 'Step Functions logging (CDK-generated): log delivery actions take no resource' },
  'logs:GetLogDelivery': { why: 'Step Functions logging (CDK-generated): log delivery actions take no resource' },
  'logs:UpdateLogDelivery': { why: 'Step Functions logging (CDK-generated): log delivery actions take no resource' },
  'logs:DeleteLogDelivery': { why: 'Step Functions logging (CDK-generated): log delivery actions take no resource' },
  'logs:ListLogDeliveries': { why: 'Step Functions logging (CDK-generated): log delivery actions take no resource' },
  'logs:PutResourcePolicy': { why: 'Step Functions logging (CDK-generated): the account-level Logs resource policy has no ARN' },
  'logs:DescribeResourcePolicies': { why: 'Step Functions logging (CDK-generated): lists account-level resource policies' },
  'logs:DescribeLogGroups': { why: 'Step Functions logging (CDK-generated): checks the destination log group exists' },
  'xray:PutTraceSegments': { why: 'state machine tracing: X-Ray accepts no resource for trace upload' },
  'xray:PutTelemetryRecords': { why: 'state machine tracing: X-Ray accepts no resource for telemetry' },
  'xray:GetSamplingRules': { why: 'state machine tracing: sampling rules are read account-wide' },
  'xray:GetSamplingTargets': { why: 'state machine tracing: sampling targets are read account-wide' },
};

/** Identity policies: inline policies of roles, AWS::IAM::Policy and managed policies. */
function identityStatements(): Located[] {
  const out: Located[] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      for (const s of r.Properties['PolicyDocument'].Statement as Statement[]) out.push({ where: id, statement: s });
    }
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of (r.Properties['Policies'] ?? []) as Array<{ PolicyName: string; PolicyDocument: { Statement: Statement[] } }>) {
        for (const s of p.PolicyDocument.Statement) out.push({ where: `${id}/${p.PolicyName}`, statement: s });
      }
    }
  }
  return out;
}

/** Resource policies: buckets, queues, topics and keys. */
function resourceStatements(): Located[] {
  const docs: Record<string, (p: Record<string, any>) => { Statement: Statement[] }> = {
    'AWS::S3::BucketPolicy': (p) => p['PolicyDocument'],
    'AWS::SQS::QueuePolicy': (p) => p['PolicyDocument'],
    'AWS::SNS::TopicPolicy': (p) => p['PolicyDocument'],
    'AWS::KMS::Key': (p) => p['KeyPolicy'],
  };
  return Object.entries(resources).flatMap(([id, r]) => {
    const doc = docs[r.Type];
    return doc ? doc(r.Properties).Statement.map((statement) => ({ where: id, statement })) : [];
  });
}

const actions = (s: Statement) => asArray(s.Action ?? []);
const resourcesIn = (s: Statement) => asArray(s.Resource ?? []).map(renderArn);
/** `*`, `s3:*`, `s3:Get*`, `kms:GenerateDataKey*`: anything with a wildcard. */
const isWildcardAction = (a: string) => a.includes('*') || a.includes('?');
const describeStatement = (l: Located) => `${l.where}: ${JSON.stringify(l.statement)}`;

describe('identity policies (every role of the stack)', () => {
  const statements = identityStatements();

  it('are found: one or more statements for each role', () => {
    const roles = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThanOrEqual(10);
    for (const [roleId] of roles) {
      const attached = Object.values(resources).some(
        (r) => r.Type === 'AWS::IAM::Policy' && (r.Properties['Roles'] as unknown[]).some((x) => renderArn(x) === `Ref:${roleId}`),
      );
      expect(attached, roleId).toBe(true);
    }
    expect(statements.length).toBeGreaterThan(30);
  });

  it('only allow, and never by exclusion (no NotAction, NotResource)', () => {
    for (const l of statements) {
      expect(l.statement.Effect, describeStatement(l)).toBe('Allow');
      expect(l.statement.NotAction, describeStatement(l)).toBeUndefined();
      expect(l.statement.NotResource, describeStatement(l)).toBeUndefined();
    }
  });

  it('name every action exactly: no "*", no "service:*", no "s3:GetObject*" patterns', () => {
    const wildcards = statements.flatMap((l) => actions(l.statement).filter(isWildcardAction).map((a) => `${l.where}: ${a}`));
    expect(wildcards).toEqual([]);
  });

  it('use Resource "*" only for actions that have no resource-level permission, with the condition each needs', () => {
    const star = statements.filter((l) => resourcesIn(l.statement).includes('*'));
    for (const l of star) {
      expect(resourcesIn(l.statement), describeStatement(l)).toEqual(['*']);
      for (const a of actions(l.statement)) {
        const allowed = RESOURCE_STAR_ALLOWED[a];
        expect(allowed, `${a} on "*" is not in the allowlist: ${describeStatement(l)}`).toBeDefined();
        if (allowed?.condition) expect(JSON.stringify(l.statement.Condition ?? {}), `${a} needs ${allowed.condition}`).toContain(allowed.condition);
      }
    }
    // The allowlist is what the stack needs: an entry nothing uses is stale.
    const used = new Set(star.flatMap((l) => actions(l.statement)));
    expect(Object.keys(RESOURCE_STAR_ALLOWED).filter((a) => !used.has(a))).toEqual([]);
    for (const entry of Object.values(RESOURCE_STAR_ALLOWED)) expect(entry.why.length).toBeGreaterThan(20);
  });

  it('scope every other resource below a service or bucket (no arn:...:* and no whole-bucket objects)', () => {
    for (const l of statements) {
      for (const r of resourcesIn(l.statement).filter((x) => x !== '*')) {
        // `<bucket>.Arn/*` would be every object in the bucket; grants name a key prefix.
        expect(r, describeStatement(l)).not.toMatch(/\.Arn\/\*$/);
        // `<function>.Arn:*` (versions of one function) is the only other trailing wildcard.
        if (r.endsWith('*')) expect(r, describeStatement(l)).toMatch(/(\.Arn\/[a-z-]+\/(?:[a-z-]+\/)*\*)$|(\.Arn:\*)$/);
      }
    }
  });

  it('come with no AWS managed policy on any role (the CDK notifications handler included)', () => {
    const withManaged = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties['ManagedPolicyArns'] !== undefined);
    expect(withManaged.map(([id]) => id)).toEqual([]);
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy')).toEqual([]);
  });

  it('let the CDK notifications handler only set notifications on the data bucket and write its own log group', () => {
    const handlerRole = Object.keys(resources).find((id) => id.startsWith('BucketNotificationsHandler') && resources[id]!.Type === 'AWS::IAM::Role')!;
    const mine = Object.values(resources).filter(
      (r) => r.Type === 'AWS::IAM::Policy' && (r.Properties['Roles'] as unknown[]).some((x) => renderArn(x) === `Ref:${handlerRole}`),
    );
    const granted = mine.flatMap((p) => (p.Properties['PolicyDocument'].Statement as Statement[]).map((s) => `${actions(s).join(',')} ${resourcesIn(s).join(',')}`)).sort();
    const logGroup = Object.keys(resources).find((id) => id.startsWith('BucketNotificationsHandlerLogGroup'))!;
    expect(granted).toEqual([
      `logs:CreateLogStream,logs:PutLogEvents ${logGroup}.Arn`,
      `s3:PutBucketNotification ${synthed.id(synthed.stack.bucket)}.Arn`,
    ]);
  });
});

describe('resource policies (buckets, queues, topics, keys)', () => {
  const statements = resourceStatements();
  const allows = statements.filter((l) => l.statement.Effect === 'Allow');
  const accountRoot = 'arn:Ref:AWS::Partition:iam::Ref:AWS::AccountId:root';
  const principalOf = (s: Statement) => {
    const p = s.Principal as { AWS?: unknown; Service?: unknown } | string | undefined;
    if (typeof p === 'string') return p;
    if (p?.Service !== undefined) return `service:${String(p.Service)}`;
    return `aws:${renderArn(p?.AWS)}`;
  };

  it('deny plain-HTTP requests on every bucket, queue and topic', () => {
    const kinds = ['AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy'];
    const policies = Object.entries(resources).filter(([, r]) => kinds.includes(r.Type));
    expect(policies.length).toBeGreaterThanOrEqual(2 + 4 + 2);
    for (const [id, r] of policies) {
      const denies = (r.Properties['PolicyDocument'].Statement as Statement[]).filter(
        (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
      );
      expect(denies, id).toHaveLength(1);
    }
  });

  it('never allow anyone ("*"), and allow AWS services only for this account\'s resources', () => {
    for (const l of allows) {
      const who = principalOf(l.statement);
      expect(who, describeStatement(l)).not.toMatch(/^(\*|aws:\*)$/);
      expect(l.statement.NotPrincipal).toBeUndefined();
      if (who.startsWith('service:')) {
        const condition = JSON.stringify(l.statement.Condition ?? {});
        expect(condition, describeStatement(l)).toMatch(/aws:SourceAccount/i);
        expect(condition, describeStatement(l)).toMatch(/aws:SourceArn/i);
      } else {
        // Only a key's administrator statement names an account: this account.
        expect(who, describeStatement(l)).toBe(`aws:${accountRoot}`);
      }
    }
  });

  it('name every allowed action exactly, except the key policies\' default administrator statement', () => {
    for (const l of allows) {
      const wild = actions(l.statement).filter(isWildcardAction);
      if (wild.length === 0) continue;
      // CDK's default key policy: the account (its IAM policies) administers the key. Without it
      // the key could become unmanageable; use of the key is still granted nowhere else by IAM here.
      expect(resources[l.where]!.Type, describeStatement(l)).toBe('AWS::KMS::Key');
      expect(wild, describeStatement(l)).toEqual(['kms:*']);
      expect(principalOf(l.statement)).toBe(`aws:${accountRoot}`);
    }
  });

  it('let Lambda be invoked only by this bucket and these topics', () => {
    const permissions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Permission');
    expect(permissions.length).toBeGreaterThanOrEqual(3);
    for (const p of permissions) {
      expect(p.Properties['Action']).toBe('lambda:InvokeFunction');
      expect(['s3.amazonaws.com', 'sns.amazonaws.com']).toContain(p.Properties['Principal']);
      expect(p.Properties['SourceArn'], JSON.stringify(p.Properties)).toBeDefined();
      if (p.Properties['Principal'] === 's3.amazonaws.com') expect(p.Properties['SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    }
  });
});
