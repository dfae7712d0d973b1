/**
 * copyImage: start the copy of the run's image into one target region (CopyImage, called in that region), or
 * find the copy that already exists. Idempotent twice over: the ClientToken derives from the execution, the
 * region and the attempt, so a retried invocation gets the same copy back; and before copying, the region is
 * searched for an own image tagged `gami:source-image=<source>` that is pending or available — a speculative
 * copy started before the approval, or the copy of an earlier run when a version is redistributed — which is
 * reused instead of copied twice.
 *
 * The copy is encrypted with the region's customer managed key (by alias), takes the source's tags
 * (CopyImageTags) and gets its own: this execution, its status (pending-approval for a speculative copy,
 * distributing otherwise), the source image and region. The second attempt first deregisters the failed copy
 * of the first (its name is taken until then), with its snapshots.
 *
 * Throws RegionCopyFailed for a refusal that will not go away (a missing key, a name taken by another image);
 * throttling and server faults pass through for the state machine's retries.
 */
import { createHash } from 'node:crypto';
import { CopyImageCommand, CreateTagsCommand, DeregisterImageCommand, paginateDescribeImages, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import { TAG } from '../../pipeline/tags';
import type { copyImageEventSchema, copyImageResultSchema } from '../contracts';
import { hasErrorName, isPermanentAwsError } from '../common/aws-errors';
import { ownedByExecution } from '../common/ownership';
import { RegionCopyFailed } from '../errors';

export type CopyImageEvent = z.output<typeof copyImageEventSchema>;
export type CopyImageResult = z.output<typeof copyImageResultSchema>;

/** CopyImage's ClientToken: at most 64 ASCII characters, one per execution, region and attempt. */
export function copyClientToken(executionArn: string, region: string, attempt: number): string {
  return createHash('sha256').update(`${executionArn}|${region}|${attempt}`).digest('hex').slice(0, 64);
}

/** The tags a copy gets beside the source's own (CopyImageTags). */
export function copyTags(event: Pick<CopyImageEvent, 'run' | 'status' | 'sourceImageId' | 'sourceRegion' | 'version'>): Record<string, string> {
  return {
    [TAG.pipeline]: event.run.pipeline,
    [TAG.version]: String(event.version),
    [TAG.execution]: event.run.executionArn,
    [TAG.status]: event.status,
    [TAG.sourceImage]: event.sourceImageId,
    [TAG.sourceRegion]: event.sourceRegion,
  };
}

/** Own images in the client's region copied from `sourceImageId`, any state. */
async function copiesOf(ec2: EC2Client, sourceImageId: string): Promise<Image[]> {
  const images: Image[] = [];
  const pages = paginateDescribeImages(
    { client: ec2 },
    { Owners: ['self'], Filters: [{ Name: `tag:${TAG.sourceImage}`, Values: [sourceImageId] }], IncludeDeprecated: true, IncludeDisabled: true },
  );
  for await (const page of pages) images.push(...(page.Images ?? []));
  return images;
}

/** The copy to reuse: pending or available, the newest first. */
export function reusableCopy(images: Image[]): Image | undefined {
  return images
    .filter((image) => image.State === 'available' || image.State === 'pending')
    .sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
}

const tagValue = (image: Image, key: string) => image.Tags?.find((t) => t.Key === key)?.Value;

export async function copyImage(clients: { ec2: EC2Client }, event: CopyImageEvent): Promise<CopyImageResult> {
  const { ec2 } = clients;
  const { run, region } = event;
  const existing = await copiesOf(ec2, event.sourceImageId);
  const reusable = reusableCopy(existing);
  if (reusable?.ImageId) {
    // A speculative copy the approval has now released: no longer pending approval. An approved copy (a
    // redistribution) keeps its status.
    if (event.status === 'distributing' && tagValue(reusable, TAG.status) === 'pending-approval') {
      await ec2.send(new CreateTagsCommand({ Resources: [reusable.ImageId], Tags: [{ Key: TAG.status, Value: 'distributing' }] }));
    }
    return { region, imageId: reusable.ImageId, reused: true };
  }

  // A failed copy keeps its name taken: deregister this run's failed copies first (never another run's image).
  const failed = existing.filter((image) => image.ImageId && image.State !== 'available' && image.State !== 'pending' && image.State !== 'deregistered');
  const ours = await ownedByExecution(ec2, failed.map((image) => image.ImageId as string), run.executionArn);
  for (const id of ours) {
    try {
      await ec2.send(new DeregisterImageCommand({ ImageId: id, DeleteAssociatedSnapshots: true }));
    } catch (error) {
      if (!hasErrorName(error, 'InvalidAMIID.')) throw error;
    }
  }

  const tags = Object.entries(copyTags(event)).map(([Key, Value]) => ({ Key, Value }));
  try {
    const { ImageId } = await ec2.send(
      new CopyImageCommand({
        SourceImageId: event.sourceImageId,
        SourceRegion: event.sourceRegion,
        Name: event.imageName,
        Description: `${event.imageName}, copied from ${event.sourceImageId} in ${event.sourceRegion}`,
        Encrypted: event.encrypted,
        KmsKeyId: event.encrypted && event.kmsKeyAlias ? event.kmsKeyAlias : undefined,
        ClientToken: copyClientToken(run.executionArn, region, event.attempt),
        CopyImageTags: true,
        TagSpecifications: [
          { ResourceType: 'image', Tags: tags },
          { ResourceType: 'snapshot', Tags: tags },
        ],
        SnapshotCopyCompletionDurationMinutes: event.copyCompletionMinutes ?? undefined,
      }),
    );
    if (!ImageId) throw new RegionCopyFailed(`${region}: CopyImage of ${event.sourceImageId} returned no image id`);
    return { region, imageId: ImageId, reused: false };
  } catch (error) {
    if (isPermanentAwsError(error)) throw new RegionCopyFailed(`${region}: CopyImage of ${event.sourceImageId} was refused: ${error.name}: ${error.message}`);
    throw error;
  }
}
