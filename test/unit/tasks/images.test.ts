import { CreateImageCommand, DescribeImagesCommand, EC2Client, type Image } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as checkImage } from '../../../tasks/checkImage/handler';
import { handler as createImage } from '../../../tasks/createImage/handler';
import { ec2ClientError, EXECUTION_ARN, run } from './fixtures';

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

const event = {
  run,
  instanceId: 'i-0aaaaaaaaaaaaaaa1',
  imageName: 'web-base-12-20261122',
  description: 'web-base v12 from ami-0123456789abcdef0',
  version: 12,
  baseImageId: 'ami-0123456789abcdef0',
  components: ['os-update', 'ssh-hardening', 'cleanup'],
  tags: { CostCenter: '4711' },
};
const ownImage = (overrides: Partial<Image> = {}): Image => ({
  ImageId: 'ami-0fedcba9876543210',
  Name: 'web-base-12-20261122',
  State: 'available',
  Tags: [{ Key: 'gami:execution', Value: EXECUTION_ARN }],
  BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0123456789abcdef0' } }],
  ...overrides,
});

describe('createImage', () => {
  it('creates the image with reboot and lineage tags on image and snapshots', async () => {
    // Prepare
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2.on(CreateImageCommand).resolves({ ImageId: 'ami-0fedcba9876543210' });

    // Act
    const result = await createImage(event);

    // Assess
    expect(result).toEqual({ imageId: 'ami-0fedcba9876543210', snapshotIds: [] });
    expect(ec2).toReceiveCommandWith(DescribeImagesCommand, { Owners: ['self'], Filters: [{ Name: 'name', Values: ['web-base-12-20261122'] }] });
    const tags = [
      { Key: 'CostCenter', Value: '4711' },
      { Key: 'Name', Value: 'web-base-12-20261122' },
      { Key: 'gami:pipeline', Value: 'web-base' },
      { Key: 'gami:version', Value: '12' },
      { Key: 'gami:execution', Value: EXECUTION_ARN },
      { Key: 'gami:base-image', Value: 'ami-0123456789abcdef0' },
      { Key: 'gami:components', Value: 'os-update,ssh-hardening,cleanup' },
      { Key: 'gami:created-at', Value: '2026-11-22T10:15:30.000Z' },
      { Key: 'gami:status', Value: 'testing' },
    ];
    expect(ec2).toReceiveCommandWith(CreateImageCommand, {
      InstanceId: 'i-0aaaaaaaaaaaaaaa1',
      Name: 'web-base-12-20261122',
      Description: 'web-base v12 from ami-0123456789abcdef0',
      NoReboot: false,
      TagSpecifications: [
        { ResourceType: 'image', Tags: tags },
        { ResourceType: 'snapshot', Tags: tags },
      ],
    });
  });

  it('is idempotent: reuses the image this execution already made under that name', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [ownImage({ State: 'pending' })] });

    await expect(createImage(event)).resolves.toEqual({ imageId: 'ami-0fedcba9876543210', snapshotIds: ['snap-0123456789abcdef0'] });
    expect(ec2).not.toReceiveCommand(CreateImageCommand);
  });

  it('reuses the image when a concurrent retry created it between lookup and create', async () => {
    ec2.on(DescribeImagesCommand).resolvesOnce({ Images: [] }).resolvesOnce({ Images: [ownImage()] });
    ec2.on(CreateImageCommand).rejects(ec2ClientError('InvalidAMIName.Duplicate', 'AMI name web-base-12-20261122 is already in use by AMI ami-0fedcba9876543210'));

    await expect(createImage(event)).resolves.toEqual({ imageId: 'ami-0fedcba9876543210', snapshotIds: ['snap-0123456789abcdef0'] });
  });

  it('ignores a deregistered image of the same name and creates a new one', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [ownImage({ State: 'deregistered' })] });
    ec2.on(CreateImageCommand).resolves({ ImageId: 'ami-0000000000000000a' });

    await expect(createImage(event)).resolves.toEqual({ imageId: 'ami-0000000000000000a', snapshotIds: [] });
  });

  it('refuses to adopt a same-named image of another execution', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [ownImage({ Tags: [{ Key: 'gami:execution', Value: 'arn:other' }] })] });

    await expect(createImage(event)).rejects.toMatchObject({
      name: 'ImageCreationFailed',
      message: expect.stringContaining('an image named web-base-12-20261122 already exists (ami-0fedcba9876543210, made by arn:other)'),
    });
  });

  it('turns a refusal into ImageCreationFailed with the AWS reason', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2.on(CreateImageCommand).rejects(ec2ClientError('IncorrectInstanceState', "The instance 'i-0aaaaaaaaaaaaaaa1' is not in a state from which it can be imaged."));

    await expect(createImage(event)).rejects.toMatchObject({
      name: 'ImageCreationFailed',
      message:
        'CreateImage web-base-12-20261122 from i-0aaaaaaaaaaaaaaa1 was refused: IncorrectInstanceState: ' +
        "The instance 'i-0aaaaaaaaaaaaaaa1' is not in a state from which it can be imaged.",
    });
  });
});

describe('checkImage', () => {
  const check = { run, imageId: 'ami-0fedcba9876543210' };

  it('reports pending, then available with the snapshot ids', async () => {
    ec2
      .on(DescribeImagesCommand)
      .resolvesOnce({ Images: [ownImage({ State: 'pending', BlockDeviceMappings: [] })] })
      .resolvesOnce({ Images: [ownImage()] });

    await expect(checkImage(check)).resolves.toEqual({ state: 'pending', snapshotIds: [] });
    await expect(checkImage(check)).resolves.toEqual({ state: 'available', snapshotIds: ['snap-0123456789abcdef0'] });
    expect(ec2).toReceiveCommandWith(DescribeImagesCommand, { ImageIds: ['ami-0fedcba9876543210'] });
  });

  it('throws ImageCreationFailed with EC2 state reason when the image failed', async () => {
    ec2.on(DescribeImagesCommand).resolves({
      Images: [ownImage({ State: 'failed', StateReason: { Code: 'Client.SnapshotCreationFailed', Message: 'Snapshot creation failed: volume is in error state' } })],
    });

    await expect(checkImage(check)).rejects.toMatchObject({
      name: 'ImageCreationFailed',
      message: 'image ami-0fedcba9876543210 (web-base-12-20261122) is failed: Snapshot creation failed: volume is in error state',
    });
  });

  it('throws ImageCreationFailed when the image was deregistered or is gone', async () => {
    ec2
      .on(DescribeImagesCommand)
      .resolvesOnce({ Images: [ownImage({ State: 'deregistered' })] })
      .rejectsOnce(ec2ClientError('InvalidAMIID.NotFound'))
      .resolvesOnce({ Images: [] });

    await expect(checkImage(check)).rejects.toThrow('image ami-0fedcba9876543210 was deregistered before it became available');
    await expect(checkImage(check)).rejects.toThrow('image ami-0fedcba9876543210 no longer exists (deregistered or never created)');
    await expect(checkImage(check)).rejects.toMatchObject({ name: 'ImageCreationFailed' });
  });
});
