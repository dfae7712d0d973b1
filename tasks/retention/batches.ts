/**
 * From a plan to the executor's batches (pure). Only decisions that change something become actions: a copy
 * the plan deprecates that is already tagged deprecated with its deprecation time passed needs nothing, so a
 * second sweep over an unchanged account has no batch at all.
 *
 * Batches respect EC2's request limits per account and region (RETENTION_BATCH): at most `deregisterPerScope`
 * deregistrations and `deprecatePerScope` deprecations of one account and region, `total` actions in all. Scopes
 * are served round robin from a rotating start, so none waits behind the others when `total` binds.
 */
import { RETENTION_BATCH } from '../contracts';
import type { ImageCopy, RetentionPlan } from './model';

export interface RetentionAction {
  account: string;
  region: string;
  imageId: string;
  version: string;
  kind: 'deprecate' | 'deregister';
  /** Snapshots the plan deletes with the image (only those no kept copy uses). */
  deleteSnapshots: string[];
  /** Their size, for freed GiB. */
  snapshotGiB: number;
}

export interface ActionResult {
  imageId: string;
  region: string;
  kind: RetentionAction['kind'];
  /** done: changed now; already: found done (a retried batch, a concurrent sweep); failed: see error. */
  outcome: 'done' | 'already' | 'failed';
  error?: string;
  snapshotsDeleted: string[];
  /** Planned snapshots still there after DeregisterImage (another image uses them, or deletion failed). */
  snapshotsLeft: string[];
}

export function actionsOf(plan: RetentionPlan, inventory: ImageCopy[]): RetentionAction[] {
  const nowMs = Date.parse(plan.now);
  const copies = new Map(inventory.map((c) => [`${c.account}/${c.region}/${c.imageId}`, c]));
  const actions: RetentionAction[] = [];
  for (const d of plan.decisions) {
    if (d.decision === 'keep') continue;
    const copy = copies.get(`${d.account}/${d.region}/${d.imageId}`);
    if (d.decision === 'deprecate') {
      const deprecated = copy?.deprecationTime !== undefined && Date.parse(copy.deprecationTime) <= nowMs;
      if (copy?.status === 'deprecated' && deprecated) continue;
    }
    const sizes = new Map((copy?.snapshots ?? []).map((s) => [s.snapshotId, s.sizeGiB]));
    actions.push({
      account: d.account,
      region: d.region,
      imageId: d.imageId,
      version: d.version,
      kind: d.decision,
      deleteSnapshots: d.deleteSnapshots,
      snapshotGiB: d.deleteSnapshots.reduce((sum, id) => sum + (sizes.get(id) ?? 0), 0),
    });
  }
  return actions;
}

export function toBatches(actions: RetentionAction[], limits: { deregisterPerScope: number; deprecatePerScope: number; total: number } = RETENTION_BATCH): RetentionAction[][] {
  const queues = new Map<string, { items: RetentionAction[]; next: number; cap: number }>();
  for (const a of actions) {
    const key = `${a.account}/${a.region}/${a.kind}`;
    let q = queues.get(key);
    if (!q) queues.set(key, (q = { items: [], next: 0, cap: a.kind === 'deregister' ? limits.deregisterPerScope : limits.deprecatePerScope }));
    q.items.push(a);
  }
  const ordered = [...queues.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, q]) => q);
  const batches: RetentionAction[][] = [];
  let left = actions.length;
  while (left > 0) {
    const batch: RetentionAction[] = [];
    // Start each batch one queue further, so no account and region waits behind the others when `total` binds.
    const start = batches.length % ordered.length;
    for (const q of [...ordered.slice(start), ...ordered.slice(0, start)]) {
      const take = Math.min(q.cap, q.items.length - q.next, limits.total - batch.length);
      if (take <= 0) continue;
      batch.push(...q.items.slice(q.next, q.next + take));
      q.next += take;
    }
    left -= batch.length;
    batches.push(batch);
  }
  return batches;
}
