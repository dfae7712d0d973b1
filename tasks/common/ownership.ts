/**
 * The check before every destructive call: is this resource tagged with this execution? Through DescribeTags,
 * which is independent of DescribeImages/DescribeInstances (one of those failing does not stop the check)
 * and has no resource-level permissions to misconfigure.
 */
import { paginateDescribeTags, type EC2Client } from '@aws-sdk/client-ec2';
import { TAG } from '../../pipeline/tags';

/** DescribeTags accepts up to 200 values in one filter. */
const IDS_PER_CALL = 200;

/** The ids among `ids` whose `gami:execution` tag is `executionArn`. */
export async function ownedByExecution(ec2: EC2Client, ids: readonly string[], executionArn: string): Promise<Set<string>> {
  const owned = new Set<string>();
  for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
    const pages = paginateDescribeTags(
      { client: ec2 },
      { Filters: [{ Name: 'resource-id', Values: ids.slice(i, i + IDS_PER_CALL) }, { Name: 'key', Values: [TAG.execution] }] },
    );
    for await (const page of pages) for (const tag of page.Tags ?? []) if (tag.Value === executionArn && tag.ResourceId) owned.add(tag.ResourceId);
  }
  return owned;
}
