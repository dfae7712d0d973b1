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
export const PROMOTED_DETAILS = ['imageId', 'snapshotIds', 'error', 'cause'] as const;

/** The image's lifecycle status after `stage` reached `status`; undefined leaves it as it is. */
export function imageStatusAfter(stage: Stage, status: RecordStageEvent['status']): ImageStatus | undefined {
  if (status === 'failed' || stage === 'Failed') return 'rejected';
  if (stage === 'Prepare' || (stage === 'Bake' && status === 'started')) return 'building';
  if (stage === 'Bake' || stage === 'Test' || stage === 'ScanGate') return 'testing';
  // Mark Approved has tagged the image and every copy approved just before this record.
  if (stage === 'LaunchTemplates' && status === 'succeeded') return 'approved';
  return undefined;
}

/**
 * Position of a stage event in a run: Prepare started (0), succeeded (1) … LaunchTemplates (8, 9), Done (10, 11), Failed (12, 13) last. prepare writes the
 * IMAGE record at 0; the record only ever moves forward.
 */
export function stageOrder(stage: Stage, status: RecordStageEvent['status']): number {
  return STAGE_ORDER.indexOf(stage) * 2 + (status === 'started' ? 0 : 1);
}
const STAGE_ORDER: readonly Stage[] = ['Prepare', 'Bake', 'Test', 'ScanGate', 'LaunchTemplates', 'Done', 'Failed'];

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

  const imageUpdate: Update = { expression: [], names: {}, values: {} };
  set(imageUpdate, 'stage', stage);
  set(imageUpdate, 'stageStatus', status);
  set(imageUpdate, 'updatedAt', run.now);
  set(imageUpdate, 'stageOrder', stageOrder(stage, status));
  const imageStatus = imageStatusAfter(stage, status);
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
