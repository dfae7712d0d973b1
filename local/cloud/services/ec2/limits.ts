/**
 * The EC2 limits a pipeline can run into, enforced with EC2's error codes. Each figure names its source; an error
 * message EC2 is not documented to send verbatim says so ("message: assumption").
 *
 * Sources:
 * - CreateTags API reference: "Each resource can have a maximum of 50 tags"; ResourceId.N "Up to 1000 resource IDs".
 * - EC2 user guide, Tag restrictions: key 1-128 Unicode characters, value 0-256; the `aws:` prefix is reserved and
 *   such tags "do not count against your tags per resource limit"; you can't edit or delete them.
 * - EC2 API reference, error codes (Common client error codes): `TagLimitExceeded` "You've reached the limit on the
 *   number of tags that you can assign to the specified resource".
 * - EC2 user guide, AMI quotas (per Region): 50,000 AMIs (available, pending, disabled); 5 public AMIs; AMI sharing
 *   1,000 entities (organizations, OUs and accounts; the accounts inside a shared organization or OU do not count).
 * - EC2 user guide, CopyingAMIs: 300 concurrent AMI copies per destination Region.
 * - RegisterImage / CreateImage API reference: Description up to 255 characters; Name 3-128 characters.
 */
import { fail } from '../../errors';
import type { Tags } from '../../world';

export const MAX_TAGS_PER_RESOURCE = 50;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;
export const MAX_RESOURCES_PER_CREATE_TAGS = 1000;
export const MAX_IMAGES_PER_REGION = 50_000;
export const MAX_PUBLIC_IMAGES_PER_REGION = 5;
export const MAX_SHARE_ENTITIES_PER_IMAGE = 1000;
export const MAX_CONCURRENT_COPIES_PER_DESTINATION = 300;
export const MAX_IMAGE_DESCRIPTION_LENGTH = 255;

/** `aws:` tags are AWS's own: they do not count towards the 50 and users may not set or delete them. */
export function isReservedTagKey(key: string): boolean {
  return key.toLowerCase().startsWith('aws:');
}

/** The user tags a resource would carry after `added` is merged into `existing` (same keys overwrite). */
export function userTagCountAfter(existing: Tags, addedKeys: Iterable<string>): number {
  const keys = new Set(Object.keys(existing).filter((k) => !isReservedTagKey(k)));
  for (const key of addedKeys) if (!isReservedTagKey(key)) keys.add(key);
  return keys.size;
}

export function tagLimitExceeded(): never {
  return fail('TagLimitExceeded', "You've reached the limit on the number of tags that you can assign to the specified resource.");
}

/** TagLimitExceeded when a resource would carry more than 50 user tags. */
export function checkTagCount(existing: Tags, addedKeys: Iterable<string>): void {
  if (userTagCountAfter(existing, addedKeys) > MAX_TAGS_PER_RESOURCE) tagLimitExceeded();
}

/**
 * A tag a user may set. EC2 answers `InvalidParameterValue` for each case; the `aws:` text is the one EC2 sends
 * (seen in public CloudFormation/Terraform error reports), the length texts are an assumption.
 */
export function validateTag(key: string, value: string): void {
  if (key.length === 0) fail('InvalidParameterValue', 'Tag key cannot be empty');
  if ([...key].length > MAX_TAG_KEY_LENGTH) fail('InvalidParameterValue', `Tag key exceeds the maximum length of ${MAX_TAG_KEY_LENGTH} characters`);
  if ([...value].length > MAX_TAG_VALUE_LENGTH) fail('InvalidParameterValue', `Tag value exceeds the maximum length of ${MAX_TAG_VALUE_LENGTH} characters`);
  if (isReservedTagKey(key)) fail('InvalidParameterValue', `Value ( ${key} ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use`);
}

/** An image may be shared with at most 1,000 entities (accounts, organizations, OUs) per Region (message: assumption). */
export function checkShareEntities(count: number): void {
  if (count > MAX_SHARE_ENTITIES_PER_IMAGE) {
    fail(
      'ResourceLimitExceeded',
      `You have reached the limit of ${MAX_SHARE_ENTITIES_PER_IMAGE} entities (accounts, organizations and organizational units) an AMI can be shared with in this Region. Share with an organization or OU instead.`,
    );
  }
}

/** 50,000 AMIs per Region, including pending and disabled ones (message: assumption). */
export function checkImageQuota(imagesInRegion: number): void {
  if (imagesInRegion >= MAX_IMAGES_PER_REGION) {
    fail('ResourceLimitExceeded', `You have reached the maximum number of AMIs (${MAX_IMAGES_PER_REGION}) allowed in this Region. Deregister unused images or request a quota increase.`);
  }
}

/** 5 public AMIs per Region (message: assumption). */
export function checkPublicImageQuota(publicImagesInRegion: number): void {
  if (publicImagesInRegion >= MAX_PUBLIC_IMAGES_PER_REGION) {
    fail('ResourceLimitExceeded', `You have reached the maximum number of public AMIs (${MAX_PUBLIC_IMAGES_PER_REGION}) allowed in this Region.`);
  }
}

/** 300 AMI copies in flight per destination Region (message: assumption). */
export function checkConcurrentCopies(inFlight: number): void {
  if (inFlight >= MAX_CONCURRENT_COPIES_PER_DESTINATION) {
    fail('ResourceLimitExceeded', `You have reached the maximum number of concurrent AMI copies (${MAX_CONCURRENT_COPIES_PER_DESTINATION}) to this Region. Wait for copies in progress to complete.`);
  }
}

/** Description: at most 255 characters (CreateImage/CopyImage/RegisterImage reference; message: assumption). */
export function checkImageDescription(description: string | undefined): void {
  if (description !== undefined && [...description].length > MAX_IMAGE_DESCRIPTION_LENGTH) {
    fail('InvalidParameterValue', `Value (${description.slice(0, 20)}…) for parameter description is invalid. Length exceeds maximum of ${MAX_IMAGE_DESCRIPTION_LENGTH} characters.`);
  }
}
