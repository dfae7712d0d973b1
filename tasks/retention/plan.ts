/**
 * The retention plan, as a pure function of the policy, the time, the current golden version, the inventory of
 * every copy and what references each copy: no SDK, no I/O, no clock. It decides; an executor acts.
 *
 * Rules, per copy (one image in one account and region):
 * 1. Guards — any one keeps the copy; it is neither deprecated nor deregistered ("retired"):
 *    - its account and region's references could not be read, or were not collected at all (fail closed);
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
 *    version is retired in the source only when no copy of it is kept (`source-of-kept-copies`).
 * 4. Snapshots: a deregistered copy lists its snapshots for deletion when `deleteSnapshots` is on, except any
 *    snapshot a copy that is not deregistered also lists. Freed GiB counts each snapshot once.
 *
 * Where the issue is silent:
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

const scopeKey = (account: string, region: string) => `${account}/${region}`;
const copyKey = (c: { account: string; region: string; imageId: string }) => `${c.account}/${c.region}/${c.imageId}`;
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface VersionInfo {
  version: string;
  createdMs: number;
  approved: boolean;
}

/** Whether a reference keeps an image, and how a person reads it. */
function describeReference(ref: ImageReference): { counts: boolean; text: string } {
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

/** Versions by build time, newest first (ties by version, descending). */
function versionsNewestFirst(inventory: readonly ImageCopy[]): VersionInfo[] {
  const byVersion = new Map<string, VersionInfo>();
  for (const copy of inventory) {
    const createdMs = Date.parse(copy.creationTime);
    const approved = copy.status !== undefined && APPROVED.has(copy.status);
    const info = byVersion.get(copy.version);
    if (!info) byVersion.set(copy.version, { version: copy.version, createdMs, approved });
    else {
      info.createdMs = Math.min(info.createdMs, createdMs);
      info.approved ||= approved;
    }
  }
  return [...byVersion.values()].sort((a, b) => b.createdMs - a.createdMs || compare(b.version, a.version));
}

export function planRetention(input: RetentionInput): RetentionPlan {
  const { policy, currentVersion } = input;
  const nowMs = Date.parse(input.now);

  // Scopes: unreadable when any report says so, or when no report names the scope (fail closed).
  const scopeReason = new Map<string, string | undefined>();
  for (const s of input.scopes) {
    const key = scopeKey(s.account, s.region);
    if (!s.readable) scopeReason.set(key, s.reason ?? 'references could not be read');
    else if (!scopeReason.has(key)) scopeReason.set(key, undefined);
  }
  const unreadable = new Map<string, { account: string; region: string; reason: string }>();
  for (const s of input.scopes) {
    const reason = scopeReason.get(scopeKey(s.account, s.region));
    if (reason !== undefined) unreadable.set(scopeKey(s.account, s.region), { account: s.account, region: s.region, reason });
  }

  const copies = new Map<string, ImageCopy>();
  for (const copy of input.inventory) {
    const key = copyKey(copy);
    if (copies.has(key)) throw new InvalidRetentionInput(`image ${copy.imageId} in ${copy.account} ${copy.region} is listed twice in the inventory`);
    copies.set(key, copy);
    const sKey = scopeKey(copy.account, copy.region);
    if (!scopeReason.has(sKey) && !unreadable.has(sKey)) {
      unreadable.set(sKey, { account: copy.account, region: copy.region, reason: 'references were not collected' });
    }
  }

  const referencesOf = new Map<string, { counting: string[]; ignored: string[] }>();
  for (const ref of input.references) {
    const key = copyKey(ref);
    if (!copies.has(key)) continue;
    let refs = referencesOf.get(key);
    if (!refs) referencesOf.set(key, (refs = { counting: [], ignored: [] }));
    const { counts, text } = describeReference(ref);
    (counts ? refs.counting : refs.ignored).push(text);
  }

  const versions = versionsNewestFirst(input.inventory);
  const versionInfo = new Map(versions.map((v) => [v.version, v]));
  const newest = new Set(
    versions
      .filter((v) => v.approved)
      .slice(0, policy.keepNewest)
      .map((v) => v.version),
  );

  const ordered = [...copies.values()].sort((a, b) => {
    const va = versionInfo.get(a.version)!;
    const vb = versionInfo.get(b.version)!;
    return vb.createdMs - va.createdMs || compare(vb.version, va.version) || compare(a.account, b.account) || compare(a.region, b.region) || compare(a.imageId, b.imageId);
  });

  const deprecateMs = policy.deprecateAfterDays * DAY_MS;
  const deregisterMs = policy.deregisterAfterDays * DAY_MS;
  const rejectedMs = policy.rejectedRetentionDays * DAY_MS;

  const decisions: CopyDecision[] = ordered.map((copy) => {
    const key = copyKey(copy);
    const version = versionInfo.get(copy.version)!;
    const ageMs = nowMs - version.createdMs;
    const ageDays = Math.floor(ageMs / DAY_MS);
    const reasons: Reason[] = [];

    const scope = unreadable.get(scopeKey(copy.account, copy.region));
    if (scope) reasons.push({ code: 'unreadable-scope', text: `references in ${copy.account} ${copy.region} unknown: ${scope.reason}` });
    if (copy.version === currentVersion) reasons.push({ code: 'current-version', text: `version ${copy.version} is the current golden image` });
    if (newest.has(copy.version)) reasons.push({ code: 'newest-approved', text: `version ${copy.version} is among the newest ${policy.keepNewest} approved` });
    const refs = referencesOf.get(key);
    if (refs) for (const text of [...refs.counting].sort(compare)) reasons.push({ code: 'referenced', text: `used by ${text}` });
    if (copy.deregistrationProtection) reasons.push({ code: 'deregistration-protected', text: 'deregistration protection is on' });
    if (copy.retain) reasons.push({ code: 'retain-tag', text: 'tagged gami:retain' });
    const guarded = reasons.length > 0;

    let decision: Decision;
    const status = copy.status;
    if (status !== undefined && RELEASED.has(status)) {
      if (ageMs > deregisterMs) {
        decision = 'deregister';
        reasons.push({ code: 'past-deregister-age', text: `${ageDays} days old, more than ${policy.deregisterAfterDays}` });
      } else if (ageMs > deprecateMs) {
        decision = 'deprecate';
        reasons.push({ code: 'past-deprecate-age', text: `${ageDays} days old, more than ${policy.deprecateAfterDays}` });
      } else {
        decision = 'keep';
        reasons.push({ code: 'within-deprecate-age', text: `${ageDays} days old, not more than ${policy.deprecateAfterDays}` });
      }
    } else if (status !== undefined && REJECTED.has(status)) {
      if (ageMs > rejectedMs) {
        decision = 'deregister';
        reasons.push({ code: 'past-rejected-retention', text: `${status} ${ageDays} days ago, more than ${policy.rejectedRetentionDays}` });
      } else {
        decision = 'keep';
        reasons.push({ code: 'within-rejected-retention', text: `${status}, ${ageDays} days old, not more than ${policy.rejectedRetentionDays}` });
      }
    } else if (ageMs > deregisterMs) {
      decision = 'deregister';
      reasons.push({ code: 'abandoned-in-flight', text: `${status ?? 'untagged'} for ${ageDays} days, more than ${policy.deregisterAfterDays}` });
    } else {
      decision = 'keep';
      reasons.push({ code: 'in-flight', text: `${status ?? 'untagged'}: the lifecycle owns it` });
    }
    if (guarded) decision = 'keep';

    if (copy.deprecationTime !== undefined && Date.parse(copy.deprecationTime) <= nowMs) {
      reasons.push({ code: 'already-deprecated', text: `deprecated since ${copy.deprecationTime}` });
    }
    if (refs) for (const text of [...refs.ignored].sort(compare)) reasons.push({ code: 'ignored-reference', text: `not a use: ${text}` });

    const out: CopyDecision = {
      account: copy.account,
      region: copy.region,
      imageId: copy.imageId,
      version: copy.version,
      source: copy.source,
      decision,
      reasons,
      deleteSnapshots: [],
      ageDays,
    };
    if (copy.lastLaunchedTime !== undefined) out.lastLaunchedTime = copy.lastLaunchedTime;
    return out;
  });

  // Rule 3: the source stays while any other copy of its version is kept.
  const keptElsewhere = new Map<string, number>();
  for (const d of decisions) if (d.decision === 'keep' && !d.source) keptElsewhere.set(d.version, (keptElsewhere.get(d.version) ?? 0) + 1);
  for (const d of decisions) {
    const kept = keptElsewhere.get(d.version);
    if (d.source && d.decision !== 'keep' && kept !== undefined) {
      d.decision = 'keep';
      const at = d.reasons.findIndex((r) => !isGuard(r.code));
      d.reasons.splice(at < 0 ? d.reasons.length : at, 0, {
        code: 'source-of-kept-copies',
        text: `source of version ${d.version}, of which ${kept} other ${kept === 1 ? 'copy is' : 'copies are'} kept`,
      });
    }
  }

  // Rule 4: snapshots.
  const snapshotsInUse = new Set<string>();
  for (const d of decisions) if (d.decision !== 'deregister') for (const s of copies.get(copyKey(d))!.snapshots) snapshotsInUse.add(s.snapshotId);
  const freed = new Map<string, number>();
  if (policy.deleteSnapshots) {
    for (const d of decisions) {
      if (d.decision !== 'deregister') continue;
      for (const s of copies.get(copyKey(d))!.snapshots) {
        if (snapshotsInUse.has(s.snapshotId)) continue;
        d.deleteSnapshots.push(s.snapshotId);
        freed.set(s.snapshotId, s.sizeGiB);
      }
      d.deleteSnapshots.sort(compare);
    }
  }

  const summaries = new Map<string, VersionSummary>();
  const totals = { kept: 0, deprecated: 0, deregistered: 0, snapshotsDeleted: freed.size, freedGiB: 0 };
  for (const d of decisions) {
    let s = summaries.get(d.version);
    if (!s) {
      const v = versionInfo.get(d.version)!;
      summaries.set(d.version, (s = { version: d.version, creationTime: new Date(v.createdMs).toISOString(), copies: 0, kept: 0, deprecated: 0, deregistered: 0, retired: false }));
    }
    s.copies++;
    if (d.decision === 'keep') {
      s.kept++;
      totals.kept++;
    } else if (d.decision === 'deprecate') {
      s.deprecated++;
      totals.deprecated++;
    } else {
      s.deregistered++;
      totals.deregistered++;
    }
  }
  for (const s of summaries.values()) s.retired = s.kept === 0;
  for (const size of freed.values()) totals.freedGiB += size;

  return {
    now: input.now,
    decisions,
    versions: [...summaries.values()],
    totals,
    unreadableScopes: [...unreadable.values()].sort((a, b) => compare(a.account, b.account) || compare(a.region, b.region)),
  };
}

const GUARDS = new Set<string>(['unreadable-scope', 'current-version', 'newest-approved', 'referenced', 'deregistration-protected', 'retain-tag']);
function isGuard(code: string): boolean {
  return GUARDS.has(code);
}
