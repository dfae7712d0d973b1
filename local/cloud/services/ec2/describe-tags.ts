/**
 * DescribeTags: the tags of the caller's images, instances, snapshots and launch templates in the region, one
 * TagDescription per tag, filtered by `resource-id`, `resource-type`, `key` and `value` (wildcards as EC2),
 * paginated (MaxResults 5–1000, default 1000). Cleanup uses it to check a resource's `gami:execution` tag
 * before a destructive call, independently of DescribeImages/DescribeInstances.
 */
import type { DescribeTagsCommandInput, DescribeTagsCommandOutput, ResourceType, TagDescription } from '@aws-sdk/client-ec2';
import { paginate, type Operation } from '../../operations';
import type { Tags } from '../../world';
import { anyMatches, parseFilters } from './common';

const FILTERS = ['resource-id', 'resource-type', 'key', 'value'] as const;

export const describeTags: Operation<DescribeTagsCommandInput, DescribeTagsCommandOutput> = async (ctx, input) => {
  const filters = parseFilters(input.Filters, FILTERS);
  const r = ctx.regionState;
  const resources: [string, ResourceType, Tags][] = [
    ...Object.values(r.images).map((i): [string, ResourceType, Tags] => [i.imageId, 'image', i.tags]),
    ...Object.values(r.instances).map((i): [string, ResourceType, Tags] => [i.instanceId, 'instance', i.tags]),
    ...Object.entries(r.snapshots).map(([id, s]): [string, ResourceType, Tags] => [id, 'snapshot', s.tags]),
    ...Object.entries(r.launchTemplates).map(([id, t]): [string, ResourceType, Tags] => [id, 'launch-template', t.tags]),
  ];
  const descriptions: TagDescription[] = [];
  for (const [id, type, tags] of resources) {
    for (const [key, value] of Object.entries(tags)) {
      const matches = filters.every((f) => {
        if (f.name === 'resource-id') return anyMatches(f.values, id);
        if (f.name === 'resource-type') return anyMatches(f.values, type);
        if (f.name === 'key') return anyMatches(f.values, key);
        if (f.name === 'value') return anyMatches(f.values, value);
        return f.name === `tag:${key}` ? anyMatches(f.values, value) : false;
      });
      if (matches) descriptions.push({ ResourceId: id, ResourceType: type, Key: key, Value: value });
    }
  }
  const page = paginate(descriptions, input, {
    defaultMax: 1000,
    minLimit: 5,
    maxLimit: 1000,
    invalidParameterCode: 'InvalidParameterValue',
    queryFingerprint: JSON.stringify(input.Filters ?? []),
  });
  return { Tags: page.items, NextToken: page.nextToken };
};
