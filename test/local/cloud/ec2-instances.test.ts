import {
  CreateLaunchTemplateCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeRegionsCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  ModifyLaunchTemplateCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { AL2023_PARAMETER, baseImageId, clients, credentialsOf, elapse, PROD, startExampleCloud, TOOLING, type ExampleCloud } from './cloud-fixture';

const REGION = 'eu-west-1';
let env: ExampleCloud;

beforeEach(async () => {
  env = await startExampleCloud();
});
afterEach(async () => {
  await env.cloud.stop();
});

describe('RunInstances', () => {
  it('is idempotent per ClientToken, keeps tags and IMDSv2 options, and runs after the pending time', async () => {
    // Prepare
    const ec2 = clients.ec2(REGION);
    const input = {
      ImageId: await baseImageId(),
      InstanceType: 't3.medium' as const,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: 'subnet-0a1b2c3d4e5f67890',
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      IamInstanceProfile: { Name: 'GamiBuilderInstanceProfile' },
      MetadataOptions: { HttpTokens: 'required' as const },
      TagSpecifications: [{ ResourceType: 'instance' as const, Tags: [{ Key: 'gami:purpose', Value: 'builder' }] }],
      ClientToken: 'bake-web-base-5',
    };

    // Act
    const first = await ec2.send(new RunInstancesCommand(input));
    const repeat = await ec2.send(new RunInstancesCommand(input));
    const mismatch = await ec2.send(new RunInstancesCommand({ ...input, InstanceType: 't3.large' })).catch((error: unknown) => error);
    await elapse(env.clock, 44_000);
    const stillPending = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:gami:purpose', Values: ['builder'] }] }));
    await elapse(env.clock, 1_000);
    const running = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }, { Name: 'image-id', Values: [input.ImageId] }] }));

    // Assess
    const instance = first.Instances?.[0];
    expect(repeat.Instances?.[0].InstanceId).toBe(instance?.InstanceId);
    expect(mismatch).toMatchObject({ name: 'IdempotentParameterMismatch' });
    expect(instance).toMatchObject({
      State: { Code: 0, Name: 'pending' },
      MetadataOptions: expect.objectContaining({ HttpTokens: 'required' }),
      Tags: [{ Key: 'gami:purpose', Value: 'builder' }],
      IamInstanceProfile: { Arn: 'arn:aws:iam::111111111111:instance-profile/GamiBuilderInstanceProfile', Id: 'GamiBuilderInstanceProfile' },
    });
    expect(stillPending.Reservations?.[0].Instances?.[0].State?.Name).toBe('pending');
    expect(running.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([instance?.InstanceId]);
    // The SSM agent registers a while after running (the SSM simulation reads agentOnlineAt).
    const record = env.cloud.world.region(TOOLING, REGION).instances[instance?.InstanceId ?? ''];
    expect(record.agentOnlineAt).toBe(env.clock.now() + 60_000);
  });

  it('resolves resolve:ssm: image ids against public and own parameters', async () => {
    const ec2 = clients.ec2(REGION);

    const fromPublic = await ec2.send(new RunInstancesCommand({ ImageId: `resolve:ssm:${AL2023_PARAMETER}`, MinCount: 1, MaxCount: 1 }));
    const fromOwn = await ec2.send(new RunInstancesCommand({ ImageId: 'resolve:ssm:/golden/web-base/latest', MinCount: 1, MaxCount: 1 }));

    const v4 = Object.values(env.cloud.world.region(TOOLING, REGION).images).find((i) => i.tags['gami:version'] === '4')?.imageId;
    expect(fromPublic.Instances?.[0].ImageId).toBe(await baseImageId());
    expect(fromOwn.Instances?.[0].ImageId).toBe(v4);
  });

  it('records when an image was last launched, for its owner', async () => {
    const prod = clients.ec2(REGION, credentialsOf(PROD));
    const v4 = Object.values(env.cloud.world.region(TOOLING, REGION).images).find((i) => i.tags['gami:version'] === '4')?.imageId ?? '';
    await elapse(env.clock, 3_600_000);

    await prod.send(new RunInstancesCommand({ ImageId: v4, MinCount: 1, MaxCount: 1 }));
    const asOwner = await clients.ec2(REGION).send(new DescribeImagesCommand({ ImageIds: [v4] }));
    const attribute = await clients.ec2(REGION).send(new DescribeImageAttributeCommand({ ImageId: v4, Attribute: 'lastLaunchedTime' }));
    const asProd = await prod.send(new DescribeImagesCommand({ ImageIds: [v4] }));

    const expected = new Date(env.clock.now()).toISOString();
    expect(asOwner.Images?.[0].LastLaunchedTime).toBe(expected);
    expect(attribute.LastLaunchedTime?.Value).toBe(expected);
    expect(asProd.Images?.[0].LastLaunchedTime).toBeUndefined();
  });

  it('lists the world’s regions', async () => {
    const ec2 = clients.ec2(REGION);

    const all = await ec2.send(new DescribeRegionsCommand({}));
    const unknown = await ec2.send(new DescribeRegionsCommand({ RegionNames: ['mars-north-1'] })).catch((e: unknown) => e);

    expect(all.Regions?.map((r) => r.RegionName)).toEqual(['eu-west-1', 'eu-central-1', 'us-east-1']);
    expect(unknown).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('refuses an unknown instance profile and an image nobody shared', async () => {
    const ec2 = clients.ec2(REGION);
    const prod = clients.ec2(REGION, credentialsOf(PROD));
    const v1 = Object.values(env.cloud.world.region(TOOLING, REGION).images).find((i) => i.tags['gami:version'] === '1')?.imageId ?? '';

    const base = await baseImageId();
    const badProfile = await ec2.send(new RunInstancesCommand({ ImageId: base, MinCount: 1, MaxCount: 1, IamInstanceProfile: { Name: 'Nope' } })).catch((e: unknown) => e);
    const notShared = await prod.send(new RunInstancesCommand({ ImageId: v1, MinCount: 1, MaxCount: 1 })).catch((e: unknown) => e);

    expect(badProfile).toMatchObject({ name: 'InvalidParameterValue' });
    expect(notShared).toMatchObject({ name: 'InvalidAMIID.NotFound' });
  });

  it('stops and terminates through their intermediate states; terminated instances disappear after an hour', async () => {
    const ec2 = clients.ec2(REGION);
    const run = await ec2.send(new RunInstancesCommand({ ImageId: await baseImageId(), MinCount: 2, MaxCount: 2 }));
    const [a, b] = (run.Instances ?? []).map((i) => i.InstanceId ?? '');
    await elapse(env.clock, 60_000);

    const stopping = await ec2.send(new StopInstancesCommand({ InstanceIds: [a] }));
    const terminating = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [b] }));
    await elapse(env.clock, 31_000);
    const later = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [a, b] }));
    await elapse(env.clock, 61 * 60_000);
    const gone = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [b] })).catch((e: unknown) => e);

    expect(stopping.StoppingInstances?.[0]).toMatchObject({ PreviousState: { Name: 'running', Code: 16 }, CurrentState: { Name: 'stopping', Code: 64 } });
    expect(terminating.TerminatingInstances?.[0]).toMatchObject({ CurrentState: { Name: 'shutting-down', Code: 32 } });
    expect(later.Reservations?.map((r) => r.Instances?.[0].State?.Name)).toEqual(['stopped', 'terminated']);
    expect(later.Reservations?.[1].Instances?.[0].StateReason?.Code).toBe('Client.UserInitiatedShutdown');
    const started = await ec2.send(new StartInstancesCommand({ InstanceIds: [a] }));
    await elapse(env.clock, 45_000);
    const again = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [a] }));
    expect(started.StartingInstances?.[0]).toMatchObject({ PreviousState: { Name: 'stopped' }, CurrentState: { Name: 'pending' } });
    expect(again.Reservations?.[0].Instances?.[0].State?.Name).toBe('running');
    expect(gone).toMatchObject({ name: 'InvalidInstanceID.NotFound' });
  });
});

describe('launch templates', () => {
  it('creates versions from a source version, moves $Default, and resolves $Latest/$Default', async () => {
    const ec2 = clients.ec2(REGION);
    const created = await ec2.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: 'builder', LaunchTemplateData: { ImageId: await baseImageId(), InstanceType: 't3.small', MetadataOptions: { HttpTokens: 'required' } } }),
    );
    const id = created.LaunchTemplate?.LaunchTemplateId ?? '';

    const v2 = await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: id, SourceVersion: '1', VersionDescription: 'new image', LaunchTemplateData: { ImageId: 'ami-0123456789abcdef0' } }));
    const latest = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ['$Latest'] }));
    await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: '2' }));
    const byName = await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['builder'] }));
    const defaults = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'builder', Versions: ['$Default'] }));
    const duplicate = ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'builder', LaunchTemplateData: {} }));
    const missingVersion = ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: '9' }));

    expect(v2.LaunchTemplateVersion).toMatchObject({ VersionNumber: 2, DefaultVersion: false });
    expect(latest.LaunchTemplateVersions?.[0].LaunchTemplateData).toMatchObject({ ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.small', MetadataOptions: { HttpTokens: 'required' } });
    expect(byName.LaunchTemplates?.[0]).toMatchObject({ DefaultVersionNumber: 2, LatestVersionNumber: 2, CreatedBy: 'arn:aws:iam::111111111111:user/gami-pipeline' });
    expect(defaults.LaunchTemplateVersions?.map((v) => v.VersionNumber)).toEqual([2]);
    await expect(duplicate).rejects.toMatchObject({ name: 'InvalidLaunchTemplateName.AlreadyExistsException' });
    await expect(missingVersion).rejects.toMatchObject({ name: 'InvalidLaunchTemplateId.VersionNotFound' });
  });

  it('launches from a launch template version, tagging the instance with the template', async () => {
    const prod = clients.ec2(REGION, credentialsOf(PROD));

    const run = await prod.send(new RunInstancesCommand({ LaunchTemplate: { LaunchTemplateName: 'web-prod', Version: '$Default' }, MinCount: 1, MaxCount: 1 }));

    const template = Object.values(env.cloud.world.region(PROD, REGION).launchTemplates)[0];
    expect(run.Instances?.[0].ImageId).toBe(template.versions['1'].data.ImageId);
    expect(run.Instances?.[0].Tags).toEqual(
      expect.arrayContaining([
        { Key: 'aws:ec2launchtemplate:id', Value: template.launchTemplateId },
        { Key: 'aws:ec2launchtemplate:version', Value: '1' },
      ]),
    );
  });
});

describe('Auto Scaling', () => {
  it('describes the seeded group and replaces its instances with the new default version on an instance refresh', async () => {
    // Prepare: a new default version of web-prod with the newest golden image (shared with prod).
    const prod = clients.ec2(REGION, credentialsOf(PROD));
    const autoScaling = clients.autoScaling(REGION, credentialsOf(PROD));
    const v4 = Object.values(env.cloud.world.region(TOOLING, REGION).images).find((i) => i.tags['gami:version'] === '4')?.imageId ?? '';
    await prod.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: 'web-prod', SourceVersion: '$Default', LaunchTemplateData: { ImageId: v4 } }));
    await prod.send(new ModifyLaunchTemplateCommand({ LaunchTemplateName: 'web-prod', DefaultVersion: '2' }));
    const before = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-prod-asg'] }));

    // Act
    const refresh = await autoScaling.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'web-prod-asg', Preferences: { MinHealthyPercentage: 90 } }));
    const second = await autoScaling.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'web-prod-asg' })).catch((error: unknown) => error);
    await elapse(env.clock, 6 * 60_000);
    const halfway = await autoScaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'web-prod-asg' }));
    await elapse(env.clock, 6 * 60_000);
    const status = await autoScaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'web-prod-asg' }));
    const after = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-prod-asg'] }));
    const instances = await prod.send(new DescribeInstancesCommand({ InstanceIds: after.AutoScalingGroups?.[0].Instances?.map((i) => i.InstanceId ?? '') }));

    // Assess
    expect(before.AutoScalingGroups?.[0]).toMatchObject({ AutoScalingGroupName: 'web-prod-asg', DesiredCapacity: 2, LaunchTemplate: { LaunchTemplateName: 'web-prod', Version: '$Default' } });
    expect(before.AutoScalingGroups?.[0].Instances).toHaveLength(2);
    expect(second).toMatchObject({ name: 'InstanceRefreshInProgressFault' });
    expect(halfway.InstanceRefreshes?.[0]).toMatchObject({ Status: 'InProgress', PercentageComplete: 50 });
    expect(status.InstanceRefreshes?.[0]).toMatchObject({ InstanceRefreshId: refresh.InstanceRefreshId, Status: 'Successful', PercentageComplete: 100 });
    expect(instances.Reservations?.map((r) => r.Instances?.[0].ImageId)).toEqual([v4, v4]);
  });
});
