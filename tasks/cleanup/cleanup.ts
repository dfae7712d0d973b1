/**
 * cleanup: the fail-closed end of every failure path. Terminates every instance of the execution that is
 * still alive, and marks every image the run made so no one launches it: tag gami:status=rejected at once,
 * and deprecate it (DescribeImages then hides it from everyone but its owner). The run's images are the one
 * the state machine knows (`imageId`) and any own image tagged with this execution — an image whose
 * CreateImage succeeded just before a failure, before the state machine saw its id, is caught too.
 */
import { CreateTagsCommand, EnableImageDeprecationCommand, paginateDescribeImages, type EC2Client } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import { TAG } from '../../pipeline/tags';
import type { cleanupEventSchema, cleanupResultSchema } from '../contracts';
import { hasErrorName } from '../common/aws-errors';
import { findExecutionInstances, terminate } from '../common/instances';
import { logger } from '../common/powertools';

export type CleanupEvent = z.output<typeof cleanupEventSchema>;
export type CleanupResult = z.output<typeof cleanupResultSchema>;

const MINUTE = 60_000;

/**
 * EnableImageDeprecation refuses a time in the past and rounds seconds to the nearest minute. `now` is when
 * the state was entered, a little before the call reaches EC2, so take the first whole minute at least one
 * minute after it: always in the future, and the image is deprecated within two minutes.
 */
export function deprecationTime(now: Date): Date {
  return new Date(Math.ceil((now.getTime() + MINUTE) / MINUTE) * MINUTE);
}

/** Tag `imageId` rejected and deprecate it; false when the image is already gone. */
async function rejectImage(ec2: EC2Client, imageId: string, now: Date): Promise<boolean> {
  try {
    await ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: TAG.status, Value: 'rejected' }] }));
    await ec2.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: deprecationTime(now) }));
    return true;
  } catch (error) {
    if (hasErrorName(error, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable')) return false;
    throw error;
  }
}

/** Own images tagged with this execution that are not deregistered. */
async function findExecutionImages(ec2: EC2Client, executionArn: string): Promise<string[]> {
  const ids: string[] = [];
  const pages = paginateDescribeImages(
    { client: ec2 },
    { Owners: ['self'], Filters: [{ Name: `tag:${TAG.execution}`, Values: [executionArn] }], IncludeDeprecated: true },
  );
  for await (const page of pages) for (const image of page.Images ?? []) if (image.ImageId) ids.push(image.ImageId);
  return ids;
}

export async function cleanup(clients: { ec2: EC2Client }, event: CleanupEvent): Promise<CleanupResult> {
  const { run, imageId } = event;
  logger.info('cleaning up after a failed run', { error: event.error, cause: event.cause, imageId });
  const terminated = await terminate(clients.ec2, await findExecutionInstances(clients.ec2, run.executionArn));
  const images = [...new Set([...(imageId ? [imageId] : []), ...(await findExecutionImages(clients.ec2, run.executionArn))])];
  const rejectedImageIds: string[] = [];
  for (const id of images) if (await rejectImage(clients.ec2, id, new Date(run.now))) rejectedImageIds.push(id);
  return { terminated, rejectedImageIds };
}
