/**
 * Amazon Inspector (v2) for EC2 instances, agent-based through SSM: ListCoverage, ListFindings,
 * BatchGetFindingDetails. Inspector is taken as enabled for EC2 scanning in every account and region.
 *
 * Life of an instance in Inspector (documented assumptions; AWS publishes no figures — Inspector user guide, scanning-ec2):
 * - Discovery: the instance appears in coverage INSPECTOR_DISCOVERY_MS after launch (Inspector reacts to EC2
 *   state-change events). Until then ListCoverage does not list it.
 * - Not a managed node (no SSM agent, no instance profile, agent not yet online): INACTIVE /
 *   UNMANAGED_EC2_INSTANCE. Windows and other platforms this simulator has no catalog for: INACTIVE /
 *   UNSUPPORTED_OS. Stopped: INACTIVE / EC2_INSTANCE_STOPPED. Terminated: gone from coverage, findings CLOSED.
 * - Managed: ACTIVE / PENDING_INITIAL_SCAN until the first scan, INSPECTOR_FIRST_SCAN_AFTER_AGENT_MS after
 *   the agent came online (SSM inventory is gathered at registration; Inspector's first findings "a few
 *   minutes" later), then ACTIVE / SUCCESSFUL with lastScannedAt. Rescans follow every
 *   INSPECTOR_RESCAN_INTERVAL_MS (Inspector re-reads SSM inventory every 30 minutes): findings whose package
 *   was fixed become CLOSED, new ones appear.
 * - The fault `inspector.scanNeverCompletes` (decided once per instance when it becomes managed) keeps it in
 *   PENDING_INITIAL_SCAN forever.
 * Scans are evaluated lazily — when an Inspector operation runs, and (scanInstanceIfDue) just before an SSM
 * command changes the instance's software — so a scan reads the software as it was when the scan fell due.
 */
import type {
  BatchGetFindingDetailsCommandInput,
  BatchGetFindingDetailsCommandOutput,
  CoverageFilterCriteria,
  CoverageStringFilter,
  CoveredResource,
  FilterCriteria,
  Finding,
  ListCoverageCommandInput,
  ListCoverageCommandOutput,
  ListFindingsCommandInput,
  ListFindingsCommandOutput,
  NumberFilter,
  DateFilter,
  StringFilter,
} from '@aws-sdk/client-inspector2';
import { fail } from '../errors';
import { paginate, type Operation, type OperationContext } from '../operations';
import type { InstalledPackage } from '../packages/types';
import type { InstanceRecord, World } from '../world';
import { collectInventoryIfDue } from '../ssm/inventory';
import { hash } from '../ssm/stable';
import { CATALOG, fixAvailableSince, type CatalogRecord } from './catalog';
import { isScannable, matchInventory } from './matcher';

/** Launch → the instance shows in coverage (assumption: Inspector handles EC2 events within minutes). */
export const INSPECTOR_DISCOVERY_MS = 3 * 60_000;
/** Agent online → first scan complete (assumption: "a few minutes" after SSM inventory is first gathered). */
export const INSPECTOR_FIRST_SCAN_AFTER_AGENT_MS = 5 * 60_000;
/** Rescan period: Inspector re-reads SSM inventory every 30 minutes (Inspector user guide, scanning EC2). */
export const INSPECTOR_RESCAN_INTERVAL_MS = 30 * 60_000;

const FINDINGS_MAX = 100;
const COVERAGE_MAX = 200;

interface StoredFinding {
  findingArn: string;
  instanceId: string;
  vulnerabilityId: string;
  status: 'ACTIVE' | 'CLOSED';
  firstObservedAt: number;
  lastObservedAt: number;
  updatedAt: number;
  packages: InstalledPackage[];
  /** Instance facts at the last observation (the resource block of the finding). */
  resource: { imageId: string; instanceType: string; launchedAt: number; tags: Record<string, string>; subnetId?: string; vpcId?: string; keyName?: string; iamInstanceProfileArn?: string; platform: string };
}

interface InstanceScanState {
  /** Decided once when the instance first is managed: the `inspector.scanNeverCompletes` fault. */
  neverCompletes?: boolean;
  lastScanAt?: number;
}

interface InspectorState {
  scans: Record<string, InstanceScanState>;
  findings: Record<string, StoredFinding>;
}

const STATE_KEY = 'inspector2';

/** Where a scan runs: the world, the account and region whose Inspector it is. */
interface ScanScope {
  world: World;
  accountId: string;
  region: string;
}

function inspectorState(scope: ScanScope): InspectorState {
  return scope.world.regionExtension<InspectorState>(scope.accountId, scope.region, STATE_KEY, () => ({ scans: {}, findings: {} }));
}

function scopeOf(ctx: OperationContext): ScanScope {
  return { world: ctx.world, accountId: ctx.account, region: ctx.region };
}

function findingArn(scope: ScanScope, instanceId: string, vulnerabilityId: string): string {
  const key = `${scope.accountId}/${scope.region}/${instanceId}/${vulnerabilityId}`;
  const hex = [hash(key), hash(`a${key}`), hash(`b${key}`), hash(`c${key}`)].map((h) => h.toString(16).padStart(8, '0')).join('');
  return `arn:aws:inspector2:${scope.region}:${scope.accountId}:finding/${hex}`;
}

function catalogRecord(vulnerabilityId: string, platform: string): CatalogRecord | undefined {
  return CATALOG.find((r) => r.vulnerabilityId === vulnerabilityId && r.platform === platform);
}

const LIVE_STATES: ReadonlySet<string> = new Set(['pending', 'running', 'stopping', 'stopped']);

/** Terminated, shutting down, or no longer known: Inspector drops it from coverage and closes its findings. */
function isGone(instance: InstanceRecord | undefined): boolean {
  return !instance || !LIVE_STATES.has(instance.state);
}

/** Time of the latest scan due at `now`, or undefined while none is. */
function latestScanDue(instance: InstanceRecord, now: number): number | undefined {
  if (instance.agentOnlineAt === undefined) return undefined;
  const first = instance.agentOnlineAt + INSPECTOR_FIRST_SCAN_AFTER_AGENT_MS;
  if (now < first) return undefined;
  return first + Math.floor((now - first) / INSPECTOR_RESCAN_INTERVAL_MS) * INSPECTOR_RESCAN_INTERVAL_MS;
}

/**
 * Run the scan of one instance that is due at the clock's time, if it has not run yet. SSM calls this before a
 * command changes the instance's software, so a scan that was due earlier sees the software it would have seen.
 */
export function scanInstanceIfDue(world: World, accountId: string, region: string, instance: InstanceRecord): void {
  // Inspector reads SSM Inventory: the inventory collection due now is taken before the software changes too.
  collectInventoryIfDue(world, accountId, region, instance);
  syncInstance({ world, accountId, region }, inspectorState({ world, accountId, region }), instance);
}

function syncInstance(scope: ScanScope, state: InspectorState, instance: InstanceRecord): void {
  const now = scope.world.now();
  if (instance.state !== 'running' || !isScannable(instance.software) || instance.agentOnlineAt === undefined || instance.agentOnlineAt > now) return;
  const scan = (state.scans[instance.instanceId] ??= {});
  scan.neverCompletes ??= scope.world.faults.fires('inspector.scanNeverCompletes', { accountId: scope.accountId, region: scope.region });
  if (scan.neverCompletes) return;
  const due = latestScanDue(instance, now);
  if (due === undefined || scan.lastScanAt === due) return;
  scan.lastScanAt = due;
  observe(scope, state, instance, due);
}

/** Bring scans and findings of the caller's account+region up to the clock. */
function syncScans(ctx: OperationContext): InspectorState {
  const scope = scopeOf(ctx);
  const state = inspectorState(scope);
  const now = ctx.clock.now();
  const instances = ctx.regionState.instances;
  for (const finding of Object.values(state.findings)) {
    if (finding.status === 'ACTIVE' && isGone(instances[finding.instanceId])) {
      finding.status = 'CLOSED';
      finding.updatedAt = now;
    }
  }
  for (const instance of Object.values(instances)) syncInstance(scope, state, instance);
  return state;
}

function observe(scope: ScanScope, state: InspectorState, instance: InstanceRecord, at: number): void {
  const seen = new Set<string>();
  const resource: StoredFinding['resource'] = {
    imageId: instance.imageId,
    instanceType: instance.instanceType,
    launchedAt: instance.launchTime,
    tags: { ...instance.tags },
    subnetId: instance.subnetId,
    vpcId: instance.vpcId,
    keyName: instance.keyName,
    iamInstanceProfileArn: instance.iamInstanceProfile?.arn,
    platform: instance.software.os.platform,
  };
  for (const match of matchInventory(instance.software)) {
    const arn = findingArn(scope, instance.instanceId, match.record.vulnerabilityId);
    seen.add(arn);
    const existing = state.findings[arn];
    const packages = match.packages.map((p) => ({ ...p }));
    if (existing) {
      const changed = existing.status !== 'ACTIVE' || JSON.stringify(existing.packages) !== JSON.stringify(packages);
      existing.status = 'ACTIVE';
      existing.lastObservedAt = at;
      existing.packages = packages;
      existing.resource = resource;
      if (changed) existing.updatedAt = at;
    } else {
      state.findings[arn] = {
        findingArn: arn,
        instanceId: instance.instanceId,
        vulnerabilityId: match.record.vulnerabilityId,
        status: 'ACTIVE',
        firstObservedAt: at,
        lastObservedAt: at,
        updatedAt: at,
        packages,
        resource,
      };
    }
  }
  for (const finding of Object.values(state.findings)) {
    if (finding.instanceId === instance.instanceId && finding.status === 'ACTIVE' && !seen.has(finding.findingArn)) {
      finding.status = 'CLOSED';
      finding.updatedAt = at;
    }
  }
}

// ---------------------------------------------------------------------------------------------------- ListCoverage

function coverageOf(ctx: OperationContext, state: InspectorState, instance: InstanceRecord): CoveredResource | undefined {
  const now = ctx.clock.now();
  if (isGone(instance) || now < instance.launchTime + INSPECTOR_DISCOVERY_MS) return undefined;
  const scan = state.scans[instance.instanceId];
  const windows = instance.software.os.platform.startsWith('WINDOWS');
  let scanStatus: CoveredResource['scanStatus'];
  if (!isScannable(instance.software)) scanStatus = { statusCode: 'INACTIVE', reason: 'UNSUPPORTED_OS' };
  else if (instance.state === 'stopped' || instance.state === 'stopping') scanStatus = { statusCode: 'INACTIVE', reason: 'EC2_INSTANCE_STOPPED' };
  else if (instance.state !== 'running' || instance.agentOnlineAt === undefined || instance.agentOnlineAt > now) scanStatus = { statusCode: 'INACTIVE', reason: 'UNMANAGED_EC2_INSTANCE' };
  else if (scan?.lastScanAt === undefined) scanStatus = { statusCode: 'ACTIVE', reason: 'PENDING_INITIAL_SCAN' };
  else scanStatus = { statusCode: 'ACTIVE', reason: 'SUCCESSFUL' };
  return {
    resourceType: 'AWS_EC2_INSTANCE',
    resourceId: instance.instanceId,
    accountId: ctx.account,
    scanType: 'PACKAGE',
    scanStatus,
    resourceMetadata: { ec2: { tags: { ...instance.tags }, amiId: instance.imageId, platform: windows ? 'WINDOWS' : 'LINUX' } },
    lastScannedAt: scan?.lastScanAt === undefined ? undefined : new Date(scan.lastScanAt),
    scanMode: 'EC2_SSM_AGENT_BASED',
  };
}

const COVERAGE_FIELDS: Record<string, (r: CoveredResource) => string | undefined> = {
  resourceId: (r) => r.resourceId,
  resourceType: (r) => r.resourceType,
  accountId: (r) => r.accountId,
  scanType: (r) => r.scanType,
  scanStatusCode: (r) => r.scanStatus?.statusCode,
  scanStatusReason: (r) => r.scanStatus?.reason,
  scanMode: (r) => r.scanMode,
  ec2InstanceTags: () => undefined,
};

function matchesCoverageString(value: string | undefined, filters: CoverageStringFilter[]): boolean {
  const positive = filters.filter((f) => f.comparison !== 'NOT_EQUALS');
  const negative = filters.filter((f) => f.comparison === 'NOT_EQUALS');
  if (negative.some((f) => value === f.value)) return false;
  if (positive.length === 0) return true;
  return positive.some((f) => value === f.value);
}

function matchesCoverage(resource: CoveredResource, criteria: CoverageFilterCriteria | undefined): boolean {
  if (!criteria) return true;
  for (const [field, filters] of Object.entries(criteria)) {
    if (filters === undefined) continue;
    if (field === 'ec2InstanceTags') {
      const tags = resource.resourceMetadata?.ec2?.tags ?? {};
      const ok = (filters as { comparison?: string; key?: string; value?: string }[]).every((f) => f.key !== undefined && tags[f.key] === f.value);
      if (!ok) return false;
      continue;
    }
    if (field === 'ec2InstanceId') {
      if (!matchesCoverageString(resource.resourceId, filters as CoverageStringFilter[])) return false;
      continue;
    }
    const read = COVERAGE_FIELDS[field];
    if (!read) fail('ValidationException', `Coverage filter ${field} is not supported by the simulated Inspector.`);
    if (!matchesCoverageString(read(resource), filters as CoverageStringFilter[])) return false;
  }
  return true;
}

export const listCoverage: Operation<ListCoverageCommandInput, ListCoverageCommandOutput> = async (ctx, input) => {
  const state = syncScans(ctx);
  const resources = Object.values(ctx.regionState.instances)
    .sort((a, b) => a.launchTime - b.launchTime || a.instanceId.localeCompare(b.instanceId))
    .map((instance) => coverageOf(ctx, state, instance))
    .filter((r): r is CoveredResource => r !== undefined && matchesCoverage(r, input.filterCriteria));
  const page = paginate(resources, { MaxResults: input.maxResults, NextToken: input.nextToken }, { defaultMax: COVERAGE_MAX, maxLimit: COVERAGE_MAX, queryFingerprint: JSON.stringify(input.filterCriteria ?? {}) });
  return { coveredResources: page.items, nextToken: page.nextToken };
};

// ---------------------------------------------------------------------------------------------------- findings

function sourceOf(record: CatalogRecord): { source: string; sourceUrl: string; referenceUrls: string[] } {
  if (record.platform === 'UBUNTU_22_04') {
    return {
      source: 'UBUNTU_CVE',
      sourceUrl: `https://ubuntu.com/security/${record.vulnerabilityId}`,
      referenceUrls: record.advisory ? [`https://ubuntu.com/security/notices/${record.advisory}`] : [],
    };
  }
  const advisoryPath = record.advisory?.replace(/^ALAS2023-(\d{4})-(\d+)$/, 'ALAS-$1-$2');
  return {
    source: 'AMAZON_CVE',
    sourceUrl: `https://alas.aws.amazon.com/cve/html/${record.vulnerabilityId}.html`,
    referenceUrls: advisoryPath ? [`https://alas.aws.amazon.com/AL2023/${advisoryPath}.html`] : [],
  };
}

function remediationFor(record: CatalogRecord, name: string): string {
  return record.platform === 'UBUNTU_22_04' ? `apt-get install --only-upgrade ${name}` : `dnf update ${name}`;
}

/**
 * The vendor's dates on a finding. Inspector has no "fix available since" field: it shows `fixAvailable`, each
 * vulnerable package's `fixedInVersion`, and the vendor's `vendorCreatedAt` / `vendorUpdatedAt` (the vendor being the
 * finding's `source`, here the distribution's CVE feed: AMAZON_CVE, UBUNTU_CVE). The simulation dates them as such a
 * feed would: created when the CVE became public (the earlier of its NVD publication and the fix's advisory, since a
 * coordinated disclosure ships both), updated when the fixed build shipped. So for a finding with `fixAvailable: YES`,
 * `vendorUpdatedAt` is the day the fix became available (`fixAvailableSince` in the catalog, or the world's
 * `fixReleasedAt` override). On AWS a vendor may edit its record later, which moves vendorUpdatedAt forward.
 */
export function vendorDates(world: World, record: CatalogRecord): { vendorCreatedAt: Date; vendorUpdatedAt: Date } {
  const fixed = world.state.fixReleasedAt?.[record.vulnerabilityId] ?? fixAvailableSince(record);
  const created = fixed < record.publishedAt ? fixed : record.publishedAt;
  return { vendorCreatedAt: new Date(`${created}T00:00:00.000Z`), vendorUpdatedAt: new Date(`${fixed}T00:00:00.000Z`) };
}

function findingOut(ctx: OperationContext, stored: StoredFinding): Finding {
  const record = catalogRecord(stored.vulnerabilityId, stored.resource.platform);
  if (!record) throw new Error(`finding ${stored.findingArn} refers to ${stored.vulnerabilityId}, which is not in the catalog`);
  const dates = vendorDates(ctx.world, record);
  const names = [...new Set(stored.packages.map((p) => p.name))];
  const source = sourceOf(record);
  const fixedEpoch = /^(\d+):/.exec(record.fixedIn)?.[1] ?? '0';
  const fixedInVersion = `${fixedEpoch}:${record.fixedIn.replace(/^\d+:/, '')}`;
  return {
    findingArn: stored.findingArn,
    awsAccountId: ctx.account,
    type: 'PACKAGE_VULNERABILITY',
    title: `${record.vulnerabilityId} - ${names.join(', ')}`,
    description: record.description,
    remediation: { recommendation: { text: 'None Provided' } },
    severity: record.severity,
    status: stored.status,
    firstObservedAt: new Date(stored.firstObservedAt),
    lastObservedAt: new Date(stored.lastObservedAt),
    updatedAt: new Date(stored.updatedAt),
    inspectorScore: record.inspectorScore,
    inspectorScoreDetails:
      record.inspectorScore !== undefined && record.cvssVector
        ? { adjustedCvss: { score: record.inspectorScore, scoringVector: record.cvssVector, version: '3.1', scoreSource: 'NVD', adjustments: [], cvssSource: 'NVD' } }
        : undefined,
    packageVulnerabilityDetails: {
      vulnerabilityId: record.vulnerabilityId,
      source: source.source,
      sourceUrl: source.sourceUrl,
      vendorSeverity: record.vendorSeverity,
      vendorCreatedAt: dates.vendorCreatedAt,
      vendorUpdatedAt: dates.vendorUpdatedAt,
      referenceUrls: source.referenceUrls,
      relatedVulnerabilities: [],
      cvss:
        record.inspectorScore !== undefined && record.cvssVector
          ? [{ baseScore: record.inspectorScore, scoringVector: record.cvssVector, version: '3.1', source: 'NVD' }]
          : [],
      vulnerablePackages: stored.packages.map((p) => ({
        name: p.name,
        version: p.version,
        release: p.release,
        epoch: p.epoch,
        arch: p.arch,
        packageManager: 'OS',
        fixedInVersion,
        remediation: remediationFor(record, p.name),
      })),
    },
    resources: [
      {
        type: 'AWS_EC2_INSTANCE',
        id: stored.instanceId,
        partition: 'aws',
        region: ctx.region,
        tags: stored.resource.tags,
        details: {
          awsEc2Instance: {
            type: stored.resource.instanceType,
            imageId: stored.resource.imageId,
            keyName: stored.resource.keyName,
            iamInstanceProfileArn: stored.resource.iamInstanceProfileArn,
            vpcId: stored.resource.vpcId,
            subnetId: stored.resource.subnetId,
            launchedAt: new Date(stored.resource.launchedAt),
            platform: stored.resource.platform,
          },
        },
      },
    ],
    fixAvailable: 'YES',
    exploitAvailable: record.exploitAvailable ? 'YES' : 'NO',
    exploitabilityDetails: record.exploitAvailable ? { lastKnownExploitAt: new Date(stored.firstObservedAt) } : undefined,
    epss: record.epss === undefined ? undefined : { score: record.epss },
  };
}

function matchesString(value: string | undefined, filters: StringFilter[]): boolean {
  const positive = filters.filter((f) => f.comparison !== 'NOT_EQUALS');
  const negative = filters.filter((f) => f.comparison === 'NOT_EQUALS');
  if (negative.some((f) => value === f.value)) return false;
  if (positive.length === 0) return true;
  return positive.some((f) => (f.comparison === 'PREFIX' ? (value ?? '').startsWith(f.value ?? '') : value === f.value));
}

function matchesNumber(value: number | undefined, filters: NumberFilter[]): boolean {
  if (value === undefined) return false;
  return filters.some((f) => (f.lowerInclusive === undefined || value >= f.lowerInclusive) && (f.upperInclusive === undefined || value <= f.upperInclusive));
}

function matchesDate(value: Date | undefined, filters: DateFilter[]): boolean {
  if (!value) return false;
  return filters.some((f) => (!f.startInclusive || value >= f.startInclusive) && (!f.endInclusive || value <= f.endInclusive));
}

const STRING_FIELDS: Record<string, (f: Finding) => string | undefined> = {
  findingArn: (f) => f.findingArn,
  awsAccountId: (f) => f.awsAccountId,
  findingType: (f) => f.type,
  severity: (f) => f.severity,
  findingStatus: (f) => f.status,
  title: (f) => f.title,
  resourceType: (f) => f.resources?.[0]?.type,
  resourceId: (f) => f.resources?.[0]?.id,
  ec2InstanceImageId: (f) => f.resources?.[0]?.details?.awsEc2Instance?.imageId,
  ec2InstanceSubnetId: (f) => f.resources?.[0]?.details?.awsEc2Instance?.subnetId,
  ec2InstanceVpcId: (f) => f.resources?.[0]?.details?.awsEc2Instance?.vpcId,
  vulnerabilityId: (f) => f.packageVulnerabilityDetails?.vulnerabilityId,
  vulnerabilitySource: (f) => f.packageVulnerabilityDetails?.source,
  vendorSeverity: (f) => f.packageVulnerabilityDetails?.vendorSeverity,
  fixAvailable: (f) => f.fixAvailable,
  exploitAvailable: (f) => f.exploitAvailable,
};

const NUMBER_FIELDS: Record<string, (f: Finding) => number | undefined> = {
  inspectorScore: (f) => f.inspectorScore,
  epssScore: (f) => f.epss?.score,
};

const DATE_FIELDS: Record<string, (f: Finding) => Date | undefined> = {
  firstObservedAt: (f) => f.firstObservedAt,
  lastObservedAt: (f) => f.lastObservedAt,
  updatedAt: (f) => f.updatedAt,
};

/** Field filters AND together; values of one field OR (NOT_EQUALS values AND), as the API reference says. */
export function matchesFindingFilter(finding: Finding, criteria: FilterCriteria | undefined): boolean {
  if (!criteria) return true;
  for (const [field, filters] of Object.entries(criteria)) {
    if (filters === undefined || (Array.isArray(filters) && filters.length === 0)) continue;
    if (STRING_FIELDS[field]) {
      if (!matchesString(STRING_FIELDS[field](finding), filters as StringFilter[])) return false;
    } else if (NUMBER_FIELDS[field]) {
      if (!matchesNumber(NUMBER_FIELDS[field](finding), filters as NumberFilter[])) return false;
    } else if (DATE_FIELDS[field]) {
      if (!matchesDate(DATE_FIELDS[field](finding), filters as DateFilter[])) return false;
    } else if (field === 'resourceTags') {
      const tags = finding.resources?.[0]?.tags ?? {};
      if (!(filters as { key?: string; value?: string }[]).every((f) => f.key !== undefined && tags[f.key] === f.value)) return false;
    } else if (field === 'vulnerablePackages') {
      const packages = finding.packageVulnerabilityDetails?.vulnerablePackages ?? [];
      const ok = (filters as { name?: StringFilter }[]).some((f) => packages.some((p) => !f.name || matchesString(p.name, [f.name])));
      if (!ok) return false;
    } else {
      fail('ValidationException', `Finding filter ${field} is not supported by the simulated Inspector.`);
    }
  }
  return true;
}

const SEVERITY_ORDER: Record<string, number> = { CRITICAL: 5, HIGH: 4, MEDIUM: 3, LOW: 2, INFORMATIONAL: 1, UNTRIAGED: 0 };

function sortFindings(findings: Finding[], sort: ListFindingsCommandInput['sortCriteria']): Finding[] {
  const field = sort?.field ?? 'SEVERITY';
  const direction = sort?.sortOrder === 'ASC' ? 1 : -1;
  const key = (f: Finding): number | string => {
    switch (field) {
      case 'SEVERITY':
        return SEVERITY_ORDER[f.severity ?? ''] ?? 0;
      case 'INSPECTOR_SCORE':
        return f.inspectorScore ?? -1;
      case 'EPSS_SCORE':
        return f.epss?.score ?? -1;
      case 'FIRST_OBSERVED_AT':
        return f.firstObservedAt?.getTime() ?? 0;
      case 'LAST_OBSERVED_AT':
        return f.lastObservedAt?.getTime() ?? 0;
      case 'VULNERABILITY_ID':
        return f.packageVulnerabilityDetails?.vulnerabilityId ?? '';
      case 'FINDING_STATUS':
        return f.status ?? '';
      case 'AWS_ACCOUNT_ID':
        return f.awsAccountId ?? '';
      default:
        return fail('ValidationException', `Sort field ${field} is not supported by the simulated Inspector.`);
    }
  };
  return [...findings].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return (ka < kb ? -1 : 1) * direction;
    return (a.findingArn ?? '').localeCompare(b.findingArn ?? '');
  });
}

export const listFindings: Operation<ListFindingsCommandInput, ListFindingsCommandOutput> = async (ctx, input) => {
  const state = syncScans(ctx);
  const findings = Object.values(state.findings)
    .map((stored) => findingOut(ctx, stored))
    .filter((f) => matchesFindingFilter(f, input.filterCriteria));
  const page = paginate(sortFindings(findings, input.sortCriteria), { MaxResults: input.maxResults, NextToken: input.nextToken }, {
    defaultMax: FINDINGS_MAX,
    maxLimit: FINDINGS_MAX,
    queryFingerprint: JSON.stringify({ f: input.filterCriteria ?? {}, s: input.sortCriteria ?? {} }),
  });
  return { findings: page.items, nextToken: page.nextToken };
};

export const batchGetFindingDetails: Operation<BatchGetFindingDetailsCommandInput, BatchGetFindingDetailsCommandOutput> = async (ctx, input) => {
  const arns = input.findingArns ?? [];
  if (arns.length === 0 || arns.length > 10) fail('ValidationException', 'findingArns must contain between 1 and 10 items.');
  const state = syncScans(ctx);
  const details: NonNullable<BatchGetFindingDetailsCommandOutput['findingDetails']> = [];
  const errors: NonNullable<BatchGetFindingDetailsCommandOutput['errors']> = [];
  for (const arn of arns) {
    const stored = state.findings[arn];
    const record = stored && catalogRecord(stored.vulnerabilityId, stored.resource.platform);
    if (!stored || !record) {
      errors.push({ findingArn: arn, errorCode: 'FINDING_DETAILS_NOT_FOUND', errorMessage: 'Finding details not found.' });
      continue;
    }
    details.push({
      findingArn: arn,
      riskScore: record.inspectorScore === undefined ? undefined : Math.round(record.inspectorScore * 10),
      evidences: [],
      ttps: [],
      tools: [],
      exploitObserved: record.exploitAvailable ? { firstSeen: new Date(stored.firstObservedAt), lastSeen: new Date(stored.lastObservedAt) } : undefined,
      referenceUrls: sourceOf(record).referenceUrls,
      cwes: [],
      epssScore: record.epss,
    });
  }
  return { findingDetails: details, errors };
};

export const inspectorOperations = {
  ListCoverage: listCoverage,
  ListFindings: listFindings,
  BatchGetFindingDetails: batchGetFindingDetails,
};
