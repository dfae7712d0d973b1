/**
 * What the launch template stage meets in consumer accounts, in the simulated cloud: AssumeRole with the trust
 * policy's external id, AMI watermarks (attached, described, carried by copies), EC2 Allowed AMIs (audit mode flags
 * a launch, enabled refuses it), and instance refreshes on the clock (batches by minimum healthy percentage,
 * cancellation, failure).
 */
import {
  AttachImageWatermarkCommand,
  CopyImageCommand,
  DescribeImagesCommand,
  EnableAllowedImagesSettingsCommand,
  GetAllowedImagesSettingsCommand,
  ReplaceImageCriteriaInAllowedImagesSettingsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CancelInstanceRefreshCommand, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { refreshBatchSize } from '../../../local/cloud/services/autoscaling';
import { INSTANCE_REFRESH_PER_INSTANCE_MS } from '../../../local/cloud/services/ec2/timings';
import { clients, credentialsOf, elapse, PROD, startExampleCloud, TOOLING, type ExampleCloud } from './cloud-fixture';

let env: ExampleCloud;
beforeEach(async () => {
  env = await startExampleCloud();
});
afterEach(async () => {
  await env.cloud.stop();
});

const ROLE = `arn:aws:iam::${PROD}:role/GamiLaunchTemplateUpdater`;

/** The tooling account's newest golden image in eu-west-1 (web-base v4, shared with prod). */
async function goldenImage(): Promise<string> {
  const images = await clients.ec2('eu-west-1').send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:version', Values: ['4'] }] }));
  return images.Images?.[0]?.ImageId ?? '';
}

describe('AssumeRole and the external id', () => {
  it('requires exactly the role’s external id', async () => {
    const sts = clients.sts('eu-west-1');
    const without = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1' })).catch((e: unknown) => e);
    const wrong = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's2', ExternalId: 'gami-other' })).catch((e: unknown) => e);
    const right = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's3', ExternalId: 'gami-web-base' }));

    expect(without).toMatchObject({ name: 'AccessDenied' });
    expect(wrong).toMatchObject({ name: 'AccessDenied' });
    expect(right.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PROD}:assumed-role/GamiLaunchTemplateUpdater/s3`);
  });
});

describe('AMI watermarks', () => {
  it('are attached under the caller’s account, described, and carried by copies', async () => {
    // Arrange
    const imageId = await goldenImage();
    const ec2 = clients.ec2('eu-west-1');

    // Act
    const attached = await ec2.send(new AttachImageWatermarkCommand({ ImageId: imageId, WatermarkName: 'web-base' }));
    await ec2.send(new AttachImageWatermarkCommand({ ImageId: imageId, WatermarkName: 'web-base' }));
    const copy = await clients.ec2('us-east-1').send(new CopyImageCommand({ SourceImageId: imageId, SourceRegion: 'eu-west-1', Name: 'web-base-4-copy' }));
    const [source] = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    const [copied] = (await clients.ec2('us-east-1').send(new DescribeImagesCommand({ ImageIds: [copy.ImageId ?? ''] }))).Images ?? [];
    const seenByProd = (await clients.ec2('eu-west-1', credentialsOf(PROD)).send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];

    // Assess: one watermark (attaching again changes nothing), first attached in eu-west-1 on the source image.
    expect(attached.WatermarkKey).toBe(`${TOOLING}:web-base`);
    expect(source.ImageWatermarks).toEqual([expect.objectContaining({ WatermarkKey: `${TOOLING}:web-base`, SourceImageRegion: 'eu-west-1', SourceImageId: imageId })]);
    expect(copied.ImageWatermarks).toEqual([expect.objectContaining({ WatermarkKey: `${TOOLING}:web-base`, SourceImageId: imageId })]);
    expect(seenByProd[0].ImageWatermarks?.[0]?.WatermarkKey).toBe(`${TOOLING}:web-base`);
  });

  it('may be attached only by the image’s owner', async () => {
    const imageId = await goldenImage();
    const byProd = await clients.ec2('eu-west-1', credentialsOf(PROD)).send(new AttachImageWatermarkCommand({ ImageId: imageId, WatermarkName: 'mine' })).catch((e: unknown) => e);
    expect(byProd).toMatchObject({ name: 'AuthFailure' });
  });
});

describe('Allowed AMIs', () => {
  const prod = () => clients.ec2('eu-west-1', credentialsOf(PROD));
  const launch = (imageId: string) => prod().send(new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));

  async function onlyOurWatermark(state: 'audit-mode' | 'enabled') {
    await prod().send(new ReplaceImageCriteriaInAllowedImagesSettingsCommand({ ImageCriteria: [{ ImageWatermarks: [{ WatermarkKey: `${TOOLING}:web-base` }] }] }));
    await prod().send(new EnableAllowedImagesSettingsCommand({ AllowedImagesSettingsState: state }));
  }

  it('in audit mode launches anything, flags what the criteria would refuse, and says so in DescribeImages', async () => {
    // Arrange
    const imageId = await goldenImage();
    await onlyOurWatermark('audit-mode');

    // Act
    const before = (await prod().send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    const flagged = await launch(imageId);
    await clients.ec2('eu-west-1').send(new AttachImageWatermarkCommand({ ImageId: imageId, WatermarkName: 'web-base' }));
    const after = (await prod().send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    const clean = await launch(imageId);

    // Assess
    const instances = env.cloud.world.region(PROD, 'eu-west-1').instances;
    expect(before?.ImageAllowed).toBe(false);
    expect(after?.ImageAllowed).toBe(true);
    expect(instances[flagged.Instances?.[0]?.InstanceId ?? ''].imageAllowed).toBe(false);
    expect(instances[clean.Instances?.[0]?.InstanceId ?? ''].imageAllowed).toBeUndefined();
    expect(await prod().send(new GetAllowedImagesSettingsCommand({}))).toMatchObject({ State: 'audit-mode', ManagedBy: 'account' });
  });

  it('enabled, refuses an unwatermarked image at RunInstances and hides it, and allows a watermarked one', async () => {
    // Arrange
    const imageId = await goldenImage();
    await onlyOurWatermark('enabled');

    // Act
    const refused = await launch(imageId).catch((e: unknown) => e);
    const hidden = (await prod().send(new DescribeImagesCommand({ Owners: [TOOLING] }))).Images ?? [];
    await clients.ec2('eu-west-1').send(new AttachImageWatermarkCommand({ ImageId: imageId, WatermarkName: 'web-base' }));
    const allowed = await launch(imageId);

    // Assess
    expect(refused).toMatchObject({ name: 'AuthFailure', message: `Not authorized for images: [${imageId}]` });
    expect(hidden.map((i) => i.ImageId)).not.toContain(imageId);
    expect(allowed.Instances).toHaveLength(1);
  });

  it('never restricts the account’s own images, and refuses criteria it does not evaluate', async () => {
    const own = await prod().send(new ReplaceImageCriteriaInAllowedImagesSettingsCommand({ ImageCriteria: [{ ScanResultCondition: {} }] })).catch((e: unknown) => e);
    expect(own).toMatchObject({ name: 'InvalidParameterValue' });
    await onlyOurWatermark('enabled');
    // The tooling account has no criteria of its own; its images stay usable to it.
    const imageId = await goldenImage();
    await clients.ec2('eu-west-1').send(new EnableAllowedImagesSettingsCommand({ AllowedImagesSettingsState: 'enabled' }));
    const launched = await clients.ec2('eu-west-1').send(new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
    expect(launched.Instances).toHaveLength(1);
  });
});

describe('instance refresh on the clock', () => {
  const autoScaling = () => clients.autoScaling('eu-west-1', credentialsOf(PROD));
  const state = async (id: string) =>
    (await autoScaling().send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'web-prod-asg', InstanceRefreshIds: [id] }))).InstanceRefreshes?.[0];

  it('replaces as many instances at once as the minimum healthy percentage lets go', async () => {
    expect(refreshBatchSize(2, 90)).toBe(1);
    expect(refreshBatchSize(10, 90)).toBe(1);
    expect(refreshBatchSize(10, 50)).toBe(5);
    expect(refreshBatchSize(4, 0)).toBe(4);

    // web-prod-asg has 2 instances: at 90 % one at a time (two warm-ups), at 0 % both at once (one).
    const slow = await autoScaling().send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'web-prod-asg', Preferences: { MinHealthyPercentage: 90 } }));
    await elapse(env.clock, INSTANCE_REFRESH_PER_INSTANCE_MS + 1000);
    expect(await state(slow.InstanceRefreshId ?? '')).toMatchObject({ Status: 'InProgress', PercentageComplete: 50 });
    await elapse(env.clock, INSTANCE_REFRESH_PER_INSTANCE_MS);
    expect((await state(slow.InstanceRefreshId ?? ''))?.Status).toBe('Successful');

    const fast = await autoScaling().send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'web-prod-asg', Preferences: { MinHealthyPercentage: 0 } }));
    await elapse(env.clock, INSTANCE_REFRESH_PER_INSTANCE_MS + 1000);
    expect((await state(fast.InstanceRefreshId ?? ''))?.Status).toBe('Successful');
  });

  it('is cancelled: Cancelling, then Cancelled, with no further replacement; nothing to cancel is an error', async () => {
    const started = await autoScaling().send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'web-prod-asg', Preferences: { MinHealthyPercentage: 90 } }));
    await elapse(env.clock, INSTANCE_REFRESH_PER_INSTANCE_MS + 1000);
    const cancelled = await autoScaling().send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: 'web-prod-asg' }));
    expect(cancelled.InstanceRefreshId).toBe(started.InstanceRefreshId);
    expect(await state(started.InstanceRefreshId ?? '')).toMatchObject({ Status: 'Cancelling', PercentageComplete: 50 });
    await elapse(env.clock, 2 * INSTANCE_REFRESH_PER_INSTANCE_MS);
    expect(await state(started.InstanceRefreshId ?? '')).toMatchObject({ Status: 'Cancelled', PercentageComplete: 50 });
    const nothing = await autoScaling().send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: 'web-prod-asg' })).catch((e: unknown) => e);
    expect(nothing).toMatchObject({ name: 'ActiveInstanceRefreshNotFoundFault' });
  });

  it('fails with a reason when the fault autoscaling.refreshFails fires', async () => {
    env.cloud.world.faults.add({ behaviour: 'autoscaling.refreshFails', accountId: PROD, count: 1 });
    const started = await autoScaling().send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'web-prod-asg' }));
    await elapse(env.clock, INSTANCE_REFRESH_PER_INSTANCE_MS + 1000);
    expect(await state(started.InstanceRefreshId ?? '')).toMatchObject({ Status: 'Failed', StatusReason: expect.stringContaining('health checks') });
  });
});
