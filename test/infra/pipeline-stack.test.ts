import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, InvalidPipelineConfig, LOCAL_CONTEXT } from '../../infra/app';
import { APPROVAL_API_ENTRY } from '../../infra/approval-api';
import { IMAGE_MUTATIONS } from '../../infra/task-functions';
import { FUNCTION_TIMEOUT_SECONDS, TASK_NAMES, type TaskName } from '../../tasks/contracts';

const files = ['pipelines/example.yaml'];

describe('PipelineStack (example pipeline)', () => {
  // One synth for the file; placeholder code assets (LOCAL_CONTEXT) — bundling is `npm run synth`'s job.
  const { stacks } = buildApp({ files, nag: false, context: LOCAL_CONTEXT });
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

  it('tags every taggable resource with the pipeline and its configured tags', () => {
    const expected = [
      { Key: 'CostCenter', Value: '4711' },
      { Key: 'gami:pipeline', Value: 'web-base' },
    ];
    // Types CloudFormation can tag that this stack creates; the global table carries tags per replica.
    const taggable = ['AWS::KMS::Key', 'AWS::SNS::Topic', 'AWS::Logs::LogGroup', 'AWS::IAM::Role', 'AWS::Lambda::Function', 'AWS::StepFunctions::StateMachine', 'AWS::Events::Rule'];
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: { Tags?: unknown; Replicas?: { Tags?: unknown }[] } }>;
    let checked = 0;
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type === 'AWS::DynamoDB::GlobalTable') {
        for (const replica of resource.Properties?.Replicas ?? []) expect({ id, tags: replica.Tags }).toEqual({ id, tags: expect.arrayContaining(expected) });
        checked++;
      } else if (taggable.includes(resource.Type) && resource.Type !== 'AWS::Events::Rule') {
        expect({ id, tags: resource.Properties?.Tags }).toEqual({ id, tags: expect.arrayContaining(expected) });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});

describe('task functions and their permissions', () => {
  const template = Template.fromStack(buildApp({ files, nag: false, context: LOCAL_CONTEXT }).stacks[0]);
  const policyOf = (task: string) => {
    const policies = template.findResources('AWS::IAM::Policy');
    const [policy] = Object.entries(policies).filter(([id]) => id.startsWith(`Tasks${task}ServiceRoleDefaultPolicy`));
    return (policy[1].Properties as { PolicyDocument: { Statement: Array<Record<string, unknown>> } }).PolicyDocument.Statement;
  };

  it('creates one arm64 nodejs22.x function per task (and the approval API\'s), traced, with its handler entry as metadata', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const entries = Object.values(functions).map((f) => (f.Metadata as Record<string, { entry: string }>)['gami:handler'].entry);
    expect(entries.sort()).toEqual([...TASK_NAMES.map((t) => `tasks/${t}/handler.ts`), APPROVAL_API_ENTRY].sort());
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
    });
  });

  it('lets launchInstance create only instances and volumes tagged with this pipeline, and pass only the builder role to EC2', () => {
    expect(policyOf('launchInstance')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'ec2:RunInstances',
          Condition: { StringEquals: { 'aws:RequestTag/gami:pipeline': 'web-base' } },
        }),
        expect.objectContaining({
          Action: 'iam:PassRole',
          Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^BuilderRole/), 'Arn'] },
        }),
      ]),
    );
  });

  /** Every Allow statement of a function that names `action`, as [resources, condition]. */
  const grantsOf = (task: string, action: string) =>
    policyOf(task)
      .filter((st) => st.Effect === 'Allow' && ([] as unknown[]).concat(st.Action).includes(action))
      .map((st) => ({ Resource: st.Resource, Condition: st.Condition }));

  it('lets terminate, cleanup and runStep touch only instances tagged with this pipeline, and nothing else may terminate', () => {
    const pipelineTag = { StringEquals: { 'aws:ResourceTag/gami:pipeline': 'web-base' } };
    expect(grantsOf('terminateInstances', 'ec2:TerminateInstances')).toEqual([{ Resource: expect.anything(), Condition: pipelineTag }]);
    expect(grantsOf('cleanup', 'ec2:TerminateInstances')).toEqual([{ Resource: expect.anything(), Condition: pipelineTag }]);
    expect(grantsOf('cleanup', 'ec2:CreateTags')).toEqual([{ Resource: expect.anything(), Condition: pipelineTag }]);
    expect(grantsOf('cleanup', 'ec2:EnableImageDeprecation')).toEqual([{ Resource: expect.anything(), Condition: pipelineTag }]);
    expect(grantsOf('runStep', 'ssm:SendCommand')).toEqual([
      { Resource: expect.anything(), Condition: undefined }, // the AWS-RunShellScript document
      { Resource: expect.anything(), Condition: { StringEquals: { 'ssm:resourceTag/gami:pipeline': 'web-base' } } },
    ]);
    for (const task of TASK_NAMES.filter((t) => t !== 'terminateInstances' && t !== 'cleanup')) {
      expect({ task, grants: grantsOf(task, 'ec2:TerminateInstances') }).toEqual({ task, grants: [] });
    }
  });

  it('denies every task any change to an approved or published image, and tagging one so — but markApproved may tag approved', () => {
    for (const task of TASK_NAMES.filter((t) => t !== 'retention')) {
      const denies = policyOf(task).filter((st) => st.Effect === 'Deny');
      expect({ task, denies }).toEqual({
        task,
        denies: [
          expect.objectContaining({
            // shareImage's one exemption: launch permissions of an approved image (a redistribution shares it anew).
            Action: task === 'shareImage' ? IMAGE_MUTATIONS.filter((a) => a !== 'ec2:ModifyImageAttribute') : IMAGE_MUTATIONS,
            // In every region: copies are golden images too.
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:*::image/*']] },
            Condition: { StringEquals: { 'aws:ResourceTag/gami:status': ['approved', 'published'] } },
          }),
          expect.objectContaining({
            Action: 'ec2:CreateTags',
            Resource: '*',
            // The one exemption (infra/task-functions.ts): markApproved moves images to approved, never to published.
            Condition: { StringEquals: { 'aws:RequestTag/gami:status': task === 'markApproved' ? ['published'] : ['approved', 'published'] } },
          }),
        ],
      });
    }
  });

  it('lets only the cross-account tasks assume the consumer roles, under fixed role names the target stack trusts', () => {
    const prodRole = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:role/GamiLaunchTemplateUpdater']] };
    for (const task of TASK_NAMES) {
      const grants = grantsOf(task, 'sts:AssumeRole');
      const crossAccount = ['updateLaunchTemplates', 'checkInstanceRefreshes', 'rollbackLaunchTemplates', 'cleanup', 'publishImage', 'retention'].includes(task);
      expect({ task, assumes: grants.length > 0 }).toEqual({ task, assumes: crossAccount });
      if (crossAccount) expect(JSON.stringify(grants)).toContain(JSON.stringify(prodRole));
    }
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'gami-web-base-lt-update' });
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'gami-web-base-cleanup' });
  });

  it('lets prepare read only AWS public parameters and the configured base image parameter', () => {
    const reads = policyOf('prepare').filter((st) => ([] as unknown[]).concat(st.Action).includes('ssm:GetParameter'));
    expect(reads).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1::parameter/aws/service/*']] },
      }),
    ]);
    // cleanup restores the published parameter after a stopped run.
    for (const task of TASK_NAMES.filter((t) => !['prepare', 'publishImage', 'retention', 'cleanup'].includes(t))) {
      expect({ task, grants: grantsOf(task, 'ssm:GetParameter') }).toEqual({ task, grants: [] });
    }
  });

  it('lets publishImage read and write only the published parameter, and assume only the configured consumer roles', () => {
    const parameter = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:*:', { Ref: 'AWS::AccountId' }, ':parameter/golden/web-base/latest']] };
    expect(grantsOf('publishImage', 'ssm:PutParameter')).toEqual([expect.objectContaining({ Resource: parameter })]);
    expect(grantsOf('publishImage', 'ssm:GetParameter')).toEqual([expect.objectContaining({ Resource: parameter })]);
    // The example publishes in one consumer account too (publish.accounts): only that account's role.
    expect(grantsOf('publishImage', 'sts:AssumeRole')).toEqual([
      expect.objectContaining({ Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:role/GamiLaunchTemplateUpdater']] } }),
    ]);
    for (const task of TASK_NAMES.filter((t) => t !== 'publishImage' && t !== 'cleanup')) expect({ task, grants: grantsOf(task, 'ssm:PutParameter') }).toEqual({ task, grants: [] });
    // cleanup: the same parameter only (restored after a stopped run).
    expect(grantsOf('cleanup', 'ssm:PutParameter')).toEqual([expect.objectContaining({ Resource: parameter })]);
  });

  it('lets only copyImage copy, only shareImage share, and cleanup and copyImage deregister, each on this pipeline\'s images', () => {
    const tagged = { StringEquals: { 'aws:ResourceTag/gami:pipeline': 'web-base' } };
    for (const task of TASK_NAMES) {
      expect({ task, copies: grantsOf(task, 'ec2:CopyImage').length > 0 }).toEqual({ task, copies: task === 'copyImage' });
      expect({ task, shares: grantsOf(task, 'ec2:ModifyImageAttribute').length > 0 }).toEqual({ task, shares: task === 'shareImage' || task === 'checkImage' });
      expect({ task, grants: grantsOf(task, 'kms:CreateGrant').filter((g) => !JSON.stringify(g).includes('GrantIsForAWSResource') && !JSON.stringify(g).includes('kms:ViaService')).length > 0 }).toEqual({
        task,
        grants: task === 'shareImage',
      });
    }
    expect(grantsOf('shareImage', 'ec2:ModifyImageAttribute')).toEqual([expect.objectContaining({ Condition: tagged })]);
    expect(grantsOf('cleanup', 'ec2:DeregisterImage')).toEqual([expect.objectContaining({ Condition: tagged })]);
  });

  it('exempts retention narrowly: it may deprecate, deregister and tag an approved image deprecated or retired, nothing else', () => {
    const denies = policyOf('retention').filter((st) => st.Effect === 'Deny');
    const protectedImage = { 'aws:ResourceTag/gami:status': ['approved', 'published'] };
    const others = IMAGE_MUTATIONS.filter((a) => !['ec2:CreateTags', 'ec2:EnableImageDeprecation', 'ec2:DeregisterImage'].includes(a));
    expect(denies).toEqual([
      expect.objectContaining({ Action: others, Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:*::image/*']] }, Condition: { StringEquals: protectedImage } }),
      expect.objectContaining({
        Action: 'ec2:CreateTags',
        Condition: { StringEquals: protectedImage, StringNotEquals: { 'aws:RequestTag/gami:status': ['deprecated', 'retired'] } },
      }),
      expect.objectContaining({
        Action: 'ec2:CreateTags',
        Condition: { StringEquals: protectedImage, 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['gami:status'] } },
      }),
      expect.objectContaining({ Action: 'ec2:CreateTags', Resource: '*', Condition: { StringEquals: { 'aws:RequestTag/gami:status': ['approved', 'published'] } } }),
    ]);
    const pipelineTag = { StringEquals: { 'aws:ResourceTag/gami:pipeline': 'web-base' } };
    expect(grantsOf('retention', 'ec2:DeregisterImage')).toEqual([{ Resource: expect.anything(), Condition: pipelineTag }]);
    expect(grantsOf('retention', 'ec2:DeleteSnapshot')).toEqual([{ Resource: expect.anything(), Condition: pipelineTag }]);
    expect(grantsOf('retention', 'sts:AssumeRole')).toHaveLength(1);
    // Besides retention, only the clean-up (copies of a failed run) and copyImage (its own failed copy) deregister.
    for (const task of TASK_NAMES.filter((t) => !['retention', 'cleanup', 'copyImage'].includes(t))) {
      expect({ task, grants: grantsOf(task, 'ec2:DeregisterImage') }).toEqual({ task, grants: [] });
    }
  });

  it('runs the retention sweep from an EventBridge Scheduler schedule, daily by default', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'gami-web-base-retention-sweep',
      ScheduleExpression: 'cron(0 4 * * ? *)',
      State: 'ENABLED',
      Target: Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('RetentionSweep') }, RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 3 }) }),
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'gami-web-base-retention-sweep' });
  });

  it('gives each function the timeout of FUNCTION_TIMEOUT_SECONDS', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(functions)) {
      const entry = (fn.Metadata as Record<string, { entry: string }>)['gami:handler'].entry;
      if (entry === APPROVAL_API_ENTRY) continue; // an API function, not a task (test/infra/approval-api.test.ts)
      const task = entry.split('/')[1] as TaskName;
      expect({ task, timeout: fn.Properties.Timeout }).toEqual({ task, timeout: FUNCTION_TIMEOUT_SECONDS[task] });
    }
  });

  it('sends executions that end ABORTED or TIMED_OUT to cleanup, which knows the pipeline, registry and topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['ABORTED', 'TIMED_OUT'], stateMachineArn: [{ Ref: Match.stringLikeRegexp('^LifecycleStateMachine') }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Taskscleanup'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 8 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          GAMI_PIPELINE: 'web-base',
          GAMI_REGISTRY_TABLE: 'gami-registry-web-base',
          GAMI_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^Notifications') },
        }),
      },
    });
    expect(policyOf('cleanup')).toEqual(expect.arrayContaining([expect.objectContaining({ Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/^Notifications/) } })]));
  });

  it('collects the software inventory of the pipeline\'s instances every 30 minutes (what recordInventory reads)', () => {
    template.hasResourceProperties('AWS::SSM::Association', {
      Name: 'AWS-GatherSoftwareInventory',
      Targets: [{ Key: 'tag:gami:pipeline', Values: ['web-base'] }],
      ScheduleExpression: 'rate(30 minutes)',
      Parameters: Match.objectLike({ applications: ['Enabled'] }),
    });
  });

  it('expires short-lived registry items (runStep claims) through the ttl attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
  });

  it('gives builder and test instances a role with SSM core only, under the configured instance profile name', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'gami-web-base-builder',
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { InstanceProfileName: 'GamiBuilderInstanceProfile' });
  });

  it('lets the state machine publish failures to the topic only, with the use of its key', () => {
    const [role] = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('LifecycleStateMachineRoleDefaultPolicy'));
    const statements = (role[1].Properties as { PolicyDocument: { Statement: Array<Record<string, unknown>> } }).PolicyDocument.Statement;
    const publishes = statements.filter((st) => /^sns:publish$/i.test(String(st.Action)));
    expect(publishes.map((st) => st.Resource)).toEqual([{ Ref: expect.stringMatching(/^Notifications/) }, { Ref: expect.stringMatching(/^Notifications/) }]);
    // SNS encrypts with a data key under the publisher's identity: without these, Notify Failure fails on AWS.
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^NotificationKey/), 'Arn'] } }),
      ]),
    );
  });
});

describe('builder security group', () => {
  it('is created without ingress when the config names the VPC, and builders get it', () => {
    // Prepare: the example with a VPC instead of an existing security group.
    const dir = mkdtempSync(join(tmpdir(), 'gami-sg-'));
    symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
    const file = join(dir, 'vpc.yaml');
    writeFileSync(file, readFileSync('pipelines/example.yaml', 'utf8').replace('  securityGroupIds: [sg-0123456789abcdef0]', '  vpcId: vpc-0a1b2c3d4e5f67890'));

    try {
      // Act
      const template = Template.fromStack(buildApp({ files: [file], nag: false, context: LOCAL_CONTEXT }).stacks[0]);

      // Assess
      const groups = template.findResources('AWS::EC2::SecurityGroup');
      expect(Object.values(groups)).toHaveLength(1);
      const [group] = Object.values(groups);
      expect(group.Properties.SecurityGroupIngress).toBeUndefined();
      expect(group.Properties).toMatchObject({
        VpcId: 'vpc-0a1b2c3d4e5f67890',
        SecurityGroupEgress: [
          expect.objectContaining({ FromPort: 443, ToPort: 443 }),
          expect.objectContaining({ FromPort: 80, ToPort: 80 }),
        ],
      });
      const definition = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
      expect(definition).toContain('BuilderSecurityGroup');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('buildApp', () => {
  it('passes the cdk-nag AWS Solutions checks', () => {
    const { app } = buildApp({ files, context: LOCAL_CONTEXT });
    expect(() => app.synth()).not.toThrow();
  });

  it('selects pipelines with the pipelines context and names unknown ones', () => {
    expect(buildApp({ files, nag: false, context: { ...LOCAL_CONTEXT, pipelines: 'web-base' } }).stacks).toHaveLength(1);
    expect(() => buildApp({ files, nag: false, context: { ...LOCAL_CONTEXT, pipelines: 'web-base,api' } })).toThrow(
      new InvalidPipelineConfig('-c pipelines: no pipeline named "api" (known: web-base)'),
    );
  });

  it('gives two pipelines without a configured instance profile distinct profile names, so both deploy to one account', () => {
    // Prepare: two pipelines from the example, neither naming an instance profile.
    const dir = mkdtempSync(join(tmpdir(), 'gami-two-'));
    symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
    const example = readFileSync('pipelines/example.yaml', 'utf8').replace(/^ {2}instanceProfile: .*\n/m, '');
    writeFileSync(join(dir, 'a.yaml'), example);
    writeFileSync(join(dir, 'b.yaml'), example.replace(/^name: web-base$/m, 'name: api-base'));
    try {
      // Act
      const { stacks } = buildApp({ files: [join(dir, 'a.yaml'), join(dir, 'b.yaml')], nag: false, context: LOCAL_CONTEXT });

      // Assess
      const names = stacks.map((stack) => Object.values(Template.fromStack(stack).findResources('AWS::IAM::InstanceProfile'))[0].Properties.InstanceProfileName);
      expect(names).toEqual(['gami-web-base-builder', 'gami-api-base-builder']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to synthesize an invalid pipeline, with the validation messages', () => {
    expect(() => buildApp({ files: ['pipelines/missing.yaml'], nag: false })).toThrow(
      'invalid pipeline configuration:\npipelines/missing.yaml:1:1 file not found',
    );
  });
});
