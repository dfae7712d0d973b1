/**
 * Retention, as the lifecycle's last stage and as the RetentionSweep state machine (workflows/retention-sweep.ts):
 * the same chain of retention tasks (tasks/retention/retention.ts) in both.
 *
 *   Plan Retention       retention {plan}     inventory + references in every region and account → plan; the
 *                                             executor's batches and the plan's summary go to the registry
 *                                             → $retention {sweepId, batches, planned, …}
 *   Any Retirements?     Choice: batches > 0 → Retire Batch (from 1); else Report Retention
 *   Retire Batch         retention {execute}  one batch (≤ 60 deregistrations and ≤ 30 deprecations per account
 *                                             and region, ≤ 1,000 in all)  → $retentionBatch = next | null
 *   More Batches?        Choice: next → Pace Retirements (Wait RETENTION_BATCH.waitSeconds, refilling EC2's
 *                                             request buckets) → Retire Batch; else Report Retention
 *   Report Retention     retention {report}   report JSON + Markdown in the registry → $retentionReport
 *
 * History: each batch costs 9 events (Task 5, Choice 2, Wait 2). 100,000 images spread over 20 regions take
 * 100 batches (1,000 a batch), ~900 events; even all 100,000 in one account and region (60 a batch) take 1,667
 * batches, ~15,000 events — under Step Functions' 25,000 (docs/retention.md).
 *
 * In the lifecycle the stage executes at most LIFECYCLE_RETENTION_MAX_BATCHES batches (10,000 actions), so a
 * release stays short and within its execution timeout (which allows an hour for Retention); what is left is the
 * next sweep's, and the report says how much. A Retention failure does not fail the release: the image is already approved, copied,
 * shared and published, and nothing retention does (or fails to do) changes that. Every Retention error is
 * caught: Record Retention Failed (the version's Retention stage item: failed, with the error) → Notify
 * Retention Failed (SNS) → Record Done. The next sweep retries what was not done.
 */
import { Duration } from 'aws-cdk-lib';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { PipelineConfig } from '../../pipeline/config';
import { LIFECYCLE_RETENTION_MAX_BATCHES, RETENTION_BATCH, type RetentionSettings } from '../../tasks/contracts';
import { CAUGHT_CAUSE_EXPRESSION, MAX_CAUSE, invokeTask, notifyTopic, runArgument, type StageContext, type TaskScope } from './common';

/** Where retention looks and what it may do, from the config (embedded at synth). */
export function retentionSettings(config: PipelineConfig): RetentionSettings {
  const roles = new Map<string, string>();
  for (const t of config.launchTemplates) if (!roles.has(t.account)) roles.set(t.account, t.roleName);
  for (const account of config.sharing.accounts) if (!roles.has(account)) roles.set(account, 'GamiLaunchTemplateUpdater');
  return {
    sourceRegion: config.distribution.sourceRegion,
    targetRegions: config.distribution.targetRegions.map((t) => t.region),
    accounts: [...roles].map(([account, roleName]) => ({ account, roleName })).sort((a, b) => (a.account < b.account ? -1 : 1)),
    publishParameter: config.publish?.ssmParameter ?? null,
    keepNewest: config.retention.keepNewest,
    deprecateAfterDays: config.retention.deprecateAfterDays,
    deregisterAfterDays: config.retention.deregisterAfterDays,
    deleteSnapshots: config.retention.deleteSnapshots,
  };
}

export interface RetentionChainOptions extends TaskScope {
  config: PipelineConfig;
  registryTable: string;
  trigger: 'lifecycle' | 'sweep';
  /** JSONata expression (without braces): whether this is a dry run. */
  dryRun: string;
  /** JSONata expression: the lifecycle's version, or null. */
  version: string;
  /** At most this many batches (the rest is the next sweep's); null: all. */
  maxBatches: number | null;
  /** Called with every task state, to route its errors. */
  onError: (state: tasks.LambdaInvoke) => void;
}

/** The chain's first state; `next` follows Report Retention. */
export function retentionChain(options: RetentionChainOptions, next: sfn.IChainable): sfn.State {
  const { scope, config, registryTable } = options;
  const run = runArgument(config.name);
  const plan = invokeTask(
    options,
    'Plan Retention',
    'retention',
    {
      action: 'plan',
      run,
      registryTable,
      trigger: options.trigger,
      dryRun: `{% ${options.dryRun} %}`,
      maxBatches: options.maxBatches,
      settings: retentionSettings(config),
    },
    { assign: { retention: '{% $states.result.Payload %}', retentionBatch: 1 } },
  );
  const execute = invokeTask(
    options,
    'Retire Batch',
    'retention',
    { action: 'execute', run, registryTable, sweepId: '{% $retention.sweepId %}', batch: '{% $retentionBatch %}' },
    { assign: { retentionBatch: '{% $states.result.Payload.next %}' } },
  );
  const report = invokeTask(
    options,
    'Report Retention',
    'retention',
    { action: 'report', run, registryTable, sweepId: '{% $retention.sweepId %}', version: `{% ${options.version} %}` },
    { assign: { retentionReport: '{% $states.result.Payload %}' } },
  );
  for (const state of [plan, execute, report]) options.onError(state);
  report.next(next);

  const pace = sfn.Wait.jsonata(scope, 'Pace Retirements', {
    time: sfn.WaitTime.duration(Duration.seconds(RETENTION_BATCH.waitSeconds)),
    comment: "Refill EC2's request buckets of every account and region the last batch drew from",
  });
  pace.next(execute);
  const more = sfn.Choice.jsonata(scope, 'More Batches?').when(sfn.Condition.jsonata('{% $retentionBatch != null %}'), pace).otherwise(report);
  execute.next(more);
  const any = sfn.Choice.jsonata(scope, 'Any Retirements?').when(sfn.Condition.jsonata('{% $retention.batches > 0 %}'), execute).otherwise(report);
  plan.next(any);
  return plan;
}

/** The lifecycle's Retention stage: the chain, with every error recorded and notified, then `next` (Record Done). */
export function retentionStage(ctx: StageContext, next: sfn.IChainable, topic: sns.ITopic): sfn.State {
  const { config } = ctx;
  const notify = notifyTopic(
    ctx.scope,
    'Notify Retention Failed',
    topic,
    config.name,
    {
      subject: `{% $substring('[${config.name}] Retention failed for version ' & $version, 0, 100) %}`,
      body:
        `{% 'Pipeline ${config.name} version ' & $version & ' was released; its Retention stage failed with ' & $retentionError & ` +
        `'.\\n\\n' & $retentionCause & '\\n\\nThe release is not affected. Retention acts image by image and keeps whatever it could not check; ' & ` +
        `'the next RetentionSweep retries the rest. Report: the registry item RETENTION#lifecycle-' & $states.context.Execution.Name & '.\\n\\nExecution: ' & $states.context.Execution.Id %}`,
      error: 'RetentionFailed',
    },
    next,
  );

  const record = invokeTask(ctx, 'Record Retention Failed', 'retention', {
    action: 'failed',
    run: runArgument(config.name),
    registryTable: ctx.registryTable,
    version: '{% $version %}',
    error: '{% $retentionError %}',
    cause: '{% $retentionCause %}',
  });
  record.addCatch(notify, { errors: ['States.ALL'] });
  record.next(notify);

  const assign = {
    retentionError: '{% $states.errorOutput.Error %}',
    retentionCause: `{% $substring(${CAUGHT_CAUSE_EXPRESSION}, 0, ${MAX_CAUSE}) %}`,
  };
  return retentionChain(
    {
      ...ctx,
      trigger: 'lifecycle',
      dryRun: String(config.retention.dryRun),
      version: '$version',
      maxBatches: LIFECYCLE_RETENTION_MAX_BATCHES,
      onError: (state) => {
        state.addCatch(record, { errors: ['States.DataLimitExceeded'], assign });
        state.addCatch(record, { errors: ['States.ALL'], assign });
      },
    },
    next,
  );
}
