/**
 * recordStage: write a stage's record to the registry, the auditor's view of a run. Two writes:
 *   STAGE item  PIPELINE#<name> / IMAGE#<v>#STAGE#<Stage>: status, details, startedAt (kept from the first
 *               write), endedAt (when it succeeded or failed), execution.
 *   IMAGE item  PIPELINE#<name> / IMAGE#<v>: current stage and stage status, the image's lifecycle status
 *               (building → testing → rejected …), and the artifacts worth finding without reading stages
 *               (imageId, snapshotIds, error, cause).
 * Both are UpdateItem with SET only, so recording the same event twice leaves the same items. Both are
 * conditional on stage order: a replayed or late write (a retried Record Baked after Record Tested, a
 * duplicate invocation) never moves the record backwards, and a stage's end is never overwritten by its
 * start. Fields are only ever added (SET), never dropped.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { hasErrorName } from '../common/aws-errors';
import type { z } from 'zod';
import { registryKeys } from '../../pipeline/registry';
import type { ImageStatus } from '../../pipeline/tags';
import type { recordStageEventSchema, recordStageResultSchema, STAGES } from '../contracts';

export type RecordStageEvent = z.output<typeof recordStageEventSchema>;
export type RecordStageResult = z.output<typeof recordStageResultSchema>;
type Stage = (typeof STAGES)[number];

/** Detail keys copied onto the IMAGE record as top-level attributes. */
export const PROMOTED_DETAILS = ['imageId', 'snapshotIds', 'error', 'cause', 'regionImages', 'shares', 'parameters'] as const;

/** Of those, the distribution artifacts: a redistribution (distributeOnly) writes only these onto the IMAGE record. */
export const DISTRIBUTION_ARTIFACTS = ['regionImages', 'shares', 'parameters'] as const;

/** The image's lifecycle status after `stage` reached `status`; undefined leaves it as it is. */
export function imageStatusAfter(stage: Stage, status: RecordStageEvent['status'], error?: unknown): ImageStatus | undefined {
  if (status === 'failed' || stage === 'Failed') return error === 'ApprovalExpired' ? 'expired' : 'rejected';
  if (stage === 'Prepare' || (stage === 'Bake' && status === 'started')) return 'building';
  if (stage === 'Bake' || stage === 'Test' || stage === 'ScanGate') return 'testing';
  if (stage === 'Approval') return status === 'started' ? 'awaiting-approval' : 'distributing';
  // Distribute, Share and Publish leave it as the approval decision set it (distributing, tag and record alike);
  // the last distribution step, Mark Approved, tags the image and every copy approved just before this record.
  if (stage === 'LaunchTemplates' && status === 'succeeded') return 'approved';
  return undefined;
}

/**
 * Position of a stage event in a run: Prepare started (0), succeeded (1) … LaunchTemplates (16, 17), Done (18, 19), Failed (20, 21) last. prepare writes the
 * IMAGE record at 0; the record only ever moves forward.
 */
export function stageOrder(stage: Stage, status: RecordStageEvent['status']): number {
  return STAGE_ORDER.indexOf(stage) * 2 + (status === 'started' ? 0 : 1);
}
const STAGE_ORDER: readonly Stage[] = ['Prepare', 'Bake', 'Test', 'ScanGate', 'Approval', 'Distribute', 'Share', 'Publish', 'LaunchTemplates', 'Done', 'Failed'];

/** UpdateItem, where a failed condition means a later write already got there: nothing to do. */
async function updateUnlessLater(registry: DynamoDBDocumentClient, command: UpdateCommand): Promise<boolean> {
  try {
    await registry.send(command);
    return true;
  } catch (error) {
    if (hasErrorName(error, 'ConditionalCheckFailedException')) return false;
    throw error;
  }
}

interface Update {
  expression: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
}

function set(update: Update, attribute: string, value: unknown, expression = `#${attribute} = :${attribute}`): void {
  update.expression.push(expression);
  update.names[`#${attribute}`] = attribute;
  update.values[`:${attribute}`] = value;
}

export async function recordStage(clients: { registry: DynamoDBDocumentClient }, event: RecordStageEvent): Promise<RecordStageResult> {
  const { run, version, stage, status, details } = event;
  const stageKey = registryKeys.stage(run.pipeline, version, stage);

  const stageUpdate: Update = { expression: [], names: {}, values: {} };
  set(stageUpdate, 'pipeline', run.pipeline);
  set(stageUpdate, 'version', version);
  set(stageUpdate, 'stage', stage);
  set(stageUpdate, 'status', status);
  set(stageUpdate, 'executionArn', run.executionArn);
  set(stageUpdate, 'details', details);
  set(stageUpdate, 'updatedAt', run.now);
  set(stageUpdate, 'startedAt', run.now, '#startedAt = if_not_exists(#startedAt, :startedAt)');
  if (status !== 'started') set(stageUpdate, 'endedAt', run.now);
  await updateUnlessLater(
    clients.registry,
    new UpdateCommand({
      TableName: event.registryTable,
      Key: stageKey,
      UpdateExpression: `SET ${stageUpdate.expression.join(', ')}`,
      // A stage's start never overwrites its end; the first failure recorded stays (a stop or time-out while
      // the failure path runs must not replace the run's real error).
      ConditionExpression:
        status === 'started' ? 'attribute_not_exists(#status) OR #status = :status' : stage === 'Failed' ? 'attribute_not_exists(#status)' : undefined,
      ExpressionAttributeNames: stageUpdate.names,
      ExpressionAttributeValues: stageUpdate.values,
    }),
  );

  if (event.redistribution) {
    await recordRedistribution(clients.registry, event);
    return { recorded: true, key: stageKey };
  }

  const imageUpdate: Update = { expression: [], names: {}, values: {} };
  set(imageUpdate, 'stage', stage);
  set(imageUpdate, 'stageStatus', status);
  set(imageUpdate, 'updatedAt', run.now);
  set(imageUpdate, 'stageOrder', stageOrder(stage, status));
  const imageStatus = imageStatusAfter(stage, status, details.error);
  if (imageStatus) set(imageUpdate, 'status', imageStatus);
  for (const key of PROMOTED_DETAILS) if (details[key] !== undefined) set(imageUpdate, key, details[key]);
  await updateUnlessLater(
    clients.registry,
    new UpdateCommand({
      TableName: event.registryTable,
      Key: registryKeys.image(run.pipeline, version),
      UpdateExpression: `SET ${imageUpdate.expression.join(', ')}`,
      ConditionExpression: `attribute_not_exists(#stageOrder) OR #stageOrder ${stage === 'Failed' ? '<' : '<='} :stageOrder`,
      ExpressionAttributeNames: imageUpdate.names,
      ExpressionAttributeValues: imageUpdate.values,
    }),
  );

  return { recorded: true, key: stageKey };
}

/**
 * A distributeOnly run of an already approved version: the IMAGE record gains the new artifacts (every region's
 * image, shares, parameters) and `lastRedistribution` (execution, stage, status, time), but keeps the stage and
 * status the original run left — a failed redistribution must not make an approved image look rejected. Only the
 * image's record of an existing version is updated (never created).
 */
async function recordRedistribution(registry: DynamoDBDocumentClient, event: RecordStageEvent): Promise<void> {
  const { run, version, stage, status, details } = event;
  const update: Update = { expression: [], names: {}, values: {} };
  set(update, 'lastRedistribution', { executionArn: run.executionArn, stage, status, at: run.now });
  set(update, 'updatedAt', run.now);
  for (const key of DISTRIBUTION_ARTIFACTS) if (details[key] !== undefined) set(update, key, details[key]);
  update.names['#pk'] = 'pk';
  await updateUnlessLater(
    registry,
    new UpdateCommand({
      TableName: event.registryTable,
      Key: registryKeys.image(run.pipeline, version),
      UpdateExpression: `SET ${update.expression.join(', ')}`,
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: update.names,
      ExpressionAttributeValues: update.values,
    }),
  );
}
