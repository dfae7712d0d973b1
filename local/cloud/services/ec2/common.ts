/**
 * Shared EC2 helpers: filters with wildcards, tags, id validation, image lookup and launch permissions.
 */
import type { Filter, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import { fail } from '../../errors';
import type { ImageRecord, InstanceRecord, Tags, World } from '../../world';
import { checkTagCount, validateTag } from './limits';

export const STATE_CODES = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 } as const;

/** EC2's timestamp format: ISO 8601 with milliseconds always `.000`. */
export function iso(ms: number): string {
  const text = new Date(ms).toISOString();
  return text.endsWith('.000Z') ? text : `${text.slice(0, -5)}.000Z`;
}

/** Compiled filter values: a RegExp for wildcard patterns, null for literals (compared with ===). */
const globCache = new Map<string, RegExp | null>();

/** EC2 filter values accept `*` (any run) and `?` (one character); `\` escapes them. */
export function globMatches(pattern: string, value: string): boolean {
  let regex = globCache.get(pattern);
  if (regex === undefined) {
    regex = /[*?\\]/.test(pattern) ? compileGlob(pattern) : null;
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(pattern, regex);
  }
  return regex === null ? pattern === value : regex.test(value);
}

function compileGlob(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) source += escapeRegex(pattern[++i]);
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else source += escapeRegex(c);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when any filter value matches any of the actual values (no allocation on the hot path). */
export function anyMatches(values: readonly string[], actual: string | readonly (string | undefined)[] | undefined | boolean): boolean {
  if (actual === undefined) return false;
  if (typeof actual === 'string' || typeof actual === 'boolean') return matchesOne(values, String(actual));
  for (const a of actual) if (a !== undefined && matchesOne(values, a)) return true;
  return false;
}

function matchesOne(values: readonly string[], actual: string): boolean {
  for (const v of values) if (globMatches(v, actual)) return true;
  return false;
}

export interface ParsedFilter {
  name: string;
  values: string[];
}

/** Validate filters against the names an operation supports (`tag:*` always allowed). */
export function parseFilters(filters: Filter[] | undefined, supported: readonly string[]): ParsedFilter[] {
  return (filters ?? []).map((f) => {
    const name = f.Name ?? '';
    if (!name.startsWith('tag:') && !supported.includes(name)) fail('InvalidParameterValue', `The filter '${name}' is invalid`);
    return { name, values: f.Values ?? [] };
  });
}

/** Apply the tag filters (`tag:K`, `tag-key`, `tag-value`) to a resource's tags; returns false on a miss. */
export function tagFilterMatches(filter: ParsedFilter, tags: Tags): boolean | undefined {
  if (filter.name.startsWith('tag:')) {
    const value = tags[filter.name.slice(4)];
    return value !== undefined && anyMatches(filter.values, value);
  }
  if (filter.name === 'tag-key') return anyMatches(filter.values, Object.keys(tags));
  if (filter.name === 'tag-value') return anyMatches(filter.values, Object.values(tags));
  return undefined;
}

export function tagsOut(tags: Tags): Tag[] | undefined {
  const keys = Object.keys(tags);
  return keys.length > 0 ? keys.map((Key) => ({ Key, Value: tags[Key] })) : undefined;
}

/**
 * Tags of `TagSpecifications` for one resource type: each tag valid, at most 50 per resource (TagLimitExceeded),
 * and each resource type named once (EC2's InvalidParameterValue; message: assumption).
 */
export function tagsFor(specs: TagSpecification[] | undefined, resourceType: string): Tags {
  const tags: Tags = {};
  const seen = new Set<string>();
  for (const spec of specs ?? []) {
    const type = spec.ResourceType ?? '';
    if (seen.has(type)) fail('InvalidParameterValue', `The same resource type (${type}) may not be specified more than once in tag specifications.`);
    seen.add(type);
    if (type !== resourceType) continue;
    for (const tag of spec.Tags ?? []) {
      if (tag.Key === undefined) continue;
      validateTag(tag.Key, tag.Value ?? '');
      tags[tag.Key] = tag.Value ?? '';
    }
    checkTagCount({}, Object.keys(tags));
  }
  return tags;
}

export { validateTag };

const ID_PATTERN = /^[a-z]+-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** `InvalidAMIID.Malformed` & co for ids that cannot be valid. */
export function checkIdFormat(id: string, prefix: string, malformedCode: string): void {
  if (!id.startsWith(`${prefix}-`) || !ID_PATTERN.test(id)) fail(malformedCode, `Invalid id: "${id}"`);
}

export function requireString(value: string | undefined, parameter: string): string {
  if (value === undefined || value === '') fail('MissingParameter', `The request must contain the parameter ${parameter}`);
  return value;
}

// ---------------------------------------------------------------------------------------------------- images

export interface LocatedImage {
  ownerId: string;
  image: ImageRecord;
}

/** Find an image by id in `region`, whoever owns it. */
export function locateImage(world: World, region: string, imageId: string): LocatedImage | undefined {
  for (const account of Object.values(world.state.accounts)) {
    const image = account.regions[region]?.images[imageId];
    if (image) return { ownerId: account.accountId, image };
  }
  return undefined;
}

/** Organization ARN and OU ARN of an account (for organization / OU launch permissions). */
export function membershipArns(world: World, accountId: string): { orgArn?: string; ouArn?: string } {
  const account = world.state.accounts[accountId];
  const org = world.organizationOf(accountId);
  if (!account || !org) return {};
  const ou = account.organizationalUnitId ? org.organizationalUnits[account.organizationalUnitId] : undefined;
  return { orgArn: org.arn, ouArn: ou?.arn };
}

/** Whether `accountId` has launch permission for the image (owner, public, account, organization or OU). */
export function canLaunch(world: World, image: ImageRecord, accountId: string): boolean {
  if (image.ownerId === accountId) return true;
  const p = image.launchPermissions;
  if (p.groups.includes('all') || p.userIds.includes(accountId)) return true;
  const { orgArn, ouArn } = membershipArns(world, accountId);
  return (orgArn !== undefined && p.organizationArns.includes(orgArn)) || (ouArn !== undefined && p.organizationalUnitArns.includes(ouArn));
}

/** An image the caller may see, or `InvalidAMIID.NotFound` as AWS answers for others' private images. */
export function visibleImage(world: World, region: string, accountId: string, imageId: string): LocatedImage {
  checkIdFormat(imageId, 'ami', 'InvalidAMIID.Malformed');
  const located = locateImage(world, region, imageId);
  if (!located || !canLaunch(world, located.image, accountId)) fail('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  return located;
}

/** An image the caller owns (for modifications); others' images look missing or unauthorized as on AWS. */
export function ownedImage(world: World, region: string, accountId: string, imageId: string): ImageRecord {
  const located = visibleImage(world, region, accountId, imageId);
  if (located.ownerId !== accountId) fail('AuthFailure', `Not authorized for image:${imageId}`);
  return located.image;
}

/** The volumes of an instance launched from `image` without overrides: one new EBS volume per block device mapping. */
export function volumesFromImage(world: World, image: ImageRecord): InstanceRecord['volumes'] {
  return image.blockDeviceMappings.map((b) => ({
    deviceName: b.deviceName,
    volumeId: world.nextId('vol'),
    size: b.volumeSize,
    volumeType: b.volumeType,
    iops: b.iops,
    throughput: b.throughput,
    encrypted: b.encrypted,
    kmsKeyId: b.kmsKeyId,
    snapshotId: b.snapshotId,
    deleteOnTermination: b.deleteOnTermination,
  }));
}
