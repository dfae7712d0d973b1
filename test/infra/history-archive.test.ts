/** CDK assertions: the history archive (bucket, access logs, lifecycle, Object Lock by config) and its rule. */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, LOCAL_CONTEXT } from '../../infra/app';

const template = Template.fromStack(buildApp({ files: ['pipelines/example.yaml'], nag: false, context: LOCAL_CONTEXT }).stacks[0]);
const historyBucket = () => {
  const buckets = template.findResources('AWS::S3::Bucket', { Properties: { BucketName: Match.anyValue() } });
  expect(Object.keys(buckets)).toHaveLength(1);
  return Object.values(buckets)[0].Properties as Record<string, unknown>;
};

it('keeps histories in a versioned, encrypted, private, access-logged bucket named after the pipeline, account and region', () => {
  const bucket = historyBucket();
  expect(bucket).toMatchObject({
    VersioningConfiguration: { Status: 'Enabled' },
    BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    LoggingConfiguration: { DestinationBucketName: { Ref: expect.stringMatching(/^HistoryAccessLogs/) }, LogFilePrefix: 'history/' },
    BucketName: { 'Fn::Join': ['', ['gami-history-web-base-', { Ref: 'AWS::AccountId' }, '-eu-west-1']] },
  });
  expect(bucket.ObjectLockEnabled).toBeUndefined();
  template.hasResourceProperties('AWS::S3::BucketPolicy', {
    Bucket: { Ref: Match.stringLikeRegexp('^History[0-9A-F]') },
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
  });
});

it('moves histories to cheaper storage over time (Standard-IA after 90 days, Glacier Instant Retrieval after 365)', () => {
  expect(historyBucket().LifecycleConfiguration).toEqual({
    Rules: [
      {
        Id: 'cheaper-storage-over-time',
        Status: 'Enabled',
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 90 },
          { StorageClass: 'GLACIER_IR', TransitionInDays: 365 },
        ],
        NoncurrentVersionTransitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
      },
    ],
  });
});

it('archives on every terminal status of this pipeline\'s state machine, through archiveExecution, retried', () => {
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: Match.stringLikeRegexp('^LifecycleStateMachine') }] },
    },
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TasksarchiveExecution'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 } })],
  });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ GAMI_PIPELINE: 'web-base', GAMI_REGISTRY_TABLE: 'gami-registry-web-base', GAMI_ARCHIVE_BUCKET: { Ref: Match.stringLikeRegexp('^History[0-9A-F]') } }) },
  });
});

it('lets archiveExecution read only its own executions and write only the archive prefix', () => {
  const [policy] = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('TasksarchiveExecutionServiceRoleDefaultPolicy'));
  const statements = (policy[1].Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement;
  const text = JSON.stringify(statements);
  expect(text).toContain(':execution:gami-web-base:*');
  expect(text).toContain('/executions/*');
  expect(text).not.toMatch(/"s3:(Delete|PutBucket)/);
  expect(text).not.toMatch(/states:(StartExecution|StopExecution)/);
});

it('locks every archived history when the config asks for Object Lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gami-lock-'));
  try {
    symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
    const file = join(dir, 'locked.yaml');
    writeFileSync(file, `${readFileSync('pipelines/example.yaml', 'utf8')}\nhistory:\n  objectLock:\n    mode: COMPLIANCE\n    days: 2555\n`);
    const locked = Template.fromStack(buildApp({ files: [file], nag: false, context: LOCAL_CONTEXT }).stacks[0]);
    locked.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('freshness', () => {
  it('reports the newest approved image age hourly and alarms to the topic over freshness.maxAgeDays, or without data', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TasksreportFreshness'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'gami-web-base-image-age',
      Namespace: 'GoldenAmiPipeline',
      MetricName: 'ApprovedImageAgeDays',
      Dimensions: [{ Name: 'Pipeline', Value: 'web-base' }],
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 30,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Notifications') }],
      // …and when it clears.
      OKActions: [{ Ref: Match.stringLikeRegexp('^Notifications') }],
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'cloudwatch:PutMetricData', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'GoldenAmiPipeline' } } }]) },
    });
  });
});

describe('schedule', () => {
  it('starts the state machine on the configured cron and time zone, with onlyWhenChanged in the input, through a role that may only start it', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'gami-web-base',
      ScheduleExpression: 'cron(0 3 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/Dublin',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { Ref: Match.stringLikeRegexp('^LifecycleStateMachine') },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScheduleRole'), 'Arn'] },
        Input: JSON.stringify({ reason: 'scheduled run (cron(0 3 ? * MON *) Europe/Dublin)', requestedBy: 'EventBridge Scheduler gami-web-base', onlyWhenChanged: true }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })] },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ScheduleRole') }],
      PolicyDocument: { Statement: [{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('^LifecycleStateMachine') } }] },
    });
  });
});

describe('schedule.disableAfterFailures', () => {
  it('sends unsuccessful executions to watchSchedule, which may read the runs, update only this schedule, pass only its role and publish', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.states'], detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TaskswatchSchedule'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ GAMI_SCHEDULE_NAME: 'gami-web-base', GAMI_DISABLE_AFTER_FAILURES: '3' }) },
    });
    const [policy] = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('TaskswatchScheduleServiceRoleDefaultPolicy'));
    const text = JSON.stringify(policy[1]);
    expect(text).toContain(':schedule/default/gami-web-base');
    expect(text).toContain('"iam:PassedToService":"scheduler.amazonaws.com"');
    expect(text).toContain('states:ListExecutions');
    expect(text).not.toMatch(/scheduler:(Delete|Create)Schedule/);
  });
});
