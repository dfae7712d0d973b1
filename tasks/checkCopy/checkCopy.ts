/**
 * checkCopy: one poll of a copy in its region; the workflow waits with back-off while it is pending. A copy that
 * failed, was deregistered, or is still pending at the deadline is reported as failed with the reason (the
 * workflow then tries once more, and names the region when that fails too).
 */
import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { checkCopyEventSchema, checkCopyResultSchema } from '../contracts';
import { hasErrorName } from '../common/aws-errors';
import { snapshotIdsOf } from '../common/images';

export type CheckCopyEvent = z.output<typeof checkCopyEventSchema>;
export type CheckCopyResult = z.output<typeof checkCopyResultSchema>;

export async function checkCopy(clients: { ec2: EC2Client }, event: CheckCopyEvent): Promise<CheckCopyResult> {
  const { imageId, region } = event;
  let image;
  try {
    image = (await clients.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true, IncludeDisabled: true }))).Images?.find(
      (candidate) => candidate.ImageId === imageId,
    );
  } catch (error) {
    if (!hasErrorName(error, 'InvalidAMIID.')) throw error;
  }
  if (!image) return { state: 'failed', snapshotIds: [], accountId: '', reason: `copy ${imageId} in ${region} no longer exists` };
  const accountId = image.OwnerId ?? '';
  const snapshotIds = snapshotIdsOf(image);
  if (image.State === 'available') return { state: 'available', snapshotIds, accountId };
  if (image.State === 'pending') {
    if (new Date(event.run.now).getTime() < new Date(event.deadline).getTime()) return { state: 'pending', snapshotIds, accountId };
    return { state: 'failed', snapshotIds, accountId, reason: `copy ${imageId} in ${region} was still pending at ${event.deadline}` };
  }
  const why = image.StateReason?.Message ?? image.StateReason?.Code ?? 'EC2 gave no reason';
  return { state: 'failed', snapshotIds, accountId, reason: `copy ${imageId} in ${region} is ${image.State ?? 'in an unknown state'}: ${why}` };
}
