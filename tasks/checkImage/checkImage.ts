/** checkImage: one poll of a new image; the workflow waits with backoff while it is pending. */
import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { checkImageEventSchema, checkImageResultSchema } from '../contracts';
import { hasErrorName } from '../common/aws-errors';
import { snapshotIdsOf } from '../common/images';
import { ImageCreationFailed } from '../errors';

export type CheckImageEvent = z.output<typeof checkImageEventSchema>;
export type CheckImageResult = z.output<typeof checkImageResultSchema>;

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

  switch (image.State) {
    case 'pending':
      return { state: 'pending', snapshotIds: snapshotIdsOf(image) };
    case 'available':
      return { state: 'available', snapshotIds: snapshotIdsOf(image) };
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
