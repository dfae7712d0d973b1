/**
 * The retention task, four actions (the lifecycle's Retention stage and the RetentionSweep state machine run
 * the same chain: plan → execute each batch, waiting between batches → report; `failed` records a Retention
 * stage that failed without failing the release):
 *
 *   plan     collect the inventory and references (collect.ts), plan (plan.ts), store the executor's batches
 *            (RETENTION#<sweep>#BATCH#<n>) and the plan's summary (RETENTION#<sweep>) in the registry; return
 *            counts only, so nothing the size of the inventory ever passes through the state machine.
 *   execute  one batch (execute.ts); its results stored on its item. A batch that already has results is
 *            not executed again (a retried invocation).
 *   report   the report as JSON and Markdown on RETENTION#<sweep>; IMAGE records of versions now retired or
 *            deprecated get that status; the lifecycle's own version gets its Retention stage item. Throws
 *            RetentionFailed (after writing the report) when any image action failed.
 *   failed   the lifecycle's Retention stage item marked failed with the error (the image's status untouched).
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { registryKeys } from '../../pipeline/registry';
import { hasErrorName } from '../common/aws-errors';
import type {
  RetentionEvent,
  RetentionSettings,
  retentionExecuteResultSchema,
  retentionFailedResultSchema,
  retentionPlanResultSchema,
  retentionReportResultSchema,
} from '../contracts';
import { RetentionFailed } from '../errors';
import { actionsOf, toBatches, type ActionResult, type RetentionAction } from './batches';
import { collect, type CollectDeps } from './collect';
import type { ExecuteDeps } from './execute';
import { executeBatch } from './execute';
import type { RetentionPolicy } from './model';
import { planRetention } from './plan';
import { finishReport, renderMarkdown, summarizePlan, summaryLines, type ReportBase } from './report';

export interface RetentionDeps {
  registry: DynamoDBDocumentClient;
  collect: CollectDeps;
  execute: ExecuteDeps;
}

type PlanEvent = Extract<RetentionEvent, { action: 'plan' }>;
type ExecuteEvent = Extract<RetentionEvent, { action: 'execute' }>;
type ReportEvent = Extract<RetentionEvent, { action: 'report' }>;
type FailedEvent = Extract<RetentionEvent, { action: 'failed' }>;

interface BatchItem {
  actions: RetentionAction[];
  of: number;
  deleteSnapshots: boolean;
  results?: ActionResult[];
}

/** The account an execution runs in: the tooling account, owner of every image of the pipeline. */
export const accountOf = (executionArn: string): string => executionArn.split(':')[4] ?? '';

export const sweepIdOf = (event: PlanEvent): string => `${event.trigger}-${event.run.executionName}`;

/** The planner's policy from the stage's settings (rejected images: 7 days, never longer than approved ones). */
export function retentionPolicy(settings: RetentionSettings): RetentionPolicy {
  return {
    keepNewest: settings.keepNewest,
    deprecateAfterDays: settings.deprecateAfterDays,
    deregisterAfterDays: settings.deregisterAfterDays,
    deleteSnapshots: settings.deleteSnapshots,
    rejectedRetentionDays: Math.min(settings.rejectedRetentionDays ?? 7, settings.deregisterAfterDays),
  };
}

export async function planAction(deps: RetentionDeps, event: PlanEvent): Promise<z.output<typeof retentionPlanResultSchema>> {
  const { run, settings } = event;
  const sweepId = sweepIdOf(event);
  const collected = await collect(deps.collect, { pipeline: run.pipeline, account: accountOf(run.executionArn), settings, now: run.now });
  const plan = planRetention({
    policy: retentionPolicy(settings),
    now: run.now,
    currentVersion: collected.currentVersion,
    inventory: collected.inventory,
    references: collected.references,
    scopes: collected.scopes,
  });
  const actions = actionsOf(plan, collected.inventory);
  const all = event.dryRun ? [] : toBatches(actions);
  const batches = event.maxBatches !== null ? all.slice(0, event.maxBatches) : all;
  const deferred = all.slice(batches.length).reduce((n, b) => n + b.length, 0);
  for (const [i, batch] of batches.entries()) {
    await deps.registry.send(
      new PutCommand({
        TableName: event.registryTable,
        Item: { ...registryKeys.retentionBatch(run.pipeline, sweepId, i + 1), actions: batch, of: batches.length, deleteSnapshots: settings.deleteSnapshots },
      }),
    );
  }
  const base = summarizePlan(
    plan,
    { pipeline: run.pipeline, sweepId, trigger: event.trigger, dryRun: event.dryRun, compliance: collected.compliance, describeImagesCalls: collected.describeImagesCalls },
    actions,
    batches.length,
    deferred,
  );
  await deps.registry.send(
    new PutCommand({
      TableName: event.registryTable,
      Item: { ...registryKeys.retention(run.pipeline, sweepId), kind: 'retention', status: 'planned', execution: run.executionArn, plannedAt: run.now, base },
    }),
  );
  return {
    sweepId,
    dryRun: event.dryRun,
    batches: batches.length,
    planned: base.planned,
    deferred,
    images: base.images,
    unreadableScopes: base.unreadableScopes.length,
    describeImagesCalls: Object.values(collected.describeImagesCalls).reduce((a, b) => a + b, 0),
  };
}

export async function executeAction(deps: RetentionDeps, event: ExecuteEvent): Promise<z.output<typeof retentionExecuteResultSchema>> {
  const key = registryKeys.retentionBatch(event.run.pipeline, event.sweepId, event.batch);
  const got = await deps.registry.send(new GetCommand({ TableName: event.registryTable, Key: key, ConsistentRead: true }));
  const item = got.Item as BatchItem | undefined;
  if (!item) throw new RetentionFailed(`retention batch ${event.batch} of ${event.sweepId} is not in the registry`);
  const results = item.results ?? (await executeBatch(deps.execute, item.actions, event.run.now, item.deleteSnapshots));
  if (!item.results) {
    await deps.registry.send(
      new UpdateCommand({
        TableName: event.registryTable,
        Key: key,
        UpdateExpression: 'SET #results = :results, #executedAt = :now',
        ExpressionAttributeNames: { '#results': 'results', '#executedAt': 'executedAt' },
        ExpressionAttributeValues: { ':results': results, ':now': event.run.now },
      }),
    );
  }
  const count = (kind: string) => results.filter((r) => r.kind === kind && r.outcome !== 'failed').length;
  return {
    batch: event.batch,
    next: event.batch < item.of ? event.batch + 1 : null,
    deprecated: count('deprecate'),
    deregistered: count('deregister'),
    failed: results.filter((r) => r.outcome === 'failed').length,
  };
}

async function batchItems(deps: RetentionDeps, table: string, pipeline: string, sweepId: string): Promise<BatchItem[]> {
  const items: BatchItem[] = [];
  let start: Record<string, unknown> | undefined;
  const prefix = registryKeys.retentionBatch(pipeline, sweepId, 0).sk.replace(/0+$/, '');
  do {
    const page = await deps.registry.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `PIPELINE#${pipeline}`, ':prefix': prefix },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    items.push(...((page.Items ?? []) as BatchItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Set an IMAGE record's status after retention, when the record exists (seeded or foreign images have none). */
async function markVersion(deps: RetentionDeps, table: string, pipeline: string, version: number, status: 'retired' | 'deprecated', sweepId: string, now: string) {
  try {
    await deps.registry.send(
      new UpdateCommand({
        TableName: table,
        Key: registryKeys.image(pipeline, version),
        UpdateExpression: 'SET #status = :status, #retention = :retention',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#status) OR #status <> :retired)',
        ExpressionAttributeNames: { '#status': 'status', '#retention': 'retention' },
        ExpressionAttributeValues: { ':status': status, ':retired': 'retired', ':retention': { status, sweepId, at: now } },
      }),
    );
  } catch (error) {
    if (!hasErrorName(error, 'ConditionalCheckFailedException')) throw error;
  }
}

async function recordStageItem(deps: RetentionDeps, table: string, run: ReportEvent['run'], version: number, status: 'succeeded' | 'failed', details: Record<string, unknown>) {
  await deps.registry.send(
    new UpdateCommand({
      TableName: table,
      Key: registryKeys.stage(run.pipeline, version, 'Retention'),
      UpdateExpression: 'SET #pipeline = :pipeline, #version = :version, #stage = :stage, #status = :status, #details = :details, #execution = :execution, #endedAt = :now, #startedAt = if_not_exists(#startedAt, :now)',
      ExpressionAttributeNames: {
        '#pipeline': 'pipeline', '#version': 'version', '#stage': 'stage', '#status': 'status', '#details': 'details',
        '#execution': 'execution', '#endedAt': 'endedAt', '#startedAt': 'startedAt',
      },
      ExpressionAttributeValues: {
        ':pipeline': run.pipeline, ':version': version, ':stage': 'Retention', ':status': status, ':details': details,
        ':execution': run.executionArn, ':now': run.now,
      },
    }),
  );
}

export async function reportAction(deps: RetentionDeps, event: ReportEvent): Promise<z.output<typeof retentionReportResultSchema>> {
  const { run } = event;
  const key = registryKeys.retention(run.pipeline, event.sweepId);
  const got = await deps.registry.send(new GetCommand({ TableName: event.registryTable, Key: key, ConsistentRead: true }));
  // A retried report finds the summary inside the report it wrote.
  const base = (got.Item?.base ?? got.Item?.report) as ReportBase | undefined;
  if (!base) throw new RetentionFailed(`retention ${event.sweepId} has no plan in the registry`);
  const done = (await batchItems(deps, event.registryTable, run.pipeline, event.sweepId)).flatMap((b) =>
    b.actions.map((action, i) => ({ action, result: b.results?.[i] ?? { imageId: action.imageId, region: action.region, kind: action.kind, outcome: 'failed' as const, error: 'not executed', snapshotsDeleted: [], snapshotsLeft: [] } })),
  );
  const report = finishReport(base, done);
  const markdown = renderMarkdown(report);
  await deps.registry.send(
    new UpdateCommand({
      TableName: event.registryTable,
      Key: key,
      // The report holds all of the plan's summary: the summary goes, so the item stays within 400 KB.
      UpdateExpression: 'SET #status = :status, #report = :report, #markdown = :markdown, #reportedAt = :now REMOVE #base',
      ExpressionAttributeNames: { '#status': 'status', '#report': 'report', '#markdown': 'markdown', '#reportedAt': 'reportedAt', '#base': 'base' },
      ExpressionAttributeValues: { ':status': report.failed > 0 ? 'failed' : 'reported', ':report': report, ':markdown': markdown, ':now': run.now },
    }),
  );
  if (!report.dryRun) {
    const touched = new Map<string, 'retired' | 'deprecated'>();
    for (const { action, result } of done) {
      if (result.outcome === 'failed') continue;
      if (action.kind === 'deprecate' && !touched.has(action.version)) touched.set(action.version, 'deprecated');
    }
    for (const v of report.versions) if (v.retired && v.deregistered > 0) touched.set(v.version, 'retired');
    for (const [version, status] of touched) {
      if (/^\d+$/.test(version)) await markVersion(deps, event.registryTable, run.pipeline, Number(version), status, event.sweepId, run.now);
    }
  }
  const summary = {
    sweepId: event.sweepId,
    key,
    dryRun: report.dryRun,
    done: report.done,
    failed: report.failed,
    unreadableScopes: report.unreadableScopes.map((s) => `${s.account} ${s.region}: ${s.reason}`),
    complianceIssues: report.compliance.count,
    lines: summaryLines(report),
  };
  if (event.version !== null) {
    await recordStageItem(deps, event.registryTable, run, event.version, report.failed > 0 ? 'failed' : 'succeeded', {
      sweepId: event.sweepId,
      report: key,
      done: report.done,
      failed: report.failed,
      unreadableScopes: summary.unreadableScopes,
    });
  }
  if (report.failed > 0) {
    throw new RetentionFailed(`${report.failed} retention action(s) failed (report ${key.sk}): ${report.failures.slice(0, 5).join('; ')}`);
  }
  return summary;
}

export async function failedAction(deps: RetentionDeps, event: FailedEvent): Promise<z.output<typeof retentionFailedResultSchema>> {
  if (event.version === null) return { recorded: false };
  await recordStageItem(deps, event.registryTable, event.run, event.version, 'failed', { error: event.error, cause: event.cause.slice(0, 4000) });
  return { recorded: true };
}

export function retention(deps: RetentionDeps, event: RetentionEvent): Promise<object> {
  switch (event.action) {
    case 'plan':
      return planAction(deps, event);
    case 'execute':
      return executeAction(deps, event);
    case 'report':
      return reportAction(deps, event);
    case 'failed':
      return failedAction(deps, event);
  }
}
