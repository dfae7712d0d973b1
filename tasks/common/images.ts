import type { Image } from '@aws-sdk/client-ec2';

/** The EBS snapshot ids behind an image (known once it is available). */
export function snapshotIdsOf(image: Image): string[] {
  return (image.BlockDeviceMappings ?? []).flatMap((mapping) => (mapping.Ebs?.SnapshotId ? [mapping.Ebs.SnapshotId] : []));
}
