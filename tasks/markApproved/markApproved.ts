/**
 * markApproved: the last step of distribution, once every launch template is updated. For the image and every
 * copy (one per region, all in this account): attach the AMI watermark `<account>:<pipeline>` (AttachImageWatermark;
 * consumers' Allowed AMIs settings can require it, see GamiTargetAccountStack), enable deregistration protection
 * with the 24-hour cooldown, and tag `gami:status=approved` — in that order, each only when not done yet, because
 * once the tag says approved the IAM Deny of infra/task-functions.ts forbids every further change to the image.
 */
import {
  AttachImageWatermarkCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  EnableImageDeregistrationProtectionCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import { TAG } from '../../pipeline/tags';
import type { markApprovedEventSchema, markApprovedResultSchema } from '../contracts';
import { logger } from '../common/powertools';

export type MarkApprovedEvent = z.output<typeof markApprovedEventSchema>;
export type MarkApprovedResult = z.output<typeof markApprovedResultSchema>;

/** The watermark's key as EC2 forms it: the attaching account and the name. */
export const watermarkKey = (accountId: string, name: string): string => `${accountId}:${name}`;

/** What is still to do on one image, from DescribeImages' view of it (pure). */
export function pendingSteps(
  image: { ImageWatermarks?: { WatermarkKey?: string }[]; DeregistrationProtection?: string; Tags?: { Key?: string; Value?: string }[] },
  key: string,
): { watermark: boolean; protection: boolean; tag: boolean } {
  return {
    watermark: !(image.ImageWatermarks ?? []).some((w) => w.WatermarkKey === key),
    protection: !(image.DeregistrationProtection ?? '').startsWith('enabled'),
    tag: !(image.Tags ?? []).some((t) => t.Key === TAG.status && t.Value === 'approved'),
  };
}

export async function markApproved(clients: { ec2: (region: string) => EC2Client }, event: MarkApprovedEvent): Promise<MarkApprovedResult> {
  const approved: MarkApprovedResult['approved'] = [];
  for (const { region, imageId, accountId } of event.regionImages) {
    const ec2 = clients.ec2(region);
    const key = watermarkKey(accountId, event.watermarkName);
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    if (!image) throw new Error(`image ${imageId} in ${region} was not found`);
    const todo = pendingSteps(image, key);
    if (todo.watermark) await ec2.send(new AttachImageWatermarkCommand({ ImageId: imageId, WatermarkName: event.watermarkName }));
    if (todo.protection) await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId, WithCooldown: true }));
    if (todo.tag) await ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: TAG.status, Value: 'approved' }] }));
    logger.info('image approved', { region, imageId, watermarkKey: key, ...todo });
    approved.push({ region, imageId, watermarkKey: key });
  }
  return { approved };
}
