/**
 * The retention plan, as a pure function of the policy, the time, the current golden version, the inventory of
 * every copy and what references each copy: no SDK, no I/O, no clock. It decides; an executor acts.
 *
 * Rules, per copy (one image in one account and region):
 * 1. Guards — any one keeps the copy; it is neither deprecated nor deregistered ("retired"):
 *    - its account and region's references could not be read, or were not collected at all (fail closed): a scope
 *      any report calls unreadable is unreadable, whatever another report says, and the plan lists it with every
 *      reason given;
 *    - its version is the current golden version;
 *    - its version is among the newest `keepNewest` approved versions (a version is approved when any of its
 *      copies is tagged `approved` or `published`; versions are ranked by build time, see "Age");
 *    - it is referenced: an instance in any state but `terminated` (a stopped instance counts: it can be started
 *      again), a launch template version that is `$Default` or `$Latest` or named by an Auto Scaling group
 *      directly or in a mixed-instances policy, an SSM parameter. Other launch template versions and terminated
 *      instances do not keep an image; the plan lists them as `ignored-reference`;
 *    - deregistration protection is on;
 *    - it carries a `gami:retain` tag.
 * 2. Age, when no guard applies, by the copy's own status tag:
 *    - released (`approved`, `published`, `deprecated`, `retired`): older than `deregisterAfterDays` →
 *      deregister; else older than `deprecateAfterDays` → deprecate; else keep;
 *    - `rejected` or `expired`: older than `rejectedRetentionDays` → deregister (never deprecated first); else keep;
 *    - in flight (`building`, `testing`, `awaiting-approval`, or no status tag): kept, the lifecycle owns them,
 *      until older than `deregisterAfterDays`, then deregistered as abandoned.
 * 3. The source copy (build account, home region) is kept while any other copy of its version is kept, so a
 *    version is retired in the source only when no copy of it is kept (`source-of-kept-copies`); its summary in
 *    the plan says `retired` exactly then.
 * 4. Snapshots: a deregistered copy lists its snapshots for deletion when `deleteSnapshots` is on, except any
 *    snapshot a copy that is not deregistered also lists. Freed GiB counts each snapshot once.
 *
 * Where the issue is silent:
 * - The policy's `rejectedRetentionDays` may not exceed `deregisterAfterDays` (the schema refuses it): a rejected
 *   image is never kept longer than an approved one.
 * - In-flight and untagged images are not the planner's until they are abandoned (older than the deregister age);
 *   the planner never deprecates them.
 * - Age is the version's, not the copy's: from the earliest creation time of any of its copies (the build), so
 *   every region retires a version on the same day. "Older than N days" means more than N × 24 h.
 * - An image already deprecated (its deprecation time has passed) that the rules keep stays deprecated: the planner
 *   never cancels a deprecation someone made (a deprecated image still launches by id). One the rules deprecate is
 *   planned as `deprecate` again, which the executor does idempotently. Both carry `already-deprecated`.
 * - `lastLaunchedTime` is reported, not a rule: a launch in the past is not a use now, and what still launches
 *   the image is a reference.
 * - The same image listed twice is an error (InvalidRetentionInput); references to images not in the inventory
 *   are ignored (they are not the pipeline's).
 * - Order: versions newest build first (ties by version, descending), then account, region, image id — by code
 *   unit comparison, so the plan is the same whatever the input order and locale.
 */
import type { ImageStatus } from '../../pipeline/tags';
import { InvalidRetentionInput } from '../errors';
import type {
  CopyDecision,
  Decision,
  ImageCopy,
  ImageReference,
  Reason,
  RetentionInput,
  RetentionPlan,
  VersionSummary,
} from './model';

const DAY_MS = 86_400_000;
const RELEASED = new Set(['approved', 'published', 'deprecated', 'retired']);
const APPROVED = new Set(['approved', 'published']);
const REJECTED = new Set(['rejected', 'expired']);

const copyKey = (c: { account: string; region: string; imageId: string }) => `${c.account}/${c.region}/${c.imageId}`;
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byScopeThenId = (a: ImageCopy, b: ImageCopy) => compare(a.account, b.account) || compare(a.region, b.region) || compare(a.imageId, b.imageId);

interface VersionGroup {
  version: string;
  createdMs: number;
  approved: boolean;
  copies: ImageCopy[];
}

/** Per account, per region: whether a report says references were read, which say they were not, and so why not. */
type Scopes = Map<string, Map<string, { readable: boolean; failures: string[]; reason: string | undefined; text?: string }>>;

/** Whether a reference keeps an image, and how a person reads it (naming the consumer account it is in). */
export function describeReference(ref: ImageReference): { counts: boolean; text: string } {
  const { counts, text } = describeUse(ref);
  return { counts, text: ref.seenIn ? `${text} in account ${ref.seenIn}` : text };
}

function describeUse(ref: ImageReference): { counts: boolean; text: string } {
  switch (ref.kind) {
    case 'instance':
      return { counts: ref.state !== 'terminated', text: `instance ${ref.instanceId} (${ref.state})` };
    case 'launch-template': {
      const why = [
        ...(ref.isDefault ? ['$Default'] : []),
        ...(ref.isLatest ? ['$Latest'] : []),
        ...ref.namedBy.map((n) => `${n.kind === 'auto-scaling-group' ? 'Auto Scaling group' : 'mixed-instances policy of'} ${n.groupName}`),
      ];
      const name = ref.launchTemplateName ? `${ref.launchTemplateName} (${ref.launchTemplateId})` : ref.launchTemplateId;
      return {
        counts: why.length > 0,
        text: `launch template ${name} version ${ref.version}${why.length > 0 ? `: ${why.join(', ')}` : ''}`,
      };
    }
    case 'ssm-parameter':
      return { counts: true, text: `SSM parameter ${ref.parameterName}` };
  }
}

/** The decision by age and status alone, before the guards; the same for every copy of a version with a status. */
function byAge(status: ImageStatus | undefined, ageMs: number, ageDays: number, policy: RetentionInput['policy']): { decision: Decision; reason: Reason } {
  if (status !== undefined && RELEASED.has(status)) {
    if (ageMs > policy.deregisterAfterDays * DAY_MS) {
      return { decision: 'deregister', reason: { code: 'past-deregister-age', text: `${ageDays} days old, more than ${policy.deregisterAfterDays}` } };
    }
    if (ageMs > policy.deprecateAfterDays * DAY_MS) {
      return { decision: 'deprecate', reason: { code: 'past-deprecate-age', text: `${ageDays} days old, more than ${policy.deprecateAfterDays}` } };
    }
    return { decision: 'keep', reason: { code: 'within-deprecate-age', text: `${ageDays} days old, not more than ${policy.deprecateAfterDays}` } };
  }
  if (status !== undefined && REJECTED.has(status)) {
    if (ageMs > policy.rejectedRetentionDays * DAY_MS) {
      return { decision: 'deregister', reason: { code: 'past-rejected-retention', text: `${status} ${ageDays} days ago, more than ${policy.rejectedRetentionDays}` } };
    }
    return { decision: 'keep', reason: { code: 'within-rejected-retention', text: `${status}, ${ageDays} days old, not more than ${policy.rejectedRetentionDays}` } };
  }
  if (ageMs > policy.deregisterAfterDays * DAY_MS) {
    return { decision: 'deregister', reason: { code: 'abandoned-in-flight', text: `${status ?? 'untagged'} for ${ageDays} days, more than ${policy.deregisterAfterDays}` } };
  }
  return { decision: 'keep', reason: { code: 'in-flight', text: `${status ?? 'untagged'}: the lifecycle owns it` } };
}

export function planRetention(input: RetentionInput): RetentionPlan {
  const { policy, currentVersion } = input;
  const nowMs = Date.parse(input.now);

  // Scopes: unreadable when any report says so, or when no report names the scope (fail closed).
  const scopes: Scopes = new Map();
  const scopeOf = (account: string, region: string) => {
    let regions = scopes.get(account);
    if (!regions) scopes.set(account, (regions = new Map()));
    let scope = regions.get(region);
    if (!scope) regions.set(region, (scope = { readable: false, failures: [], reason: undefined }));
    return scope;
  };
  for (const s of input.scopes) {
    const scope = scopeOf(s.account, s.region);
    if (s.readable) scope.readable = true;
    else scope.failures.push(s.reason ?? 'references could not be read');
  }
  for (const regions of scopes.values()) {
    for (const scope of regions.values()) {
      if (scope.failures.length > 0) scope.reason = [...new Set(scope.failures)].sort(compare).join('; ');
    }
  }
  const scopeOfCopy = (copy: ImageCopy) => {
    const scope = scopeOf(copy.account, copy.region);
    if (!scope.readable && scope.failures.length === 0) scope.reason = 'references were not collected';
    return scope;
  };

  const seen = new Set<string>();
  const groups = new Map<string, VersionGroup>();
  for (const copy of input.inventory) {
    const key = copyKey(copy);
    if (seen.has(key)) throw new InvalidRetentionInput(`image ${copy.imageId} in ${copy.account} ${copy.region} is listed twice in the inventory`);
    seen.add(key);
    const createdMs = Date.parse(copy.creationTime);
    const approved = copy.status !== undefined && APPROVED.has(copy.status);
    const group = groups.get(copy.version);
    if (!group) groups.set(copy.version, { version: copy.version, createdMs, approved, copies: [copy] });
    else {
      if (createdMs < group.createdMs) group.createdMs = createdMs;
      if (approved) group.approved = true;
      group.copies.push(copy);
    }
  }

  const referencesOf = new Map<string, { counting: string[]; ignored: string[] }>();
  for (const ref of input.references) {
    const key = copyKey(ref);
    if (!seen.has(key)) continue;
    let refs = referencesOf.get(key);
    if (!refs) referencesOf.set(key, (refs = { counting: [], ignored: [] }));
    const { counts, text } = describeReference(ref);
    (counts ? refs.counting : refs.ignored).push(text);
  }

  const versions = [...groups.values()].sort((a, b) => b.createdMs - a.createdMs || compare(b.version, a.version));
  const newest = new Set(
    versions
      .filter((v) => v.approved)
      .slice(0, policy.keepNewest)
      .map((v) => v.version),
  );

  const decisions: CopyDecision[] = [];
  const entries: { copy: ImageCopy; decision: CopyDecision }[] = [];
  const summaries: VersionSummary[] = [];
  for (const group of versions) {
    const ageMs = nowMs - group.createdMs;
    const ageDays = Math.floor(ageMs / DAY_MS);
    const versionGuards: Reason[] = [];
    if (group.version === currentVersion) versionGuards.push({ code: 'current-version', text: `version ${group.version} is the current golden image` });
    if (newest.has(group.version)) versionGuards.push({ code: 'newest-approved', text: `version ${group.version} is among the newest ${policy.keepNewest} approved` });
    const ageByStatus = new Map<ImageStatus | undefined, { decision: Decision; reason: Reason }>();
    const start = decisions.length;

    for (const copy of group.copies.sort(byScopeThenId)) {
      const reasons: Reason[] = [];
      const scope = scopeOfCopy(copy);
      if (scope.reason !== undefined) {
        scope.text ??= `references in ${copy.account} ${copy.region} unknown: ${scope.reason}`;
        reasons.push({ code: 'unreadable-scope', text: scope.text });
      }
      for (const r of versionGuards) reasons.push({ ...r });
      const refs = referencesOf.get(copyKey(copy));
      if (refs) for (const text of [...refs.counting].sort(compare)) reasons.push({ code: 'referenced', text: `used by ${text}` });
      if (copy.deregistrationProtection) reasons.push({ code: 'deregistration-protected', text: 'deregistration protection is on' });
      if (copy.retain) reasons.push({ code: 'retain-tag', text: 'tagged gami:retain' });
      const guarded = reasons.length > 0;

      let age = ageByStatus.get(copy.status);
      if (!age) ageByStatus.set(copy.status, (age = byAge(copy.status, ageMs, ageDays, policy)));
      reasons.push({ ...age.reason });
      if (copy.deprecationTime !== undefined && Date.parse(copy.deprecationTime) <= nowMs) {
        reasons.push({ code: 'already-deprecated', text: `deprecated since ${copy.deprecationTime}` });
      }
      if (refs) for (const text of [...refs.ignored].sort(compare)) reasons.push({ code: 'ignored-reference', text: `not a use: ${text}` });

      const decision: CopyDecision = {
        account: copy.account,
        region: copy.region,
        imageId: copy.imageId,
        version: copy.version,
        source: copy.source,
        decision: guarded ? 'keep' : age.decision,
        reasons,
        deleteSnapshots: [],
        ageDays,
      };
      if (copy.lastLaunchedTime !== undefined) decision.lastLaunchedTime = copy.lastLaunchedTime;
      decisions.push(decision);
      entries.push({ copy, decision });
    }

    // Rule 3: the source stays while any other copy of its version is kept.
    const ofVersion = decisions.slice(start);
    const keptElsewhere = ofVersion.filter((d) => d.decision === 'keep' && !d.source).length;
    if (keptElsewhere > 0) {
      for (const d of ofVersion) {
        if (!d.source || d.decision === 'keep') continue;
        d.decision = 'keep';
        d.reasons.splice(d.reasons.findIndex((r) => !GUARDS.has(r.code)), 0, {
          code: 'source-of-kept-copies',
          text: `source of version ${d.version}, of which ${keptElsewhere} other ${keptElsewhere === 1 ? 'copy is' : 'copies are'} kept`,
        });
      }
    }
    const summary: VersionSummary = {
      version: group.version,
      creationTime: new Date(group.createdMs).toISOString(),
      copies: ofVersion.length,
      kept: 0,
      deprecated: 0,
      deregistered: 0,
      retired: false,
    };
    for (const d of ofVersion) {
      if (d.decision === 'keep') summary.kept++;
      else if (d.decision === 'deprecate') summary.deprecated++;
      else summary.deregistered++;
    }
    summary.retired = summary.kept === 0;
    summaries.push(summary);
  }

  // Rule 4: snapshots.
  const snapshotsInUse = new Set<string>();
  for (const { copy, decision } of entries) if (decision.decision !== 'deregister') for (const s of copy.snapshots) snapshotsInUse.add(s.snapshotId);
  const freed = new Map<string, number>();
  if (policy.deleteSnapshots) {
    for (const { copy, decision } of entries) {
      if (decision.decision !== 'deregister') continue;
      for (const s of copy.snapshots) {
        if (snapshotsInUse.has(s.snapshotId)) continue;
        decision.deleteSnapshots.push(s.snapshotId);
        freed.set(s.snapshotId, s.sizeGiB);
      }
      if (decision.deleteSnapshots.length > 1) decision.deleteSnapshots.sort(compare);
    }
  }

  const totals = { kept: 0, deprecated: 0, deregistered: 0, snapshotsDeleted: freed.size, freedGiB: 0 };
  for (const s of summaries) {
    totals.kept += s.kept;
    totals.deprecated += s.deprecated;
    totals.deregistered += s.deregistered;
  }
  for (const size of freed.values()) totals.freedGiB += size;

  const unreadableScopes: RetentionPlan['unreadableScopes'] = [];
  for (const [account, regions] of scopes) for (const [region, scope] of regions) if (scope.reason !== undefined) unreadableScopes.push({ account, region, reason: scope.reason });
  unreadableScopes.sort((a, b) => compare(a.account, b.account) || compare(a.region, b.region));

  return { now: input.now, decisions, versions: summaries, totals, unreadableScopes };
}

/** Reasons that keep a copy by themselves; `source-of-kept-copies` is listed after them. */
const GUARDS = new Set<string>(['unreadable-scope', 'current-version', 'newest-approved', 'referenced', 'deregistration-protected', 'retain-tag']);
