/**
 * Building blocks to seed a world (scenario files and tests use them): organizations, accounts, users with
 * access keys, roles, instance profiles, images with a software state.
 */
import type { SoftwareState } from './packages/types';
import { bootSoftware } from './packages/base-images';
import type { AccessKeyRecord, AccountState, ImageRecord, InstanceRecord, OrganizationRecord, RoleRecord, World } from './world';
import { newSnapshot } from './services/ec2/snapshots';
import { volumesFromImage } from './services/ec2/common';

export function addOrganization(world: World, init: { id: string; managementAccountId: string; ous?: { id: string; name: string }[] }): OrganizationRecord {
  const arn = `arn:aws:organizations::${init.managementAccountId}:organization/${init.id}`;
  const org: OrganizationRecord = {
    id: init.id,
    arn,
    managementAccountId: init.managementAccountId,
    organizationalUnits: Object.fromEntries(
      (init.ous ?? []).map((ou) => [ou.id, { id: ou.id, name: ou.name, arn: `arn:aws:organizations::${init.managementAccountId}:ou/${init.id}/${ou.id}` }]),
    ),
  };
  world.state.organizations[init.id] = org;
  return org;
}

export function addAccount(world: World, accountId: string, init: { alias?: string; organizationId?: string; organizationalUnitId?: string; regions?: string[] } = {}): AccountState {
  if (!/^\d{12}$/.test(accountId)) throw new Error(`account id must be 12 digits: ${accountId}`);
  const account = world.ensureAccount(accountId, { alias: init.alias, organizationId: init.organizationId, organizationalUnitId: init.organizationalUnitId });
  for (const region of init.regions ?? world.state.regions) world.region(accountId, region);
  return account;
}

/** A long-term access key of an IAM user in `accountId`. */
/** The secret of a seeded access key of the simulated account (local only; SigV4 signing against the local server). */
export function localSecretAccessKey(accessKeyId: string): string {
  return `local-secret-${accessKeyId}`;
}

export function addAccessKey(world: World, accountId: string, options: { accessKeyId?: string; userName?: string } = {}): AccessKeyRecord {
  world.account(accountId);
  const accessKeyId = options.accessKeyId ?? `AKIA${world.nextId('k', 16).slice(2).toUpperCase()}`;
  const userName = options.userName ?? 'gami';
  const record: AccessKeyRecord = {
    accessKeyId,
    secretAccessKey: localSecretAccessKey(accessKeyId),
    accountId,
    arn: `arn:aws:iam::${accountId}:user/${userName}`,
    userId: `AIDA${accessKeyId.slice(4)}`,
  };
  world.state.accessKeys[accessKeyId] = record;
  return record;
}

export function addRole(
  world: World,
  accountId: string,
  init: { name: string; trustedPrincipals: string[]; managedPolicies?: string[]; externalId?: string },
): RoleRecord {
  const role: RoleRecord = {
    name: init.name,
    arn: `arn:aws:iam::${accountId}:role/${init.name}`,
    trustedPrincipals: [...init.trustedPrincipals],
    managedPolicies: [...(init.managedPolicies ?? [])],
    ...(init.externalId !== undefined ? { externalId: init.externalId } : {}),
  };
  world.account(accountId).roles[init.name] = role;
  return role;
}

export function addInstanceProfile(world: World, accountId: string, init: { name: string; roleName: string }): void {
  world.account(accountId).instanceProfiles[init.name] = {
    name: init.name,
    roleName: init.roleName,
    arn: `arn:aws:iam::${accountId}:instance-profile/${init.name}`,
  };
}

export interface SeedImage {
  imageId?: string;
  name: string;
  description?: string;
  ownerAlias?: string;
  architecture?: 'x86_64' | 'arm64';
  platform?: 'windows';
  platformDetails?: string;
  /** Epoch ms. */
  creationDate?: number;
  volumeSize?: number;
  encrypted?: boolean;
  kmsKeyId?: string;
  public?: boolean;
  tags?: Record<string, string>;
  launchPermissions?: Partial<ImageRecord['launchPermissions']>;
  deprecationTime?: number;
  state?: ImageRecord['state'];
  software: SoftwareState;
}

/** An available image with its root snapshot (completed), as AWS would have it. */
export function addImage(world: World, accountId: string, region: string, init: SeedImage): ImageRecord {
  const size = init.volumeSize ?? 8;
  const snapshot = newSnapshot(world, accountId, region, {
    volumeSize: size,
    encrypted: init.encrypted ?? false,
    kmsKeyId: init.kmsKeyId,
    description: `Seeded snapshot for ${init.name}`,
    state: 'completed',
  });
  snapshot.startTime = init.creationDate ?? world.clock.now();
  const image: ImageRecord = {
    imageId: init.imageId ?? world.nextId('ami'),
    ownerId: accountId,
    imageOwnerAlias: init.ownerAlias,
    name: init.name,
    description: init.description,
    state: init.state ?? 'available',
    creationDate: init.creationDate ?? world.clock.now(),
    architecture: init.architecture ?? 'x86_64',
    platform: init.platform,
    platformDetails: init.platformDetails ?? (init.platform === 'windows' ? 'Windows' : 'Linux/UNIX'),
    usageOperation: init.platform === 'windows' ? 'RunInstances:0002' : 'RunInstances',
    rootDeviceName: init.platform === 'windows' ? '/dev/sda1' : '/dev/xvda',
    blockDeviceMappings: [
      {
        deviceName: init.platform === 'windows' ? '/dev/sda1' : '/dev/xvda',
        snapshotId: snapshot.snapshotId,
        volumeSize: size,
        volumeType: 'gp3',
        encrypted: init.encrypted ?? false,
        kmsKeyId: init.kmsKeyId,
        deleteOnTermination: true,
      },
    ],
    enaSupport: true,
    // AL2023 x86_64 AMIs are uefi-preferred, arm64 AMIs UEFI only (the only mode arm64 has).
    bootMode: init.platform === 'windows' ? 'uefi' : (init.architecture ?? 'x86_64') === 'arm64' ? 'uefi' : 'uefi-preferred',
    imdsSupport: 'v2.0',
    tags: {},
    launchPermissions: {
      userIds: [...(init.launchPermissions?.userIds ?? [])],
      groups: init.public ? ['all'] : [...(init.launchPermissions?.groups ?? [])],
      organizationArns: [...(init.launchPermissions?.organizationArns ?? [])],
      organizationalUnitArns: [...(init.launchPermissions?.organizationalUnitArns ?? [])],
    },
    deprecationTime: init.deprecationTime,
    software: structuredClone(init.software),
  };
  world.putImage(accountId, region, image);
  for (const [key, value] of Object.entries(init.tags ?? {})) world.setImageTag(accountId, region, image, key, value);
  return image;
}

/** A minimal Amazon Linux-like software state (tests that do not care about packages). */
export function minimalSoftware(overrides: Partial<SoftwareState> = {}): SoftwareState {
  return {
    os: { platform: 'AMAZON_LINUX_2023', name: 'Amazon Linux 2023', format: 'rpm' },
    ssmAgent: true,
    packages: {},
    files: {},
    ...overrides,
  };
}

/** A running instance launched from `image` (scenario seeding: fleets that already exist). */
export function addRunningInstance(
  world: World,
  accountId: string,
  region: string,
  image: ImageRecord,
  init: { instanceType?: string; launchedAt?: number; tags?: Record<string, string>; launchTemplate?: InstanceRecord['launchTemplate']; subnetId?: string; securityGroupIds?: string[] } = {},
): InstanceRecord {
  const instanceId = world.nextId('i');
  const sequence = world.state.sequence;
  const software = structuredClone(image.software);
  bootSoftware(software, { instanceId });
  const instance: InstanceRecord = {
    instanceId,
    imageId: image.imageId,
    instanceType: init.instanceType ?? 't3.medium',
    architecture: image.architecture,
    platform: image.platform,
    platformDetails: image.platformDetails,
    state: 'running',
    launchTime: init.launchedAt ?? world.clock.now(),
    stateTransitionReason: '',
    subnetId: init.subnetId,
    vpcId: init.subnetId ? 'vpc-0a1b2c3d4e5f60000' : undefined,
    securityGroupIds: init.securityGroupIds ?? [],
    privateIpAddress: `10.1.${(sequence >> 8) & 255}.${sequence & 255}`,
    metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 2 },
    launchTemplate: init.launchTemplate,
    volumes: volumesFromImage(world, image),
    tags: { ...(init.tags ?? {}) },
    software,
  };
  world.region(accountId, region).instances[instanceId] = instance;
  return instance;
}
