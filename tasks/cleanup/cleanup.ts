/**
 * cleanup: the fail-closed end of every failure path, as independent actions so that one that keeps failing
 * never stops the others (each is its own state with its own retries in the state machine):
 *
 *   images     tag every image of the run gami:status=rejected and deprecate it (DescribeImages then hides it
 *              from everyone but its owner). The run's images are the one the state machine knows and every
 *              own image tagged with this execution — one whose CreateImage succeeded just before a failure,
 *              before the state machine saw its id, is caught too. The known id is handled first, so it is
 *              rejected even when the search by tag keeps failing.
 *   instances  terminate every instance of the execution that is still alive.
 *   copies     deregister every copy of the run in every target region, with its snapshots: the copies the state
 *              machine knows ($regionImages) and every own image tagged with this execution in those regions
 *              (a speculative copy, a copy whose id was lost), then any snapshot tagged with the execution that
 *              no image uses any more. Copies of earlier runs that this run reused are tagged with their own
 *              execution and left alone.
 *   record     mark the registry record failed (terminal), with what could not be cleaned. The version is the
 *              one Prepare returned or, when its result was lost (a time-out after it wrote), the one found
 *              by execution.
 *
 * Before an image is tagged or deprecated its `gami:execution` tag is checked (DescribeTags, independent of
 * DescribeImages); instances are found only through DescribeInstances' filter on that tag. Cleanup never
 * touches another run's instances or images, and IAM refuses it the approved and published ones
 * (infra/task-functions.ts).
 *
 * An action that could not clean everything throws CleanupIncomplete naming every id left, so the state
 * machine retries it and, when retries run out, the notification names them.
 *
 * Executions that end ABORTED or TIMED_OUT run no Catch: the stack's EventBridge rule invokes this same
 * function with the "Execution Status Change" event, and `cleanupAfterStatusChange` does every action (each
 * with a few attempts), marks the record, and sends the notification itself.
 */
import {
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  EnableImageDeprecationCommand,
  paginateDescribeImages,
  paginateDescribeSnapshots,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { registryKeys } from '../../pipeline/registry';
import { TAG } from '../../pipeline/tags';
import type {
  CleanupAction,
  cleanupEventSchema,
  cleanupResultSchema,
  ExecutionStatusChange,
  NotCleaned,
  RegionImage,
  RunContext,
  statusChangeCleanupResultSchema,
} from '../contracts';
import { publishedParametersSchema } from '../contracts';
import { hasErrorName } from '../common/aws-errors';
import { findOwnVersion } from '../common/image-record';
import { findExecutionInstances, terminate } from '../common/instances';
import { executionTags } from '../common/ownership';
import { logger } from '../common/powertools';
import { CleanupIncomplete } from '../errors';
import { expireApproval } from '../approval/store';
import { recordStage } from '../recordStage/recordStage';
import type { CrossAccountClients } from '../common/cross-account';
import { rollBackRun } from '../rollbackLaunchTemplates/rollbackLaunchTemplates';
import { runChanges } from '../common/template-changes';
import { restoreParameters, type PublishClients } from '../publishImage/publishImage';

export type CleanupEvent = z.output<typeof cleanupEventSchema>;
export type CleanupResult = z.output<typeof cleanupResultSchema>;
export type StatusChangeCleanupResult = z.output<typeof statusChangeCleanupResultSchema>;

export interface CleanupClients {
  ec2: EC2Client;
  /** The EC2 client of another region (target regions of copies). */
  ec2In: (region: string) => EC2Client;
  registry: DynamoDBDocumentClient;
}

const MINUTE = 60_000;

/**
 * EnableImageDeprecation refuses a time in the past and rounds seconds to the nearest minute. `now` is when
 * the state was entered, a little before the call reaches EC2, so take the first whole minute at least one
 * minute after it: always in the future, and the image is deprecated within two minutes.
 */
export function deprecationTime(now: Date): Date {
  return new Date(Math.ceil((now.getTime() + MINUTE) / MINUTE) * MINUTE);
}

function message(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** What one action did and what it could not do (`what` names ids, or the step that failed). */
interface ActionOutcome {
  done: string[];
  failed: { what: string; why: string }[];
}

/** Own images tagged with this execution, deprecated and disabled ones included. */
async function findExecutionImages(ec2: EC2Client, executionArn: string): Promise<string[]> {
  const ids: string[] = [];
  const pages = paginateDescribeImages(
    { client: ec2 },
    { Owners: ['self'], Filters: [{ Name: `tag:${TAG.execution}`, Values: [executionArn] }], IncludeDeprecated: true, IncludeDisabled: true },
  );
  for await (const page of pages) for (const image of page.Images ?? []) if (image.ImageId) ids.push(image.ImageId);
  return ids;
}

/**
 * How much later than the first deprecation time to try when EC2 says it is in the past. `now` is when the
 * state was entered (or the event's time): a retry minutes later, or Lambda's asynchronous retry of a
 * status-change event, calls EC2 after that, and no handler reads the wall clock for a decision.
 */
const DEPRECATION_DELAYS_MS = [0, 15 * MINUTE, 60 * MINUTE, 6 * 60 * MINUTE, 24 * 60 * MINUTE];

/** Deprecate `imageId` at the first of the candidate times EC2 accepts as in the future. */
async function deprecateSoon(ec2: EC2Client, imageId: string, now: Date): Promise<void> {
  for (const [i, delay] of DEPRECATION_DELAYS_MS.entries()) {
    try {
      await ec2.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: deprecationTime(new Date(now.getTime() + delay)) }));
      return;
    } catch (error) {
      const past = hasErrorName(error, 'InvalidParameterValue', 'InvalidParameter') && /future/i.test((error as Error).message);
      if (!past || i === DEPRECATION_DELAYS_MS.length - 1) throw error;
    }
  }
}

/** The status a failed run's images get: expired when nobody approved in time, rejected otherwise. */
export type FailedImageStatus = 'rejected' | 'expired';
export const failedImageStatus = (error: string | undefined): FailedImageStatus => (error === 'ApprovalExpired' ? 'expired' : 'rejected');

/** Tag `imageId` rejected (or expired) and deprecate it; false when the image is already gone. */
async function rejectImage(ec2: EC2Client, imageId: string, now: Date, status: FailedImageStatus = 'rejected'): Promise<boolean> {
  try {
    await ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: TAG.status, Value: status }] }));
    await deprecateSoon(ec2, imageId, now);
    return true;
  } catch (error) {
    if (hasErrorName(error, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable')) return false;
    throw error;
  }
}

/** True when EC2 no longer knows `imageId` (deregistered): nothing left to clean. A failed lookup is not "gone". */
async function imageGone(ec2: EC2Client, imageId: string): Promise<boolean> {
  try {
    const images = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true, IncludeDisabled: true }))).Images ?? [];
    return !images.some((image) => image.ImageId === imageId && image.State !== 'deregistered');
  } catch (error) {
    return hasErrorName(error, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable');
  }
}

async function verifyAndReject(ec2: EC2Client, run: RunContext, ids: string[], outcome: ActionOutcome, status: FailedImageStatus = 'rejected'): Promise<void> {
  // Each id once: not again when the known image is also found by its tag, whether it was cleaned or not.
  const pending = ids.filter((id) => !outcome.done.includes(id) && !outcome.failed.some((f) => f.what === id));
  if (pending.length === 0) return;
  let owners: Map<string, string>;
  try {
    owners = await executionTags(ec2, pending);
  } catch (error) {
    for (const id of pending) outcome.failed.push({ what: id, why: `its ${TAG.execution} tag could not be checked: ${message(error)}` });
    return;
  }
  for (const id of pending) {
    const owner = owners.get(id);
    if (owner !== run.executionArn) {
      if (owner !== undefined) {
        // Another run's image: never touch it.
        logger.warn('left an image alone that is tagged with another execution', { imageId: id, execution: owner });
      } else if (!(await imageGone(ec2, id))) {
        // No execution tag seen on an image that exists: not confirmed as ours, so not touched — and not done.
        outcome.failed.push({ what: id, why: `no ${TAG.execution} tag confirms it as this run's image; not touched` });
      }
      continue;
    }
    try {
      if (await rejectImage(ec2, id, new Date(run.now), status)) outcome.done.push(id);
    } catch (error) {
      outcome.failed.push({ what: id, why: message(error) });
    }
  }
}

/** images: reject the known image first, then every image found by the execution tag. */
export async function rejectRunImages(ec2: EC2Client, run: RunContext, imageId?: string | null, status: FailedImageStatus = 'rejected'): Promise<ActionOutcome> {
  const outcome: ActionOutcome = { done: [], failed: [] };
  if (imageId) await verifyAndReject(ec2, run, [imageId], outcome, status);
  let found: string[] = [];
  try {
    found = await findExecutionImages(ec2, run.executionArn);
  } catch (error) {
    outcome.failed.push({ what: `images tagged ${TAG.execution}=${run.executionName}`, why: `could not be listed: ${message(error)}` });
  }
  await verifyAndReject(ec2, run, found, outcome, status);
  return outcome;
}

/** instances: terminate every live instance tagged with this execution (the filter is the ownership check). */
export async function terminateRunInstances(ec2: EC2Client, run: RunContext): Promise<ActionOutcome> {
  const outcome: ActionOutcome = { done: [], failed: [] };
  let live: string[];
  try {
    live = await findExecutionInstances(ec2, run.executionArn);
  } catch (error) {
    outcome.failed.push({ what: `instances tagged ${TAG.execution}=${run.executionName}`, why: `could not be listed: ${message(error)}` });
    return outcome;
  }
  try {
    outcome.done.push(...(await terminate(ec2, live)));
  } catch (error) {
    for (const id of live) outcome.failed.push({ what: id, why: message(error) });
  }
  return outcome;
}

/** Own snapshots in the client's region tagged with this execution. */
async function findExecutionSnapshots(ec2: EC2Client, executionArn: string): Promise<string[]> {
  const ids: string[] = [];
  const pages = paginateDescribeSnapshots({ client: ec2 }, { OwnerIds: ['self'], Filters: [{ Name: `tag:${TAG.execution}`, Values: [executionArn] }] });
  for await (const page of pages) for (const snapshot of page.Snapshots ?? []) if (snapshot.SnapshotId) ids.push(snapshot.SnapshotId);
  return ids;
}

/** Deregister `imageId` with its snapshots (left-over snapshots are deleted by tag afterwards). */
async function deregisterWithSnapshots(ec2: EC2Client, imageId: string): Promise<void> {
  try {
    await ec2.send(new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: true }));
  } catch (error) {
    if (!hasErrorName(error, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable')) throw error;
  }
}

/** copies of one region: deregister the run's copies (ownership checked), then delete its left-over snapshots. */
async function deregisterRegionCopies(ec2: EC2Client, run: RunContext, region: string, known: string[], outcome: ActionOutcome): Promise<void> {
  let found: string[] = [];
  try {
    found = await findExecutionImages(ec2, run.executionArn);
  } catch (error) {
    outcome.failed.push({ what: `copies in ${region} tagged ${TAG.execution}=${run.executionName}`, why: `could not be listed: ${message(error)}` });
  }
  const ids = [...new Set([...known, ...found])];
  if (ids.length > 0) {
    let owners: Map<string, string>;
    try {
      owners = await executionTags(ec2, ids);
    } catch (error) {
      for (const id of ids) outcome.failed.push({ what: `${id} (${region})`, why: `its ${TAG.execution} tag could not be checked: ${message(error)}` });
      return;
    }
    for (const id of ids) {
      const owner = owners.get(id);
      if (owner !== run.executionArn) {
        // Another run's copy (reused by this one) or one already gone: never touched.
        if (owner === undefined && !(await imageGone(ec2, id))) {
          outcome.failed.push({ what: `${id} (${region})`, why: `no ${TAG.execution} tag confirms it as this run's copy; not touched` });
        }
        continue;
      }
      try {
        await deregisterWithSnapshots(ec2, id);
        outcome.done.push(id);
      } catch (error) {
        outcome.failed.push({ what: `${id} (${region})`, why: message(error) });
      }
    }
  }
  // Snapshots of the run's copies that survived their image (DeleteAssociatedSnapshots skipped or failed).
  try {
    for (const snapshotId of await findExecutionSnapshots(ec2, run.executionArn)) {
      try {
        await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
      } catch (error) {
        // In use by an image of this run that could not be deregistered: that image is already named.
        if (hasErrorName(error, 'InvalidSnapshot.NotFound', 'InvalidSnapshot.InUse')) continue;
        outcome.failed.push({ what: `${snapshotId} (${region})`, why: message(error) });
      }
    }
  } catch (error) {
    outcome.failed.push({ what: `snapshots in ${region} tagged ${TAG.execution}=${run.executionName}`, why: `could not be listed: ${message(error)}` });
  }
}

/** copies: every target region, each independently (one region failing does not stop the others). */
export async function deregisterRunCopies(
  ec2In: (region: string) => EC2Client,
  run: RunContext,
  regions: readonly string[],
  known: readonly RegionImage[] = [],
): Promise<ActionOutcome> {
  const outcome: ActionOutcome = { done: [], failed: [] };
  const all = [...new Set([...regions, ...known.map((k) => k.region)])];
  for (const region of all) {
    const ids = known.filter((k) => k.region === region).map((k) => k.imageId);
    await deregisterRegionCopies(ec2In(region), run, region, ids, outcome);
  }
  return outcome;
}

interface RecordFailure {
  stage: string;
  error: string;
  cause: string;
  notCleaned?: NotCleaned;
}

/** record: the run's IMAGE record made terminal (rejected, stage Failed); null when the run has no version. */
export async function markRunRecord(
  registry: DynamoDBDocumentClient,
  run: RunContext,
  table: string,
  version: number | null | undefined,
  failure: RecordFailure,
  redistribution = false,
): Promise<number | null> {
  if (redistribution) {
    // The approved image stays approved: only the failed distribution stage and lastRedistribution are written.
    if (version === null || version === undefined) return null;
    const stage = DISTRIBUTION_STAGES.find((s) => s === failure.stage) ?? 'Distribute';
    await recordStage({ registry }, { run, registryTable: table, version, stage, status: 'failed', details: { ...failure }, redistribution: true });
    return version;
  }
  const own = version ?? (await findOwnVersion(registry, table, run.pipeline, run.executionArn));
  if (own === undefined) return null;
  await recordStage({ registry }, { run, registryTable: table, version: own, stage: 'Failed', status: 'failed', details: { ...failure } });
  return own;
}

/** Mark this run's approval expired if it is still pending (idempotent: a conditional write). */
async function expireRunApproval(registry: DynamoDBDocumentClient, run: RunContext, table: string, version: number | null | undefined): Promise<void> {
  if (!version) return;
  const found = await registry.send(new GetCommand({ TableName: table, Key: registryKeys.approval(run.pipeline, version), ConsistentRead: true }));
  const pointer = found?.Item;
  if (!pointer || pointer.executionArn !== run.executionArn || typeof pointer.approvalId !== 'string') return;
  if (await expireApproval({ db: registry, tableName: table }, pointer.approvalId, new Date(run.now))) {
    logger.info('approval expired', { approvalId: pointer.approvalId });
  }
}
const DISTRIBUTION_STAGES = ['Distribute', 'Share', 'Publish'] as const;

function incomplete(action: CleanupAction, outcome: ActionOutcome): CleanupIncomplete {
  const lines = outcome.failed.map((f) => `${f.what}: ${f.why}`);
  return new CleanupIncomplete(`clean-up action ${action} left ${outcome.failed.length} thing(s) not cleaned: ${lines.join('; ')}`);
}

/** One action of the state machine's failure path. */
export async function cleanup(clients: CleanupClients, event: CleanupEvent): Promise<CleanupResult> {
  const { run, action } = event;
  logger.info('cleaning up after a failed run', { action, stage: event.stage, error: event.error, imageId: event.imageId });
  if (action === 'record') {
    // An approval still pending (the run expired, or failed another way while waiting) is closed as expired,
    // so its links show the outcome instead of a form that can no longer decide anything.
    await expireRunApproval(clients.registry, run, event.registryTable, event.version);
    const recordedVersion = await markRunRecord(clients.registry, run, event.registryTable, event.version, {
      stage: event.stage,
      error: event.error,
      cause: event.cause,
      notCleaned: event.notCleaned,
    }, event.redistribution === true);
    return { action, terminated: [], rejectedImageIds: [], recordedVersion };
  }
  if (action === 'copies') {
    const known = (event.regionImages ?? []).filter((image) => (event.copyRegions ?? []).includes(image.region));
    const outcome = await deregisterRunCopies(clients.ec2In, run, event.copyRegions ?? [], known);
    if (outcome.failed.length > 0) throw incomplete(action, outcome);
    return { action, terminated: [], rejectedImageIds: [], deregistered: outcome.done };
  }
  const outcome = action === 'images' ? await rejectRunImages(clients.ec2, run, event.imageId, failedImageStatus(event.error)) : await terminateRunInstances(clients.ec2, run);
  if (outcome.failed.length > 0) throw incomplete(action, outcome);
  return action === 'images'
    ? { action, terminated: [], rejectedImageIds: outcome.done }
    : { action, terminated: outcome.done, rejectedImageIds: [] };
}

/** Attempts per action when cleaning up after an ABORTED or TIMED_OUT execution. */
export const STATUS_CHANGE_ATTEMPTS = 3;

async function withAttempts(run: () => Promise<ActionOutcome>): Promise<ActionOutcome> {
  let outcome: ActionOutcome = { done: [], failed: [] };
  const done: string[] = [];
  for (let attempt = 1; attempt <= STATUS_CHANGE_ATTEMPTS; attempt++) {
    outcome = await run();
    done.push(...outcome.done.filter((id) => !done.includes(id)));
    if (outcome.failed.length === 0) break;
  }
  return { done, failed: outcome.failed };
}

export interface StatusChangeSettings {
  pipeline: string;
  registryTable: string;
  topicArn: string;
  /** Target regions searched for the run's copies. */
  copyRegions?: string[];
  /** The latest-image parameter and the consumer accounts it is published in (config publish), when the pipeline publishes. */
  publish?: { parameterName: string; accounts: { account: string; roleName: string }[]; externalId: string };
}

/**
 * The latest-image parameters a stopped or timed-out run published (its Publish stage record) go back to what they
 * held before, as the Catch-driven failure path's Restore Published Parameters does: consumers must not resolve the
 * golden image to one this clean-up rejects.
 */
async function restoreRunParameters(
  clients: { registry: DynamoDBDocumentClient; publish: () => PublishClients },
  run: RunContext,
  settings: StatusChangeSettings,
  version: number | undefined,
): Promise<ActionOutcome> {
  const outcome: ActionOutcome = { done: [], failed: [] };
  if (!settings.publish || version === undefined) return outcome;
  try {
    const item = (await clients.registry.send(new GetCommand({ TableName: settings.registryTable, Key: registryKeys.stage(run.pipeline, version, 'Publish'), ConsistentRead: true }))).Item;
    if (!item || item.executionArn !== run.executionArn) return outcome;
    const entries = publishedParametersSchema.safeParse((item.details as { parameters?: unknown } | undefined)?.parameters);
    if (!entries.success || entries.data.length === 0) return outcome;
    const result = await restoreParameters(clients.publish(), {
      run,
      parameterName: settings.publish.parameterName,
      regionImages: [],
      accounts: settings.publish.accounts,
      externalId: settings.publish.externalId,
      version,
      restore: entries.data,
    }, entries.data);
    outcome.done.push(...(result.restored ?? []));
  } catch (failure) {
    outcome.failed.push({ what: `latest-image parameter ${settings.publish.parameterName}`, why: `could not be restored: ${message(failure)}` });
  }
  return outcome;
}

/** The error name an ABORTED or TIMED_OUT execution is recorded and notified with. */
export function statusChangeError(status: string): string {
  return status === 'TIMED_OUT' ? 'ExecutionTimedOut' : 'ExecutionAborted';
}

/**
 * Everything the failure path would have done, for an execution that ended ABORTED or TIMED_OUT (no Catch
 * runs then): roll back the launch templates it changed, reject its images, terminate its instances, mark its
 * record, notify. Other statuses are ignored.
 */
export async function cleanupAfterStatusChange(
  clients: CleanupClients & { sns: SNSClient; targets: (run: RunContext) => CrossAccountClients; publish: () => PublishClients },
  event: ExecutionStatusChange,
  settings: StatusChangeSettings,
): Promise<StatusChangeCleanupResult> {
  const { detail } = event;
  const run: RunContext = {
    pipeline: settings.pipeline,
    executionArn: detail.executionArn,
    executionName: detail.name,
    now: event.time ?? new Date(detail.stopDate ?? Date.now()).toISOString(),
  };
  const empty: StatusChangeCleanupResult = {
    executionArn: detail.executionArn,
    status: detail.status,
    terminated: [],
    rejectedImageIds: [],
    recordedVersion: null,
    notCleaned: { instances: [], images: [] },
    notified: false,
  };
  if (detail.status !== 'ABORTED' && detail.status !== 'TIMED_OUT') return empty;

  const error = statusChangeError(detail.status);
  const cause = detail.cause || (detail.status === 'TIMED_OUT' ? 'the execution exceeded its time limit' : 'the execution was stopped');
  // Launch templates first: a template left pointing at an image about to be rejected is what breaks fleets.
  // The registry's records of this execution's template changes say what to set back (all-or-nothing).
  const templates: ActionOutcome = { done: [], failed: [] };
  let ownVersion: number | undefined;
  try {
    ownVersion = await findOwnVersion(clients.registry, settings.registryTable, run.pipeline, run.executionArn);
    // Only a run that reached the launch template stage has records (and needs the consumer accounts' roles).
    if (ownVersion !== undefined && (await runChanges(clients.registry, settings.registryTable, run, ownVersion)).length > 0) {
      const targets = clients.targets(run);
      let rollback = await rollBackRun({ registry: clients.registry, targets }, run, settings.registryTable, ownVersion);
      for (let attempt = 2; attempt <= STATUS_CHANGE_ATTEMPTS && rollback.failed.length > 0; attempt++) {
        rollback = await rollBackRun({ registry: clients.registry, targets }, run, settings.registryTable, ownVersion);
      }
      templates.done.push(...rollback.rolledBack, ...rollback.cancelledRefreshes);
      templates.failed.push(...rollback.failed.map((line) => ({ what: line.slice(0, line.indexOf(': ')), why: line.slice(line.indexOf(': ') + 2) })));
    }
  } catch (failure) {
    templates.failed.push({ what: 'launch templates changed by this run', why: `could not be rolled back: ${message(failure)}` });
  }
  const images = await withAttempts(() => rejectRunImages(clients.ec2, run));
  const parameters = await withAttempts(() => restoreRunParameters(clients, run, settings, ownVersion));
  const instances = await withAttempts(() => terminateRunInstances(clients.ec2, run));
  const copyRegions = settings.copyRegions ?? [];
  const copies = await withAttempts(() => deregisterRunCopies(clients.ec2In, run, copyRegions));
  // Each entry an id, or the search that failed (e.g. "images tagged gami:execution=<name>").
  const notCleaned: NotCleaned = {
    images: images.failed.map((f) => f.what),
    instances: instances.failed.map((f) => f.what),
    ...(copies.failed.length > 0 ? { copies: copies.failed.map((f) => f.what) } : {}),
    ...(templates.failed.length ? { launchTemplates: templates.failed.map((f) => `${f.what}: ${f.why}`) } : {}),
    ...(parameters.failed.length ? { parameters: parameters.failed.map((f) => `${f.what}: ${f.why}`) } : {}),
  };

  let stage = 'unknown';
  let recordedVersion: number | null = null;
  try {
    const version = ownVersion ?? (await findOwnVersion(clients.registry, settings.registryTable, run.pipeline, run.executionArn));
    if (version !== undefined) {
      const item = (
        await clients.registry.send(new GetCommand({ TableName: settings.registryTable, Key: registryKeys.image(run.pipeline, version), ConsistentRead: true }))
      ).Item;
      if (typeof item?.stage === 'string') stage = item.stage;
    }
    // Best effort here: a pending approval that could not be expired still closes when its time runs out.
    await expireRunApproval(clients.registry, run, settings.registryTable, version).catch((error: unknown) =>
      logger.warn('could not expire the run\'s pending approval', { error: message(error) }),
    );
    recordedVersion = await markRunRecord(clients.registry, run, settings.registryTable, version ?? null, { stage, error, cause, notCleaned });
  } catch (failure) {
    notCleaned.record = message(failure);
  }

  const left = [
    ...templates.failed.map((f) => `launch template ${f.what}: ${f.why}`),
    ...parameters.failed.map((f) => `${f.what}: ${f.why}`),
    ...instances.failed.map((f) => `${f.what.startsWith('i-') ? 'instance ' : ''}${f.what}: ${f.why}`),
    ...images.failed.map((f) => `${f.what.startsWith('ami-') ? 'image ' : ''}${f.what}: ${f.why}`),
    ...copies.failed.map((f) => `${f.what.startsWith('ami-') ? 'copy ' : ''}${f.what}: ${f.why}`),
    ...(notCleaned.record ? [`registry record: ${notCleaned.record}`] : []),
  ];
  const lines = [
    `Pipeline ${run.pipeline}${recordedVersion !== null ? ` version ${recordedVersion}` : ''} ${detail.status === 'TIMED_OUT' ? 'timed out' : 'was stopped'} in stage ${stage} (${error}).`,
    '',
    cause,
    '',
    `Clean-up: terminated ${instances.done.length ? instances.done.join(', ') : 'no instances'}; rejected and deprecated ${images.done.length ? images.done.join(', ') : 'no images'}` +
      `${copyRegions.length > 0 ? `; deregistered ${copies.done.length ? `copies ${copies.done.join(', ')} with their snapshots` : 'no copies'}` : ''}.`,
    ...(templates.done.length ? [`Launch templates rolled back: ${templates.done.join('; ')}.`] : []),
    ...(parameters.done.length ? [`Latest-image parameters restored: ${parameters.done.join('; ')}.`] : []),
    left.length > 0 ? `NOT CLEANED (act on these): ${left.join('; ')}` : 'Nothing was left behind.',
    '',
    `Execution: ${run.executionArn}`,
  ];
  // A failed publish throws: the asynchronous invocation is retried, and every action above is idempotent.
  await clients.sns.send(
    new PublishCommand({
      TopicArn: settings.topicArn,
      Subject: `[${run.pipeline}] ${error} in ${stage}`.slice(0, 100),
      Message: lines.join('\n'),
      MessageAttributes: {
        pipeline: { DataType: 'String', StringValue: run.pipeline },
        error: { DataType: 'String', StringValue: error },
      },
    }),
  );
  return {
    ...empty,
    terminated: instances.done,
    rejectedImageIds: images.done,
    ...(copyRegions.length > 0 ? { deregistered: copies.done } : {}),
    recordedVersion,
    notCleaned,
    notified: true,
  };
}
