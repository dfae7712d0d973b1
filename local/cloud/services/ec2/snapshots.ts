/**
 * EBS snapshots: DescribeSnapshots, ModifySnapshotAttribute, DeleteSnapshot (InvalidSnapshot.InUse while an
 * image uses it), and the snapshot records CreateImage/CopyImage make.
 */
import type {
  DeleteSnapshotCommandInput,
  DeleteSnapshotCommandOutput,
  DescribeSnapshotsCommandInput,
  DescribeSnapshotsCommandOutput,
  ModifySnapshotAttributeCommandInput,
  ModifySnapshotAttributeCommandOutput,
  Snapshot,
} from '@aws-sdk/client-ec2';
import { fail } from '../../errors';
import { paginate, type Operation } from '../../operations';
import type { SnapshotRecord, Tags, World } from '../../world';
import { findKey } from '../kms';
import { anyMatches, checkIdFormat, parseFilters, tagFilterMatches, tagsOut } from './common';

export function newSnapshot(
  world: World,
  accountId: string,
  region: string,
  init: { volumeSize: number; encrypted: boolean; kmsKeyId?: string; description: string; tags?: Tags; state?: SnapshotRecord['state'] },
): SnapshotRecord {
  const snapshot: SnapshotRecord = {
    snapshotId: world.nextId('snap'),
    ownerId: accountId,
    volumeId: world.nextId('vol'),
    volumeSize: init.volumeSize,
    state: init.state ?? 'pending',
    progress: init.state === 'completed' ? '100%' : '0%',
    startTime: world.now(),
    description: init.description,
    encrypted: init.encrypted,
    kmsKeyId: init.kmsKeyId,
    tags: { ...(init.tags ?? {}) },
    createVolumePermissions: { userIds: [], groups: [] },
  };
  world.region(accountId, region).snapshots[snapshot.snapshotId] = snapshot;
  return snapshot;
}

/** Image ids (same account and region) whose block devices use the snapshot. */
export function imagesUsingSnapshot(world: World, accountId: string, region: string, snapshotId: string): string[] {
  return Object.values(world.region(accountId, region).images)
    .filter((image) => image.blockDeviceMappings.some((b) => b.snapshotId === snapshotId))
    .map((image) => image.imageId);
}

function snapshotOut(s: SnapshotRecord, caller: string): Snapshot {
  return {
    SnapshotId: s.snapshotId,
    OwnerId: s.ownerId,
    VolumeId: s.volumeId,
    VolumeSize: s.volumeSize,
    State: s.state,
    Progress: s.progress,
    StartTime: new Date(s.startTime),
    Description: s.description,
    Encrypted: s.encrypted,
    KmsKeyId: s.kmsKeyId,
    StorageTier: 'standard',
    Tags: s.ownerId === caller ? tagsOut(s.tags) : undefined,
  };
}

function canRestore(s: SnapshotRecord, accountId: string): boolean {
  return s.ownerId === accountId || s.createVolumePermissions.groups.includes('all') || s.createVolumePermissions.userIds.includes(accountId);
}

function locateSnapshot(world: World, region: string, snapshotId: string): SnapshotRecord | undefined {
  for (const account of Object.values(world.state.accounts)) {
    const snapshot = account.regions[region]?.snapshots[snapshotId];
    if (snapshot) return snapshot;
  }
  return undefined;
}

const SNAPSHOT_FILTERS = ['snapshot-id', 'owner-id', 'status', 'description', 'volume-id', 'volume-size', 'encrypted', 'tag-key', 'tag-value'];

export const describeSnapshots: Operation<DescribeSnapshotsCommandInput, DescribeSnapshotsCommandOutput> = async (ctx, input) => {
  const filters = parseFilters(input.Filters, SNAPSHOT_FILTERS);
  let candidates: SnapshotRecord[];
  if (input.SnapshotIds && input.SnapshotIds.length > 0) {
    candidates = input.SnapshotIds.map((id) => {
      checkIdFormat(id, 'snap', 'InvalidSnapshotID.Malformed');
      const snapshot = locateSnapshot(ctx.world, ctx.region, id);
      if (!snapshot || !canRestore(snapshot, ctx.account)) fail('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
      return snapshot;
    });
  } else {
    const owners = (input.OwnerIds ?? []).map((o) => (o === 'self' ? ctx.account : o));
    candidates = [];
    for (const accountId of ctx.world.accountsIn(ctx.region)) {
      if (owners.length > 0 && !owners.includes(accountId)) continue;
      for (const snapshot of Object.values(ctx.world.region(accountId, ctx.region).snapshots)) {
        if (canRestore(snapshot, ctx.account)) candidates.push(snapshot);
      }
    }
  }
  const restorable = (input.RestorableByUserIds ?? []).map((u) => (u === 'self' ? ctx.account : u));
  const matching = candidates.filter((s) => {
    if (restorable.length > 0 && !restorable.some((u) => canRestore(s, u))) return false;
    return filters.every((f) => {
      const tag = tagFilterMatches(f, s.ownerId === ctx.account ? s.tags : {});
      if (tag !== undefined) return tag;
      switch (f.name) {
        case 'snapshot-id': return anyMatches(f.values, s.snapshotId);
        case 'owner-id': return anyMatches(f.values, s.ownerId);
        case 'status': return anyMatches(f.values, s.state);
        case 'description': return anyMatches(f.values, s.description);
        case 'volume-id': return anyMatches(f.values, s.volumeId);
        case 'volume-size': return anyMatches(f.values, String(s.volumeSize));
        case 'encrypted': return anyMatches(f.values, String(s.encrypted));
        default: return false;
      }
    });
  });
  if (input.SnapshotIds && input.SnapshotIds.length > 0 && input.MaxResults !== undefined) {
    fail('InvalidParameterCombination', 'The parameter SnapshotIds cannot be used with the parameter MaxResults');
  }
  const page = paginate(matching, input, { defaultMax: 1000, minLimit: 5, maxLimit: 1000, invalidTokenCode: 'InvalidParameterValue', invalidParameterCode: 'InvalidParameterValue' });
  return { Snapshots: page.items.map((s) => snapshotOut(s, ctx.account)), NextToken: page.nextToken };
};

export const modifySnapshotAttribute: Operation<ModifySnapshotAttributeCommandInput, ModifySnapshotAttributeCommandOutput> = async (ctx, input) => {
  const id = input.SnapshotId ?? fail('MissingParameter', 'The request must contain the parameter SnapshotId');
  checkIdFormat(id, 'snap', 'InvalidSnapshotID.Malformed');
  const snapshot = ctx.regionState.snapshots[id] ?? fail('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  if (input.Attribute && input.Attribute !== 'createVolumePermission') fail('InvalidParameterValue', `Attribute ${input.Attribute} cannot be modified`);
  const adds: { userIds: string[]; groups: string[] } = { userIds: [], groups: [] };
  const removes: { userIds: string[]; groups: string[] } = { userIds: [], groups: [] };
  const target = input.OperationType === 'remove' ? removes : adds;
  target.userIds.push(...(input.UserIds ?? []));
  target.groups.push(...(input.GroupNames ?? []));
  for (const p of input.CreateVolumePermission?.Add ?? []) {
    if (p.UserId) adds.userIds.push(p.UserId);
    if (p.Group) adds.groups.push(p.Group);
  }
  for (const p of input.CreateVolumePermission?.Remove ?? []) {
    if (p.UserId) removes.userIds.push(p.UserId);
    if (p.Group) removes.groups.push(p.Group);
  }
  for (const u of [...adds.userIds, ...removes.userIds]) if (!/^\d{12}$/.test(u)) fail('InvalidParameterValue', `Invalid user id: ${u}`);
  for (const g of [...adds.groups, ...removes.groups]) if (g !== 'all') fail('InvalidParameterValue', `Invalid group: ${g}`);
  if (adds.userIds.length > 0 || adds.groups.length > 0) {
    if (snapshot.encrypted && adds.groups.includes('all')) fail('UnsupportedOperation', "Encrypted snapshots can't be shared publicly.");
    if (snapshot.encrypted && snapshot.kmsKeyId) {
      const key = findKey(ctx.world, ctx.account, ctx.region, snapshot.kmsKeyId);
      if (key?.key.keyManager === 'AWS') {
        fail('OperationNotPermitted', 'Encrypted snapshots with EBS default key cannot be shared');
      }
    }
  }
  const p = snapshot.createVolumePermissions;
  p.userIds = [...new Set([...p.userIds, ...adds.userIds])].filter((u) => !removes.userIds.includes(u));
  p.groups = [...new Set([...p.groups, ...adds.groups])].filter((g) => !removes.groups.includes(g));
  return {};
};

export const deleteSnapshot: Operation<DeleteSnapshotCommandInput, DeleteSnapshotCommandOutput> = async (ctx, input) => {
  const id = input.SnapshotId ?? fail('MissingParameter', 'The request must contain the parameter SnapshotId');
  checkIdFormat(id, 'snap', 'InvalidSnapshotID.Malformed');
  if (!ctx.regionState.snapshots[id]) fail('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  const users = imagesUsingSnapshot(ctx.world, ctx.account, ctx.region, id);
  if (users.length > 0) fail('InvalidSnapshot.InUse', `The snapshot ${id} is currently in use by ${users[0]}`);
  delete ctx.regionState.snapshots[id];
  return {};
};

