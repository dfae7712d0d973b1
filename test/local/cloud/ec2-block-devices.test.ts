/**
 * The image as a platform team specifies it, on the simulated account: block device mappings at RunInstances and
 * CreateImage (sizes, EBS types and their IOPS/throughput rules, encryption with a customer key), boot modes against
 * architecture and instance type, NitroTPM and IMDSv2-only images through RegisterImage and ModifyImageAttribute.
 */
import {
  CreateImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  ModifyImageAttributeCommand,
  RegisterImageCommand,
  RunInstancesCommand,
  type BlockDeviceMapping,
  type Instance,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { baseImageId, clients, elapse, startExampleCloud, TOOLING, type ExampleCloud } from './cloud-fixture';

const REGION = 'eu-west-1';
let env: ExampleCloud;

beforeEach(async () => {
  env = await startExampleCloud();
});
afterEach(async () => {
  await env.cloud.stop();
});

const ec2 = () => clients.ec2(REGION);

async function run(input: Partial<RunInstancesCommandInput>): Promise<Instance> {
  const out = await ec2().send(new RunInstancesCommand({ ImageId: await baseImageId(), InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, ...input }));
  return out.Instances?.[0] ?? {};
}

async function instance(id: string): Promise<Instance> {
  return (await ec2().send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0].Instances?.[0] ?? {};
}

function keyArn(alias: string): string {
  const region = env.cloud.world.region(TOOLING, REGION);
  return region.kmsKeys[region.kmsAliases[alias]].arn;
}

const builderDevices: BlockDeviceMapping[] = [
  { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, VolumeType: 'gp3', Iops: 4000, Throughput: 250, Encrypted: true, KmsKeyId: 'alias/gami-ami', DeleteOnTermination: true } },
  { DeviceName: '/dev/xvdb', Ebs: { VolumeSize: 500, VolumeType: 'st1', Encrypted: true, KmsKeyId: 'alias/gami-ami' } },
];

describe('RunInstances block device mappings', () => {
  it('creates the configured root and data volumes, encrypted with the named customer key', async () => {
    // Act
    const launched = await run({ BlockDeviceMappings: builderDevices });
    await elapse(env.clock, 60_000);
    const volumes = await ec2().send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [launched.InstanceId ?? ''] }] }));
    // Assess
    expect((await instance(launched.InstanceId ?? '')).State?.Name).toBe('running');
    expect(volumes.Volumes?.map((v) => [v.Attachments?.[0].Device, v.Size, v.VolumeType, v.Iops, v.Throughput, v.Encrypted, v.KmsKeyId])).toEqual([
      ['/dev/xvda', 20, 'gp3', 4000, 250, true, keyArn('alias/gami-ami')],
      ['/dev/xvdb', 500, 'st1', undefined, undefined, true, keyArn('alias/gami-ami')],
    ]);
  });

  it('refuses a root volume smaller than the image’s snapshot with EC2’s InvalidBlockDeviceMapping', async () => {
    // Prepare
    const image = (await ec2().send(new DescribeImagesCommand({ ImageIds: [await baseImageId()] }))).Images?.[0];
    const snapshot = image?.BlockDeviceMappings?.[0].Ebs;
    // Act
    const refused = await run({ BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: (snapshot?.VolumeSize ?? 8) - 4 } }] }).catch((e: unknown) => e);
    // Assess
    expect(refused).toMatchObject({
      name: 'InvalidBlockDeviceMapping',
      message: `Volume of size ${(snapshot?.VolumeSize ?? 8) - 4}GB is smaller than snapshot '${snapshot?.SnapshotId}', expect size >= ${snapshot?.VolumeSize}GB`,
    });
  });

  it.each([
    ['IOPS on gp2', { VolumeType: 'gp2', Iops: 3000 }, { name: 'InvalidParameterCombination', message: 'The parameter iops is not supported for gp2 volumes.' }],
    ['throughput on io1', { VolumeType: 'io1', Iops: 1000, Throughput: 200 }, { name: 'InvalidParameterCombination' }],
    ['io1 without IOPS', { VolumeType: 'io1' }, { name: 'InvalidParameterCombination' }],
    ['io1 over 50 IOPS per GiB', { VolumeType: 'io1', VolumeSize: 20, Iops: 1200 }, { name: 'InvalidParameterValue', message: 'Iops to volume size ratio of 60.000000 is too high; maximum is 50.000000' }],
    ['io2 over 256,000 IOPS', { VolumeType: 'io2', VolumeSize: 1000, Iops: 300_000 }, { name: 'InvalidParameterValue' }],
    ['gp3 over 0.25 MiB/s per IOPS', { VolumeType: 'gp3', Iops: 3000, Throughput: 1000 }, { name: 'InvalidParameterValue', message: 'Throughput (MiBps) to iops ratio of 0.333333 is too high; maximum is 0.250000 MiBps per iops.' }],
    ['st1 under 125 GiB', { VolumeType: 'st1', VolumeSize: 100 }, { name: 'InvalidParameterValue' }],
    ['standard over 1 TiB', { VolumeType: 'standard', VolumeSize: 2000 }, { name: 'InvalidParameterValue' }],
    ['KmsKeyId without Encrypted', { KmsKeyId: 'alias/gami-ami' }, { name: 'InvalidParameterDependency', message: 'The parameter KmsKeyId requires the parameter Encrypted to be set.' }],
  ] as const)('refuses %s as EC2 does', async (_label, ebs, expected) => {
    // Act
    const refused = await run({ BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, ...ebs } }] }).catch((e: unknown) => e);
    // Assess
    expect(refused).toMatchObject(expected);
  });

  it('accepts the limits of each type: gp3 at 500 IOPS/GiB and 0.25 MiB/s per IOPS, io2 at 1,000 IOPS/GiB', async () => {
    // Act
    const gp3 = await run({ BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, VolumeType: 'gp3', Iops: 10_000, Throughput: 2_000 } }] }).catch((e: unknown) => e);
    const io2 = await run({ BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, VolumeType: 'io2', Iops: 20_000 } }] }).catch((e: unknown) => e);
    // Assess
    expect(gp3).toMatchObject({ InstanceId: expect.stringMatching(/^i-/) });
    expect(io2).toMatchObject({ InstanceId: expect.stringMatching(/^i-/) });
  });

  it('accepts a launch with a missing or disabled key, then terminates the instance with Client.InvalidKMSKey.InvalidState', async () => {
    // Prepare
    const region = env.cloud.world.region(TOOLING, REGION);
    region.kmsKeys[region.kmsAliases['alias/gami-ami']].keyState = 'Disabled';
    const encryptedWith = (KmsKeyId: string): BlockDeviceMapping[] => [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, KmsKeyId } }];
    // Act
    const disabled = await run({ BlockDeviceMappings: encryptedWith('alias/gami-ami') });
    const missing = await run({ BlockDeviceMappings: encryptedWith('alias/no-such-key') });
    await elapse(env.clock, 60_000);
    // Assess
    for (const launched of [disabled, missing]) {
      expect(launched.State?.Name).toBe('pending');
      expect(await instance(launched.InstanceId ?? '')).toMatchObject({
        State: { Name: 'terminated' },
        StateReason: { Code: 'Client.InvalidKMSKey.InvalidState', Message: 'Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state' },
      });
    }
  });
});

describe('CreateImage block device mappings', () => {
  it('records the instance’s volumes — sizes, types, IOPS, throughput, encryption with the key — and its own overrides', async () => {
    // Prepare
    const builder = await run({ BlockDeviceMappings: [...builderDevices, { DeviceName: '/dev/xvdc', Ebs: { VolumeSize: 10, VolumeType: 'gp3' } }] });
    await elapse(env.clock, 60_000);
    // Act: grow the root, make the data volume io2, leave the scratch volume out
    const created = await ec2().send(
      new CreateImageCommand({
        InstanceId: builder.InstanceId,
        Name: 'web-base-mapped',
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 30 } },
          { DeviceName: '/dev/xvdb', Ebs: { VolumeType: 'io2', Iops: 5000 } },
          { DeviceName: '/dev/xvdc', NoDevice: '' },
        ],
      }),
    );
    await elapse(env.clock, 20 * 60_000);
    const image = (await ec2().send(new DescribeImagesCommand({ ImageIds: [created.ImageId ?? ''] }))).Images?.[0];
    const snapshots = await ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: image?.BlockDeviceMappings?.map((b) => b.Ebs?.SnapshotId ?? '') }));
    // Assess
    const key = keyArn('alias/gami-ami');
    expect(image?.State).toBe('available');
    expect(image?.BlockDeviceMappings?.map((b) => [b.DeviceName, b.Ebs?.VolumeSize, b.Ebs?.VolumeType, b.Ebs?.Iops, b.Ebs?.Throughput, b.Ebs?.Encrypted, b.Ebs?.KmsKeyId])).toEqual([
      ['/dev/xvda', 30, 'gp3', 4000, 250, true, key],
      ['/dev/xvdb', 500, 'io2', 5000, undefined, true, key],
    ]);
    expect(snapshots.Snapshots?.map((s) => [s.Encrypted, s.KmsKeyId, s.State])).toEqual([
      [true, key, 'completed'],
      [true, key, 'completed'],
    ]);
  });

  it('refuses a key, a change of encryption or a smaller volume in CreateImage’s mappings', async () => {
    // Prepare
    const builder = await run({ BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20 } }] });
    await elapse(env.clock, 60_000);
    const attempt = (mapping: BlockDeviceMapping) =>
      ec2().send(new CreateImageCommand({ InstanceId: builder.InstanceId, Name: `x-${Math.random().toString(36).slice(2)}`, BlockDeviceMappings: [mapping] })).catch((e: unknown) => e);
    // Act / Assess
    expect(await attempt({ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, KmsKeyId: 'alias/gami-ami' } })).toMatchObject({ name: 'InvalidParameterCombination' });
    expect(await attempt({ DeviceName: '/dev/xvda', Ebs: { Encrypted: true } })).toMatchObject({ name: 'InvalidParameterCombination' });
    expect(await attempt({ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 10 } })).toMatchObject({ name: 'InvalidBlockDeviceMapping' });
  });
});

describe('boot mode, NitroTPM and IMDSv2-only images', () => {
  const arm64Image = async () =>
    (await clients.ssm(REGION).send(new GetParameterCommand({ Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64' }))).Parameter?.Value ?? '';

  it('boots a uefi-preferred image UEFI on Nitro and legacy BIOS on Xen types, an arm64 image UEFI on Graviton only', async () => {
    // Act
    const nitro = await run({ InstanceType: 't3.small' });
    const xen = await run({ InstanceType: 't2.micro' });
    const graviton = await run({ ImageId: await arm64Image(), InstanceType: 'm7g.large' });
    const mismatch = await run({ ImageId: await arm64Image(), InstanceType: 't3.small' }).catch((e: unknown) => e);
    const arm = (await ec2().send(new DescribeImagesCommand({ ImageIds: [await arm64Image()] }))).Images?.[0];
    // Assess
    expect([nitro.CurrentInstanceBootMode, xen.CurrentInstanceBootMode, graviton.CurrentInstanceBootMode]).toEqual(['uefi', 'legacy-bios', 'uefi']);
    expect(arm?.BootMode).toBe('uefi');
    expect(mismatch).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining("does not match the architecture 'arm64' of the specified AMI") });
  });

  it('registers a UEFI, NitroTPM, IMDSv2-only image from a baked image’s snapshots, and checks each against EC2’s rules', async () => {
    // Prepare: bake an image the usual way, then register its snapshots with the attributes CreateImage cannot set
    const builder = await run({ BlockDeviceMappings: builderDevices.slice(0, 1) });
    await elapse(env.clock, 60_000);
    const baked = await ec2().send(new CreateImageCommand({ InstanceId: builder.InstanceId, Name: 'web-base-baked' }));
    await elapse(env.clock, 10 * 60_000);
    const bakedImage = (await ec2().send(new DescribeImagesCommand({ ImageIds: [baked.ImageId ?? ''] }))).Images?.[0];
    const snapshotId = bakedImage?.BlockDeviceMappings?.[0].Ebs?.SnapshotId;
    const register = (extra: object) =>
      ec2()
        .send(
          new RegisterImageCommand({
            Name: `web-base-tpm-${Math.random().toString(36).slice(2)}`,
            Architecture: 'x86_64',
            RootDeviceName: '/dev/xvda',
            VirtualizationType: 'hvm',
            EnaSupport: true,
            BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotId, VolumeType: 'gp3', DeleteOnTermination: true } }],
            ...extra,
          }),
        )
        .catch((e: unknown) => e);
    // Act
    const registered = (await register({ BootMode: 'uefi', TpmSupport: 'v2.0', ImdsSupport: 'v2.0' })) as { ImageId: string };
    const image = (await ec2().send(new DescribeImagesCommand({ ImageIds: [registered.ImageId] }))).Images?.[0];
    const launched = await run({ ImageId: registered.ImageId, InstanceType: 'm6i.large' });
    const onXen = await run({ ImageId: registered.ImageId, InstanceType: 't2.micro' }).catch((e: unknown) => e);
    // Assess
    expect(bakedImage?.ImdsSupport).toBeUndefined();
    expect(image).toMatchObject({ State: 'available', BootMode: 'uefi', TpmSupport: 'v2.0', ImdsSupport: 'v2.0', Architecture: 'x86_64' });
    expect(image?.BlockDeviceMappings?.[0].Ebs).toMatchObject({ SnapshotId: snapshotId, Encrypted: true, KmsKeyId: keyArn('alias/gami-ami'), VolumeType: 'gp3' });
    expect(launched).toMatchObject({ CurrentInstanceBootMode: 'uefi', TpmSupport: 'v2.0', MetadataOptions: { HttpTokens: 'required' } });
    expect(onXen).toMatchObject({ name: 'InvalidParameterCombination' });
    expect(await register({ BootMode: 'legacy-bios', TpmSupport: 'v2.0' })).toMatchObject({ name: 'InvalidParameterCombination' });
    expect(await register({ Architecture: 'arm64', BootMode: 'legacy-bios' })).toMatchObject({ name: 'InvalidParameterCombination' });
    expect(await register({ ImdsSupport: 'v1.0' })).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('makes an image IMDSv2-only through ModifyImageAttribute: its instances get HttpTokens required unless they ask otherwise', async () => {
    // Prepare: an image baked from an instance that was itself IMDSv2-only does not inherit it
    const builder = await run({ MetadataOptions: { HttpTokens: 'required' } });
    await elapse(env.clock, 60_000);
    const { ImageId } = await ec2().send(new CreateImageCommand({ InstanceId: builder.InstanceId, Name: 'web-base-imds' }));
    await elapse(env.clock, 10 * 60_000);
    const before = (await ec2().send(new DescribeImagesCommand({ ImageIds: [ImageId ?? ''] }))).Images?.[0];
    const optionalBefore = await run({ ImageId });
    // Act
    await ec2().send(new ModifyImageAttributeCommand({ ImageId, ImdsSupport: { Value: 'v2.0' } }));
    const after = (await ec2().send(new DescribeImagesCommand({ ImageIds: [ImageId ?? ''] }))).Images?.[0];
    const requiredAfter = await run({ ImageId });
    const invalid = await ec2().send(new ModifyImageAttributeCommand({ ImageId, ImdsSupport: { Value: 'v1.0' } })).catch((e: unknown) => e);
    // Assess
    expect(before?.ImdsSupport).toBeUndefined();
    expect(optionalBefore.MetadataOptions?.HttpTokens).toBe('optional');
    expect(after?.ImdsSupport).toBe('v2.0');
    expect(requiredAfter.MetadataOptions?.HttpTokens).toBe('required');
    expect(invalid).toMatchObject({ name: 'InvalidParameterValue' });
  });
});
