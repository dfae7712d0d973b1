/**
 * The registry's record of what a run changed on each launch template (PIPELINE#<name> / IMAGE#<v>#TEMPLATE#…):
 * written BEFORE the template is touched, with its previous default version, then completed with the new version
 * and each instance refresh as they happen. Whoever must undo the run — the stage's own rollback, or the
 * status-change clean-up of an execution that was stopped mid-stage — reads only this, so an interruption at any
 * point leaves enough to set every template back.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { registryKeys, templatePrefix } from '../../pipeline/registry';
import type { AssumedRole, RefreshRef, RunContext } from '../contracts';
import { hasErrorName } from './aws-errors';

export type TemplateChangeState = 'changing' | 'changed' | 'rolled-back';

export interface TemplateChangeItem extends AssumedRole {
  pk: string;
  sk: string;
  executionArn: string;
  pipeline: string;
  version: number;
  launchTemplateId: string;
  launchTemplateName: string;
  previousDefaultVersion: number;
  /** Set once CreateLaunchTemplateVersion answered; before the default is changed. */
  newVersion?: number;
  imageId: string;
  setDefault: boolean;
  /** The groups the run refreshes: a rollback also cancels a refresh whose start was not recorded (a crash). */
  autoScalingGroups?: string[];
  refreshes: RefreshRef[];
  state: TemplateChangeState;
  recordedAt: string;
  rolledBackAt?: string;
  /** What the rollback did, one line. */
  rollback?: string;
}

/** A readable name of a template target: "web-prod (222222222222/eu-west-1)". */
export function templateLabel(t: { launchTemplateName?: string; launchTemplateId?: string; account: string; region: string }): string {
  return `${t.launchTemplateName ?? t.launchTemplateId} (${t.account}/${t.region})`;
}

/**
 * Record the intent to change a template, keeping the first record when there is one (a retried task must not
 * take the default it set itself for the previous one). Returns the record in force.
 */
export async function recordIntent(
  registry: DynamoDBDocumentClient,
  table: string,
  item: Omit<TemplateChangeItem, 'pk' | 'sk' | 'refreshes' | 'state'>,
): Promise<TemplateChangeItem> {
  const key = registryKeys.template(item.pipeline, item.version, item.account, item.region, item.launchTemplateId);
  const fresh: TemplateChangeItem = { ...key, ...item, refreshes: [], state: 'changing' };
  try {
    await registry.send(new PutCommand({ TableName: table, Item: fresh, ConditionExpression: 'attribute_not_exists(sk)' }));
    return fresh;
  } catch (error) {
    if (!hasErrorName(error, 'ConditionalCheckFailedException')) throw error;
  }
  const existing = (await registry.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item as TemplateChangeItem | undefined;
  if (!existing) throw new Error(`registry item ${key.sk} vanished between a failed conditional put and its read`);
  return existing;
}

/** Set fields of a template's record. */
export async function updateChange(
  registry: DynamoDBDocumentClient,
  table: string,
  item: Pick<TemplateChangeItem, 'pk' | 'sk'>,
  fields: Partial<Omit<TemplateChangeItem, 'pk' | 'sk'>>,
): Promise<void> {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return;
  await registry.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: item.pk, sk: item.sk },
      UpdateExpression: `SET ${entries.map(([k]) => `#${k} = :${k}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(entries.map(([k]) => [`#${k}`, k])),
      ExpressionAttributeValues: Object.fromEntries(entries.map(([k, v]) => [`:${k}`, v])),
    }),
  );
}

/** Every template record of `version` written by this run's execution. */
export async function runChanges(registry: DynamoDBDocumentClient, table: string, run: RunContext, version: number): Promise<TemplateChangeItem[]> {
  const items: TemplateChangeItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await registry.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': registryKeys.image(run.pipeline, version).pk, ':prefix': templatePrefix(version) },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((page.Items ?? []) as TemplateChangeItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.filter((i) => i.executionArn === run.executionArn && typeof i.sk === 'string' && i.sk.startsWith(templatePrefix(version)));
}
