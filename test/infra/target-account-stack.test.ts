import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, InvalidPipelineConfig, LOCAL_CONTEXT } from '../../infra/app';
import { GamiTargetAccountStack } from '../../infra/target-account-stack';

const files = ['pipelines/example.yaml'];
const context = { ...LOCAL_CONTEXT, targetAccount: '222222222222', toolingAccount: '111111111111' };

describe('GamiTargetAccountStack (example pipeline, prod account)', () => {
  const { targetStacks } = buildApp({ files, nag: false, context: { ...context, enforceApprovedImages: 'audit' } });
  const stack = targetStacks[0];
  const template = Template.fromStack(stack);

  it('is one stack per pipeline in the account of its launch templates', () => {
    expect(targetStacks.map((s) => [s.stackName, s.account, s.region])).toEqual([['gami-target-web-base', '222222222222', 'eu-west-1']]);
  });

  it("trusts only the pipeline's cross-account task roles, with the pipeline's external id", () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'GamiLaunchTemplateUpdater',
      AssumeRolePolicyDocument: {
        Statement: ['lt-update', 'lt-check', 'lt-rollback', 'cleanup', 'publish', 'retention'].map((s) => ({
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Condition: { StringEquals: { 'sts:ExternalId': 'gami-web-base' } },
          Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::111111111111:role/gami-web-base-${s}`]] } },
        })),
      },
    });
  });

  it('allows versions and defaults on the named template only, refreshes on the named group only, and reads', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('UpdaterRole'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Action: string | string[]; Resource: unknown }[]);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(bySid.NamedLaunchTemplates.Action).toEqual(['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate']);
    // The name is resolved to its id when the stack deploys (a launch template ARN carries the id).
    expect(JSON.stringify(bySid.NamedLaunchTemplates.Resource)).toContain('LaunchTemplates.0.LaunchTemplateId');
    expect(bySid.NamedGroups.Action).toEqual(['autoscaling:StartInstanceRefresh', 'autoscaling:CancelInstanceRefresh']);
    expect(JSON.stringify(bySid.NamedGroups.Resource)).toContain(':autoScalingGroup:*:autoScalingGroupName/web-prod-asg');
    expect(bySid.RetentionAndRefreshReads.Action).toEqual(expect.arrayContaining(['ec2:DescribeImageReferences', 'ssm:GetParameters']));
    expect(statements.flatMap((s) => [s.Action].flat()).filter((a) => !/^(ec2|autoscaling|ssm):(Describe|Get)/.test(a))).toEqual([
      'ec2:CreateLaunchTemplateVersion',
      'ec2:ModifyLaunchTemplate',
      'autoscaling:StartInstanceRefresh',
      'autoscaling:CancelInstanceRefresh',
    ]);
  });

  it('puts Allowed AMIs in audit mode on our watermark when asked', () => {
    template.hasResourceProperties('Custom::AWS', {
      Update: Match.serializedJson(
        Match.objectLike({ action: 'replaceImageCriteriaInAllowedImagesSettings', parameters: { ImageCriteria: [{ ImageWatermarks: [{ WatermarkKey: '111111111111:web-base' }] }] } }),
      ),
    });
    template.hasResourceProperties('Custom::AWS', {
      Update: Match.serializedJson(Match.objectLike({ action: 'enableAllowedImagesSettings', parameters: { AllowedImagesSettingsState: 'audit-mode' } })),
      Delete: Match.serializedJson(Match.objectLike({ action: 'disableAllowedImagesSettings' })),
    });
  });

  it('is cdk-nag clean (AWS Solutions), enforcing', () => {
    // cdk-nag reports through CDK's Validations: synth throws on any unacknowledged finding.
    const { app } = buildApp({ files, context: { ...context, enforceApprovedImages: 'enforce' } });
    expect(() => app.synth()).not.toThrow();
    const stack = app.node.children.find((c): c is GamiTargetAccountStack => c instanceof GamiTargetAccountStack)!;
    Template.fromStack(stack).hasResourceProperties('Custom::AWS', {
      Update: Match.serializedJson(Match.objectLike({ parameters: { AllowedImagesSettingsState: 'enabled' } })),
    });
  });

  it('refuses an account no template is in, and a missing tooling account, by name', () => {
    expect(() => buildApp({ files, nag: false, context: { ...context, targetAccount: '444444444444' } })).toThrow(InvalidPipelineConfig);
    expect(() => buildApp({ files, nag: false, context: { ...LOCAL_CONTEXT, targetAccount: '222222222222' } })).toThrow(/toolingAccount/);
    expect(() => new App()).not.toThrow();
  });

  it('without readers, no reader role: people never get a role in the consumer account', () => {
    expect(template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'gami-web-base-reader' } })).toEqual({});
  });
});

describe('GamiTargetAccountStack readers (-c readers)', () => {
  const OPS = 'arn:aws:iam::111111111111:role/platform-ops';
  const AUDIT = 'arn:aws:iam::111111111111:user/auditor';

  it('creates gami-<pipeline>-reader, trusted by exactly the named principals with the external id, allowed only the reference reads; cdk-nag clean', () => {
    const { app, targetStacks } = buildApp({ files, context: { ...context, readers: `${OPS}, ${AUDIT}` } });
    expect(() => app.synth()).not.toThrow();
    const template = Template.fromStack(targetStacks[0]);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'gami-web-base-reader',
      AssumeRolePolicyDocument: {
        Statement: [OPS, AUDIT].map((arn) => ({ Action: 'sts:AssumeRole', Effect: 'Allow', Condition: { StringEquals: { 'sts:ExternalId': 'gami-web-base' } }, Principal: { AWS: arn } })),
      },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('ReaderRole'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]);
    expect(statements.flatMap((st) => [st.Action].flat()).sort()).toEqual(
      ['autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeImageReferences', 'ec2:DescribeInstances', 'ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeLaunchTemplates'].sort(),
    );
  });

  it('refuses a reader that is not a role or user of the tooling account, naming it', () => {
    expect(() => buildApp({ files, nag: false, context: { ...context, readers: 'arn:aws:iam::999999999999:role/x' } })).toThrow(
      '-c readers: "arn:aws:iam::999999999999:role/x" is in account 999999999999, not the tooling account 111111111111',
    );
    expect(() => buildApp({ files, nag: false, context: { ...context, readers: 'ops' } })).toThrow('-c readers: "ops" is not the ARN of an IAM role or user');
  });
});
