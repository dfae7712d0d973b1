/**
 * The retention executor: one batch of image actions (tasks/retention/batches.ts), in the tooling account.
 * Accounts and regions run side by side; within one, the batch (already sized under its request limits, see
 * RETENTION_BATCH; the state machine waits between batches) goes:
 *   1. DescribeImages by an image-id filter, once for the whole batch (a filter, unlike ImageIds, does not fail
 *      on an image already gone);
 *   2. per action, in order —
 *      deprecate   gone: already; tag gami:status=deprecated unless it is; EnableImageDeprecation at `now`
 *                  unless EC2 already deprecates it by then (both done: already);
 *      deregister  gone: already; tag gami:status=retired (so an image whose deregistration fails says what was
 *                  meant for it), DeregisterImage with DeleteAssociatedSnapshots (when the policy deletes the
 *                  snapshots and the plan lists any);
 *   3. DescribeSnapshots by a snapshot-id filter, once, for every snapshot the plan deletes: any still there
 *      (EC2 skipped it, or the image was deregistered before without its snapshots) is deleted with
 *      DeleteSnapshot, unless EC2 refuses (another image uses it): reported as left.
 * Idempotent: a retried batch finds its work done. Throttling (THROTTLING_ERRORS) passes through unwrapped, so
 * the state machine retries the batch; any other refusal of one image is that image's failed result, and the
 * others go on.
 */
import {
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  EnableImageDeprecationCommand,
  type Image,
} from '@aws-sdk/client-ec2';
import { TAG } from '../../pipeline/tags';
import { hasErrorName, isAwsError } from '../common/aws-errors';
import { THROTTLING_ERRORS } from '../contracts';
import type { ActionResult, RetentionAction } from './batches';

const THROTTLING = new Set<string>(THROTTLING_ERRORS);
const isThrottling = (error: unknown) => isAwsError(error) && THROTTLING.has(error.name);
/** Values per filter (EC2 accepts 200). */
const FILTER_VALUES = 200;

export interface ExecuteDeps {
  ec2(region: string): EC2Client;
}

const chunks = <T>(list: T[], size: number): T[][] => Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

/** The images of `imageIds` that still exist. */
async function existing(ec2: EC2Client, imageIds: string[]): Promise<Map<string, Image>> {
  const found = new Map<string, Image>();
  for (const ids of chunks(imageIds, FILTER_VALUES)) {
    let token: string | undefined;
    do {
      const out = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], IncludeDeprecated: true, Filters: [{ Name: 'image-id', Values: ids }], NextToken: token }));
      for (const image of out.Images ?? []) if (image.ImageId) found.set(image.ImageId, image);
      token = out.NextToken;
    } while (token);
  }
  return found;
}

/** The snapshots of `snapshotIds` that still exist. */
async function remaining(ec2: EC2Client, snapshotIds: string[]): Promise<Set<string>> {
  const left = new Set<string>();
  for (const ids of chunks(snapshotIds, FILTER_VALUES)) {
    let token: string | undefined;
    do {
      const out = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: ids }], NextToken: token }));
      for (const s of out.Snapshots ?? []) if (s.SnapshotId) left.add(s.SnapshotId);
      token = out.NextToken;
    } while (token);
  }
  return left;
}

const describeError = (error: unknown) => (isAwsError(error) ? `${error.name}: ${error.message}` : String(error));

/** One action on an image as DescribeImages showed it (undefined: gone). */
export async function executeAction(ec2: EC2Client, action: RetentionAction, image: Image | undefined, now: string, deleteSnapshots: boolean): Promise<ActionResult> {
  const result: ActionResult = { imageId: action.imageId, region: action.region, kind: action.kind, outcome: 'done', snapshotsDeleted: [], snapshotsLeft: [] };
  if (!image) return { ...result, outcome: 'already' };
  const status = image.Tags?.find((t) => t.Key === TAG.status)?.Value;
  try {
    if (action.kind === 'deprecate') {
      const deprecatedBy = image.DeprecationTime !== undefined && Date.parse(image.DeprecationTime) <= Date.parse(now);
      if (status === 'deprecated' && deprecatedBy) return { ...result, outcome: 'already' };
      if (status !== 'deprecated') await ec2.send(new CreateTagsCommand({ Resources: [action.imageId], Tags: [{ Key: TAG.status, Value: 'deprecated' }] }));
      if (!deprecatedBy) await ec2.send(new EnableImageDeprecationCommand({ ImageId: action.imageId, DeprecateAt: new Date(now) }));
      return result;
    }
    if (status !== 'retired') await ec2.send(new CreateTagsCommand({ Resources: [action.imageId], Tags: [{ Key: TAG.status, Value: 'retired' }] }));
    await ec2.send(new DeregisterImageCommand({ ImageId: action.imageId, DeleteAssociatedSnapshots: deleteSnapshots && action.deleteSnapshots.length > 0 }));
    return result;
  } catch (error) {
    if (isThrottling(error)) throw error;
    // Gone between DescribeImages and the change: another invocation of the same batch, or a concurrent sweep.
    if (hasErrorName(error, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable')) return { ...result, outcome: 'already' };
    return { ...result, outcome: 'failed', error: describeError(error) };
  }
}

/** Every action of one account and region, in order; then the planned snapshots checked, leftovers deleted. */
async function executeScope(ec2: EC2Client, actions: RetentionAction[], now: string, deleteSnapshots: boolean): Promise<ActionResult[]> {
  const images = await existing(ec2, actions.map((a) => a.imageId));
  const results: ActionResult[] = [];
  for (const action of actions) results.push(await executeAction(ec2, action, images.get(action.imageId), now, deleteSnapshots));
  if (!deleteSnapshots) return results;
  const planned = actions.flatMap((a, i) => (a.kind === 'deregister' && results[i].outcome !== 'failed' ? a.deleteSnapshots : []));
  const left = await remaining(ec2, planned);
  const refused = new Map<string, string>();
  for (const id of left) {
    try {
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
    } catch (error) {
      if (isThrottling(error)) throw error;
      if (!hasErrorName(error, 'InvalidSnapshot.NotFound')) refused.set(id, isAwsError(error) ? error.name : String(error));
    }
  }
  actions.forEach((a, i) => {
    const r = results[i];
    if (a.kind !== 'deregister' || r.outcome === 'failed') return;
    r.snapshotsLeft = a.deleteSnapshots.filter((id) => refused.has(id));
    r.snapshotsDeleted = a.deleteSnapshots.filter((id) => !refused.has(id));
    if (r.snapshotsLeft.length > 0) r.error = r.snapshotsLeft.map((id) => `snapshot ${id} kept: ${refused.get(id)}`).join('; ');
  });
  return results;
}

/** Execute one batch: accounts and regions in parallel. Results in the batch's order. */
export async function executeBatch(deps: ExecuteDeps, actions: RetentionAction[], now: string, deleteSnapshots: boolean): Promise<ActionResult[]> {
  const byScope = new Map<string, number[]>();
  actions.forEach((a, i) => byScope.set(`${a.account}/${a.region}`, [...(byScope.get(`${a.account}/${a.region}`) ?? []), i]));
  const results: ActionResult[] = new Array(actions.length);
  await Promise.all(
    [...byScope.values()].map(async (indexes) => {
      const scoped = await executeScope(deps.ec2(actions[indexes[0]].region), indexes.map((i) => actions[i]), now, deleteSnapshots);
      indexes.forEach((i, k) => (results[i] = scoped[k]));
    }),
  );
  return results;
}
