import {
  CopyImageCommand,
  CreateImageCommand,
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImageReferencesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2ServiceException,
  EnableImageBlockPublicAccessCommand,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  GetImageBlockPublicAccessStateCommand,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  RunInstancesCommand,
  DisableImageBlockPublicAccessCommand,
  DisableImageDeprecationCommand,
  DisableImageDeregistrationProtectionCommand,
  type Image,
} from '@aws-sdk/client-ec2';
import { CreateGrantCommand, DescribeKeyCommand } from '@aws-sdk/client-kms';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { baseImageId, clients, credentialsOf, elapse, PROD, STAGING, startExampleCloud, TOOLING, AL2023_PARAMETER, START, type ExampleCloud } from './cloud-fixture';

const REGION = 'eu-west-1';
let env: ExampleCloud;

beforeEach(async () => {
  env = await startExampleCloud();
});
afterEach(async () => {
  await env.cloud.stop();
});

async function runningBuilder(): Promise<string> {
  const ec2 = clients.ec2(REGION);
  const run = await ec2.send(
    new RunInstancesCommand({ ImageId: await baseImageId(), InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, IamInstanceProfile: { Name: 'GamiBuilderInstanceProfile' } }),
  );
  await elapse(env.clock, 60_000);
  return run.Instances?.[0].InstanceId ?? '';
}

async function describe1(imageId: string, region = REGION, account: keyof typeof import('./cloud-fixture').KEYS = TOOLING): Promise<Image> {
  const out = await clients.ec2(region, credentialsOf(account)).send(new DescribeImagesCommand({ ImageIds: [imageId] }));
  return out.Images?.[0] ?? {};
}

/** Create an image from a fresh builder and wait until it is available. */
async function goldenImage(name: string, tags: Record<string, string> = {}): Promise<string> {
  const ec2 = clients.ec2(REGION);
  const instanceId = await runningBuilder();
  const created = await ec2.send(
    new CreateImageCommand({
      InstanceId: instanceId,
      Name: name,
      TagSpecifications: [{ ResourceType: 'image', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    }),
  );
  await elapse(env.clock, 10 * 60_000);
  return created.ImageId ?? '';
}

describe('CreateImage', () => {
  it('goes pending → available on the clock, carries the instance inventory, tags and a completed snapshot', async () => {
    // Prepare
    const ec2 = clients.ec2(REGION);
    const instanceId = await runningBuilder();

    // Act
    const created = await ec2.send(
      new CreateImageCommand({ InstanceId: instanceId, Name: 'web-base-5-20261122', NoReboot: true, TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'gami:version', Value: '5' }] }] }),
    );
    const pending = await describe1(created.ImageId ?? '');
    await elapse(env.clock, 9.5 * 60_000);
    const available = await describe1(created.ImageId ?? '');

    // Assess
    expect(pending.State).toBe('pending');
    expect(available.State).toBe('available');
    expect(available.SourceInstanceId).toBe(instanceId);
    expect(available.Tags).toEqual([{ Key: 'gami:version', Value: '5' }]);
    const snapshotId = available.BlockDeviceMappings?.[0].Ebs?.SnapshotId ?? '';
    const snapshots = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    expect(snapshots.Snapshots?.[0].State).toBe('completed');
    const instance = env.cloud.world.region(TOOLING, REGION).instances[instanceId];
    const image = env.cloud.world.region(TOOLING, REGION).images[created.ImageId ?? ''];
    expect(image.software.packages).toEqual(instance.software.packages);
    expect(Object.keys(image.software.packages).length).toBeGreaterThan(10);
  });

  it('reboots the instance unless NoReboot: its SSM agent is offline for a minute', async () => {
    const ec2 = clients.ec2(REGION);
    const rebooted = await runningBuilder();
    const untouched = await runningBuilder();
    await elapse(env.clock, 60_000);
    const instances = env.cloud.world.region(TOOLING, REGION).instances;
    const onlineBefore = instances[untouched].agentOnlineAt;

    await ec2.send(new CreateImageCommand({ InstanceId: rebooted, Name: 'with-reboot' }));
    await ec2.send(new CreateImageCommand({ InstanceId: untouched, Name: 'without-reboot', NoReboot: true }));

    expect(instances[rebooted].agentOnlineAt).toBe(env.clock.now() + 60_000);
    expect(instances[untouched].agentOnlineAt).toBe(onlineBefore);
    expect(instances[rebooted].state).toBe('running');
  });

  it('refuses a name already used in the account and region (InvalidAMIName.Duplicate)', async () => {
    const ec2 = clients.ec2(REGION);
    const instanceId = await runningBuilder();
    await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'dup-name' }));

    const again = await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'dup-name' })).catch((e: unknown) => e);

    expect(again).toBeInstanceOf(EC2ServiceException);
    expect(again).toMatchObject({ name: 'InvalidAMIName.Duplicate', $fault: 'client', $metadata: expect.objectContaining({ httpStatusCode: 400 }) });
  });

  it('goes to failed with a state reason when the fault plan says so', async () => {
    env.cloud.world.faults.add({ behaviour: 'ec2.imageFails', count: 1 });
    const ec2 = clients.ec2(REGION);
    const instanceId = await runningBuilder();

    const created = await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'will-fail' }));
    await elapse(env.clock, 10 * 60_000);
    const image = await describe1(created.ImageId ?? '');

    expect(image.State).toBe('failed');
    expect(image.StateReason?.Code).toBe('Server.InternalError');
  });
});

describe('DescribeImages', () => {
  it('finds golden images by tag, owner self, name wildcard and state, and hides other accounts’ tags', async () => {
    const ec2 = clients.ec2(REGION);

    const byTag = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:pipeline', Values: ['web-base'] }] }));
    const byName = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['web-base-?-*'] }, { Name: 'state', Values: ['available'] }] }));
    const amazon = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['al2023-ami-2023.*-x86_64'] }] }));
    const sharedToProd = await clients.ec2(REGION, credentialsOf(PROD)).send(new DescribeImagesCommand({ ExecutableUsers: ['self'] }));

    expect(byTag.Images?.map((i) => i.Name).sort()).toEqual(['web-base-1-20260717', 'web-base-2-20260913', 'web-base-3-20261018', 'web-base-4-20261117']);
    expect(byName.Images).toHaveLength(4);
    // The 2023 image is deprecated; deprecated images of other owners are hidden unless asked for.
    expect(amazon.Images?.map((i) => i.Name)).toEqual(['al2023-ami-2023.3.20240312.0-kernel-6.1-x86_64']);
    expect(amazon.Images?.[0]).toMatchObject({ ImageOwnerAlias: 'amazon', OwnerId: '137112412989', Public: true, State: 'available' });
    // v1 is not shared; v2-v4 are shared with prod (v2 deprecated: hidden from prod without IncludeDeprecated).
    expect(sharedToProd.Images?.map((i) => i.Name).sort()).toEqual(['web-base-4-20261117']);
    expect(sharedToProd.Images?.[0].Tags).toBeUndefined();
  });

  it('shows deprecation time and includes deprecated images of others when asked', async () => {
    const prod = clients.ec2(REGION, credentialsOf(PROD));

    const withDeprecated = await prod.send(new DescribeImagesCommand({ ExecutableUsers: ['self'], IncludeDeprecated: true }));

    const v3 = withDeprecated.Images?.find((i) => i.Name === 'web-base-3-20261018');
    expect(withDeprecated.Images).toHaveLength(3);
    expect(v3?.DeprecationTime).toBe(new Date(START - 5 * 86_400_000).toISOString());
  });

  it('pages with MaxResults/NextToken and refuses a token from another query', async () => {
    const ec2 = clients.ec2(REGION);
    const all: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await ec2.send(new DescribeImagesCommand({ Owners: ['self', 'amazon'], MaxResults: 2, NextToken: token }));
      all.push(...(page.Images ?? []).map((i) => i.ImageId ?? ''));
      token = page.NextToken;
      pages++;
    } while (token);

    const first = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], MaxResults: 1 }));
    const misuse = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 1, NextToken: first.NextToken })).catch((e: unknown) => e);

    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(8); // 4 own + 4 non-deprecated Amazon images (x86, arm64, minimal, Windows)
    expect(pages).toBe(4);
    expect(misuse).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('keeps its place across pages when images are deregistered or added in between', async () => {
    const ec2 = clients.ec2(REGION);
    const first = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:pipeline', Values: ['web-base'] }], MaxResults: 2 }));
    const [, second] = first.Images ?? [];
    // The last image of the page goes away and a new image arrives before the next page is read.
    await ec2.send(new DeregisterImageCommand({ ImageId: second.ImageId }));
    await goldenImage('web-base-new', { 'gami:pipeline': 'web-base' });

    const rest = await ec2.send(
      new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:pipeline', Values: ['web-base'] }], MaxResults: 10, NextToken: first.NextToken }),
    );

    expect(rest.Images?.map((i) => i.Name)).toEqual(['web-base-3-20261018', 'web-base-4-20261117', 'web-base-new']);
    expect(rest.NextToken).toBeUndefined();
  });

  it('answers DryRun and combines ImageIds with Owners as EC2 does', async () => {
    const ec2 = clients.ec2(REGION);
    const base = (await clients.ssm(REGION).send(new GetParameterCommand({ Name: AL2023_PARAMETER }))).Parameter?.Value ?? '';

    const dryRun = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], DryRun: true })).catch((e: unknown) => e);
    const notMine = await ec2.send(new DescribeImagesCommand({ ImageIds: [base], Owners: ['self'] }));
    const amazons = await ec2.send(new DescribeImagesCommand({ ImageIds: [base], Owners: ['amazon'] }));

    expect(dryRun).toMatchObject({ name: 'DryRunOperation', $metadata: expect.objectContaining({ httpStatusCode: 412 }) });
    expect(notMine.Images).toEqual([]);
    expect(amazons.Images?.map((i) => i.ImageId)).toEqual([base]);
  });

  it('answers unknown and malformed ids as EC2 does', async () => {
    const ec2 = clients.ec2(REGION);
    await expect(ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] }))).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    await expect(ec2.send(new DescribeImagesCommand({ ImageIds: ['image-1'] }))).rejects.toMatchObject({ name: 'InvalidAMIID.Malformed' });
    await expect(ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('CopyImage', () => {
  it('copies to another region with the regional KMS key and tags, in time proportional to size, idempotently', async () => {
    const sourceId = await goldenImage('web-base-5', { 'gami:pipeline': 'web-base', 'gami:version': '5' });
    const frankfurt = clients.ec2('eu-central-1');
    const copy = () =>
      frankfurt.send(
        new CopyImageCommand({ SourceImageId: sourceId, SourceRegion: REGION, Name: 'web-base-5', ClientToken: 'copy-5-eu-central-1', Encrypted: true, KmsKeyId: 'alias/gami-ami', CopyImageTags: true }),
      );

    const first = await copy();
    const second = await copy();
    const pending = await describe1(first.ImageId ?? '', 'eu-central-1');
    await elapse(env.clock, 2 * 60_000 + 8 * 30_000 - 1_000);
    const almost = await describe1(first.ImageId ?? '', 'eu-central-1');
    await elapse(env.clock, 1_000);
    const done = await describe1(first.ImageId ?? '', 'eu-central-1');

    expect(second.ImageId).toBe(first.ImageId);
    expect(pending.State).toBe('pending');
    expect(almost.State).toBe('pending');
    expect(done.State).toBe('available');
    expect(done.SourceImageId).toBe(sourceId);
    expect(done.BlockDeviceMappings?.[0].Ebs).toMatchObject({ Encrypted: true, KmsKeyId: expect.stringMatching(/^arn:aws:kms:eu-central-1:111111111111:key\//) });
    expect(done.Tags).toEqual(expect.arrayContaining([{ Key: 'gami:version', Value: '5' }]));
  });

  it('fails only the copies the fault plan names (one region), reproducibly', async () => {
    env.cloud.world.faults.add({ behaviour: 'ec2.copyFails', region: 'us-east-1' });
    const sourceId = await goldenImage('web-base-6');

    const toFrankfurt = await clients.ec2('eu-central-1').send(new CopyImageCommand({ SourceImageId: sourceId, SourceRegion: REGION, Name: 'web-base-6' }));
    const toVirginia = await clients.ec2('us-east-1').send(new CopyImageCommand({ SourceImageId: sourceId, SourceRegion: REGION, Name: 'web-base-6' }));
    await elapse(env.clock, 10 * 60_000);

    expect((await describe1(toFrankfurt.ImageId ?? '', 'eu-central-1')).State).toBe('available');
    expect((await describe1(toVirginia.ImageId ?? '', 'us-east-1')).State).toBe('failed');
  });
});

describe('CopyImage durations', () => {
  it('copies incrementally after the first copy under a key, and within a time-based copy\'s duration', async () => {
    // Prepare: a key nothing was copied under yet: the first copy from eu-west-1 is full, the next incremental.
    const { createKey } = await import('../../../local/cloud/services/kms');
    createKey(env.cloud.world, TOOLING, 'us-east-1', { aliases: ['alias/timing'] });
    const virginia = clients.ec2('us-east-1');
    const copyOf = (SourceImageId: string, Name: string, minutes?: number) =>
      virginia.send(new CopyImageCommand({ SourceImageId, SourceRegion: REGION, Name, Encrypted: true, KmsKeyId: 'alias/timing', SnapshotCopyCompletionDurationMinutes: minutes }));
    const sources = [await goldenImage('timed-1'), await goldenImage('timed-2'), await goldenImage('timed-3'), await goldenImage('timed-4')];
    const full = await copyOf(sources[0], 'timed-1');
    const incremental = await copyOf(sources[1], 'timed-2');
    const timeBased = await copyOf(sources[2], 'timed-3', 15);

    // Act: 8 GiB images; incremental = 2 min + a quarter of 8 GiB at 30 s/GiB = 3 min; time-based: a minute at 500 MiB/s.
    await elapse(env.clock, 60_000);
    const afterOneMinute = await describe1(timeBased.ImageId ?? '', 'us-east-1');
    await elapse(env.clock, 2 * 60_000);
    const afterThree = [await describe1(full.ImageId ?? '', 'us-east-1'), await describe1(incremental.ImageId ?? '', 'us-east-1')];

    // Assess
    expect(afterOneMinute.State).toBe('available');
    expect(afterThree.map((i) => i.State)).toEqual(['pending', 'available']);
    await expect(copyOf(sources[3], 'timed-4', 20)).rejects.toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('15 to 2880 in increments of 15') });
  });
});

describe('sharing', () => {
  it('shares with an account, the organization and an OU; the other account then sees and launches it', async () => {
    const ec2 = clients.ec2(REGION);
    const imageId = await goldenImage('shared-7');
    await ec2.send(new CopyImageCommand({ SourceImageId: imageId, SourceRegion: REGION, Name: 'shared-7-cmk', Encrypted: true, KmsKeyId: 'alias/gami-ami' }));
    const copies = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['shared-7-cmk'] }] }));
    const cmkImage = copies.Images?.[0].ImageId ?? '';
    await elapse(env.clock, 10 * 60_000);
    const staging = clients.ec2(REGION, credentialsOf(STAGING));
    const before = await staging.send(new DescribeImagesCommand({ ImageIds: [cmkImage] })).catch((e: unknown) => e);
    expect(before).toMatchObject({ name: 'InvalidAMIID.NotFound' });

    await ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: cmkImage,
        LaunchPermission: {
          Add: [
            { UserId: PROD },
            { OrganizationArn: 'arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5' },
            { OrganizationalUnitArn: 'arn:aws:organizations::111111111111:ou/o-a1b2c3d4e5/ou-a1b2-workload1' },
          ],
        },
      }),
    );
    const attribute = await ec2.send(new DescribeImageAttributeCommand({ ImageId: cmkImage, Attribute: 'launchPermission' }));
    const seen = await staging.send(new DescribeImagesCommand({ ImageIds: [cmkImage] }));
    const launched = await staging.send(new RunInstancesCommand({ ImageId: cmkImage, MinCount: 1, MaxCount: 1, InstanceType: 't3.small' }));
    await elapse(env.clock, 60_000);
    const state = await staging.send(new DescribeInstancesCommand({ InstanceIds: [launched.Instances?.[0].InstanceId ?? ''] }));

    expect(attribute.LaunchPermissions).toEqual([
      { UserId: PROD },
      { OrganizationArn: 'arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5' },
      { OrganizationalUnitArn: 'arn:aws:organizations::111111111111:ou/o-a1b2c3d4e5/ou-a1b2-workload1' },
    ]);
    expect(seen.Images?.[0].ImageId).toBe(cmkImage);
    expect(state.Reservations?.[0].Instances?.[0].State?.Name).toBe('running');
  });

  it('refuses to share an image encrypted with the default EBS key and to make any image public under block public access', async () => {
    const ec2 = clients.ec2(REGION);
    const imageId = await goldenImage('default-key-8');
    await ec2.send(new CopyImageCommand({ SourceImageId: imageId, SourceRegion: REGION, Name: 'default-key-8-enc', Encrypted: true }));
    const enc = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['default-key-8-enc'] }] }))).Images?.[0].ImageId ?? '';
    await elapse(env.clock, 10 * 60_000);

    const shareDefaultKey = await ec2.send(new ModifyImageAttributeCommand({ ImageId: enc, LaunchPermission: { Add: [{ UserId: PROD }] } })).catch((e: unknown) => e);
    const state = await ec2.send(new GetImageBlockPublicAccessStateCommand({}));
    const makePublic = await ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ Group: 'all' }] } })).catch((e: unknown) => e);

    expect(shareDefaultKey).toMatchObject({ name: 'InvalidParameter' });
    expect(state.ImageBlockPublicAccessState).toBe('block-new-sharing');
    expect(makePublic).toMatchObject({ name: 'OperationNotPermitted' });
  });

  it('lets a public share through only while block public access is off', async () => {
    const frankfurtProd = clients.ec2('eu-central-1', credentialsOf(PROD));
    const env2 = env.cloud.world;
    // Prod has no block public access in the scenario: an unencrypted image of its own can go public, then not.
    const image = (await import('../../../local/cloud/seed')).addImage(env2, PROD, 'eu-central-1', { name: 'prod-own', software: (await import('../../../local/cloud/seed')).minimalSoftware() });

    await frankfurtProd.send(new ModifyImageAttributeCommand({ ImageId: image.imageId, LaunchPermission: { Add: [{ Group: 'all' }] } }));
    const publicNow = await describe1(image.imageId, 'eu-central-1', PROD);
    await frankfurtProd.send(new ModifyImageAttributeCommand({ ImageId: image.imageId, LaunchPermission: { Remove: [{ Group: 'all' }] } }));
    await frankfurtProd.send(new EnableImageBlockPublicAccessCommand({ ImageBlockPublicAccessState: 'block-new-sharing' }));
    const blocked = await frankfurtProd.send(new ModifyImageAttributeCommand({ ImageId: image.imageId, LaunchPermission: { Add: [{ Group: 'all' }] } })).catch((e: unknown) => e);

    expect(publicNow.Public).toBe(true);
    expect(blocked).toMatchObject({ name: 'OperationNotPermitted' });
    const unblocked = await frankfurtProd.send(new DisableImageBlockPublicAccessCommand({}));
    expect(unblocked.ImageBlockPublicAccessState).toBe('unblocked');
    expect((await frankfurtProd.send(new GetImageBlockPublicAccessStateCommand({}))).ImageBlockPublicAccessState).toBe('unblocked');
  });

  it('refuses to make an encrypted image public and to copy it unencrypted, with EC2’s codes', async () => {
    const ec2 = clients.ec2(REGION);
    const v4 = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:version', Values: ['4'] }] }))).Images?.[0].ImageId ?? '';
    await ec2.send(new DisableImageBlockPublicAccessCommand({}));

    const makePublic = await ec2.send(new ModifyImageAttributeCommand({ ImageId: v4, LaunchPermission: { Add: [{ Group: 'all' }] } })).catch((e: unknown) => e);
    const unencryptedCopy = await clients.ec2('us-east-1').send(new CopyImageCommand({ SourceImageId: v4, SourceRegion: REGION, Name: 'plain', Encrypted: false })).catch((e: unknown) => e);

    expect(makePublic).toMatchObject({ name: 'UnsupportedOperation' });
    expect(unencryptedCopy).toMatchObject({ name: 'InvalidRequest', message: expect.stringContaining('Creating an unencrypted copy from an encrypted snapshot is not supported') });
  });

  it('terminates a cross-account launch of an image whose customer key the launching account may not use', async () => {
    const ec2 = clients.ec2(REGION);
    const imageId = await goldenImage('no-grant-9');
    // A key whose policy does not name staging.
    const { createKey } = await import('../../../local/cloud/services/kms');
    createKey(env.cloud.world, TOOLING, REGION, { aliases: ['alias/private'] });
    const copied = await ec2.send(new CopyImageCommand({ SourceImageId: imageId, SourceRegion: REGION, Name: 'no-grant-9-enc', Encrypted: true, KmsKeyId: 'alias/private' }));
    await elapse(env.clock, 10 * 60_000);
    await ec2.send(new ModifyImageAttributeCommand({ ImageId: copied.ImageId, LaunchPermission: { Add: [{ UserId: STAGING }] } }));
    const staging = clients.ec2(REGION, credentialsOf(STAGING));

    const run = await staging.send(new RunInstancesCommand({ ImageId: copied.ImageId, MinCount: 1, MaxCount: 1 }));
    await elapse(env.clock, 60_000);
    const out = await staging.send(new DescribeInstancesCommand({ InstanceIds: [run.Instances?.[0].InstanceId ?? ''] }));

    expect(out.Reservations?.[0].Instances?.[0].State?.Name).toBe('terminated');
    expect(out.Reservations?.[0].Instances?.[0].StateReason?.Code).toBe('Client.InternalError');
    // With a grant to the staging account the same launch works.
    const keyArn = (await clients.kms(REGION).send(new DescribeKeyCommand({ KeyId: 'alias/private' }))).KeyMetadata?.Arn;
    await clients.kms(REGION).send(new CreateGrantCommand({ KeyId: keyArn, GranteePrincipal: `arn:aws:iam::${STAGING}:root`, Operations: ['Decrypt', 'CreateGrant', 'ReEncryptFrom', 'DescribeKey'] }));
    const again = await staging.send(new RunInstancesCommand({ ImageId: copied.ImageId, MinCount: 1, MaxCount: 1 }));
    await elapse(env.clock, 60_000);
    const granted = await staging.send(new DescribeInstancesCommand({ InstanceIds: [again.Instances?.[0].InstanceId ?? ''] }));
    expect(granted.Reservations?.[0].Instances?.[0].State?.Name).toBe('running');
  });

  it('shares snapshots with accounts but not public when encrypted', async () => {
    const ec2 = clients.ec2(REGION);
    const image = await describe1((await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:version', Values: ['4'] }] }))).Images?.[0].ImageId ?? '');
    const snapshotId = image.BlockDeviceMappings?.[0].Ebs?.SnapshotId ?? '';

    await ec2.send(new ModifySnapshotAttributeCommand({ SnapshotId: snapshotId, Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [PROD] }));
    const prodView = await clients.ec2(REGION, credentialsOf(PROD)).send(new DescribeSnapshotsCommand({ RestorableByUserIds: ['self'] }));
    const makePublic = await ec2.send(new ModifySnapshotAttributeCommand({ SnapshotId: snapshotId, CreateVolumePermission: { Add: [{ Group: 'all' }] } })).catch((e: unknown) => e);

    expect(prodView.Snapshots?.map((s) => s.SnapshotId)).toEqual([snapshotId]);
    expect(makePublic).toMatchObject({ name: 'UnsupportedOperation' });
  });
});

describe('retirement', () => {
  it('deprecates and un-deprecates, refuses to deregister a protected image, and deregisters with snapshots unless another image uses them', async () => {
    const ec2 = clients.ec2(REGION);
    const imageId = await goldenImage('retire-10');
    const snapshotId = (await describe1(imageId)).BlockDeviceMappings?.[0].Ebs?.SnapshotId ?? '';
    // A second image registered on the same snapshot (as RegisterImage could) keeps it alive.
    const world = env.cloud.world;
    const twin = { ...structuredClone(world.region(TOOLING, REGION).images[imageId]), imageId: 'ami-0000000000000beef', name: 'retire-10-twin', tags: {} };
    world.putImage(TOOLING, REGION, twin);

    await ec2.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: new Date(START + 86_400_000) }));
    const deprecated = await describe1(imageId);
    await ec2.send(new DisableImageDeprecationCommand({ ImageId: imageId }));
    await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    const protectedAttempt = await ec2.send(new DeregisterImageCommand({ ImageId: imageId })).catch((e: unknown) => e);
    expect(protectedAttempt).toMatchObject({ name: 'InvalidParameterValue' });
    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    const inUse = await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })).catch((e: unknown) => e);
    expect(inUse).toMatchObject({ name: 'InvalidSnapshot.InUse' });
    const result = await ec2.send(new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: true }));
    const gone = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })).catch((error: unknown) => error);
    const listed = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['retire-10'] }] }));

    expect(deprecated.DeprecationTime).toBe(new Date(START + 86_400_000).toISOString());
    expect(result.DeleteSnapshotResults).toEqual([{ SnapshotId: snapshotId, ReturnCode: 'skipped' }]);
    expect(gone).toMatchObject({ name: 'InvalidAMIID.NotFound' });
    expect(listed.Images).toEqual([]);
  });

  it('keeps blocking deregistration for 24 hours after protection with cooldown is disabled', async () => {
    const ec2 = clients.ec2(REGION);
    const imageId = await goldenImage('cooldown-11');
    await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId, WithCooldown: true }));
    const enabled = (await describe1(imageId)).DeregistrationProtection;

    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    const cooling = (await describe1(imageId)).DeregistrationProtection;
    const blocked = await ec2.send(new DeregisterImageCommand({ ImageId: imageId })).catch((e: unknown) => e);
    await elapse(env.clock, 24 * 3_600_000);
    const done = await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));

    expect(enabled).toBe('enabled-with-cooldown');
    expect(cooling).toMatch(/^disabled-until-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
    expect(blocked).toMatchObject({ name: 'InvalidParameterValue' });
    expect(done.Return).toBe(true);
  });

  it('lists what references an image: instances, launch templates and SSM parameters', async () => {
    const ec2 = clients.ec2(REGION);
    const v4 = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:version', Values: ['4'] }] }))).Images?.[0].ImageId ?? '';
    const v3 = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:version', Values: ['3'] }] }))).Images?.[0].ImageId ?? '';

    const tooling = await ec2.send(new DescribeImageReferencesCommand({ ImageIds: [v4], IncludeAllResourceTypes: true }));
    const prod = await clients.ec2(REGION, credentialsOf(PROD)).send(new DescribeImageReferencesCommand({ ImageIds: [v3], IncludeAllResourceTypes: true }));

    expect(tooling.ImageReferences).toEqual([{ ImageId: v4, ResourceType: 'ssm:Parameter', Arn: 'arn:aws:ssm:eu-west-1:111111111111:parameter/golden/web-base/latest' }]);
    expect(prod.ImageReferences?.map((r) => r.ResourceType).sort()).toEqual(['ec2:Instance', 'ec2:Instance', 'ec2:LaunchTemplate']);
  });

  it('looks at the newest 10 launch template versions by default, as deep as version-depth says (1-10,000), and checks its options', async () => {
    const ec2 = clients.ec2(REGION);
    const v3 = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:version', Values: ['3'] }] }))).Images?.[0].ImageId ?? '';
    const v4 = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:version', Values: ['4'] }] }))).Images?.[0].ImageId ?? '';
    const prod = clients.ec2(REGION, credentialsOf(PROD));
    // web-prod's version 1 uses v3; ten newer versions use v4, so version 1 is the 11th newest.
    for (let i = 0; i < 10; i++) {
      await prod.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: 'web-prod', SourceVersion: '1', LaunchTemplateData: { ImageId: v4 } }));
    }
    const templates = (depth?: string) =>
      prod
        .send(
          new DescribeImageReferencesCommand({
            ImageIds: [v3],
            ResourceTypes: [{ ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: depth ? [{ OptionName: 'version-depth', OptionValues: [depth] }] : undefined }],
          }),
        )
        .then((out) => out.ImageReferences?.length ?? 0);
    const refused = (options: object) => prod.send(new DescribeImageReferencesCommand({ ImageIds: [v3], ResourceTypes: [options] })).catch((e: unknown) => e);

    expect(await templates()).toBe(0);
    expect(await templates('10')).toBe(0);
    expect(await templates('11')).toBe(1);
    expect(await refused({ ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['10001'] }] })).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await refused({ ResourceType: 'ssm:Parameter', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['5'] }] })).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await refused({ ResourceType: 'ec2:Volume' })).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await prod.send(new DescribeImageReferencesCommand({ ImageIds: [v3], ResourceTypes: [{ ResourceType: 'imagebuilder:ImageRecipe' }] }))).toMatchObject({ ImageReferences: [] });
  });

  it('creates and deletes tags through the index DescribeImages uses', async () => {
    const ec2 = clients.ec2(REGION);
    const v1 = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:version', Values: ['1'] }] }))).Images?.[0].ImageId ?? '';

    await ec2.send(new CreateTagsCommand({ Resources: [v1], Tags: [{ Key: 'gami:status', Value: 'retired' }] }));
    const retired = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:status', Values: ['retired'] }] }));
    await ec2.send(new DeleteTagsCommand({ Resources: [v1], Tags: [{ Key: 'gami:status' }] }));
    const afterDelete = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag-key', Values: ['gami:status'] }] }));

    expect(retired.Images?.map((i) => i.ImageId)).toEqual([v1]);
    expect(afterDelete.Images?.map((i) => i.ImageId)).not.toContain(v1);
    expect(afterDelete.Images).toHaveLength(3);
  });
});
