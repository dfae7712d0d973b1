/**
 * The retention executor: one batch of image actions (tasks/retention/batches.ts), in the tooling account.
 * Accounts and regions run side by side, each one's actions one after another (the batch is already sized
 * under that account and region's request limits; the state machine waits between batches).
 *
 * Idempotent, action by action:
 *   deprecate   DescribeImages → gone: already; tag gami:status=deprecated unless it is; EnableImageDeprecation
 *               at `now` unless EC2 already deprecates it by then;
 *   deregister  DescribeImages → gone: already (its snapshots still checked); tag gami:status=retired (so an
 *               image whose deregistration fails says what was meant for it), DeregisterImage with
 *               DeleteAssociatedSnapshots (when the policy deletes snapshots); then DescribeSnapshots of the
 *               planned snapshots: any still there is deleted (DeleteSnapshot) unless EC2 says another image
 *               uses it, and reported as left.
 * Throttling (THROTTLING_ERRORS) passes through unwrapped: the state machine retries the batch, and the actions
 * already done are found done. Any other refusal of one image is that image's failed result; the others go on.
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

export interface ExecuteDeps {
  ec2(region: string): EC2Client;
}

async function describe(ec2: EC2Client, imageId: string): Promise<Image | undefined> {
  try {
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    return out.Images?.[0];
  } catch (error) {
    if (hasErrorName(error, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable')) return undefined;
    throw error;
  }
}

/** Planned snapshots that still exist. */
async function remaining(ec2: EC2Client, snapshotIds: string[]): Promise<string[]> {
  const left: string[] = [];
  for (const id of snapshotIds) {
    try {
      const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
      if ((out.Snapshots ?? []).length > 0) left.push(id);
    } catch (error) {
      if (!hasErrorName(error, 'InvalidSnapshot.NotFound')) throw error;
    }
  }
  return left;
}

async function deleteLeftSnapshots(ec2: EC2Client, action: RetentionAction, result: ActionResult): Promise<void> {
  const left = await remaining(ec2, action.deleteSnapshots);
  for (const id of left) {
    try {
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
    } catch (error) {
      if (isThrottling(error)) throw error;
      if (hasErrorName(error, 'InvalidSnapshot.NotFound')) continue;
      result.snapshotsLeft.push(id);
      result.error = `${result.error ? `${result.error}; ` : ''}snapshot ${id} kept: ${isAwsError(error) ? error.name : String(error)}`;
    }
  }
  result.snapshotsDeleted = action.deleteSnapshots.filter((id) => !result.snapshotsLeft.includes(id));
}

export async function executeAction(ec2: EC2Client, action: RetentionAction, now: string, deleteSnapshots: boolean): Promise<ActionResult> {
  const result: ActionResult = { imageId: action.imageId, region: action.region, kind: action.kind, outcome: 'done', snapshotsDeleted: [], snapshotsLeft: [] };
  try {
    const image = await describe(ec2, action.imageId);
    const status = image?.Tags?.find((t) => t.Key === TAG.status)?.Value;
    if (action.kind === 'deprecate') {
      if (!image) return { ...result, outcome: 'already' };
      const deprecatedBy = image.DeprecationTime !== undefined && Date.parse(image.DeprecationTime) <= Date.parse(now);
      if (status === 'deprecated' && deprecatedBy) return { ...result, outcome: 'already' };
      if (status !== 'deprecated') await ec2.send(new CreateTagsCommand({ Resources: [action.imageId], Tags: [{ Key: TAG.status, Value: 'deprecated' }] }));
      if (!deprecatedBy) await ec2.send(new EnableImageDeprecationCommand({ ImageId: action.imageId, DeprecateAt: new Date(now) }));
      return result;
    }
    if (image) {
      if (status !== 'retired') await ec2.send(new CreateTagsCommand({ Resources: [action.imageId], Tags: [{ Key: TAG.status, Value: 'retired' }] }));
      await ec2.send(new DeregisterImageCommand({ ImageId: action.imageId, DeleteAssociatedSnapshots: deleteSnapshots && action.deleteSnapshots.length > 0 }));
    } else {
      result.outcome = 'already';
    }
    if (deleteSnapshots) await deleteLeftSnapshots(ec2, action, result);
    return result;
  } catch (error) {
    if (isThrottling(error)) throw error;
    // Gone between DescribeImages and the change: another invocation of the same batch, or a concurrent sweep.
    if (hasErrorName(error, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable')) {
      const already: ActionResult = { ...result, outcome: 'already' };
      if (action.kind === 'deregister' && deleteSnapshots) await deleteLeftSnapshots(ec2, action, already);
      return already;
    }
    return { ...result, outcome: 'failed', error: isAwsError(error) ? `${error.name}: ${error.message}` : String(error) };
  }
}

/** Execute one batch: scopes in parallel, each scope's actions in order. Results in the batch's order. */
export async function executeBatch(deps: ExecuteDeps, actions: RetentionAction[], now: string, deleteSnapshots: boolean): Promise<ActionResult[]> {
  const byScope = new Map<string, number[]>();
  actions.forEach((a, i) => byScope.set(`${a.account}/${a.region}`, [...(byScope.get(`${a.account}/${a.region}`) ?? []), i]));
  const results: ActionResult[] = new Array(actions.length);
  await Promise.all(
    [...byScope.values()].map(async (indexes) => {
      for (const i of indexes) results[i] = await executeAction(deps.ec2(actions[i].region), actions[i], now, deleteSnapshots);
    }),
  );
  return results;
}
