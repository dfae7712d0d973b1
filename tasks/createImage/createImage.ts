/**
 * createImage: turn the builder into the pipeline's image, with lineage tags on the image and its
 * snapshots. Check-before-create by name (AMI names are unique per account and region): a retry finds the
 * image the first call made and returns it instead of failing on the duplicate name. With an image spec, its
 * volume sizes, types, IOPS and throughput are pinned in CreateImage's BlockDeviceMappings.
 */
import { CreateImageCommand, DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import { TAG } from '../../pipeline/tags';
import type { createImageEventSchema, createImageResultSchema } from '../contracts';
import { hasErrorName, isPermanentAwsError } from '../common/aws-errors';
import { snapshotIdsOf } from '../common/images';
import { toEc2Tags } from '../common/tags';
import { ImageCreationFailed } from '../errors';
import { imageMappings } from '../launchInstance/image-spec';

export type CreateImageEvent = z.output<typeof createImageEventSchema>;
export type CreateImageResult = z.output<typeof createImageResultSchema>;

/** States of an image that still exists; a deregistered one can linger in DescribeImages for a while. */
const EXISTING = new Set(['pending', 'available', 'failed', 'error', 'invalid', 'transient', 'unknown']);

/** Lineage tags: from any image an auditor can get back to the run, version, base image and components. */
export function lineageTags(event: CreateImageEvent): Record<string, string> {
  return {
    Name: event.imageName,
    [TAG.pipeline]: event.run.pipeline,
    [TAG.version]: String(event.version),
    [TAG.execution]: event.run.executionArn,
    [TAG.baseImage]: event.baseImageId,
    [TAG.components]: event.components.join(','),
    [TAG.createdAt]: event.run.now,
    [TAG.status]: 'testing',
  };
}

async function findOwnImage(ec2: EC2Client, name: string): Promise<Image | undefined> {
  const images = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }))).Images ?? [];
  return images.find((image) => image.Name === name && EXISTING.has(image.State ?? 'unknown'));
}

/** Reuse `image` only if this execution made it; a same-named image of another run is a naming collision. */
function reuse(image: Image, event: CreateImageEvent): CreateImageResult {
  const madeBy = image.Tags?.find((tag) => tag.Key === TAG.execution)?.Value;
  if (madeBy !== event.run.executionArn) {
    throw new ImageCreationFailed(
      `an image named ${event.imageName} already exists (${image.ImageId}, made by ${madeBy ?? 'something outside this pipeline'}); ` +
        'the naming pattern must give every build a new name',
    );
  }
  return { imageId: image.ImageId ?? '', snapshotIds: snapshotIdsOf(image) };
}

export async function createImage(clients: { ec2: EC2Client }, event: CreateImageEvent): Promise<CreateImageResult> {
  const existing = await findOwnImage(clients.ec2, event.imageName);
  if (existing) return reuse(existing, event);

  const tags = toEc2Tags(event.tags, lineageTags(event));
  try {
    const created = await clients.ec2.send(
      new CreateImageCommand({
        InstanceId: event.instanceId,
        Name: event.imageName,
        Description: event.description,
        // Reboot so the file systems are consistent in the snapshot.
        NoReboot: false,
        // The spec's volumes pinned in the image (encryption comes from the builder's volumes).
        ...(event.image && event.rootDeviceName ? { BlockDeviceMappings: imageMappings(event.rootDeviceName, event.image) } : {}),
        TagSpecifications: [
          { ResourceType: 'image', Tags: tags },
          { ResourceType: 'snapshot', Tags: tags },
        ],
      }),
    );
    if (!created.ImageId) throw new ImageCreationFailed(`CreateImage for ${event.imageName} returned no image id`);
    // Snapshots are known once the image is available; checkImage reports them.
    return { imageId: created.ImageId, snapshotIds: [] };
  } catch (error) {
    if (hasErrorName(error, 'InvalidAMIName.Duplicate')) {
      // A concurrent retry won the race between our lookup and our create.
      const raced = await findOwnImage(clients.ec2, event.imageName);
      if (raced) return reuse(raced, event);
    }
    if (isPermanentAwsError(error)) {
      throw new ImageCreationFailed(`CreateImage ${event.imageName} from ${event.instanceId} was refused: ${error.name}: ${error.message}`);
    }
    throw error;
  }
}
