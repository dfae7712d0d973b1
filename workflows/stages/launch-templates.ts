/**
 * UpdateLaunchTemplates: every configured launch template gets the run's image — all of them or none — and then the
 * image and every copy are marked approved.
 *
 *   Record LaunchTemplates Started   ($regionImages: the source image and every copy, from Distribute)
 *   Update Launch Templates   updateLaunchTemplates {targets, regionImages} → {templates, refreshes, refreshDeadline}
 *                             (per target: previous default recorded in the registry, new version, default, refresh)
 *   Refreshes Started?        none → Mark Approved
 *   Wait For Instance Refreshes / Check Instance Refreshes
 *                             checkInstanceRefreshes {refreshes, deadline} → {done}; back-off 60 s doubling to 5 min;
 *                             bounded by the deadline (the longest refreshTimeoutMinutes), then LaunchTemplateUpdateFailed
 *   Mark Approved             markApproved {regionImages, watermarkName: pipeline} → image + copies watermarked,
 *                             protected from deregistration, tagged gami:status=approved
 *   Record LaunchTemplates    recordStage succeeded
 *
 * Any error of Update, Check or Mark Approved (after their retries) → Roll Back Launch Templates (rollbackLaunchTemplates: every
 * template the run changed back to its previous default, running refreshes cancelled; retried on any error) → the
 * failure path with LaunchTemplateUpdateFailed, whose cause says what failed and what was rolled back. A rollback
 * that cannot finish still fails the run with LaunchTemplateUpdateFailed, its cause naming what is left. An execution
 * stopped mid-stage runs no Catch: the status-change clean-up (tasks/cleanup) rolls back from the same registry records.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { LaunchTemplateTarget } from '../../tasks/contracts';
import { CAUGHT_CAUSE_EXPRESSION, invokeTask, MAX_CAUSE, recordStage, runArgument, type StageContext } from './common';

const STAGE = 'LaunchTemplates';
export const REFRESH_FIRST_WAIT_SECONDS = 60;
export const REFRESH_MAX_WAIT_SECONDS = 300;

/** The configured targets as the task's contract has them (embedded at synth time). */
export function launchTemplateTargets(ctx: StageContext): LaunchTemplateTarget[] {
  return ctx.config.launchTemplates.map((t) => ({
    account: t.account,
    region: t.region,
    roleName: t.roleName,
    externalId: t.externalId,
    ...(t.launchTemplateId ? { launchTemplateId: t.launchTemplateId } : {}),
    ...(t.launchTemplateName ? { launchTemplateName: t.launchTemplateName } : {}),
    setDefault: t.setDefault,
    autoScalingGroups: t.autoScalingGroups,
    minHealthyPercentage: t.minHealthyPercentage,
    skipMatching: t.skipMatching,
    refreshTimeoutMinutes: t.refreshTimeoutMinutes,
  }));
}

/** Longest wait of the stage: the refreshes' deadline plus one back-off step. */
export function launchTemplatesWait(ctx: Pick<StageContext, 'config'>): Duration {
  const minutes = Math.max(0, ...ctx.config.launchTemplates.filter((t) => t.autoScalingGroups.length > 0).map((t) => t.refreshTimeoutMinutes));
  return Duration.minutes(minutes === 0 ? 0 : minutes + REFRESH_MAX_WAIT_SECONDS / 60);
}

export function launchTemplatesStage(ctx: StageContext, next: sfn.IChainable): sfn.State {
  const { config } = ctx;
  const run = runArgument(config.name);

  const record = recordStage(
    ctx,
    'Record LaunchTemplates',
    STAGE,
    'succeeded',
    "{% {'templates': $launchTemplates.templates, 'superseded': $launchTemplates.superseded, 'refreshes': $launchTemplates.refreshes, 'approved': $approved.approved} %}",
  );
  record.next(next);

  const markApproved = invokeTask(ctx, 'Mark Approved', 'markApproved', { run, regionImages: '{% $regionImages %}', watermarkName: config.name }, {
    assign: { approved: '{% $states.result.Payload %}' },
  });
  markApproved.next(record);

  // The failure side: roll back, then the failure path with LaunchTemplateUpdateFailed.
  const failed = (name: string, cause: string) => {
    const pass = sfn.Pass.jsonata(ctx.scope, name, { assign: { failedStage: STAGE, error: 'LaunchTemplateUpdateFailed', cause: `{% $substring(${cause}, 0, ${MAX_CAUSE}) %}` } });
    pass.next(ctx.failure);
    return pass;
  };
  const rolledBack = failed(
    'Launch Templates Rolled Back',
    "$templateCause & '. Rolled back: ' & ($count($rollback.rolledBack) > 0 ? $join($rollback.rolledBack, '; ') : 'no template had been changed') & " +
      "($count($rollback.cancelledRefreshes) > 0 ? '; ' & $join($rollback.cancelledRefreshes, '; ') : '') & '.'",
  );
  const rollbackIncomplete = failed('Launch Template Rollback Incomplete', `$templateCause & '. ROLLBACK INCOMPLETE (act on these): ' & (${CAUGHT_CAUSE_EXPRESSION})`);
  const rollback = invokeTask(ctx, 'Roll Back Launch Templates', 'rollbackLaunchTemplates', {
    run,
    registryTable: ctx.registryTable,
    version: '{% $version %}',
  }, { assign: { rollback: '{% $states.result.Payload %}' } });
  // On any error: every step of a rollback is idempotent, and giving up early leaves fleets half-updated.
  rollback.addRetry({
    errors: ['States.ALL'],
    interval: Duration.seconds(5),
    maxAttempts: 5,
    backoffRate: 2,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  rollback.addCatch(rollbackIncomplete, { errors: ['States.ALL'] });
  rollback.next(rolledBack);
  const toRollback = (state: tasks.LambdaInvoke) => {
    const assign = { templateCause: `{% $states.errorOutput.Error & ': ' & (${CAUGHT_CAUSE_EXPRESSION}) %}` };
    state.addCatch(rollback, { errors: ['States.DataLimitExceeded'], assign });
    state.addCatch(rollback, { errors: ['States.ALL'], assign });
  };

  const wait = sfn.Wait.jsonata(ctx.scope, 'Wait For Instance Refreshes', { time: sfn.WaitTime.seconds('{% $refreshWait %}') });
  const check = invokeTask(ctx, 'Check Instance Refreshes', 'checkInstanceRefreshes', {
    run,
    refreshes: '{% $launchTemplates.refreshes %}',
    deadline: '{% $launchTemplates.refreshDeadline %}',
  }, { assign: { refreshesDone: '{% $states.result.Payload.done %}' } });
  toRollback(check);
  const backOff = sfn.Pass.jsonata(ctx.scope, 'Back Off Refresh Wait', { assign: { refreshWait: `{% $min([$refreshWait * 2, ${REFRESH_MAX_WAIT_SECONDS}]) %}` } });
  backOff.next(wait);
  wait.next(check);
  check.next(sfn.Choice.jsonata(ctx.scope, 'Instance Refreshes Done?').when(sfn.Condition.jsonata('{% $refreshesDone %}'), markApproved).otherwise(backOff));

  const started = sfn.Choice.jsonata(ctx.scope, 'Instance Refreshes Started?')
    .when(sfn.Condition.jsonata('{% $count($launchTemplates.refreshes) > 0 %}'), wait)
    .otherwise(markApproved);
  const update = invokeTask(ctx, 'Update Launch Templates', 'updateLaunchTemplates', {
    run,
    registryTable: ctx.registryTable,
    version: '{% $version %}',
    targets: launchTemplateTargets(ctx),
    regionImages: '{% $regionImages %}',
  }, { assign: { launchTemplates: '{% $states.result.Payload %}', refreshWait: REFRESH_FIRST_WAIT_SECONDS } });
  toRollback(update);
  update.next(started);
  // The templates already point at the image: if it cannot be approved, they go back too (the failure path then
  // rejects the image, which it could not do to templates still launching it).
  toRollback(markApproved);

  const recordStarted = recordStage(ctx, 'Record LaunchTemplates Started', STAGE, 'started', `{% {'targets': ${ctx.config.launchTemplates.length}, 'regionImages': $regionImages} %}`);
  recordStarted.next(ctx.config.launchTemplates.length > 0 ? update : markApproved);

  return recordStarted;
}
