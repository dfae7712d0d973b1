import { DescribeImagesCommand, type EC2Client, type Image, type LaunchPermission } from '@aws-sdk/client-ec2';
import { TAG } from '../../pipeline/tags';
import { hasErrorName } from './aws-errors';

/** The EBS snapshot ids behind an image (known once it is available). */
export function snapshotIdsOf(image: Image): string[] {
  return (image.BlockDeviceMappings ?? []).flatMap((mapping) => (mapping.Ebs?.SnapshotId ? [mapping.Ebs.SnapshotId] : []));
}

/**
 * The `gami:version` of an image of `pipeline` the account owns (undefined when it is not one, or gone). Read with
 * the owner's client: an account an image is shared with does not see its tags.
 */
export async function pipelineVersionOf(ec2: EC2Client, imageId: string, pipeline: string): Promise<number | undefined> {
  try {
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true })))?.Images?.[0];
    const tag = (key: string) => image?.Tags?.find((t) => t.Key === key)?.Value;
    return tag(TAG.pipeline) === pipeline && /^\d+$/.test(tag(TAG.version) ?? '') ? Number(tag(TAG.version)) : undefined;
  } catch (error) {
    if (hasErrorName(error, 'InvalidAMIID.')) return undefined;
    throw error;
  }
}

/** One launch permission as a person reads it: the account id, organization or OU ARN, or public. */
export function launchPermissionText(p: LaunchPermission): string {
  return p.UserId ?? p.OrganizationArn ?? p.OrganizationalUnitArn ?? (p.Group === 'all' ? 'public (all)' : '?');
}
