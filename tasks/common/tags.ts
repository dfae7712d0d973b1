/** EC2 tags from records, with the pipeline's own keys always winning over configured tags. */
import type { Tag } from '@aws-sdk/client-ec2';

/** EC2 tag values hold at most 256 characters. */
export const MAX_TAG_VALUE = 256;

export function truncateTagValue(value: string): string {
  return value.length <= MAX_TAG_VALUE ? value : `${value.slice(0, MAX_TAG_VALUE - 1)}…`;
}

/** `configTags` first, then `ownTags`: a configured tag cannot overwrite a gami:* lineage tag. */
export function toEc2Tags(configTags: Record<string, string>, ownTags: Record<string, string>): Tag[] {
  const merged = { ...configTags, ...ownTags };
  return Object.entries(merged).map(([Key, Value]) => ({ Key, Value: truncateTagValue(Value) }));
}
