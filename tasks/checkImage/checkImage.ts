/**
 * checkImage: one poll of a new image; the workflow waits with backoff while it is pending. Once available, an
 * image whose spec says `imdsSupport: v2.0` is marked IMDSv2-only (ModifyImageAttribute: CreateImage has no such
 * parameter; the attribute cannot be undone, so setting it twice is harmless), and what the image is made of is
 * returned for the registry.
 */
import { DescribeImagesCommand, ModifyImageAttributeCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { checkImageEventSchema, checkImageResultSchema, ImageFacts } from '../contracts';
import { hasErrorName, isPermanentAwsError } from '../common/aws-errors';
import { snapshotIdsOf } from '../common/images';
import { ImageCreationFailed } from '../errors';

export type CheckImageEvent = z.output<typeof checkImageEventSchema>;
export type CheckImageResult = z.output<typeof checkImageResultSchema>;

/** The image's boot mode, TPM, IMDS support and volumes as DescribeImages shows them. */
export function imageFacts(image: Image): ImageFacts {
  const facts: ImageFacts = {
    blockDevices: (image.BlockDeviceMappings ?? []).flatMap((m) => {
      if (!m.DeviceName || !m.Ebs) return [];
      const e = m.Ebs;
      return [{
        deviceName: m.DeviceName,
        ...(e.SnapshotId ? { snapshotId: e.SnapshotId } : {}),
        ...(e.VolumeSize !== undefined ? { sizeGiB: e.VolumeSize } : {}),
        ...(e.VolumeType ? { type: e.VolumeType } : {}),
        ...(e.Iops !== undefined ? { iops: e.Iops } : {}),
        ...(e.Throughput !== undefined ? { throughputMiBps: e.Throughput } : {}),
        ...(e.Encrypted !== undefined ? { encrypted: e.Encrypted } : {}),
        ...(e.KmsKeyId ? { kmsKeyId: e.KmsKeyId } : {}),
      }];
    }),
  };
  if (image.Architecture) facts.architecture = image.Architecture;
  if (image.BootMode) facts.bootMode = image.BootMode;
  if (image.TpmSupport) facts.tpmSupport = image.TpmSupport;
  if (image.ImdsSupport) facts.imdsSupport = image.ImdsSupport;
  if (image.RootDeviceName) facts.rootDeviceName = image.RootDeviceName;
  return facts;
}

async function requireImdsV2(ec2: EC2Client, image: Image): Promise<Image> {
  if (image.ImdsSupport === 'v2.0') return image;
  try {
    await ec2.send(new ModifyImageAttributeCommand({ ImageId: image.ImageId, ImdsSupport: { Value: 'v2.0' } }));
  } catch (error) {
    if (isPermanentAwsError(error)) {
      throw new ImageCreationFailed(`image ${image.ImageId ?? '?'} could not be marked IMDSv2-only (image.imdsSupport v2.0): ${error.name}: ${error.message}`);
    }
    throw error;
  }
  return { ...image, ImdsSupport: 'v2.0' };
}

export async function checkImage(clients: { ec2: EC2Client }, event: CheckImageEvent): Promise<CheckImageResult> {
  const { imageId } = event;
  let image;
  try {
    image = (await clients.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true }))).Images?.find(
      (candidate) => candidate.ImageId === imageId,
    );
  } catch (error) {
    if (!hasErrorName(error, 'InvalidAMIID.')) throw error;
  }
  if (!image) throw new ImageCreationFailed(`image ${imageId} no longer exists (deregistered or never created)`);
  const withFacts = (result: Omit<CheckImageResult, 'image'>, described: Image): CheckImageResult =>
    event.imdsSupport === undefined ? result : { ...result, image: imageFacts(described) };

  switch (image.State) {
    case 'pending':
      return withFacts({ state: 'pending', snapshotIds: snapshotIdsOf(image) }, image);
    case 'available': {
      const final = event.imdsSupport === 'v2.0' ? await requireImdsV2(clients.ec2, image) : image;
      return withFacts({ state: 'available', snapshotIds: snapshotIdsOf(image) }, final);
    }
    case 'deregistered':
    case 'disabled':
      throw new ImageCreationFailed(`image ${imageId} was ${image.State} before it became available`);
    default:
      throw new ImageCreationFailed(
        `image ${imageId} (${image.Name ?? 'unnamed'}) is ${image.State ?? 'in an unknown state'}: ` +
          `${image.StateReason?.Message ?? image.StateReason?.Code ?? 'EC2 gave no reason'}`,
      );
  }
}
