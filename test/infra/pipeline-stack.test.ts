import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, InvalidPipelineConfig } from '../../infra/app';

const files = ['pipelines/example.yaml'];

describe('PipelineStack (example pipeline)', () => {
  // One synth for the file: building the app is the slow part.
  const { stacks } = buildApp({ files, nag: false });
  const stack = stacks[0];
  const template = Template.fromStack(stack);

  it('is one stack in the source region named after the pipeline', () => {
    expect(stacks.map((s) => s.stackName)).toEqual(['gami-web-base']);
    expect(stack.region).toBe('eu-west-1');
  });

  it('encrypts the notification topic with a rotated customer key and subscribes the notification emails', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'gami-web-base-notifications',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotificationKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'platform-team@example.com' });
  });

  it('enforces TLS on the topic', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('keeps the registry table on demand, with point-in-time recovery and deletion protection, retained', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: 'gami-registry-web-base',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Replicas: [
          Match.objectLike({
            Region: 'eu-west-1',
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      },
    });
  });

  it('retains the state machine log group for a year', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Retain',
      Properties: { LogGroupName: '/aws/vendedlogs/states/gami-web-base', RetentionInDays: 365 },
    });
  });

  it('tags every resource with the pipeline and its configured tags', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      Tags: Match.arrayWith([
        { Key: 'CostCenter', Value: '4711' },
        { Key: 'gami:pipeline', Value: 'web-base' },
      ]),
    });
  });
});

describe('buildApp', () => {
  it('passes the cdk-nag AWS Solutions checks', () => {
    const { app } = buildApp({ files });
    expect(() => app.synth()).not.toThrow();
  });

  it('selects pipelines with the pipelines context and names unknown ones', () => {
    expect(buildApp({ files, nag: false, context: { pipelines: 'web-base' } }).stacks).toHaveLength(1);
    expect(() => buildApp({ files, nag: false, context: { pipelines: 'web-base,api' } })).toThrow(
      new InvalidPipelineConfig('-c pipelines: no pipeline named "api" (known: web-base)'),
    );
  });

  it('refuses to synthesize an invalid pipeline, with the validation messages', () => {
    expect(() => buildApp({ files: ['pipelines/missing.yaml'], nag: false })).toThrow(
      'invalid pipeline configuration:\npipelines/missing.yaml:1:1 file not found',
    );
  });
});
