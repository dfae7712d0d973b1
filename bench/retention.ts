/**
 * Retention planner benchmark (`npm run bench:retention`), issue 12's figure: a plan for 100,000 images across 20
 * regions and 5 accounts in ≤ 1 s and ≤ 300 MB.
 *
 * "100,000 images" is read as 100,000 image copies in all, not 100,000 per scope (10 million AMIs is no pipeline's
 * inventory): 1,000 versions, one built a day, each copied to all 100 (account, region) scopes, so 1,000 copies per
 * scope — what ceil(images / 1,000) DescribeImages pages per scope implies. The mix: 8 % rejected or expired, the
 * newest few in flight, the rest approved, published or deprecated; 5 % of copies referenced (instances in every
 * state, launch template versions that count and ones that do not, SSM parameters), 1 % protected, 1 % retained,
 * one scope unreadable; one 8 GiB snapshot per copy.
 *
 * Figures: the planner alone on already-parsed input (the handler parses once; its zod parse is printed on its own
 * line), the first run in a fresh process (no warm-up, as in a Lambda cold start), then the median of 5 more. Heap
 * is the process's V8 heap used right after the first plan, before any collection: input, plan and the plan's
 * garbage together — an upper bound of what the planner needs, not its share alone.
 *
 * Then a full simulated RetentionSweep (bench/retention-sweep.ts) over SWEEP_IMAGES images (default 100,000; set
 * the environment variable to run a smaller one): DescribeImages calls per region and account against their
 * bound ceil(images / 1,000), batches, history events against the 25,000 limit, wall time. The planner's line
 * stays the last.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ImageStatus } from '../pipeline/tags';
import { retentionInputSchema, type ImageCopy, type ImageReference, type ReferenceScope, type RetentionInput } from '../tasks/retention/model';
import { planRetention } from '../tasks/retention/plan';
import { benchSweep } from './retention-sweep';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ACCOUNTS = 5;
const REGIONS = 20;
const VERSIONS = 1_000;
const NOW_MS = Date.parse('2026-11-28T09:00:00.000Z');
const DAY_MS = 86_400_000;

/** Deterministic pseudo-random numbers (the same inventory every run). */
let seed = 12;
const random = () => {
  seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0;
  return seed / 2 ** 32;
};
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function generate(): RetentionInput {
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => String(111_111_111_111 * (i + 1)).slice(0, 12).padStart(12, '0'));
  const regions = Array.from({ length: REGIONS }, (_, i) => `xx-region-${i + 1}`);
  const inventory: ImageCopy[] = [];
  const references: ImageReference[] = [];
  let serial = 0;
  for (let v = 0; v < VERSIONS; v++) {
    const ageDays = VERSIONS - 1 - v;
    const roll = random();
    const status: ImageStatus =
      ageDays < 2 ? 'awaiting-approval' : roll < 0.05 ? 'rejected' : roll < 0.08 ? 'expired' : ageDays > 30 ? 'deprecated' : roll < 0.5 ? 'approved' : 'published';
    for (const account of accounts) {
      for (const region of regions) {
        serial++;
        const imageId = `ami-${hex(serial, 17)}`;
        inventory.push({
          account,
          region,
          imageId,
          version: `2024.${v}`,
          source: account === accounts[0] && region === regions[0],
          status,
          creationTime: new Date(NOW_MS - ageDays * DAY_MS + serial).toISOString(),
          ...(status === 'deprecated' ? { deprecationTime: new Date(NOW_MS - (ageDays - 30) * DAY_MS).toISOString() } : {}),
          deregistrationProtection: random() < 0.01,
          retain: random() < 0.01,
          ...(random() < 0.3 ? { lastLaunchedTime: new Date(NOW_MS - random() * ageDays * DAY_MS).toISOString() } : {}),
          snapshots: [{ snapshotId: `snap-${hex(serial, 17)}`, sizeGiB: 8 }],
        });
        const r = random();
        if (r < 0.02) references.push({ account, region, imageId, kind: 'instance', instanceId: `i-${hex(serial, 17)}`, state: r < 0.01 ? 'stopped' : 'running' });
        else if (r < 0.03) references.push({ account, region, imageId, kind: 'instance', instanceId: `i-${hex(serial, 17)}`, state: 'terminated' });
        else if (r < 0.045) {
          references.push({
            account,
            region,
            imageId,
            kind: 'launch-template',
            launchTemplateId: `lt-${hex(serial, 17)}`,
            version: 3,
            isDefault: r < 0.035,
            isLatest: false,
            namedBy: r < 0.04 ? [{ kind: 'auto-scaling-group', groupName: `asg-${serial}` }] : [],
          });
        } else if (r < 0.05) references.push({ account, region, imageId, kind: 'ssm-parameter', parameterName: `/app/${serial}/ami` });
      }
    }
  }
  const scopes: ReferenceScope[] = accounts.flatMap((account, a) =>
    regions.map((region, i) => (a === ACCOUNTS - 1 && i === REGIONS - 1 ? { account, region, readable: false, reason: 'AccessDenied' } : { account, region, readable: true })),
  );
  return {
    policy: { keepNewest: 3, deprecateAfterDays: 30, deregisterAfterDays: 90, rejectedRetentionDays: 7, deleteSnapshots: true },
    now: new Date(NOW_MS).toISOString(),
    currentVersion: `2024.${VERSIONS - 3}`,
    inventory,
    references,
    scopes,
  };
}

const input = generate();
const images = input.inventory.length;

let started = performance.now();
retentionInputSchema.parse(input);
console.log(`zod parse of the input (the handler's, not the planner's): ${(performance.now() - started).toFixed(0)} ms`);

gc();
started = performance.now();
const plan = planRetention(input);
const coldMs = performance.now() - started;
const heapMb = process.memoryUsage().heapUsed / 2 ** 20;

const warm: number[] = [];
for (let i = 0; i < 5; i++) {
  gc();
  const t = performance.now();
  planRetention(input);
  warm.push(performance.now() - t);
}
warm.sort((a, b) => a - b);

console.log(
  `plan: ${plan.totals.kept} kept, ${plan.totals.deprecated} deprecated, ${plan.totals.deregistered} deregistered, ` +
    `${plan.totals.freedGiB} GiB freed, ${plan.unreadableScopes.length} unreadable scope(s), ${plan.versions.length} versions`,
);
console.log(`warm median of 5: ${warm[2].toFixed(0)} ms (target ≤ 1000 ms, ≤ 300 MB)`);

async function sweep(): Promise<void> {
  const count = Number(process.env.SWEEP_IMAGES ?? 100_000);
  const f = await benchSweep(count);
  const ok = f.maxDescribeImagesCalls <= f.describeImagesBound;
  console.log(
    `sweep ${f.images} images x ${f.regions} regions x ${f.accounts} accounts: ${f.status}, ${(f.wallMs / 1000).toFixed(1)} s wall ` +
      `(seeding ${(f.seedMs / 1000).toFixed(1)} s apart), ${f.batches} batches, ${f.historyEvents} history events (limit 25,000), ` +
      `report item ${(f.reportItemBytes / 1024).toFixed(0)} KiB (limit 400 KB)`,
  );
  console.log(
    `sweep DescribeImages calls per region and account: at most ${f.maxDescribeImagesCalls} (bound ceil(${f.images / f.regions} / 1,000) = ${f.describeImagesBound}: ${ok ? 'ok' : 'OVER'})`,
  );
  console.log(
    `sweep planned: keep ${f.planned.kept}, deprecate ${f.planned.deprecated}, deregister ${f.planned.deregistered}; ` +
      `done: deprecated ${f.done.deprecated} (the rest already were), deregistered ${f.done.deregistered}, ${f.done.snapshotsDeleted} snapshots, ${f.done.freedGiB} GiB freed`,
  );
}

sweep().then(
  () => console.log(`plan ${images} images x ${REGIONS} regions x ${ACCOUNTS} accounts: ${coldMs.toFixed(0)} ms, ${heapMb.toFixed(0)} MB`),
  (error: unknown) => {
    console.error(error);
    console.log(`plan ${images} images x ${REGIONS} regions x ${ACCOUNTS} accounts: ${coldMs.toFixed(0)} ms, ${heapMb.toFixed(0)} MB`);
    process.exitCode = 1;
  },
);
