/**
 * SSM Inventory: the installed packages of a managed instance, as `ListInventoryEntries` with
 * `TypeName: 'AWS:Application'` returns them — the source Amazon Inspector's agent-based scan reads.
 *
 * On AWS a State Manager association with `AWS-GatherSoftwareInventory` collects the inventory (Quick Setup's
 * default, and what Inspector sets up, runs every 30 minutes; Inspector user guide, scanning-ec2: "re-read every 30
 * minutes"). The simulation collects when the SSM agent comes online and every 30 minutes after, lazily: a collection
 * that fell due is taken before an SSM command changes the software (the same hook as Inspector's scan), so what
 * ListInventoryEntries shows is the software as it was at `CaptureTime`, as on AWS.
 *
 * The AWS:Application schema (SSM user guide, "Metadata collected by Inventory"): Name, ApplicationType, Publisher,
 * Version, Release, Epoch, InstalledTime, Architecture, URL, Summary, PackageId. The simulation fills the ones it knows:
 * Name, Version, Release, Epoch (absent for epoch 0, as rpm shows it), Architecture, and Publisher for Amazon Linux
 * packages ("Amazon Linux", as AL2023 inventories show it). All values are strings, as the API returns them.
 *
 * API rules (ListInventoryEntries reference): InstanceId and TypeName are required; MaxResults 1-50; filters
 * `{ Key, Values, Type }` with Type Equal, NotEqual, BeginWith, LessThan, GreaterThan; errors InvalidInstanceId,
 * InvalidTypeNameException, InvalidFilter, InvalidNextToken. Other AWS: types exist but are not collected here:
 * their Entries are empty.
 */
import type { InventoryFilter, ListInventoryEntriesCommandInput, ListInventoryEntriesCommandOutput } from '@aws-sdk/client-ssm';
import { fail } from '../errors';
import { paginate, type Operation } from '../operations';
import type { InstalledPackage, PackageFormat } from '../packages/types';
import { compareVersionStrings } from '../packages/version';
import type { InstanceRecord, World } from '../world';

/** Collection period of the inventory association (see the header). */
export const INVENTORY_INTERVAL_MS = 30 * 60_000;
const SCHEMA_VERSION = '1.1';
const MAX_RESULTS = 50;
const AWS_TYPES = new Set(['AWS:Application', 'AWS:AWSComponent', 'AWS:File', 'AWS:InstanceDetailedInformation', 'AWS:InstanceInformation', 'AWS:Network', 'AWS:Service', 'AWS:WindowsRole', 'AWS:WindowsRegistry', 'AWS:WindowsUpdate', 'AWS:Tag', 'AWS:BillingInfo', 'AWS:ComplianceItem', 'AWS:ComplianceSummary', 'AWS:ResourceGroup']);

interface InventorySnapshot {
  captureTime: number;
  format: PackageFormat;
  platform: string;
  packages: InstalledPackage[];
}

interface InventoryState {
  instances: Record<string, InventorySnapshot>;
}

function inventoryState(world: World, accountId: string, region: string): InventoryState {
  return world.regionExtension<InventoryState>(accountId, region, 'ssmInventory', () => ({ instances: {} }));
}

/** Time of the latest collection due at `now`, or undefined while none is (agent not online yet). */
function latestCollectionDue(instance: InstanceRecord, now: number): number | undefined {
  const online = instance.agentOnlineAt;
  if (online === undefined || now < online) return undefined;
  return online + Math.floor((now - online) / INVENTORY_INTERVAL_MS) * INVENTORY_INTERVAL_MS;
}

/** Take the collection that is due at the clock's time, if not taken yet (called before software changes). */
export function collectInventoryIfDue(world: World, accountId: string, region: string, instance: InstanceRecord): void {
  if (instance.state !== 'running') return;
  const due = latestCollectionDue(instance, world.now());
  if (due === undefined) return;
  const state = inventoryState(world, accountId, region);
  if (state.instances[instance.instanceId]?.captureTime === due) return;
  state.instances[instance.instanceId] = {
    captureTime: due,
    format: instance.software.os.format,
    platform: instance.software.os.platform,
    packages: Object.values(instance.software.packages).map((p) => ({ ...p })),
  };
}

/** The AWS:Application entries of one collection, sorted by name. */
export function applicationEntries(snapshot: InventorySnapshot): Record<string, string>[] {
  return [...snapshot.packages]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => {
      const entry: Record<string, string> = { Name: p.name, Version: p.version, Release: p.release, Architecture: p.arch };
      if (p.epoch !== 0) entry.Epoch = String(p.epoch);
      if (snapshot.platform === 'AMAZON_LINUX_2023') entry.Publisher = 'Amazon Linux';
      return entry;
    });
}

function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function matches(entry: Record<string, string>, filter: InventoryFilter, format: PackageFormat): boolean {
  const key = filter.Key?.startsWith('AWS:Application.') ? filter.Key.slice('AWS:Application.'.length) : filter.Key ?? '';
  const value = entry[key];
  const values = filter.Values ?? [];
  switch (filter.Type ?? 'Equal') {
    case 'Equal': return value !== undefined && values.includes(value);
    case 'NotEqual': return value === undefined || !values.includes(value);
    case 'BeginWith': return value !== undefined && values.some((v) => value.startsWith(v));
    case 'Exists': return value !== undefined;
    // Version-like attributes compare as the package manager orders them, others as strings.
    case 'LessThan': return value !== undefined && values.some((v) => compareVersionStrings(value, v, format) < 0);
    case 'GreaterThan': return value !== undefined && values.some((v) => compareVersionStrings(value, v, format) > 0);
    default: return fail('InvalidFilter', `The filter type ${String(filter.Type)} is not valid.`);
  }
}

export const listInventoryEntries: Operation<ListInventoryEntriesCommandInput, ListInventoryEntriesCommandOutput> = async (ctx, input) => {
  const instanceId = input.InstanceId ?? fail('ValidationException', "1 validation error detected: Value null at 'instanceId' failed to satisfy constraint: Member must not be null");
  const typeName = input.TypeName ?? fail('ValidationException', "1 validation error detected: Value null at 'typeName' failed to satisfy constraint: Member must not be null");
  if (!AWS_TYPES.has(typeName) && !typeName.startsWith('Custom:')) fail('InvalidTypeNameException', `The type name ${typeName} is not valid.`);
  const instance = ctx.regionState.instances[instanceId];
  // Only managed instances have inventory (InvalidInstanceId: "not a managed instance" or unknown).
  if (!instance || instance.agentOnlineAt === undefined) fail('InvalidInstanceId', `Instance Id ${instanceId} is not valid or is not a managed instance.`);
  collectInventoryIfDue(ctx.world, ctx.account, ctx.region, instance);
  const snapshot = inventoryState(ctx.world, ctx.account, ctx.region).instances[instanceId];
  if (!snapshot || typeName !== 'AWS:Application') return { TypeName: typeName, InstanceId: instanceId, Entries: [] };
  for (const f of input.Filters ?? []) {
    if (!f.Key || !f.Values?.length) fail('InvalidFilter', 'A filter needs a Key and at least one value.');
  }
  const entries = applicationEntries(snapshot).filter((e) => (input.Filters ?? []).every((f) => matches(e, f, snapshot.format)));
  const page = paginate(entries, input, {
    defaultMax: MAX_RESULTS,
    maxLimit: MAX_RESULTS,
    invalidTokenCode: 'InvalidNextToken',
    invalidParameterCode: 'ValidationException',
    queryFingerprint: JSON.stringify([instanceId, typeName, input.Filters ?? [], snapshot.captureTime]),
  });
  return {
    TypeName: typeName,
    InstanceId: instanceId,
    SchemaVersion: SCHEMA_VERSION,
    CaptureTime: iso(snapshot.captureTime),
    Entries: page.items,
    NextToken: page.nextToken,
  };
};

export const ssmInventoryOperations = {
  ListInventoryEntries: listInventoryEntries,
};
