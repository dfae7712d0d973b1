/**
 * recordStage: write a stage's record to the registry, the auditor's view of a run. Two writes:
 *   STAGE item  PIPELINE#<name> / IMAGE#<v>#STAGE#<Stage>: status, details, startedAt (kept from the first
 *               write), endedAt (when it succeeded or failed), execution.
 *   IMAGE item  PIPELINE#<name> / IMAGE#<v>: current stage and stage status, the image's lifecycle status
 *               (building → testing → rejected …), and the artifacts worth finding without reading stages
 *               (imageId, snapshotIds, error, cause).
 * Both are UpdateItem with SET only, so recording the same event twice leaves the same items.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
  return undefined;
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
  await clients.registry.send(
    new UpdateCommand({
      TableName: event.registryTable,
      Key: stageKey,
      UpdateExpression: `SET ${stageUpdate.expression.join(', ')}`,
      ExpressionAttributeNames: stageUpdate.names,
      ExpressionAttributeValues: stageUpdate.values,
    }),
  );

  const imageUpdate: Update = { expression: [], names: {}, values: {} };
  set(imageUpdate, 'stage', stage);
  set(imageUpdate, 'stageStatus', status);
  set(imageUpdate, 'updatedAt', run.now);
  const imageStatus = imageStatusAfter(stage, status);
  if (imageStatus) set(imageUpdate, 'status', imageStatus);
  for (const key of PROMOTED_DETAILS) if (details[key] !== undefined) set(imageUpdate, key, details[key]);
  await clients.registry.send(
    new UpdateCommand({
      TableName: event.registryTable,
      Key: registryKeys.image(run.pipeline, version),
      UpdateExpression: `SET ${imageUpdate.expression.join(', ')}`,
      ExpressionAttributeNames: imageUpdate.names,
      ExpressionAttributeValues: imageUpdate.values,
    }),
  );

  return { recorded: true, key: stageKey };
}
