/**
 * Properties of the retention planner over generated inventories: small pools of accounts, regions, versions and
 * snapshot ids so that collisions (shared snapshots, several copies of a version, ties in build time, references
 * that count and ones that do not, unreadable and uncollected scopes) happen in most runs.
 */
import fc from 'fast-check';
import { IMAGE_STATUS } from '../../pipeline/tags';
import type { ImageCopy, ImageReference, ReferenceScope, RetentionInput, RetentionPlan } from '../../tasks/retention/model';
import { planRetention } from '../../tasks/retention/plan';

const NOW_MS = Date.parse('2026-11-28T09:00:00.000Z');
const DAY_MS = 86_400_000;
const ACCOUNTS = ['111111111111', '222222222222', '333333333333'];
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-south-1'];
const RUNS = 1500;

/** True about once in `oneIn` runs. */
const rarely = (oneIn: number) => fc.integer({ min: 0, max: oneIn - 1 }).map((n) => n === 0);

const referenceBody = fc.oneof(
  fc.record({
    kind: fc.constant('instance' as const),
    instanceId: fc.constantFrom('i-1', 'i-2'),
    state: fc.constantFrom('pending', 'running', 'shutting-down', 'stopping', 'stopped', 'terminated'),
  }),
  fc.record({
    kind: fc.constant('launch-template' as const),
    launchTemplateId: fc.constantFrom('lt-1', 'lt-2'),
    version: fc.integer({ min: 1, max: 5 }),
    isDefault: fc.boolean(),
    isLatest: fc.boolean(),
    namedBy: fc.array(fc.record({ kind: fc.constantFrom('auto-scaling-group', 'mixed-instances-policy'), groupName: fc.constantFrom('web', 'batch') }), { maxLength: 2 }),
  }),
  fc.record({ kind: fc.constant('ssm-parameter' as const), parameterName: fc.constantFrom('/app/ami', '/golden/latest') }),
);

const copyDraft = fc.record({
  version: fc.integer({ min: 0, max: 7 }),
  scope: fc.integer({ min: 0, max: ACCOUNTS.length * REGIONS.length - 1 }),
  copyDelayHours: fc.integer({ min: 0, max: 72 }),
  status: fc.option(fc.constantFrom(...IMAGE_STATUS), { nil: undefined, freq: 10 }),
  deprecatedDaysAgo: fc.option(fc.integer({ min: -30, max: 300 }), { nil: undefined }),
  deregistrationProtection: rarely(20),
  retain: rarely(20),
  lastLaunchedDaysAgo: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
  snapshots: fc.uniqueArray(fc.record({ id: fc.integer({ min: 0, max: 40 }), sizeGiB: fc.integer({ min: 1, max: 100 }) }), { selector: (s) => s.id, maxLength: 2 }),
  references: fc.array(referenceBody, { maxLength: 2 }),
  hasReferences: rarely(4),
});

const retentionInput: fc.Arbitrary<RetentionInput> = fc
  .record({
    keepNewest: fc.integer({ min: 1, max: 4 }),
    deprecateAfterDays: fc.integer({ min: 1, max: 60 }),
    deregisterExtra: fc.integer({ min: 1, max: 200 }),
    rejectedFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    deleteSnapshots: fc.boolean(),
    versionAgeDays: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 8, maxLength: 8 }),
    current: fc.option(fc.integer({ min: 0, max: 7 }), { nil: null }),
    copies: fc.uniqueArray(copyDraft, { selector: (c) => `${c.version}/${c.scope}`, minLength: 1, maxLength: 40, size: 'max' }),
    scopeState: fc.array(fc.constantFrom('readable', 'readable', 'readable', 'readable', 'readable', 'readable', 'unreadable', 'missing'), {
      minLength: ACCOUNTS.length * REGIONS.length,
      maxLength: ACCOUNTS.length * REGIONS.length,
    }),
  })
  .map((g): RetentionInput => {
    const deregisterAfterDays = g.deprecateAfterDays + g.deregisterExtra;
    const seenVersion = new Set<number>();
    const inventory: ImageCopy[] = [];
    const references: ImageReference[] = [];
    g.copies.forEach((c, i) => {
      const account = ACCOUNTS[Math.floor(c.scope / REGIONS.length)];
      const region = REGIONS[c.scope % REGIONS.length];
      const imageId = `ami-${i.toString(16).padStart(8, '0')}`;
      const source = !seenVersion.has(c.version);
      seenVersion.add(c.version);
      const copy: ImageCopy = {
        account,
        region,
        imageId,
        version: `1.0.${c.version}`,
        source,
        status: c.status,
        creationTime: new Date(NOW_MS - g.versionAgeDays[c.version] * DAY_MS + c.copyDelayHours * 3_600_000).toISOString(),
        deregistrationProtection: c.deregistrationProtection,
        retain: c.retain,
        snapshots: c.snapshots.map((s) => ({ snapshotId: `snap-${s.id.toString(16).padStart(8, '0')}`, sizeGiB: s.sizeGiB })),
      };
      if (c.deprecatedDaysAgo !== undefined) copy.deprecationTime = new Date(NOW_MS - c.deprecatedDaysAgo * DAY_MS).toISOString();
      if (c.lastLaunchedDaysAgo !== undefined) copy.lastLaunchedTime = new Date(NOW_MS - c.lastLaunchedDaysAgo * DAY_MS).toISOString();
      inventory.push(copy);
      if (c.hasReferences) for (const body of c.references) references.push({ account, region, imageId, ...body });
    });
    const scopes: ReferenceScope[] = [];
    g.scopeState.forEach((state, i) => {
      if (state === 'missing') return;
      const scope = { account: ACCOUNTS[Math.floor(i / REGIONS.length)], region: REGIONS[i % REGIONS.length] };
      if (state === 'readable') scopes.push({ ...scope, readable: true });
      // An unreadable scope, sometimes also reported readable by another reader: unreadable wins.
      else scopes.push({ ...scope, readable: false, reason: 'AccessDenied' }, ...(i % 2 ? [{ ...scope, readable: true }] : []));
    });
    return {
      policy: {
        keepNewest: g.keepNewest,
        deprecateAfterDays: g.deprecateAfterDays,
        deregisterAfterDays,
        rejectedRetentionDays: Math.floor(g.rejectedFraction * deregisterAfterDays),
        deleteSnapshots: g.deleteSnapshots,
      },
      now: new Date(NOW_MS).toISOString(),
      currentVersion: g.current === null ? null : `1.0.${g.current}`,
      inventory,
      references,
      scopes,
    };
  });

/** An independent reading of the guards, from the words, to check the planner against. */
function oracle(input: RetentionInput) {
  const readable = new Set(input.scopes.filter((s) => s.readable).map((s) => `${s.account}/${s.region}`));
  for (const s of input.scopes) if (!s.readable) readable.delete(`${s.account}/${s.region}`);
  const built = new Map<string, number>();
  for (const c of input.inventory) built.set(c.version, Math.min(built.get(c.version) ?? Infinity, Date.parse(c.creationTime)));
  const approved = [...new Set(input.inventory.filter((c) => c.status === 'approved' || c.status === 'published').map((c) => c.version))];
  approved.sort((a, b) => built.get(b)! - built.get(a)! || (a < b ? 1 : a > b ? -1 : 0));
  const newest = new Set(approved.slice(0, input.policy.keepNewest));
  const key = (c: { account: string; region: string; imageId: string }) => `${c.account}/${c.region}/${c.imageId}`;
  const used = new Set(
    input.references
      .filter((r) => (r.kind === 'instance' ? r.state !== 'terminated' : r.kind === 'launch-template' ? r.isDefault || r.isLatest || r.namedBy.length > 0 : true))
      .map(key),
  );
  return {
    guarded: (c: ImageCopy) =>
      !readable.has(`${c.account}/${c.region}`) ||
      c.version === input.currentVersion ||
      newest.has(c.version) ||
      used.has(key(c)) ||
      c.deregistrationProtection ||
      c.retain,
    ageMs: (c: ImageCopy) => NOW_MS - built.get(c.version)!,
  };
}

const decisionsByKey = (plan: RetentionPlan) => new Map(plan.decisions.map((d) => [`${d.account}/${d.region}/${d.imageId}`, d]));

/** Fails the property with a message (cheaper than expect() in thousands of runs). */
function must(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** A deterministic permutation, so a failing case replays from fast-check's seed alone. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('planRetention properties', () => {
  it('never retires a copy that is referenced, protected, retained, among the newest approved, the current version, or in an unreadable scope', () => {
    fc.assert(
      fc.property(retentionInput, (input) => {
        const { guarded } = oracle(input);
        const byKey = decisionsByKey(planRetention(input));
        for (const c of input.inventory) if (guarded(c)) must(byKey.get(`${c.account}/${c.region}/${c.imageId}`)!.decision === 'keep', `guarded ${c.imageId} retired`);
      }),
      { numRuns: RUNS },
    );
  });

  it('never keeps an unguarded copy older than the deregister age (unless it is the source of a kept copy)', () => {
    fc.assert(
      fc.property(retentionInput, (input) => {
        const { guarded, ageMs } = oracle(input);
        const plan = planRetention(input);
        const byKey = decisionsByKey(plan);
        const keptCopies = new Set(plan.decisions.filter((d) => d.decision === 'keep' && !d.source).map((d) => d.version));
        for (const c of input.inventory) {
          if (guarded(c) || ageMs(c) <= input.policy.deregisterAfterDays * DAY_MS) continue;
          if (c.source && keptCopies.has(c.version)) continue;
          must(byKey.get(`${c.account}/${c.region}/${c.imageId}`)!.decision === 'deregister', `unguarded old ${c.imageId} not deregistered`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('is deterministic and independent of the order of the inventory, references and scopes', () => {
    fc.assert(
      fc.property(retentionInput, fc.integer(), (input, seed) => {
        const plan = planRetention(input);
        const reordered = planRetention({
          ...input,
          inventory: shuffled(input.inventory, seed),
          references: shuffled(input.references, seed + 1),
          scopes: shuffled(input.scopes, seed + 2),
        });
        const expected = JSON.stringify(plan);
        must(JSON.stringify(reordered) === expected, 'reordered input, different plan');
        must(JSON.stringify(planRetention(input)) === expected, 'same input, different plan');
      }),
      { numRuns: RUNS },
    );
  });

  it('is a complete, consistent plan: one decision per copy with reasons, totals and versions agree, no shared snapshot deleted', () => {
    fc.assert(
      fc.property(retentionInput, (input) => {
        const plan = planRetention(input);
        must(plan.decisions.length === input.inventory.length && decisionsByKey(plan).size === input.inventory.length, 'not one decision per copy');
        for (const d of plan.decisions) {
          must(d.reasons.length > 0, `${d.imageId} without a reason`);
          if (d.decision !== 'deregister' || !input.policy.deleteSnapshots) must(d.deleteSnapshots.length === 0, `${d.imageId} deletes snapshots`);
        }
        const byKey = decisionsByKey(plan);
        const stays = input.inventory.filter((c) => byKey.get(`${c.account}/${c.region}/${c.imageId}`)!.decision !== 'deregister');
        const inUse = new Set(stays.flatMap((c) => c.snapshots.map((s) => s.snapshotId)));
        for (const d of plan.decisions) for (const s of d.deleteSnapshots) must(!inUse.has(s), `${s} deleted but still used`);
        const count = (what: string) => plan.decisions.filter((d) => d.decision === what).length;
        const { kept, deprecated, deregistered } = plan.totals;
        must(kept === count('keep') && deprecated === count('deprecate') && deregistered === count('deregister'), 'totals disagree');
        for (const v of plan.versions) must(v.retired === !plan.decisions.some((d) => d.version === v.version && d.decision === 'keep'), `${v.version} retired wrongly`);
        // A source is retired only when no copy of its version is kept.
        for (const d of plan.decisions) if (d.source && d.decision !== 'keep') must(plan.versions.find((v) => v.version === d.version)!.retired, `source ${d.imageId} retired while a copy is kept`);
      }),
      { numRuns: RUNS },
    );
  });
});
