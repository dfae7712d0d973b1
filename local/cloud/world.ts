/**
 * The state of the simulated AWS cloud: organizations, accounts, and per account+region the resources the
 * product touches. `WorldState` is plain JSON (persisted to `.gami/cloud.json`); `World` wraps it with the
 * things that are not state: the clock, the fault plan, indexes, id generation and scheduled transitions.
 *
 * Resources move through their states lazily and deterministically: an operation that starts something slow
 * (RunInstances, CreateImage, CopyImage, …) records a *transition* `{ at, kind, … }`; before every operation
 * the router calls `world.settle()`, which applies every transition that is due on the clock. Transitions are
 * plain data, so a persisted world resumes exactly where it stopped. Services register what a transition kind
 * does with `registerTransition(kind, apply)`.
 */
import { insertOrdered } from '../ordered';
import type { Clock } from '../clock';
import { FaultPlan, type FaultPlanSpec } from './faults';
import type { SoftwareState } from './packages/types';

export type Tags = Record<string, string>;

// ---------------------------------------------------------------------------------------------------- IAM / org

export interface OrganizationRecord {
  id: string;
  arn: string;
  managementAccountId: string;
  /** OU id → OU. */
  organizationalUnits: Record<string, { id: string; arn: string; name: string }>;
}

export interface RoleRecord {
  name: string;
  arn: string;
  /** Principals the trust policy allows to assume the role, e.g. `arn:aws:iam::111111111111:root`. */
  trustedPrincipals: string[];
  managedPolicies: string[];
  /** The trust policy's `sts:ExternalId` condition: AssumeRole must give exactly this. */
  externalId?: string;
}

export interface InstanceProfileRecord {
  name: string;
  arn: string;
  roleName: string;
}

/** Who an access key belongs to. AssumeRole issues keys bound to the role's account. */
export interface AccessKeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  accountId: string;
  /** Caller ARN, e.g. `arn:aws:iam::111111111111:user/gami` or `arn:aws:sts::222222222222:assumed-role/R/s`. */
  arn: string;
  /** Unique id as GetCallerIdentity's UserId. */
  userId: string;
  /** Epoch ms; absent for long-term keys. */
  expiresAt?: number;
}

// ---------------------------------------------------------------------------------------------------- EC2

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export interface InstanceRecord {
  instanceId: string;
  imageId: string;
  /** False when launched in Allowed AMIs audit mode from an image the criteria do not allow (absent otherwise). */
  imageAllowed?: false;
  instanceType: string;
  architecture: string;
  platformDetails: string;
  state: InstanceStateName;
  /** Epoch ms. */
  launchTime: number;
  stateTransitionReason: string;
  /** Why the instance is in its state, e.g. a KMS failure at launch. */
  stateReason?: { code: string; message: string };
  subnetId?: string;
  vpcId?: string;
  securityGroupIds: string[];
  privateIpAddress: string;
  iamInstanceProfile?: { arn: string; name: string };
  keyName?: string;
  metadataOptions: { httpTokens: 'optional' | 'required'; httpEndpoint: 'enabled' | 'disabled'; httpPutResponseHopLimit: number };
  launchTemplate?: { id: string; name: string; version: string };
  clientToken?: string;
  platform?: 'windows';
  volumes: VolumeRecord[];
  /** The boot mode the instance booted with (`uefi-preferred` images resolve to one of the two). */
  bootMode?: 'legacy-bios' | 'uefi';
  /** NitroTPM, from the image's TpmSupport. */
  tpmSupport?: 'v2.0';
  tags: Tags;
  /** Epoch ms at which the SSM agent registers (undefined: never, e.g. no agent or no instance profile). */
  agentOnlineAt?: number;
  software: SoftwareState;
}

/** An EBS volume attached to an instance (DescribeVolumes, DescribeInstances). */
export interface VolumeRecord {
  deviceName: string;
  volumeId: string;
  /** GiB. */
  size: number;
  volumeType: string;
  iops?: number;
  /** MiB/s (gp3 only). */
  throughput?: number;
  encrypted: boolean;
  /** Key ARN when encrypted. */
  kmsKeyId?: string;
  /** The snapshot the volume was created from (absent: an empty data volume). */
  snapshotId?: string;
  /** Default true for volumes from the image's mappings, as EC2 sets them. */
  deleteOnTermination?: boolean;
}

export type ImageStateName = 'pending' | 'available' | 'failed' | 'invalid' | 'deregistered' | 'disabled';

export interface BlockDeviceRecord {
  deviceName: string;
  snapshotId: string;
  volumeSize: number;
  volumeType: string;
  iops?: number;
  throughput?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  deleteOnTermination: boolean;
}

export interface LaunchPermissionRecord {
  userIds: string[];
  /** `all` makes the image public. */
  groups: string[];
  organizationArns: string[];
  organizationalUnitArns: string[];
}

export interface ImageRecord {
  imageId: string;
  ownerId: string;
  /** e.g. `amazon` for Amazon-owned public images. */
  imageOwnerAlias?: string;
  name: string;
  description?: string;
  state: ImageStateName;
  stateReason?: { code: string; message: string };
  /** Epoch ms. */
  creationDate: number;
  architecture: string;
  /** `windows` for Windows images, otherwise absent (as in the API). */
  platform?: 'windows';
  platformDetails: string;
  usageOperation: string;
  rootDeviceName: string;
  blockDeviceMappings: BlockDeviceRecord[];
  enaSupport: boolean;
  /** `legacy-bios`, `uefi` or `uefi-preferred`; absent on old images (they boot the instance type's default). */
  bootMode?: string;
  imdsSupport?: 'v2.0';
  /** NitroTPM: set by RegisterImage only. */
  tpmSupport?: 'v2.0';
  tags: Tags;
  launchPermissions: LaunchPermissionRecord;
  /** Epoch ms (DescribeImages shows it as ISO string). */
  deprecationTime?: number;
  /** `cooldownUntil`: after disabling protection that had a cooldown, deregistration stays blocked until then. */
  deregistrationProtection?: { enabled: boolean; withCooldown: boolean; cooldownUntil?: number };
  sourceInstanceId?: string;
  sourceImageId?: string;
  sourceRegion?: string;
  clientToken?: string;
  /**
   * AMI watermarks (AttachImageWatermark): key `<account>:<name>`, where and on which image it was first attached.
   * CopyImage carries them to the copy; every account that can see the image sees them.
   */
  watermarks?: { key: string; sourceImageRegion: string; sourceImageId: string; sourceImageCreationTime: number; creationTime: number }[];
  /** Epoch ms of the last RunInstances with this image (any account), as EC2 tracks it for the owner. */
  lastLaunchedTime?: number;
  /** Registration order in its account+region (set by `World.putImage`): listing order and page cursors. */
  registeredSeq?: number;
  software: SoftwareState;
}

export interface SnapshotRecord {
  snapshotId: string;
  ownerId: string;
  volumeId: string;
  volumeSize: number;
  state: 'pending' | 'completed' | 'error';
  progress: string;
  /** Epoch ms. */
  startTime: number;
  description: string;
  encrypted: boolean;
  kmsKeyId?: string;
  tags: Tags;
  createVolumePermissions: { userIds: string[]; groups: string[] };
}

export interface LaunchTemplateVersionRecord {
  versionNumber: number;
  versionDescription?: string;
  createTime: number;
  createdBy: string;
  /** The SDK's ResponseLaunchTemplateData shape, kept as JSON. */
  data: Record<string, unknown>;
}

export interface LaunchTemplateRecord {
  launchTemplateId: string;
  launchTemplateName: string;
  createTime: number;
  createdBy: string;
  defaultVersion: number;
  latestVersion: number;
  tags: Tags;
  versions: Record<string, LaunchTemplateVersionRecord>;
}

// ---------------------------------------------------------------------------------------------------- others

export interface InstanceRefreshRecord {
  instanceRefreshId: string;
  status: 'Pending' | 'InProgress' | 'Successful' | 'Failed' | 'Cancelling' | 'Cancelled';
  statusReason?: string;
  startTime: number;
  endTime?: number;
  percentageComplete: number;
  preferences?: Record<string, unknown>;
  desiredConfiguration?: Record<string, unknown>;
}

export interface AutoScalingGroupRecord {
  name: string;
  arn: string;
  launchTemplate: { launchTemplateId: string; launchTemplateName: string; version: string };
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  createdTime: number;
  availabilityZones: string[];
  vpcZoneIdentifier?: string;
  instanceIds: string[];
  tags: Tags;
  instanceRefreshes: InstanceRefreshRecord[];
}

export interface KmsGrantRecord {
  grantId: string;
  grantToken: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  name?: string;
  creationDate: number;
}

export interface KmsKeyRecord {
  keyId: string;
  arn: string;
  description: string;
  keyManager: 'AWS' | 'CUSTOMER';
  keyState: 'Enabled' | 'Disabled' | 'PendingDeletion';
  creationDate: number;
  aliases: string[];
  /** Accounts whose principals the key policy lets use the key (besides the owner). */
  policyAccounts: string[];
  grants: KmsGrantRecord[];
}

export interface ParameterRecord {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  lastModifiedDate: number;
  dataType: string;
  description?: string;
  tier: 'Standard' | 'Advanced' | 'Intelligent-Tiering';
  /** Earlier values by version (for GetParameter name:version selectors). */
  history: Record<string, string>;
}

export interface SnsSubscriptionRecord {
  subscriptionArn: string;
  protocol: string;
  endpoint: string;
  /** The subscription's FilterPolicy (scope MessageAttributes), parsed; absent: every message. */
  filterPolicy?: Record<string, unknown>;
}

export interface SnsTopicRecord {
  arn: string;
  name: string;
  subscriptions?: SnsSubscriptionRecord[];
}

export interface SnsMessage {
  messageId: string;
  topicArn: string;
  accountId: string;
  region: string;
  subject?: string;
  message: string;
  messageStructure?: string;
  messageAttributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  /** Epoch ms. */
  timestamp: number;
  /** Endpoints of the subscriptions whose filter policy let the message through, when the topic had any. */
  deliveredTo?: string[];
}

export interface RegionState {
  instances: Record<string, InstanceRecord>;
  images: Record<string, ImageRecord>;
  snapshots: Record<string, SnapshotRecord>;
  launchTemplates: Record<string, LaunchTemplateRecord>;
  autoScalingGroups: Record<string, AutoScalingGroupRecord>;
  kmsKeys: Record<string, KmsKeyRecord>;
  /** alias name (`alias/x`) → key id. */
  kmsAliases: Record<string, string>;
  parameters: Record<string, ParameterRecord>;
  topics: Record<string, SnsTopicRecord>;
  imageBlockPublicAccess: 'block-new-sharing' | 'unblocked';
  /** `<Operation>:<ClientToken>` → id of what that call created (idempotency). */
  clientTokens: Record<string, { id: string; fingerprint: string }>;
  /**
   * State owned by other service modules (SSM commands, Inspector scans, …), by module name. JSON only.
   * Use `regionExtension(region, key, init)` to read/create it with a type.
   */
  extensions: Record<string, unknown>;
}

export interface AccountState {
  accountId: string;
  alias?: string;
  organizationId?: string;
  /** OU id of the account's parent OU (its ARN derives from the organization). */
  organizationalUnitId?: string;
  roles: Record<string, RoleRecord>;
  instanceProfiles: Record<string, InstanceProfileRecord>;
  regions: Record<string, RegionState>;
}

export interface ScheduledTransition {
  /** Epoch ms at which it applies. */
  at: number;
  /** Registered with `registerTransition`. */
  kind: string;
  accountId: string;
  region: string;
  /** The resource it concerns (instance id, image id, command id, …). */
  resourceId: string;
  /** Extra JSON data for the transition. */
  data?: Record<string, unknown>;
  seq: number;
}

export interface WorldState {
  version: 1;
  /** Public partition regions the world knows (SSM public parameters exist in each). */
  regions: string[];
  organizations: Record<string, OrganizationRecord>;
  accounts: Record<string, AccountState>;
  accessKeys: Record<string, AccessKeyRecord>;
  /** Everything published to SNS, oldest first. */
  mailbox: SnsMessage[];
  transitions: ScheduledTransition[];
  /** Monotonic counter feeding ids, so ids are reproducible for a given sequence of calls. */
  sequence: number;
  faults: FaultPlanSpec;
  /** Throttle EC2 calls with AWS's documented token buckets (`local/cloud/rate-limits.ts`). */
  rateLimits?: boolean;
  /**
   * Per vulnerability id, the day its fix shipped (`YYYY-MM-DD`), replacing the catalog's: lets a test or scenario put
   * a fix 10 days before the virtual clock. Read by `local/cloud/inspector` (`fixReleasedAt`).
   */
  fixReleasedAt?: Record<string, string>;
  /** Clock time of the last snapshot written to disk: a restarted runtime resumes its clock from here. */
  savedAt?: number;
}

/** The Amazon account that owns public Amazon Linux images. */
export const AMAZON_OWNER_ID = '137112412989';

export function emptyRegion(): RegionState {
  return {
    instances: {},
    images: {},
    snapshots: {},
    launchTemplates: {},
    autoScalingGroups: {},
    kmsKeys: {},
    kmsAliases: {},
    parameters: {},
    topics: {},
    imageBlockPublicAccess: 'unblocked',
    clientTokens: {},
    extensions: {},
  };
}

export function emptyWorldState(regions: string[] = ['eu-west-1', 'eu-central-1', 'us-east-1']): WorldState {
  return {
    version: 1,
    regions: [...regions],
    organizations: {},
    accounts: {},
    accessKeys: {},
    mailbox: [],
    transitions: [],
    sequence: 0,
    faults: { seed: 1, rules: [] },
  };
}

// ---------------------------------------------------------------------------------------------------- World

export type TransitionApply = (world: World, transition: ScheduledTransition) => void;

interface TransitionKind {
  prepare?: (world: World, transition: ScheduledTransition) => Promise<unknown>;
  apply: (world: World, transition: ScheduledTransition, prepared: unknown) => void;
}

const transitionKinds = new Map<string, TransitionKind>();

/** Declare what a transition kind does (service modules call this at import time). */
export function registerTransition(kind: string, apply: TransitionApply): void {
  transitionKinds.set(kind, { apply });
}

/**
 * A transition whose effect needs asynchronous work first (a script run by the simulated instance shell).
 * `prepare` only reads the world (it runs while other operations may, so it must not change anything) and
 * computes what `apply` then writes synchronously, at the transition's due time, exactly like any other.
 */
export function registerPreparedTransition<P>(
  kind: string,
  prepare: (world: World, transition: ScheduledTransition) => Promise<P>,
  apply: (world: World, transition: ScheduledTransition, prepared: P) => void,
): void {
  transitionKinds.set(kind, { prepare, apply: apply as TransitionKind['apply'] });
}

/** Thrown when the world is asked for something that was never seeded (a bug in a scenario or a test). */
export class UnknownAccountError extends Error {
  constructor(accountId: string) {
    super(`the simulated cloud has no account ${accountId}`);
    this.name = 'UnknownAccountError';
  }
}

/** Key for the per-region tag index. */
function tagKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

interface ImageIndex {
  /** `key\0value` → image ids with that tag. */
  byTag: Map<string, Set<string>>;
  /** tag key → image ids with a tag of that key. */
  byTagKey: Map<string, Set<string>>;
  /** Array snapshots of the sets above (and of all ids, under `\u0001all`), dropped when the set changes. */
  lists: Map<string, string[]>;
}

const ALL_IMAGES = '\u0001all';

export interface WorldOptions {
  clock: Clock;
  state?: WorldState;
}

export class World {
  readonly clock: Clock;
  state: WorldState;
  readonly faults: FaultPlan;
  private readonly imageIndexes = new Map<string, ImageIndex>();
  /** Called after every mutating operation (persistence hooks in here). */
  private readonly changeListeners = new Set<() => void>();
  /** Due time of the transition being applied (see `now()`). */
  private applyingAt: number | undefined;

  constructor(options: WorldOptions) {
    this.clock = options.clock;
    this.state = options.state ?? emptyWorldState();
    this.faults = new FaultPlan(this.state.faults);
  }

  // ------------------------------------------------------------------ accounts and regions

  account(accountId: string): AccountState {
    const account = this.state.accounts[accountId];
    if (!account) throw new UnknownAccountError(accountId);
    return account;
  }

  hasAccount(accountId: string): boolean {
    return accountId in this.state.accounts;
  }

  /** Create the account if missing (scenario loading, tests). */
  ensureAccount(accountId: string, init: Partial<Omit<AccountState, 'accountId' | 'regions'>> = {}): AccountState {
    let account = this.state.accounts[accountId];
    if (!account) {
      account = { accountId, roles: {}, instanceProfiles: {}, regions: {}, ...init };
      this.state.accounts[accountId] = account;
    }
    return account;
  }

  /** The account's state in `region`, created empty on first use (regions exist for every account on AWS). */
  region(accountId: string, region: string): RegionState {
    const account = this.account(accountId);
    let state = account.regions[region];
    if (!state) {
      state = emptyRegion();
      account.regions[region] = state;
      if (!this.state.regions.includes(region)) this.state.regions.push(region);
    }
    return state;
  }

  /** Typed access to another module's per-region state, created by `init` on first use. */
  regionExtension<T>(accountId: string, region: string, key: string, init: () => T): T {
    const regionState = this.region(accountId, region);
    if (!(key in regionState.extensions)) regionState.extensions[key] = init();
    return regionState.extensions[key] as T;
  }

  /** Every account id whose state has `region`. */
  accountsIn(region: string): string[] {
    return Object.values(this.state.accounts)
      .filter((a) => a.regions[region])
      .map((a) => a.accountId);
  }

  organizationOf(accountId: string): OrganizationRecord | undefined {
    const orgId = this.state.accounts[accountId]?.organizationId;
    return orgId ? this.state.organizations[orgId] : undefined;
  }

  // ------------------------------------------------------------------ ids

  /** Next reproducible id: `prefix-` + 17 hex digits (EC2 style) derived from a sequence number. */
  nextId(prefix: string, hexDigits = 17): string {
    const n = ++this.state.sequence;
    // Spread sequence numbers over the id space with an odd multiplier so ids don't look like counters.
    const mixed = (BigInt(n) * 0x9e3779b97f4a7c15n) & ((1n << BigInt(hexDigits * 4)) - 1n);
    return `${prefix}-${mixed.toString(16).padStart(hexDigits, '0')}`;
  }

  /** Next reproducible UUID-shaped id (SSM command ids, SNS message ids, refresh ids). */
  nextUuid(): string {
    const hex = this.nextId('x', 32).slice(2);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  // ------------------------------------------------------------------ images (indexed)

  /** Add or replace an image; keeps the tag index right. */
  putImage(accountId: string, region: string, image: ImageRecord): void {
    const regionState = this.region(accountId, region);
    const existing = regionState.images[image.imageId];
    if (existing) this.unindexImage(accountId, region, existing);
    else this.imageIndex(accountId, region).lists.delete(ALL_IMAGES);
    // A new registration gets the next sequence number even if the record was cloned from another image.
    image.registeredSeq = existing?.registeredSeq ?? ++this.state.sequence;
    regionState.images[image.imageId] = image;
    this.indexImage(accountId, region, image);
  }

  removeImage(accountId: string, region: string, imageId: string): void {
    const regionState = this.region(accountId, region);
    const existing = regionState.images[imageId];
    if (!existing) return;
    this.unindexImage(accountId, region, existing);
    this.imageIndex(accountId, region).lists.delete(ALL_IMAGES);
    delete regionState.images[imageId];
  }

  /** Set tags on an image through here (CreateTags, CopyImageTags…) so the index stays right. */
  setImageTag(accountId: string, region: string, image: ImageRecord, key: string, value: string): void {
    const index = this.imageIndex(accountId, region);
    const old = image.tags[key];
    if (old !== undefined) removeFrom(index, 'byTag', tagKey(key, old), image.imageId);
    image.tags[key] = value;
    addToIndex(index, 'byTag', tagKey(key, value), image.imageId);
    addToIndex(index, 'byTagKey', key, image.imageId);
  }

  deleteImageTag(accountId: string, region: string, image: ImageRecord, key: string): void {
    const old = image.tags[key];
    if (old === undefined) return;
    const index = this.imageIndex(accountId, region);
    removeFrom(index, 'byTag', tagKey(key, old), image.imageId);
    removeFrom(index, 'byTagKey', key, image.imageId);
    delete image.tags[key];
  }

  /** Ids of the account's images in `region` tagged `key=value`, in registration order (a cached array: do not modify). */
  imageIdsWithTag(accountId: string, region: string, key: string, value: string): readonly string[] {
    return this.list(accountId, region, 'byTag', tagKey(key, value));
  }

  /** Ids of the account's images in `region` with a tag `key` (cached array). */
  imageIdsWithTagKey(accountId: string, region: string, key: string): readonly string[] {
    return this.list(accountId, region, 'byTagKey', key);
  }

  /** Ids of all the account's images in `region`, in registration order (cached array). */
  imageIds(accountId: string, region: string): readonly string[] {
    const index = this.imageIndex(accountId, region);
    let list = index.lists.get(ALL_IMAGES);
    if (!list) {
      list = this.inRegistrationOrder(accountId, region, Object.keys(this.region(accountId, region).images));
      index.lists.set(ALL_IMAGES, list);
    }
    return list;
  }

  /** Sort ids by registration (re-tagging appends to a tag's set; listings must not reorder). */
  private inRegistrationOrder(accountId: string, region: string, ids: string[]): string[] {
    const images = this.region(accountId, region).images;
    const seqOf = (id: string) => images[id]?.registeredSeq ?? 0;
    let sorted = true;
    for (let i = 1; i < ids.length && sorted; i++) sorted = seqOf(ids[i - 1]) <= seqOf(ids[i]);
    return sorted ? ids : ids.sort((a, b) => seqOf(a) - seqOf(b));
  }

  private list(accountId: string, region: string, kind: 'byTag' | 'byTagKey', key: string): readonly string[] {
    const index = this.imageIndex(accountId, region);
    const listKey = `${kind}\u0002${key}`;
    let list = index.lists.get(listKey);
    if (!list) {
      list = this.inRegistrationOrder(accountId, region, [...(index[kind].get(key) ?? [])]);
      index.lists.set(listKey, list);
    }
    return list;
  }

  private imageIndex(accountId: string, region: string): ImageIndex {
    const key = `${accountId}/${region}`;
    let index = this.imageIndexes.get(key);
    if (!index) {
      index = { byTag: new Map(), byTagKey: new Map(), lists: new Map() };
      this.imageIndexes.set(key, index);
      for (const image of Object.values(this.region(accountId, region).images)) {
        for (const [k, v] of Object.entries(image.tags)) {
          addTo(index.byTag, tagKey(k, v), image.imageId);
          addTo(index.byTagKey, k, image.imageId);
        }
      }
    }
    return index;
  }

  private indexImage(accountId: string, region: string, image: ImageRecord): void {
    const index = this.imageIndex(accountId, region);
    for (const [k, v] of Object.entries(image.tags)) {
      addToIndex(index, 'byTag', tagKey(k, v), image.imageId);
      addToIndex(index, 'byTagKey', k, image.imageId);
    }
  }

  private unindexImage(accountId: string, region: string, image: ImageRecord): void {
    const index = this.imageIndex(accountId, region);
    for (const [k, v] of Object.entries(image.tags)) {
      removeFrom(index, 'byTag', tagKey(k, v), image.imageId);
      removeFrom(index, 'byTagKey', k, image.imageId);
    }
  }

  // ------------------------------------------------------------------ time

  /** Schedule a transition `delayMs` from now on this world's clock. */
  schedule(
    delayMs: number,
    kind: string,
    target: { accountId: string; region: string; resourceId: string },
    data?: Record<string, unknown>,
  ): ScheduledTransition {
    const transition: ScheduledTransition = {
      at: this.now() + Math.max(0, Math.round(delayMs)),
      kind,
      // Only the target's identity: callers may pass another transition as the target.
      accountId: target.accountId,
      region: target.region,
      resourceId: target.resourceId,
      data,
      seq: ++this.state.sequence,
    };
    insertOrdered(this.state.transitions, transition, (t) => t.at);
    return transition;
  }

  /** Drop scheduled transitions of a resource (e.g. a terminated instance's pending → running). */
  cancelTransitions(resourceId: string, kind?: string): void {
    this.state.transitions = this.state.transitions.filter((t) => !(t.resourceId === resourceId && (!kind || t.kind === kind)));
  }

  /**
   * The world's current time: while a transition is applied, the time it was due (so timestamps it writes and
   * transitions it chains are exact however late the world settles); otherwise the clock's time.
   */
  now(): number {
    return this.applyingAt ?? this.clock.now();
  }

  /**
   * Apply every transition due at the clock's current time, in order. Returns how many were applied.
   * Settles run one after the other (a prepared transition awaits its preparation), so a caller that awaits
   * `settle()` sees every transition due at its time applied, in due order.
   */
  settle(): Promise<number> {
    const run = this.settling.then(() => this.applyDue());
    this.settling = run.catch(() => undefined);
    return run;
  }

  private settling: Promise<unknown> = Promise.resolve();

  private async applyDue(): Promise<number> {
    const now = this.clock.now();
    let applied = 0;
    for (;;) {
      const transition = this.state.transitions[0];
      if (!transition || transition.at > now) return applied;
      const kind = transitionKinds.get(transition.kind);
      if (!kind) throw new Error(`no transition registered for kind "${transition.kind}"`);
      // The transition stays scheduled while it is prepared, so a snapshot taken meanwhile still holds it.
      const prepared = kind.prepare ? await kind.prepare(this, transition) : undefined;
      // Cancelled, or overtaken by an earlier transition, while it was prepared: look at the list again.
      if (this.state.transitions[0] !== transition) continue;
      this.state.transitions.shift();
      this.applyingAt = transition.at;
      try {
        kind.apply(this, transition, prepared);
      } finally {
        this.applyingAt = undefined;
      }
      applied++;
    }
  }

  /** Earliest pending transition time (epoch ms), if any. */
  nextTransitionAt(): number | undefined {
    return this.state.transitions[0]?.at;
  }

  // ------------------------------------------------------------------ change notification

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  notifyChanged(): void {
    for (const listener of this.changeListeners) listener();
  }

  /** Replace the whole state (loading a snapshot); indexes are rebuilt lazily. */
  replaceState(state: WorldState): void {
    this.state = state;
    this.imageIndexes.clear();
    this.faults.reset(state.faults);
  }
}

function addToIndex(index: ImageIndex, kind: 'byTag' | 'byTagKey', key: string, id: string): void {
  const set = index[kind].get(key);
  if (set?.has(id)) return;
  addTo(index[kind], key, id);
  index.lists.delete(`${kind}\u0002${key}`);
}

function removeFrom(index: ImageIndex, kind: 'byTag' | 'byTagKey', key: string, id: string): void {
  if (index[kind].get(key)?.delete(id)) index.lists.delete(`${kind}\u0002${key}`);
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(id);
}
