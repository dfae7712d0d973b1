/**
 * AMIs: CreateImage, DescribeImages, CopyImage, launch permissions, deprecation, deregistration protection,
 * DeregisterImage, block public access and DescribeImageReferences.
 */
import type {
  CopyImageCommandInput,
  CopyImageCommandOutput,
  CreateImageCommandInput,
  CreateImageCommandOutput,
  DeregisterImageCommandInput,
  DeregisterImageCommandOutput,
  DescribeImageAttributeCommandInput,
  DescribeImageAttributeCommandOutput,
  DescribeImageReferencesCommandInput,
  DescribeImageReferencesCommandOutput,
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DisableImageBlockPublicAccessCommandInput,
  DisableImageBlockPublicAccessCommandOutput,
  DisableImageDeprecationCommandInput,
  DisableImageDeprecationCommandOutput,
  AttachImageWatermarkCommandInput,
  AttachImageWatermarkCommandOutput,
  DetachImageWatermarkCommandInput,
  DetachImageWatermarkCommandOutput,
  DisableImageDeregistrationProtectionCommandInput,
  DisableImageDeregistrationProtectionCommandOutput,
  EnableImageBlockPublicAccessCommandInput,
  EnableImageBlockPublicAccessCommandOutput,
  EnableImageDeprecationCommandInput,
  EnableImageDeprecationCommandOutput,
  EnableImageDeregistrationProtectionCommandInput,
  EnableImageDeregistrationProtectionCommandOutput,
  GetImageBlockPublicAccessStateCommandInput,
  GetImageBlockPublicAccessStateCommandOutput,
  Image,
  ImageReference,
  LaunchPermission,
  ModifyImageAttributeCommandInput,
  ModifyImageAttributeCommandOutput,
  RegisterImageCommandInput,
  RegisterImageCommandOutput,
} from '@aws-sdk/client-ec2';
import { fail } from '../../errors';
import { decodeToken, encodeToken, pageSize, paginate, type Operation } from '../../operations';
import type { BlockDeviceRecord, ImageRecord, LaunchPermissionRecord, World } from '../../world';
import { AMAZON_OWNER_ID, registerTransition } from '../../world';
import { canUseKey, defaultEbsKey, findKey } from '../kms';
import { allowedImagesSettings, imageAllowed } from './allowed-images';
import {
  anyMatches,
  canLaunch,
  checkIdFormat,
  iso,
  locateImage,
  membershipArns,
  ownedImage,
  parseFilters,
  requireString,
  tagFilterMatches,
  tagsFor,
  tagsOut,
  visibleImage,
  type ParsedFilter,
} from './common';
import {
  checkConcurrentCopies,
  checkImageDescription,
  checkImageQuota,
  checkPublicImageQuota,
  checkShareEntities,
  checkTagCount,
} from './limits';
import { imagesUsingSnapshot, newSnapshot } from './snapshots';
import { checkImageBootMode, checkVolume, imageDevices } from './volumes';
import { copyImageMs, CREATE_IMAGE_PER_SNAPSHOT_MS, REBOOT_AGENT_OFFLINE_MS } from './timings';

/** Region extension: completed-or-started copies per `<source region>|<key>` (the first is full, later incremental). */
const COPY_HISTORY = 'ec2.copyHistory';

// ---------------------------------------------------------------------------------------------------- transitions

registerTransition('ec2.imageReady', (world, t) => {
  const image = world.region(t.accountId, t.region).images[t.resourceId];
  if (!image || image.state !== 'pending') return;
  const failed = t.data?.fail === true;
  image.state = failed ? 'failed' : 'available';
  if (failed) image.stateReason = { code: String(t.data?.reasonCode ?? 'Server.InternalError'), message: String(t.data?.reasonMessage ?? 'Server.InternalError: Internal error') };
  for (const device of image.blockDeviceMappings) {
    const snapshot = world.region(t.accountId, t.region).snapshots[device.snapshotId];
    if (snapshot) {
      snapshot.state = failed ? 'error' : 'completed';
      snapshot.progress = failed ? snapshot.progress : '100%';
    }
  }
});

// ---------------------------------------------------------------------------------------------------- output

/** As DescribeImages shows it: `enabled`, `enabled-with-cooldown`, `disabled-until-<time>` or `disabled`. */
export function deregistrationProtectionText(image: ImageRecord, now: number): string {
  const p = image.deregistrationProtection;
  if (p?.enabled) return p.withCooldown ? 'enabled-with-cooldown' : 'enabled';
  if (p?.cooldownUntil !== undefined && p.cooldownUntil > now) return `disabled-until-${iso(p.cooldownUntil)}`;
  return 'disabled';
}

const DEREGISTRATION_COOLDOWN_MS = 24 * 3_600_000;

export function imageOut(image: ImageRecord, caller: string, now: number): Image {
  const owner = image.ownerId === caller;
  return {
    ImageId: image.imageId,
    ImageLocation: `${image.imageOwnerAlias ?? image.ownerId}/${image.name}`,
    State: image.state,
    OwnerId: image.ownerId,
    CreationDate: iso(image.creationDate),
    Public: image.launchPermissions.groups.includes('all'),
    Architecture: image.architecture as Image['Architecture'],
    ImageType: 'machine',
    Name: image.name,
    Description: image.description,
    RootDeviceType: 'ebs',
    RootDeviceName: image.rootDeviceName,
    BlockDeviceMappings: image.blockDeviceMappings.map((b) => ({
      DeviceName: b.deviceName,
      Ebs: {
        SnapshotId: b.snapshotId,
        VolumeSize: b.volumeSize,
        VolumeType: b.volumeType as 'gp3',
        Iops: b.iops,
        Throughput: b.throughput,
        DeleteOnTermination: b.deleteOnTermination,
        Encrypted: b.encrypted,
        KmsKeyId: b.kmsKeyId,
      },
    })),
    VirtualizationType: 'hvm',
    Hypervisor: 'xen',
    EnaSupport: image.enaSupport,
    SriovNetSupport: 'simple',
    Platform: image.platform ? 'Windows' : undefined,
    PlatformDetails: image.platformDetails,
    UsageOperation: image.usageOperation,
    BootMode: image.bootMode as Image['BootMode'],
    ImdsSupport: image.imdsSupport,
    TpmSupport: image.tpmSupport,
    ImageOwnerAlias: image.imageOwnerAlias,
    StateReason: image.stateReason ? { Code: image.stateReason.code, Message: image.stateReason.message } : undefined,
    DeprecationTime: image.deprecationTime !== undefined ? iso(image.deprecationTime) : undefined,
    DeregistrationProtection: owner ? deregistrationProtectionText(image, now) : undefined,
    SourceInstanceId: owner ? image.sourceInstanceId : undefined,
    LastLaunchedTime: owner && image.lastLaunchedTime !== undefined ? iso(image.lastLaunchedTime) : undefined,
    SourceImageId: image.sourceImageId,
    SourceImageRegion: image.sourceRegion,
    // Tags are per account: other accounts never see the owner's tags on a shared image.
    Tags: owner ? tagsOut(image.tags) : undefined,
    ImageWatermarks: image.watermarks?.length
      ? image.watermarks.map((w) => ({
          WatermarkKey: w.key,
          SourceImageRegion: w.sourceImageRegion,
          SourceImageId: w.sourceImageId,
          SourceImageCreationTime: new Date(w.sourceImageCreationTime),
          WatermarkCreationTime: new Date(w.creationTime),
        }))
      : undefined,
  };
}

// ---------------------------------------------------------------------------------------------------- CreateImage

const NAME_PATTERN = /^[a-zA-Z0-9()[\] ./\-'@_]{3,128}$/;

function checkName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    fail('InvalidAMIName.Malformed', `AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'`);
  }
}

function checkNameFree(world: World, accountId: string, region: string, name: string): void {
  const taken = Object.values(world.region(accountId, region).images).find((i) => i.name === name);
  if (taken) fail('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${taken.imageId}`);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

export const createImage: Operation<CreateImageCommandInput, CreateImageCommandOutput> = async (ctx, input) => {
  const instanceId = requireString(input.InstanceId, 'InstanceId');
  const name = requireString(input.Name, 'Name');
  checkIdFormat(instanceId, 'i', 'InvalidInstanceID.Malformed');
  const instance = ctx.regionState.instances[instanceId];
  if (!instance || instance.state === 'terminated') fail('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
  if (instance.state !== 'running' && instance.state !== 'stopped') {
    fail('IncorrectState', `Instance '${instanceId}' is not in a valid state for this operation (${instance.state}).`);
  }
  checkName(name);
  checkNameFree(ctx.world, ctx.account, ctx.region, name);
  checkImageDescription(input.Description);
  checkImageQuota(ctx.world.imageIds(ctx.account, ctx.region).length);
  const imageTags = tagsFor(input.TagSpecifications, 'image');
  const snapshotTags = tagsFor(input.TagSpecifications, 'snapshot');
  const imageId = ctx.world.nextId('ami');
  // The instance's volumes as CreateImage's own BlockDeviceMappings adjust them; snapshots keep each volume's encryption and key.
  const devices: BlockDeviceRecord[] = imageDevices(instance, input.BlockDeviceMappings).map((d) => {
    const snapshot = newSnapshot(ctx.world, ctx.account, ctx.region, {
      volumeSize: d.volume.size,
      encrypted: d.volume.encrypted,
      kmsKeyId: d.volume.kmsKeyId,
      description: `Created by CreateImage(${instanceId}) for ${imageId}`,
      tags: snapshotTags,
    });
    return {
      deviceName: d.deviceName,
      snapshotId: snapshot.snapshotId,
      volumeSize: d.size,
      volumeType: d.volumeType,
      iops: d.iops,
      throughput: d.throughput,
      encrypted: d.volume.encrypted,
      kmsKeyId: d.volume.kmsKeyId,
      deleteOnTermination: d.deleteOnTermination,
    };
  });
  // The instance's AMI, whoever owns it (a public Amazon image for a builder): boot mode and NitroTPM come from it.
  const source = locateImage(ctx.world, ctx.region, instance.imageId)?.image;
  const image: ImageRecord = {
    imageId,
    ownerId: ctx.account,
    name,
    description: input.Description,
    state: 'pending',
    creationDate: ctx.clock.now(),
    architecture: instance.architecture,
    platform: instance.platform,
    platformDetails: instance.platformDetails,
    usageOperation: instance.platform === 'windows' ? 'RunInstances:0002' : 'RunInstances',
    rootDeviceName: devices[0]?.deviceName ?? '/dev/xvda',
    blockDeviceMappings: devices,
    enaSupport: true,
    // Boot mode and NitroTPM come with the source AMI. ImdsSupport does not: CreateImage has no such parameter, it is
    // set by RegisterImage or ModifyImageAttribute (an instance's own HttpTokens do not make its image IMDSv2-only).
    bootMode: source?.bootMode,
    tpmSupport: source?.tpmSupport,
    tags: {},
    launchPermissions: { userIds: [], groups: [], organizationArns: [], organizationalUnitArns: [] },
    sourceInstanceId: instanceId,
    software: clone(instance.software),
  };
  ctx.world.putImage(ctx.account, ctx.region, image);
  for (const [key, value] of Object.entries(imageTags)) ctx.world.setImageTag(ctx.account, ctx.region, image, key, value);
  // Without NoReboot EC2 reboots the instance for a consistent snapshot: the SSM agent drops off for a while.
  if (!input.NoReboot && instance.state === 'running' && instance.agentOnlineAt !== undefined) {
    instance.agentOnlineAt = Math.max(instance.agentOnlineAt, ctx.clock.now() + REBOOT_AGENT_OFFLINE_MS);
  }
  const failImage = ctx.faults.fires('ec2.imageFails', ctx.scope);
  ctx.world.schedule(
    CREATE_IMAGE_PER_SNAPSHOT_MS * Math.max(1, devices.length),
    'ec2.imageReady',
    { accountId: ctx.account, region: ctx.region, resourceId: imageId },
    { fail: failImage },
  );
  return { ImageId: imageId };
};

// ---------------------------------------------------------------------------------------------------- RegisterImage

/**
 * RegisterImage from EBS snapshots: the one call that sets an AMI's BootMode, TpmSupport and ImdsSupport at
 * creation (CreateImage has none of them). The snapshots must be the caller's (or shared with it) and completed;
 * the root device needs a snapshot; arm64 is UEFI only; NitroTPM needs UEFI (volumes.ts has the rules and sources).
 * The image's software is that of the image whose root snapshot it reuses (the simulation tracks software per image).
 */
export const registerImage: Operation<RegisterImageCommandInput, RegisterImageCommandOutput> = async (ctx, input) => {
  const { world, account, region } = ctx;
  const name = requireString(input.Name, 'Name');
  checkName(name);
  checkNameFree(world, account, region, name);
  checkImageDescription(input.Description);
  if (input.ImageLocation) fail('InvalidParameterCombination', 'The simulated account registers EBS-backed images only (no ImageLocation).');
  const architecture = input.Architecture ?? 'x86_64';
  if (architecture !== 'x86_64' && architecture !== 'arm64') fail('InvalidParameterValue', `Value (${architecture}) for parameter architecture is invalid. (message: assumption)`);
  if (input.ImdsSupport !== undefined && input.ImdsSupport !== 'v2.0') fail('InvalidParameterValue', `Value (${input.ImdsSupport}) for parameter imdsSupport is invalid. Valid values: v2.0 (message: assumption)`);
  checkImageBootMode(architecture, input.BootMode, input.TpmSupport);
  const rootDeviceName = requireString(input.RootDeviceName, 'RootDeviceName');
  const mappings = input.BlockDeviceMappings ?? [];
  const root = mappings.find((m) => m.DeviceName === rootDeviceName);
  if (!root?.Ebs?.SnapshotId) fail('InvalidBlockDeviceMapping', `The root device ${rootDeviceName} must be mapped to a snapshot. (message: assumption)`);
  checkImageQuota(world.imageIds(account, region).length);
  const imageTags = tagsFor(input.TagSpecifications, 'image');
  const devices: BlockDeviceRecord[] = mappings.filter((m) => m.Ebs && m.NoDevice === undefined).map((m) => {
    const ebs = m.Ebs ?? {};
    const snapshotId = requireString(ebs.SnapshotId, 'BlockDeviceMapping.Ebs.SnapshotId');
    checkIdFormat(snapshotId, 'snap', 'InvalidSnapshotID.Malformed');
    const snapshot = ctx.regionState.snapshots[snapshotId] ?? fail('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
    if (snapshot.state !== 'completed') fail('IncorrectState', `Snapshot ${snapshotId} is not in a valid state for this operation (${snapshot.state}). (message: assumption)`);
    if (ebs.KmsKeyId !== undefined) fail('InvalidParameterCombination', 'The parameter KmsKeyId is not supported for RegisterImage. (message: assumption)');
    const size = ebs.VolumeSize ?? snapshot.volumeSize;
    if (size < snapshot.volumeSize) fail('InvalidBlockDeviceMapping', `Volume of size ${size}GB is smaller than snapshot '${snapshotId}', expect size >= ${snapshot.volumeSize}GB`);
    const type = ebs.VolumeType ?? 'gp2';
    const performance = checkVolume({ type, size, iops: ebs.Iops, throughput: ebs.Throughput });
    return {
      deviceName: m.DeviceName ?? rootDeviceName,
      snapshotId,
      volumeSize: size,
      volumeType: type,
      iops: performance.iops,
      throughput: performance.throughput,
      encrypted: snapshot.encrypted,
      kmsKeyId: snapshot.kmsKeyId,
      deleteOnTermination: ebs.DeleteOnTermination ?? true,
    };
  });
  const rootSnapshot = devices.find((d) => d.deviceName === rootDeviceName)?.snapshotId;
  const origin = Object.values(ctx.regionState.images).find((i) => i.blockDeviceMappings[0]?.snapshotId === rootSnapshot);
  const imageId = world.nextId('ami');
  const image: ImageRecord = {
    imageId,
    ownerId: account,
    name,
    description: input.Description,
    state: 'available',
    creationDate: ctx.clock.now(),
    architecture,
    platform: origin?.platform,
    platformDetails: origin?.platformDetails ?? 'Linux/UNIX',
    usageOperation: origin?.usageOperation ?? 'RunInstances',
    rootDeviceName,
    blockDeviceMappings: devices,
    enaSupport: input.EnaSupport ?? true,
    bootMode: input.BootMode,
    imdsSupport: input.ImdsSupport === 'v2.0' ? 'v2.0' : undefined,
    tpmSupport: input.TpmSupport === 'v2.0' ? 'v2.0' : undefined,
    tags: {},
    launchPermissions: { userIds: [], groups: [], organizationArns: [], organizationalUnitArns: [] },
    software: origin ? clone(origin.software) : { os: { platform: 'UNKNOWN', name: 'unknown', format: 'rpm' }, ssmAgent: false, packages: {}, files: {} },
  };
  world.putImage(account, region, image);
  for (const [key, value] of Object.entries(imageTags)) world.setImageTag(account, region, image, key, value);
  return { ImageId: imageId };
};

// ---------------------------------------------------------------------------------------------------- DescribeImages

const IMAGE_FILTERS = [
  'architecture', 'block-device-mapping.snapshot-id', 'block-device-mapping.encrypted', 'description', 'image-id', 'image-type',
  'is-public', 'name', 'owner-alias', 'owner-id', 'platform', 'platform-details', 'root-device-type', 'state', 'tag-key',
  'tag-value', 'virtualization-type', 'source-image-id', 'source-instance-id', 'deprecation-time', 'usage-operation',
];

function imageFilterMatches(f: ParsedFilter, image: ImageRecord, caller: string): boolean {
  const tag = tagFilterMatches(f, image.ownerId === caller ? image.tags : {});
  if (tag !== undefined) return tag;
  switch (f.name) {
    case 'architecture': return anyMatches(f.values, image.architecture);
    case 'block-device-mapping.snapshot-id': return anyMatches(f.values, image.blockDeviceMappings.map((b) => b.snapshotId));
    case 'block-device-mapping.encrypted': return anyMatches(f.values, image.blockDeviceMappings.map((b) => String(b.encrypted)));
    case 'description': return anyMatches(f.values, image.description);
    case 'image-id': return anyMatches(f.values, image.imageId);
    case 'image-type': return anyMatches(f.values, 'machine');
    case 'is-public': return anyMatches(f.values, String(image.launchPermissions.groups.includes('all')));
    case 'name': return anyMatches(f.values, image.name);
    case 'owner-alias': return anyMatches(f.values, image.imageOwnerAlias);
    case 'owner-id': return anyMatches(f.values, image.ownerId);
    case 'platform': return anyMatches(f.values, image.platform);
    case 'platform-details': return anyMatches(f.values, image.platformDetails);
    case 'root-device-type': return anyMatches(f.values, 'ebs');
    case 'state': return anyMatches(f.values, image.state);
    case 'virtualization-type': return anyMatches(f.values, 'hvm');
    case 'source-image-id': return anyMatches(f.values, image.sourceImageId);
    case 'source-instance-id': return image.ownerId === caller && anyMatches(f.values, image.sourceInstanceId);
    case 'deprecation-time': return image.deprecationTime !== undefined && anyMatches(f.values, iso(image.deprecationTime));
    case 'usage-operation': return anyMatches(f.values, image.usageOperation);
    default: return false;
  }
}

/** One owner's candidate image ids, narrowed by the tag index when an exact `tag:` filter allows it. */
interface Segment {
  ownerId: string;
  ids: readonly string[];
  images: Record<string, ImageRecord>;
}

function ownerSegment(world: World, ownerId: string, region: string, caller: string, filters: ParsedFilter[]): Segment {
  const images = world.region(ownerId, region).images;
  // Tags are per account, so only the caller's own images can be narrowed by tag.
  const exactTag = ownerId === caller ? filters.find((f) => f.name.startsWith('tag:') && f.values.length > 0 && f.values.every((v) => !/[*?\\]/.test(v))) : undefined;
  if (!exactTag) {
    const exactKey = ownerId === caller ? filters.find((f) => f.name === 'tag-key' && f.values.length === 1 && !/[*?\\]/.test(f.values[0])) : undefined;
    const ids = exactKey ? world.imageIdsWithTagKey(ownerId, region, exactKey.values[0]) : world.imageIds(ownerId, region);
    return { ownerId, ids, images };
  }
  const key = exactTag.name.slice(4);
  if (exactTag.values.length === 1) return { ownerId, ids: world.imageIdsWithTag(ownerId, region, key, exactTag.values[0]), images };
  const ids = new Set<string>();
  for (const value of exactTag.values) for (const id of world.imageIdsWithTag(ownerId, region, key, value)) ids.add(id);
  return { ownerId, ids: [...ids], images };
}

/**
 * One page over the owners' segments (each in registration order). The cursor is the owner and registration
 * sequence of the last image returned, so images added or deregistered between pages neither repeat nor hide
 * the rest of the listing.
 */
function pageOfImages(
  segments: Segment[],
  matches: (image: ImageRecord) => boolean,
  size: number,
  after: string | undefined,
): { items: ImageRecord[]; next?: string } {
  let segment = 0;
  let offset = 0;
  if (after !== undefined) {
    const slash = after.lastIndexOf('/');
    const ownerId = after.slice(0, slash);
    const seq = Number(after.slice(slash + 1));
    segment = segments.findIndex((s) => s.ownerId === ownerId);
    if (segment < 0) return { items: [] };
    offset = firstAfter(segments[segment], seq);
  }
  const items: ImageRecord[] = [];
  let last: string | undefined;
  for (; segment < segments.length; segment++, offset = 0) {
    const { ids, images, ownerId } = segments[segment];
    for (; offset < ids.length; offset++) {
      const image = images[ids[offset]];
      if (image === undefined || !matches(image)) continue;
      // A further match exists: the page is full and there is more to come.
      if (items.length === size) return { items, next: last };
      items.push(image);
      last = `${ownerId}/${image.registeredSeq ?? 0}`;
    }
  }
  return { items };
}

/** Index of the first id in the segment registered after `seq` (binary search; ids are in registration order). */
function firstAfter(segment: Segment, seq: number): number {
  let lo = 0;
  let hi = segment.ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((segment.images[segment.ids[mid]]?.registeredSeq ?? 0) <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const describeImages: Operation<DescribeImagesCommandInput, DescribeImagesCommandOutput> = async (ctx, input) => {
  const { world, account, region } = ctx;
  const filters = parseFilters(input.Filters, IMAGE_FILTERS);
  // Allowed AMIs: when enabled only allowed images are discoverable; when on at all, each says whether it is allowed.
  const allowedState = allowedImagesSettings(world, account, region).state;
  const discoverable = (image: ImageRecord) => allowedState !== 'enabled' || imageAllowed(world, account, region, image);
  const withAllowed = (out: Image, image: ImageRecord): Image =>
    allowedState === 'disabled' ? out : { ...out, ImageAllowed: imageAllowed(world, account, region, image) };
  if (input.ImageIds && input.ImageIds.length > 0) {
    if (input.MaxResults !== undefined) fail('InvalidParameterCombination', 'The parameter ImageIds cannot be used with the parameter MaxResults');
    const images = input.ImageIds.map((id) => visibleImage(world, region, account, id).image);
    const wanted = (input.Owners ?? []).map((o) => (o === 'self' ? account : o));
    const owned = (image: ImageRecord) => wanted.length === 0 || wanted.includes(image.ownerId) || (image.imageOwnerAlias !== undefined && wanted.includes(image.imageOwnerAlias));
    return {
      Images: images
        .filter((image) => owned(image) && discoverable(image) && filters.every((f) => imageFilterMatches(f, image, account)))
        .map((image) => withAllowed(imageOut(image, account, ctx.clock.now()), image)),
    };
  }
  const owners = (input.Owners ?? []).map((o) => (o === 'self' ? account : o));
  const aliasOwners = owners.filter((o) => !/^\d{12}$/.test(o));
  const idOwners = owners.filter((o) => /^\d{12}$/.test(o));
  const executable = (input.ExecutableUsers ?? []).map((u) => (u === 'self' ? account : u));
  const { orgArn, ouArn } = membershipArns(world, account);
  // Own images first, then others' (aliases such as `amazon` are decided per image).
  const ownerAccounts = world
    .accountsIn(region)
    .filter((id) => owners.length === 0 || idOwners.includes(id) || aliasOwners.length > 0)
    .sort((a, b) => (a === account ? -1 : b === account ? 1 : a.localeCompare(b)));
  const segments = ownerAccounts.map((ownerId) => ownerSegment(world, ownerId, region, account, filters));
  const now = ctx.clock.now();
  const matches = (image: ImageRecord): boolean => {
    if (image.state === 'deregistered') return false;
    if (owners.length > 0 && !idOwners.includes(image.ownerId) && !(image.imageOwnerAlias && aliasOwners.includes(image.imageOwnerAlias))) return false;
    if (!canLaunch(world, image, account)) return false;
    if (!discoverable(image)) return false;
    if (executable.length > 0) {
      const p = image.launchPermissions;
      const ok = executable.some((u) => {
        if (u === 'all') return p.groups.includes('all');
        if (u === account) {
          return p.userIds.includes(u) || (orgArn !== undefined && p.organizationArns.includes(orgArn)) || (ouArn !== undefined && p.organizationalUnitArns.includes(ouArn));
        }
        return p.userIds.includes(u);
      });
      if (!ok) return false;
    }
    // Deprecated images are hidden from non-owners unless asked for (DescribeImages reference).
    if (image.deprecationTime !== undefined && image.deprecationTime <= now && image.ownerId !== account && !input.IncludeDeprecated) return false;
    for (const f of filters) if (!imageFilterMatches(f, image, account)) return false;
    return true;
  };
  const options = {
    defaultMax: 1000,
    minLimit: 1,
    maxLimit: 1000,
    invalidTokenCode: 'InvalidParameterValue',
    invalidParameterCode: 'InvalidParameterValue',
    queryFingerprint: JSON.stringify([input.Owners, input.ExecutableUsers, input.Filters, input.IncludeDeprecated, input.IncludeDisabled]),
  };
  // Without MaxResults and NextToken AWS returns everything in one response.
  const size = input.MaxResults === undefined && input.NextToken === undefined ? Number.MAX_SAFE_INTEGER : pageSize(input.MaxResults, options);
  const token = input.NextToken ? decodeToken(input.NextToken, options) : undefined;
  const page = pageOfImages(segments, matches, size, token?.k);
  return {
    Images: page.items.map((image) => withAllowed(imageOut(image, account, ctx.clock.now()), image)),
    NextToken: page.next ? encodeToken({ o: 0, q: options.queryFingerprint, k: page.next }) : undefined,
  };
};

// ---------------------------------------------------------------------------------------------------- CopyImage

export const copyImage: Operation<CopyImageCommandInput, CopyImageCommandOutput> = async (ctx, input) => {
  const { world, account, region } = ctx;
  const sourceRegion = requireString(input.SourceRegion, 'SourceRegion');
  const sourceImageId = requireString(input.SourceImageId, 'SourceImageId');
  const name = requireString(input.Name, 'Name');
  const tokenKey = input.ClientToken ? `CopyImage:${input.ClientToken}` : undefined;
  const fingerprint = JSON.stringify([sourceRegion, sourceImageId, name, input.Encrypted ?? false, input.KmsKeyId ?? null]);
  if (tokenKey) {
    const earlier = ctx.regionState.clientTokens[tokenKey];
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) fail('IdempotentParameterMismatch', `Client token ${input.ClientToken} was used with different parameters`);
      return { ImageId: earlier.id };
    }
  }
  if (!world.state.regions.includes(sourceRegion)) fail('InvalidParameterValue', `Invalid region: ${sourceRegion}`);
  const located = visibleImage(world, sourceRegion, account, sourceImageId);
  const source = located.image;
  if (source.state !== 'available') fail('IncorrectState', `Image ${sourceImageId} is not in a valid state for this operation (${source.state})`);
  checkName(name);
  checkNameFree(world, account, region, name);
  checkImageDescription(input.Description);
  const imageTags = tagsFor(input.TagSpecifications, 'image');
  const snapshotTags = tagsFor(input.TagSpecifications, 'snapshot');
  // CopyImageTags and TagSpecifications together may not pass 50 user tags on the copy.
  const copiedTags = input.CopyImageTags && located.ownerId === account ? source.tags : {};
  checkTagCount(copiedTags, Object.keys(imageTags));
  checkImageQuota(world.imageIds(account, region).length);
  checkConcurrentCopies(Object.values(ctx.regionState.images).filter((i) => i.state === 'pending' && i.sourceImageId !== undefined).length);
  if (input.KmsKeyId && input.Encrypted !== true) fail('InvalidParameterCombination', 'KmsKeyId can be specified only when Encrypted is true');
  const completion = input.SnapshotCopyCompletionDurationMinutes;
  if (completion !== undefined && (!Number.isInteger(completion) || completion < 15 || completion > 2880 || completion % 15 !== 0)) {
    // Range and step: EBS user guide, time-based-copies (the message is an assumption).
    fail('InvalidParameterValue', `SnapshotCopyCompletionDurationMinutes must be 15 to 2880 in increments of 15, got ${completion} (message: assumption)`);
  }
  const encryptedSource = source.blockDeviceMappings.find((b) => b.encrypted);
  if (input.Encrypted === false && encryptedSource) {
    fail('InvalidRequest', `Snapshot ${encryptedSource.snapshotId} is encrypted. Creating an unencrypted copy from an encrypted snapshot is not supported.`);
  }
  // Every source key must be usable by the caller, or the copy cannot read the snapshots.
  for (const device of source.blockDeviceMappings) {
    if (!device.encrypted || !device.kmsKeyId) continue;
    const key = findKey(world, located.ownerId, sourceRegion, device.kmsKeyId);
    if (!key || !canUseKey(key, account)) {
      // EC2's message when the caller cannot read the source's storage (the code is an assumption).
      fail('InvalidRequest', 'You do not have permission to access the storage of this ami');
    }
  }
  const encrypt = input.Encrypted === true || source.blockDeviceMappings.some((b) => b.encrypted);
  let kmsKeyArn: string | undefined;
  if (encrypt) {
    if (input.KmsKeyId) {
      const key = findKey(world, account, region, input.KmsKeyId);
      if (!key || key.region !== region) fail('InvalidParameterValue', `Invalid KMS key ${input.KmsKeyId} for region ${region}`);
      if (!canUseKey(key, account, 'Encrypt')) fail('InvalidParameterValue', `The KMS key ${input.KmsKeyId} cannot be used by account ${account}`);
      kmsKeyArn = key.key.arn;
    } else {
      kmsKeyArn = defaultEbsKey(world, account, region).arn;
    }
  }
  const imageId = world.nextId('ami');
  const devices: BlockDeviceRecord[] = source.blockDeviceMappings.map((b) => {
    const snapshot = newSnapshot(world, account, region, {
      volumeSize: b.volumeSize,
      encrypted: encrypt,
      kmsKeyId: kmsKeyArn,
      description: `Copied for DestinationAmi ${imageId} from SourceAmi ${sourceImageId} for SourceSnapshot ${b.snapshotId}.`,
    });
    return { ...b, snapshotId: snapshot.snapshotId, encrypted: encrypt, kmsKeyId: kmsKeyArn };
  });
  const image: ImageRecord = {
    ...clone(source),
    imageId,
    ownerId: account,
    imageOwnerAlias: undefined,
    name,
    description: input.Description ?? source.description,
    state: 'pending',
    stateReason: undefined,
    creationDate: ctx.clock.now(),
    blockDeviceMappings: devices,
    tags: {},
    launchPermissions: { userIds: [], groups: [], organizationArns: [], organizationalUnitArns: [] },
    deprecationTime: undefined,
    deregistrationProtection: undefined,
    sourceInstanceId: undefined,
    sourceImageId,
    sourceRegion,
    clientToken: input.ClientToken,
    software: clone(source.software),
    // Watermarks travel with copies (where and on which image they were first attached stays).
    ...(source.watermarks?.length ? { watermarks: source.watermarks.map((w) => ({ ...w })) } : {}),
  };
  world.putImage(account, region, image);
  for (const [key, value] of Object.entries(copiedTags)) world.setImageTag(account, region, image, key, value);
  for (const [key, value] of Object.entries(imageTags)) world.setImageTag(account, region, image, key, value);
  for (const device of devices) Object.assign(ctx.regionState.snapshots[device.snapshotId].tags, snapshotTags);
  // The first copy from a source region under a key is full; later ones are incremental (timings.ts).
  const history = world.regionExtension<Record<string, number>>(account, region, COPY_HISTORY, () => ({}));
  const lineage = `${sourceRegion}|${kmsKeyArn ?? 'unencrypted'}`;
  const duration = copyImageMs({
    snapshotGiB: source.blockDeviceMappings.map((b) => b.volumeSize),
    crossRegion: sourceRegion !== region,
    incremental: history[lineage] !== undefined,
    completionMinutes: input.SnapshotCopyCompletionDurationMinutes,
  });
  history[lineage] = (history[lineage] ?? 0) + 1;
  const failCopy = ctx.faults.fires('ec2.copyFails', ctx.scope);
  world.schedule(duration, 'ec2.imageReady', { accountId: account, region, resourceId: imageId }, {
    fail: failCopy,
    reasonCode: 'Server.InternalError',
    reasonMessage: `Server.InternalError: Copy of ${sourceImageId} from ${sourceRegion} failed`,
  });
  if (tokenKey) ctx.regionState.clientTokens[tokenKey] = { id: imageId, fingerprint };
  return { ImageId: imageId };
};

// ---------------------------------------------------------------------------------------------------- launch permissions

const ORG_ARN = /^arn:aws:organizations::\d{12}:organization\/o-[a-z0-9]{10,32}$/;
const OU_ARN = /^arn:aws:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/;

function collect(into: LaunchPermissionRecord, permissions: LaunchPermission[] | undefined): void {
  for (const p of permissions ?? []) {
    if (p.UserId) into.userIds.push(p.UserId);
    if (p.Group) into.groups.push(p.Group);
    if (p.OrganizationArn) into.organizationArns.push(p.OrganizationArn);
    if (p.OrganizationalUnitArn) into.organizationalUnitArns.push(p.OrganizationalUnitArn);
  }
}

function emptyPermissions(): LaunchPermissionRecord {
  return { userIds: [], groups: [], organizationArns: [], organizationalUnitArns: [] };
}

function validatePermissions(p: LaunchPermissionRecord): void {
  for (const u of p.userIds) if (!/^\d{12}$/.test(u)) fail('InvalidAMIAttributeItemValue', `Invalid attribute item value "${u}" for userId item type.`);
  for (const g of p.groups) if (g !== 'all') fail('InvalidAMIAttributeItemValue', `Invalid attribute item value "${g}" for group item type.`);
  for (const o of p.organizationArns) if (!ORG_ARN.test(o)) fail('InvalidParameterValue', `Invalid organization ARN: ${o}`);
  for (const o of p.organizationalUnitArns) if (!OU_ARN.test(o)) fail('InvalidParameterValue', `Invalid organizational unit ARN: ${o}`);
}

function isShared(p: LaunchPermissionRecord): boolean {
  return p.userIds.length + p.groups.length + p.organizationArns.length + p.organizationalUnitArns.length > 0;
}

export const modifyImageAttribute: Operation<ModifyImageAttributeCommandInput, ModifyImageAttributeCommandOutput> = async (ctx, input) => {
  const imageId = requireString(input.ImageId, 'ImageId');
  const image = ownedImage(ctx.world, ctx.region, ctx.account, imageId);
  if (input.Description?.Value !== undefined || (input.Attribute === 'description' && input.Value !== undefined)) {
    image.description = input.Description?.Value ?? input.Value;
    return {};
  }
  if (input.ImdsSupport?.Value !== undefined) {
    // Only v2.0 exists, and it cannot be undone (ModifyImageAttribute reference: "After you set the value to v2.0, you
    // can't undo it"); instances launched from the image then default to HttpTokens required.
    if (input.ImdsSupport.Value !== 'v2.0') fail('InvalidParameterValue', `Value (${input.ImdsSupport.Value}) for parameter imdsSupport is invalid. Valid values: v2.0 (message: assumption)`);
    image.imdsSupport = 'v2.0';
    return {};
  }
  const adds = emptyPermissions();
  const removes = emptyPermissions();
  collect(adds, input.LaunchPermission?.Add);
  collect(removes, input.LaunchPermission?.Remove);
  if (input.Attribute === 'launchPermission' || input.UserIds || input.UserGroups || input.OrganizationArns || input.OrganizationalUnitArns) {
    const target = input.OperationType === 'remove' ? removes : adds;
    target.userIds.push(...(input.UserIds ?? []));
    target.groups.push(...(input.UserGroups ?? []));
    target.organizationArns.push(...(input.OrganizationArns ?? []));
    target.organizationalUnitArns.push(...(input.OrganizationalUnitArns ?? []));
  }
  if (!isShared(adds) && !isShared(removes)) fail('MissingParameter', 'No attribute specified.');
  validatePermissions(adds);
  validatePermissions(removes);
  if (isShared(adds)) {
    if (image.state !== 'available') fail('IncorrectState', `Image ${imageId} is not in a valid state for sharing (${image.state})`);
    for (const device of image.blockDeviceMappings) {
      if (!device.encrypted) continue;
      // Codes and messages as EC2 returns them (seen in public issue threads, e.g. hashicorp/packer#7410).
      if (adds.groups.includes('all')) fail('UnsupportedOperation', "Encrypted snapshots can't be shared publicly. Specify another snapshot.");
      const key = device.kmsKeyId ? findKey(ctx.world, ctx.account, ctx.region, device.kmsKeyId) : undefined;
      if (!key || key.key.keyManager === 'AWS') {
        fail('InvalidParameter', "Snapshots encrypted with the AWS Managed CMK can't be shared. Specify another snapshot.");
      }
    }
    if (adds.groups.includes('all') && ctx.regionState.imageBlockPublicAccess === 'block-new-sharing') {
      fail(
        'OperationNotPermitted',
        'You can’t publicly share this image because block public access for AMIs is enabled for this account. To publicly share the image, you must call the DisableImageBlockPublicAccess API.',
      );
    }
    // 1,000 entities per image: accounts, organizations and OUs together (the accounts inside an organization don't count).
    const p = image.launchPermissions;
    const entities = (current: string[], add: string[], remove: string[]) => new Set([...current, ...add].filter((x) => !remove.includes(x))).size;
    checkShareEntities(
      entities(p.userIds, adds.userIds, removes.userIds) +
        entities(p.organizationArns, adds.organizationArns, removes.organizationArns) +
        entities(p.organizationalUnitArns, adds.organizationalUnitArns, removes.organizationalUnitArns),
    );
    if (adds.groups.includes('all') && !p.groups.includes('all')) {
      checkPublicImageQuota(Object.values(ctx.regionState.images).filter((i) => i.launchPermissions.groups.includes('all') && i.state !== 'deregistered').length);
    }
  }
  const p = image.launchPermissions;
  const apply = (current: string[], add: string[], remove: string[]) => [...new Set([...current, ...add])].filter((x) => !remove.includes(x));
  p.userIds = apply(p.userIds, adds.userIds, removes.userIds);
  p.groups = apply(p.groups, adds.groups, removes.groups);
  p.organizationArns = apply(p.organizationArns, adds.organizationArns, removes.organizationArns);
  p.organizationalUnitArns = apply(p.organizationalUnitArns, adds.organizationalUnitArns, removes.organizationalUnitArns);
  return {};
};

export const describeImageAttribute: Operation<DescribeImageAttributeCommandInput, DescribeImageAttributeCommandOutput> = async (ctx, input) => {
  const imageId = requireString(input.ImageId, 'ImageId');
  const image = ownedImage(ctx.world, ctx.region, ctx.account, imageId);
  switch (input.Attribute) {
    case 'launchPermission': {
      const p = image.launchPermissions;
      return {
        ImageId: imageId,
        LaunchPermissions: [
          ...p.groups.map((Group) => ({ Group: Group as 'all' })),
          ...p.userIds.map((UserId) => ({ UserId })),
          ...p.organizationArns.map((OrganizationArn) => ({ OrganizationArn })),
          ...p.organizationalUnitArns.map((OrganizationalUnitArn) => ({ OrganizationalUnitArn })),
        ],
      };
    }
    case 'description':
      return { ImageId: imageId, Description: image.description !== undefined ? { Value: image.description } : {} };
    case 'deregistrationProtection':
      return { ImageId: imageId, DeregistrationProtection: { Value: deregistrationProtectionText(image, ctx.clock.now()) } };
    case 'imdsSupport':
      return { ImageId: imageId, ImdsSupport: image.imdsSupport ? { Value: image.imdsSupport } : {} };
    case 'lastLaunchedTime':
      return { ImageId: imageId, LastLaunchedTime: image.lastLaunchedTime !== undefined ? { Value: iso(image.lastLaunchedTime) } : {} };
    case 'bootMode':
      return { ImageId: imageId, BootMode: image.bootMode ? { Value: image.bootMode } : {} };
    case 'tpmSupport':
      return { ImageId: imageId, TpmSupport: image.tpmSupport ? { Value: image.tpmSupport } : {} };
    case 'blockDeviceMapping':
      return { ImageId: imageId, BlockDeviceMappings: imageOut(image, ctx.account, ctx.clock.now()).BlockDeviceMappings };
    default:
      return fail('InvalidParameterValue', `Value (${String(input.Attribute)}) for parameter attribute is invalid. Unsupported attribute.`);
  }
};

// ---------------------------------------------------------------------------------------------------- lifecycle

export const enableImageDeprecation: Operation<EnableImageDeprecationCommandInput, EnableImageDeprecationCommandOutput> = async (ctx, input) => {
  const image = ownedImage(ctx.world, ctx.region, ctx.account, requireString(input.ImageId, 'ImageId'));
  if (!input.DeprecateAt) fail('MissingParameter', 'The request must contain the parameter DeprecateAt');
  const at = new Date(input.DeprecateAt).getTime();
  if (Number.isNaN(at)) fail('InvalidParameterValue', 'DeprecateAt is not a valid date');
  // AWS rounds to the minute and rejects dates in the past and more than 10 years ahead.
  const rounded = Math.round(at / 60_000) * 60_000;
  if (rounded < ctx.clock.now() - 60_000) fail('InvalidParameterValue', 'DeprecateAt must be in the future.');
  if (rounded > ctx.clock.now() + 10 * 365.25 * 24 * 3_600_000) fail('InvalidParameterValue', 'DeprecateAt must be at most 10 years from now.');
  image.deprecationTime = rounded;
  return { Return: true };
};

export const disableImageDeprecation: Operation<DisableImageDeprecationCommandInput, DisableImageDeprecationCommandOutput> = async (ctx, input) => {
  const image = ownedImage(ctx.world, ctx.region, ctx.account, requireString(input.ImageId, 'ImageId'));
  image.deprecationTime = undefined;
  return { Return: true };
};

export const enableImageDeregistrationProtection: Operation<EnableImageDeregistrationProtectionCommandInput, EnableImageDeregistrationProtectionCommandOutput> = async (
  ctx,
  input,
) => {
  const image = ownedImage(ctx.world, ctx.region, ctx.account, requireString(input.ImageId, 'ImageId'));
  image.deregistrationProtection = { enabled: true, withCooldown: input.WithCooldown === true };
  return { Return: 'true' };
};

export const disableImageDeregistrationProtection: Operation<DisableImageDeregistrationProtectionCommandInput, DisableImageDeregistrationProtectionCommandOutput> = async (
  ctx,
  input,
) => {
  const image = ownedImage(ctx.world, ctx.region, ctx.account, requireString(input.ImageId, 'ImageId'));
  const previous = image.deregistrationProtection;
  // Protection enabled with a cooldown keeps blocking deregistration for 24 hours after it is disabled.
  const cooldownUntil = previous?.enabled && previous.withCooldown ? ctx.clock.now() + DEREGISTRATION_COOLDOWN_MS : previous?.cooldownUntil;
  image.deregistrationProtection = { enabled: false, withCooldown: false, cooldownUntil };
  return { Return: 'true' };
};

export const deregisterImage: Operation<DeregisterImageCommandInput, DeregisterImageCommandOutput> = async (ctx, input) => {
  const imageId = requireString(input.ImageId, 'ImageId');
  const image = ownedImage(ctx.world, ctx.region, ctx.account, imageId);
  const protection = image.deregistrationProtection;
  if (protection?.enabled || (protection?.cooldownUntil !== undefined && protection.cooldownUntil > ctx.clock.now())) {
    fail('InvalidParameterValue', `Image ${imageId} is protected from deregistration (${deregistrationProtectionText(image, ctx.clock.now())}).`);
  }
  ctx.world.removeImage(ctx.account, ctx.region, imageId);
  ctx.world.cancelTransitions(imageId);
  if (!input.DeleteAssociatedSnapshots) return { Return: true };
  const results = image.blockDeviceMappings.map((device) => {
    if (!ctx.regionState.snapshots[device.snapshotId]) return { SnapshotId: device.snapshotId, ReturnCode: 'client-error' as const };
    if (imagesUsingSnapshot(ctx.world, ctx.account, ctx.region, device.snapshotId).length > 0) return { SnapshotId: device.snapshotId, ReturnCode: 'skipped' as const };
    delete ctx.regionState.snapshots[device.snapshotId];
    return { SnapshotId: device.snapshotId, ReturnCode: 'success' as const };
  });
  return { Return: true, DeleteSnapshotResults: results };
};

export const getImageBlockPublicAccessState: Operation<GetImageBlockPublicAccessStateCommandInput, GetImageBlockPublicAccessStateCommandOutput> = async (ctx) => ({
  ImageBlockPublicAccessState: ctx.regionState.imageBlockPublicAccess,
  ManagedBy: 'account',
});

export const enableImageBlockPublicAccess: Operation<EnableImageBlockPublicAccessCommandInput, EnableImageBlockPublicAccessCommandOutput> = async (ctx, input) => {
  if (input.ImageBlockPublicAccessState !== 'block-new-sharing') fail('InvalidParameterValue', 'ImageBlockPublicAccessState must be block-new-sharing');
  ctx.regionState.imageBlockPublicAccess = 'block-new-sharing';
  return { ImageBlockPublicAccessState: 'block-new-sharing' };
};

export const disableImageBlockPublicAccess: Operation<DisableImageBlockPublicAccessCommandInput, DisableImageBlockPublicAccessCommandOutput> = async (ctx) => {
  ctx.regionState.imageBlockPublicAccess = 'unblocked';
  return { ImageBlockPublicAccessState: 'unblocked' };
};

// ---------------------------------------------------------------------------------------------------- references

/** An image id a launch template version points to (`resolve:ssm:` parameters resolved). */
export function launchTemplateImageId(world: World, accountId: string, region: string, imageId: unknown): string | undefined {
  if (typeof imageId !== 'string') return undefined;
  if (!imageId.startsWith('resolve:ssm:')) return imageId;
  const name = imageId.slice('resolve:ssm:'.length);
  // Public parameters (/aws/service/...) live in the Amazon account of each region.
  const owner = name.startsWith('/aws/service/') ? AMAZON_OWNER_ID : accountId;
  return world.hasAccount(owner) ? world.region(owner, region).parameters[name]?.value : undefined;
}

/** DescribeImageReferences' options, as the EC2 API reference gives them (ResourceTypeOption). */
const INSTANCE_STATES = ['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped'];
const DEFAULT_VERSION_DEPTH = 10;
const MAX_VERSION_DEPTH = 10_000;
const REFERENCE_TYPES = ['ec2:Instance', 'ec2:LaunchTemplate', 'ssm:Parameter', 'imagebuilder:ImageRecipe', 'imagebuilder:ContainerRecipe'];
const TYPE_OPTIONS: Record<string, string> = { 'ec2:Instance': 'state-name', 'ec2:LaunchTemplate': 'version-depth' };

/**
 * DescribeImageReferences: 1-10 images a call; the resource types to look at (or IncludeAllResourceTypes, with the
 * default options); options only for instances (`state-name`, default every state) and launch templates
 * (`version-depth` 1-10,000 newest versions, default 10). Image Builder recipes are accepted and never found
 * (the simulated account has no Image Builder). References are those in the calling account and region, so a
 * consumer account sees what it runs from an image shared with it.
 */
export const describeImageReferences: Operation<DescribeImageReferencesCommandInput, DescribeImageReferencesCommandOutput> = async (ctx, input) => {
  const imageIds = input.ImageIds ?? [];
  if (imageIds.length === 0 || imageIds.length > 10) fail('InvalidParameterValue', 'ImageIds must contain between 1 and 10 image ids');
  if (!input.IncludeAllResourceTypes && (!input.ResourceTypes || input.ResourceTypes.length === 0)) {
    fail('MissingParameter', 'Either IncludeAllResourceTypes or ResourceTypes must be specified');
  }
  for (const id of imageIds) checkIdFormat(id, 'ami', 'InvalidAMIID.Malformed');
  for (const r of input.ResourceTypes ?? []) {
    if (!REFERENCE_TYPES.includes(r.ResourceType ?? '')) fail('InvalidParameterValue', `Invalid resource type: ${r.ResourceType}`);
    for (const o of r.ResourceTypeOptions ?? []) {
      if (TYPE_OPTIONS[r.ResourceType ?? ''] !== o.OptionName) fail('InvalidParameterValue', `Option ${o.OptionName} is not valid for resource type ${r.ResourceType}`);
      const values = o.OptionValues ?? [];
      if (o.OptionName === 'version-depth' && (values.length !== 1 || !/^\d+$/.test(values[0]) || Number(values[0]) < 1 || Number(values[0]) > MAX_VERSION_DEPTH)) {
        fail('InvalidParameterValue', `version-depth must be one integer between 1 and ${MAX_VERSION_DEPTH}`);
      }
      if (o.OptionName === 'state-name' && values.some((v) => !INSTANCE_STATES.includes(v))) fail('InvalidParameterValue', `Invalid state-name: ${values.join(', ')}`);
    }
  }
  const requested = new Map((input.ResourceTypes ?? []).map((r) => [r.ResourceType, r.ResourceTypeOptions ?? []]));
  const wants = (type: string) => input.IncludeAllResourceTypes === true || requested.has(type as never);
  const option = (type: string, name: string): string[] | undefined =>
    requested.get(type as never)?.find((o) => o.OptionName === name)?.OptionValues;
  const { world, account, region, regionState } = ctx;
  const refs: ImageReference[] = [];
  for (const imageId of imageIds) {
    if (wants('ec2:Instance')) {
      const states = option('ec2:Instance', 'state-name') ?? INSTANCE_STATES;
      for (const instance of Object.values(regionState.instances)) {
        if (instance.imageId === imageId && states.includes(instance.state)) {
          refs.push({ ImageId: imageId, ResourceType: 'ec2:Instance', Arn: `arn:aws:ec2:${region}:${account}:instance/${instance.instanceId}` });
        }
      }
    }
    if (wants('ec2:LaunchTemplate')) {
      const depth = Number(option('ec2:LaunchTemplate', 'version-depth')?.[0] ?? DEFAULT_VERSION_DEPTH);
      for (const template of Object.values(regionState.launchTemplates)) {
        const versions = Object.values(template.versions).sort((a, b) => b.versionNumber - a.versionNumber).slice(0, depth);
        if (versions.some((v) => launchTemplateImageId(world, account, region, v.data.ImageId) === imageId)) {
          refs.push({ ImageId: imageId, ResourceType: 'ec2:LaunchTemplate', Arn: `arn:aws:ec2:${region}:${account}:launch-template/${template.launchTemplateId}` });
        }
      }
    }
    if (wants('ssm:Parameter')) {
      for (const parameter of Object.values(regionState.parameters)) {
        if (parameter.dataType === 'aws:ec2:image' && parameter.value === imageId) {
          const path = parameter.name.startsWith('/') ? parameter.name.slice(1) : parameter.name;
          refs.push({ ImageId: imageId, ResourceType: 'ssm:Parameter', Arn: `arn:aws:ssm:${region}:${account}:parameter/${path}` });
        }
      }
    }
  }
  const page = paginate(refs, input, {
    defaultMax: 1000,
    minLimit: 1,
    maxLimit: 1000,
    invalidTokenCode: 'InvalidParameterValue',
    invalidParameterCode: 'InvalidParameterValue',
    queryFingerprint: JSON.stringify([imageIds, input.ResourceTypes, input.IncludeAllResourceTypes]),
  });
  return { ImageReferences: page.items, NextToken: page.nextToken };
};

// ---------------------------------------------------------------------------------------------------- watermarks

const WATERMARK_NAME = /^[\w()[\] ./'@-]{3,128}$/;

/** AttachImageWatermark: the caller's own image gets `<caller account>:<name>` (attaching the same key again is a no-op). */
export const attachImageWatermark: Operation<AttachImageWatermarkCommandInput, AttachImageWatermarkCommandOutput> = async (ctx, input) => {
  const image = ownedImage(ctx.world, ctx.region, ctx.account, requireString(input.ImageId, 'ImageId'));
  const name = requireString(input.WatermarkName, 'WatermarkName');
  if (!WATERMARK_NAME.test(name)) fail('InvalidParameterValue', `The watermark name '${name}' is not valid: 3-128 letters, digits, spaces and ()[]./'@-_`);
  if (image.state !== 'available') fail('IncorrectState', `Image ${image.imageId} is not in the available state.`);
  const key = `${ctx.account}:${name}`;
  const watermarks = (image.watermarks ??= []);
  if (!watermarks.some((w) => w.key === key)) {
    watermarks.push({ key, sourceImageRegion: ctx.region, sourceImageId: image.imageId, sourceImageCreationTime: image.creationDate, creationTime: ctx.clock.now() });
  }
  return { WatermarkKey: key };
};

export const detachImageWatermark: Operation<DetachImageWatermarkCommandInput, DetachImageWatermarkCommandOutput> = async (ctx, input) => {
  const image = ownedImage(ctx.world, ctx.region, ctx.account, requireString(input.ImageId, 'ImageId'));
  const key = requireString(input.WatermarkKey, 'WatermarkKey');
  if (!image.watermarks?.some((w) => w.key === key)) fail('InvalidParameterValue', `Image ${image.imageId} has no watermark ${key}.`);
  image.watermarks = image.watermarks.filter((w) => w.key !== key);
  return { Return: true };
};
