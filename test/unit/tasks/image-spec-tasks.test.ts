/** The image spec in the bake handlers: launchInstance's mappings and base image checks, CreateImage's mappings, checkImage's IMDSv2-only mark. */
import { CreateImageCommand, DescribeImagesCommand, EC2Client, ModifyImageAttributeCommand, RunInstancesCommand, type Image } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import type { ImageSpec } from '../../../pipeline/image-spec';
import { handler as checkImage } from '../../../tasks/checkImage/handler';
import { handler as createImage } from '../../../tasks/createImage/handler';
import { handler as launchInstance } from '../../../tasks/launchInstance/handler';
import { ec2ClientError, run } from './fixtures';

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

const SPEC: ImageSpec = {
  rootVolume: { sizeGiB: 10, type: 'gp3', iops: 3000, throughputMiBps: 250 },
  dataVolumes: [{ deviceName: '/dev/sdf', sizeGiB: 20, type: 'gp3', deleteOnTermination: true }],
  encrypted: true,
  kmsKeyAlias: 'alias/gami-ami',
  bootMode: 'uefi-preferred',
  imdsSupport: 'v2.0',
};
const BASE: Image = {
  ImageId: 'ami-0123456789abcdef0',
  Architecture: 'x86_64',
  RootDeviceName: '/dev/xvda',
  BootMode: 'uefi-preferred',
  BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0123456789abcdef0', VolumeSize: 8, VolumeType: 'gp3' } }],
};
const launchEvent = (image: ImageSpec = SPEC) => ({
  run,
  purpose: 'build',
  imageId: 'ami-0123456789abcdef0',
  version: 12,
  instanceType: 't3.medium',
  subnetId: 'subnet-0a1b2c3d4e5f67890',
  securityGroupIds: ['sg-0123456789abcdef0'],
  instanceProfile: 'GamiBuilderInstanceProfile',
  image,
  tags: {},
});

describe('launchInstance with an image spec', () => {
  it('maps the root on the base image root device and the data volumes, encrypted with the key, and returns the root device', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [BASE] });
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1' }] });

    await expect(launchInstance(launchEvent())).resolves.toEqual({ instanceId: 'i-0aaaaaaaaaaaaaaa1', rootDeviceName: '/dev/xvda' });
    expect(ec2).toReceiveCommandWith(RunInstancesCommand, {
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 10, VolumeType: 'gp3', Iops: 3000, Throughput: 250, DeleteOnTermination: true, Encrypted: true, KmsKeyId: 'alias/gami-ami' } },
        { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20, VolumeType: 'gp3', DeleteOnTermination: true, Encrypted: true, KmsKeyId: 'alias/gami-ami' } },
      ],
    });
  });

  it('leaves encryption to the image when the spec says unencrypted', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [BASE] });
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1' }] });

    await launchInstance(launchEvent({ ...SPEC, encrypted: false, kmsKeyAlias: undefined, dataVolumes: [] }));

    const mappings = ec2.commandCalls(RunInstancesCommand)[0].args[0].input.BlockDeviceMappings!;
    expect(mappings[0].Ebs).not.toHaveProperty('Encrypted');
    expect(mappings[0].Ebs).not.toHaveProperty('KmsKeyId');
  });

  it.each([
    ['a root volume below the snapshot', { ...SPEC, rootVolume: { ...SPEC.rootVolume, sizeGiB: 6 } }, BASE, 'image.rootVolume.sizeGiB (6) is smaller than the root snapshot snap-0123456789abcdef0 of base image ami-0123456789abcdef0 (8 GiB)'],
    ['a boot mode the base lacks', { ...SPEC, bootMode: 'uefi' as const }, BASE, 'image.bootMode is uefi but base image ami-0123456789abcdef0 has boot mode uefi-preferred'],
    ['a base without a boot mode (legacy BIOS on x86)', { ...SPEC, bootMode: 'uefi' as const }, { ...BASE, BootMode: undefined }, 'has boot mode legacy-bios (none set: the architecture default)'],
    ['NitroTPM the base lacks', { ...SPEC, bootMode: 'uefi' as const, tpmSupport: 'v2.0' as const }, { ...BASE, BootMode: 'uefi' as const }, 'image.tpmSupport is v2.0 but base image ami-0123456789abcdef0 has no NitroTPM support'],
  ])('refuses %s with InstanceLaunchFailed before RunInstances', async (_what, spec, base, message) => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [base] });

    await expect(launchInstance(launchEvent(spec))).rejects.toMatchObject({ name: 'InstanceLaunchFailed', message: expect.stringContaining(message) });
    expect(ec2).not.toReceiveCommand(RunInstancesCommand);
  });

  it('accepts NitroTPM when the base image has it', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ...BASE, BootMode: 'uefi', TpmSupport: 'v2.0' }] });
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1' }] });

    await expect(launchInstance(launchEvent({ ...SPEC, bootMode: 'uefi', tpmSupport: 'v2.0' }))).resolves.toMatchObject({ instanceId: 'i-0aaaaaaaaaaaaaaa1' });
  });
});

describe('createImage with an image spec', () => {
  it('pins the volumes in CreateImage, without encryption parameters (CreateImage takes none)', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2.on(CreateImageCommand).resolves({ ImageId: 'ami-0fedcba9876543210' });

    await createImage({
      run, instanceId: 'i-0aaaaaaaaaaaaaaa1', imageName: 'web-base-12-20261122', description: 'd', version: 12,
      baseImageId: 'ami-0123456789abcdef0', components: [], tags: {}, image: SPEC, rootDeviceName: '/dev/xvda',
    });

    expect(ec2).toReceiveCommandWith(CreateImageCommand, {
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 10, VolumeType: 'gp3', Iops: 3000, Throughput: 250, DeleteOnTermination: true } },
        { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20, VolumeType: 'gp3', DeleteOnTermination: true } },
      ],
    });
  });
});

describe('checkImage with imdsSupport', () => {
  const image = (overrides: Partial<Image>): Image => ({
    ImageId: 'ami-0fedcba9876543210',
    State: 'available',
    Architecture: 'x86_64',
    RootDeviceName: '/dev/xvda',
    BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0123456789abcdef0', VolumeSize: 10, VolumeType: 'gp3', Iops: 3000, Throughput: 250, Encrypted: true, KmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/k' } }],
    ...overrides,
  });
  const event = { run, imageId: 'ami-0fedcba9876543210', imdsSupport: 'v2.0' };

  it('marks the available image IMDSv2-only and returns what it is made of', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [image({})] });
    ec2.on(ModifyImageAttributeCommand).resolves({});

    await expect(checkImage(event)).resolves.toEqual({
      state: 'available',
      snapshotIds: ['snap-0123456789abcdef0'],
      image: {
        architecture: 'x86_64',
        imdsSupport: 'v2.0',
        rootDeviceName: '/dev/xvda',
        blockDevices: [{ deviceName: '/dev/xvda', snapshotId: 'snap-0123456789abcdef0', sizeGiB: 10, type: 'gp3', iops: 3000, throughputMiBps: 250, encrypted: true, kmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/k' }],
      },
    });
    expect(ec2).toReceiveCommandWith(ModifyImageAttributeCommand, { ImageId: 'ami-0fedcba9876543210', ImdsSupport: { Value: 'v2.0' } });
  });

  it('does not modify a pending image, nor one already IMDSv2-only', async () => {
    ec2.on(DescribeImagesCommand).resolvesOnce({ Images: [image({ State: 'pending' })] }).resolvesOnce({ Images: [image({ ImdsSupport: 'v2.0' })] });

    await expect(checkImage(event)).resolves.toMatchObject({ state: 'pending' });
    await expect(checkImage(event)).resolves.toMatchObject({ state: 'available', image: { imdsSupport: 'v2.0' } });
    expect(ec2).not.toReceiveCommand(ModifyImageAttributeCommand);
  });

  it('leaves the image as it is with imdsSupport none', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [image({})] });

    await expect(checkImage({ ...event, imdsSupport: 'none' })).resolves.toMatchObject({ state: 'available' });
    expect(ec2).not.toReceiveCommand(ModifyImageAttributeCommand);
  });

  it('fails with ImageCreationFailed when EC2 refuses the attribute', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [image({})] });
    ec2.on(ModifyImageAttributeCommand).rejects(ec2ClientError('UnauthorizedOperation'));

    await expect(checkImage(event)).rejects.toMatchObject({ name: 'ImageCreationFailed', message: expect.stringContaining('could not be marked IMDSv2-only') });
  });
});
