import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeTagsCommand,
  EC2Client,
  RunInstancesCommand,
  type DescribeInstancesCommandOutput,
  type Instance,
  type InstanceStateName,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as checkInstanceReady } from '../../../tasks/checkInstanceReady/handler';
import { handler as launchInstance } from '../../../tasks/launchInstance/handler';
import { clientToken } from '../../../tasks/launchInstance/launchInstance';
import { handler as terminateInstances } from '../../../tasks/terminateInstances/handler';
import { ec2ClientError, EXECUTION_ARN, executionTagsOf, OTHER_EXECUTION_ARN, run } from './fixtures';

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);

beforeEach(() => {
  ec2.reset();
  ssm.reset();
});

const launchEvent = (overrides: Record<string, unknown> = {}) => ({
  run,
  purpose: 'build',
  imageId: 'ami-0123456789abcdef0',
  version: 12,
  instanceType: 't3.medium',
  subnetId: 'subnet-0a1b2c3d4e5f67890',
  securityGroupIds: ['sg-0123456789abcdef0'],
  instanceProfile: 'GamiBuilderInstanceProfile',
  tags: { CostCenter: '4711', 'gami:pipeline': 'spoofed' },
  ...overrides,
});

describe('launchInstance', () => {
  it('runs one instance with IMDSv2 required, profile, network and lineage tags on instance and volume', async () => {
    // Prepare
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1' }] });

    // Act
    const result = await launchInstance(launchEvent());

    // Assess
    expect(result).toEqual({ instanceId: 'i-0aaaaaaaaaaaaaaa1' });
    const tags = [
      { Key: 'CostCenter', Value: '4711' },
      { Key: 'gami:pipeline', Value: 'web-base' },
      { Key: 'Name', Value: 'web-base-v12-build' },
      { Key: 'gami:execution', Value: EXECUTION_ARN },
      { Key: 'gami:purpose', Value: 'build' },
      { Key: 'gami:version', Value: '12' },
    ];
    expect(ec2).toReceiveCommandWith(RunInstancesCommand, {
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: 't3.medium',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: 'subnet-0a1b2c3d4e5f67890',
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      IamInstanceProfile: { Name: 'GamiBuilderInstanceProfile' },
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      TagSpecifications: [
        { ResourceType: 'instance', Tags: expect.arrayContaining(tags) },
        { ResourceType: 'volume', Tags: expect.arrayContaining(tags) },
      ],
    });
    expect(ec2).not.toReceiveCommand(DescribeImagesCommand);
  });

  it('uses a ClientToken that is stable per execution and purpose, and at most 64 characters', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1' }] });

    await launchInstance(launchEvent());
    await launchInstance(launchEvent());
    await launchInstance(launchEvent({ purpose: 'test' }));

    const tokens = ec2.commandCalls(RunInstancesCommand).map((call) => call.args[0].input.ClientToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    expect(tokens[0]).toBe(clientToken(EXECUTION_ARN, 'build'));
    expect(tokens[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('resizes the root volume on the image root device when rootVolumeSizeGiB is given', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0123456789abcdef0', RootDeviceName: '/dev/xvda' }] });
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1' }] });

    await launchInstance(launchEvent({ rootVolumeSizeGiB: 20 }));

    expect(ec2).toReceiveCommandWith(RunInstancesCommand, {
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, VolumeType: 'gp3', DeleteOnTermination: true } }],
    });
  });

  it('turns a refusal into InstanceLaunchFailed with the AWS reason, but leaves throttling as it is', async () => {
    // Prepare
    ec2
      .on(RunInstancesCommand)
      .rejectsOnce(ec2ClientError('InvalidSubnetID.NotFound', "The subnet ID 'subnet-0a1b2c3d4e5f67890' does not exist"))
      .rejectsOnce(ec2ClientError('RequestLimitExceeded', 'Request limit exceeded.'));

    // Act + Assess
    await expect(launchInstance(launchEvent())).rejects.toMatchObject({
      name: 'InstanceLaunchFailed',
      message:
        'RunInstances for the build instance of web-base v12 (image ami-0123456789abcdef0, t3.medium, subnet subnet-0a1b2c3d4e5f67890) ' +
        "was refused: InvalidSubnetID.NotFound: The subnet ID 'subnet-0a1b2c3d4e5f67890' does not exist",
    });
    await expect(launchInstance(launchEvent())).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });

  it('refuses an unknown purpose with InvalidTaskEvent naming the field', async () => {
    await expect(launchInstance(launchEvent({ purpose: 'debug' }))).rejects.toMatchObject({
      name: 'InvalidTaskEvent',
      message: expect.stringContaining('launchInstance: invalid event: purpose:'),
    });
  });
});

describe('checkInstanceReady', () => {
  const event = { run, instanceId: 'i-0aaaaaaaaaaaaaaa1' };
  const describing = (state: InstanceStateName, extra: Partial<Instance> = {}): DescribeInstancesCommandOutput => ({
    $metadata: {},
    Reservations: [{ Instances: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', State: { Name: state }, ...extra }] }],
  });

  it('is ready when the instance runs and its SSM agent is Online', async () => {
    ec2.on(DescribeInstancesCommand).resolves(describing('running'));
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', PingStatus: 'Online' }] });

    await expect(checkInstanceReady(event)).resolves.toEqual({ ready: true, instanceState: 'running', pingStatus: 'Online' });
    expect(ssm).toReceiveCommandWith(DescribeInstanceInformationCommand, { Filters: [{ Key: 'InstanceIds', Values: ['i-0aaaaaaaaaaaaaaa1'] }] });
  });

  it('is not ready while pending, while the agent has not registered, or while EC2 does not know the id yet', async () => {
    // Prepare
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce(describing('pending'))
      .resolvesOnce(describing('running'))
      .rejectsOnce(ec2ClientError('InvalidInstanceID.NotFound'));
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [] });

    // Act + Assess
    await expect(checkInstanceReady(event)).resolves.toEqual({ ready: false, instanceState: 'pending' });
    expect(ssm).not.toHaveReceivedAnyCommand();
    await expect(checkInstanceReady(event)).resolves.toEqual({ ready: false, instanceState: 'running' });
    await expect(checkInstanceReady(event)).resolves.toEqual({ ready: false, instanceState: 'unknown' });
  });

  it('reports ConnectionLost as not ready', async () => {
    ec2.on(DescribeInstancesCommand).resolves(describing('running'));
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', PingStatus: 'ConnectionLost' }] });

    await expect(checkInstanceReady(event)).resolves.toEqual({ ready: false, instanceState: 'running', pingStatus: 'ConnectionLost' });
  });

  it('throws InstanceNotReady naming state and agent once the deadline has passed', async () => {
    // Prepare
    ec2.on(DescribeInstancesCommand).resolves(describing('running'));
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [] });

    // Act + Assess: before the deadline it is a normal poll, at the deadline it fails
    await expect(checkInstanceReady({ ...event, deadline: '2026-11-22T10:20:00.000Z' })).resolves.toMatchObject({ ready: false });
    await expect(checkInstanceReady({ ...event, deadline: run.now })).rejects.toMatchObject({
      name: 'InstanceNotReady',
      message: expect.stringContaining(
        `instance i-0aaaaaaaaaaaaaaa1 was not ready by ${run.now} (EC2 state running, SSM agent not registered): check that the image runs the SSM agent`,
      ),
    });
  });

  it('does not fail a ready instance for being past the deadline', async () => {
    ec2.on(DescribeInstancesCommand).resolves(describing('running'));
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', PingStatus: 'Online' }] });

    await expect(checkInstanceReady({ ...event, deadline: '2026-11-22T10:00:00.000Z' })).resolves.toMatchObject({ ready: true });
  });

  it.each(['terminated', 'stopped'] as const)('throws InstanceLaunchFailed with the reason when the instance is %s', async (state) => {
    ec2.on(DescribeInstancesCommand).resolves(
      describing(state, { StateReason: { Code: 'Server.InternalError', Message: 'Server.InternalError: Internal error on launch' } }),
    );

    await expect(checkInstanceReady(event)).rejects.toMatchObject({
      name: 'InstanceLaunchFailed',
      message: `instance i-0aaaaaaaaaaaaaaa1 is ${state} before it became ready: Server.InternalError: Internal error on launch`,
    });
  });
});

describe('terminateInstances', () => {
  const ownershipCheck = (ids: string[]) => ({
    Filters: [
      { Name: 'resource-id', Values: ids },
      { Name: 'key', Values: ['gami:execution'] },
    ],
  });

  it('terminates the given instances once their gami:execution tag shows they are this run\'s', async () => {
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ 'i-1': EXECUTION_ARN, 'i-2': EXECUTION_ARN }));
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] });

    await expect(terminateInstances({ run, instanceIds: ['i-1', 'i-2'] })).resolves.toEqual({ terminated: ['i-1', 'i-2'] });
    expect(ec2).toReceiveCommandWith(DescribeTagsCommand, ownershipCheck(['i-1', 'i-2']));
    expect(ec2).toReceiveCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-1', 'i-2'] });
    expect(ec2).not.toReceiveCommand(DescribeInstancesCommand);
  });

  it('without ids, finds the live instances tagged with the execution (paginated)', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-1' }] }], NextToken: 'n' })
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-2' }] }] });
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] });

    await expect(terminateInstances({ run })).resolves.toEqual({ terminated: ['i-1', 'i-2'] });
    expect(ec2).toHaveReceivedNthSpecificCommandWith(1, DescribeInstancesCommand, {
      Filters: [
        { Name: 'tag:gami:execution', Values: [EXECUTION_ARN] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    });
    expect(ec2).toHaveReceivedNthSpecificCommandWith(2, DescribeInstancesCommand, { NextToken: 'n' });
  });

  it('is idempotent: nothing to do makes no call, and an instance EC2 no longer knows is skipped', async () => {
    // Nothing tagged with the execution is alive
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await expect(terminateInstances({ run })).resolves.toEqual({ terminated: [] });
    expect(ec2).not.toReceiveCommand(TerminateInstancesCommand);

    // Long gone: EC2 has no tags for it any more, so it is not even asked to terminate it
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ 'i-1': EXECUTION_ARN }));
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-1', CurrentState: { Name: 'terminated' } }] });
    await expect(terminateInstances({ run, instanceIds: ['i-1', 'i-gone'] })).resolves.toEqual({ terminated: ['i-1'] });
    expect(ec2).toReceiveCommandTimes(TerminateInstancesCommand, 1);
    expect(ec2).toReceiveCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-1'] });

    // Gone between the check and the call: the whole call fails, so each id is tried alone
    ec2.resetHistory();
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ 'i-1': EXECUTION_ARN, 'i-gone': EXECUTION_ARN }));
    ec2
      .on(TerminateInstancesCommand)
      .rejectsOnce(ec2ClientError('InvalidInstanceID.NotFound', "The instance ID 'i-gone' does not exist"))
      .resolvesOnce({ TerminatingInstances: [{ InstanceId: 'i-1', CurrentState: { Name: 'terminated' } }] })
      .rejectsOnce(ec2ClientError('InvalidInstanceID.NotFound', "The instance ID 'i-gone' does not exist"));
    await expect(terminateInstances({ run, instanceIds: ['i-1', 'i-gone'] })).resolves.toEqual({ terminated: ['i-1'] });
    expect(ec2).toReceiveCommandTimes(TerminateInstancesCommand, 3);
    expect(ec2).toHaveReceivedNthSpecificCommandWith(1, TerminateInstancesCommand, { InstanceIds: ['i-1', 'i-gone'] });
    expect(ec2).toHaveReceivedNthSpecificCommandWith(2, TerminateInstancesCommand, { InstanceIds: ['i-1'] });
    expect(ec2).toHaveReceivedNthSpecificCommandWith(3, TerminateInstancesCommand, { InstanceIds: ['i-gone'] });
  });

  it('never terminates a named instance that is not tagged with this execution', async () => {
    // Prepare: i-2 belongs to another run of the pipeline, i-3 carries no execution tag at all
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ 'i-1': EXECUTION_ARN, 'i-2': OTHER_EXECUTION_ARN }));
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-1' }] });

    // Act
    const result = await terminateInstances({ run, instanceIds: ['i-1', 'i-2', 'i-3'] });

    // Assess
    expect(result).toEqual({ terminated: ['i-1'] });
    expect(ec2).toReceiveCommandWith(DescribeTagsCommand, ownershipCheck(['i-1', 'i-2', 'i-3']));
    expect(ec2).toReceiveCommandTimes(TerminateInstancesCommand, 1);
    expect(ec2).toReceiveCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-1'] });
  });

  it('makes no TerminateInstances call when no named instance is this run\'s', async () => {
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ 'i-2': OTHER_EXECUTION_ARN }));

    await expect(terminateInstances({ run, instanceIds: ['i-2'] })).resolves.toEqual({ terminated: [] });
    expect(ec2).not.toReceiveCommand(TerminateInstancesCommand);
  });
});
