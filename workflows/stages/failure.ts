/**
 * The failure path every stage's Catch leads to. Four independent clean-up actions, each its own state with
 * its own retries on *any* error, so that one that keeps failing never stops the others:
 *
 *   Reject Run Images        cleanup {action: images}     tag the run's images rejected, deprecate them
 *   Restore Published Parameters  publishImage {restore: $parameters}  (when the pipeline publishes) every
 *                                                         latest-image parameter the run published and that still
 *                                                         holds its image goes back to the image it held before
 *   Terminate Run Instances  cleanup {action: instances}  terminate every live instance of the execution
 *   Deregister Run Copies    cleanup {action: copies}     deregister the run's copies in every target region,
 *                                                         with their snapshots (speculative ones included)
 *   Mark Record Failed       cleanup {action: record}     the registry record terminal (rejected, Failed),
 *                                                         with what could not be cleaned; found by execution
 *                                                         when Prepare's result was lost
 *   Notify Failure           SNS: the stage, the error, its cause, and every id that could not be cleaned
 *   Failed                   Fail: Error = one of EXECUTION_ERRORS, Cause = its detail
 *
 * An action whose retries run out is caught: its error (CleanupIncomplete names every id left) is assigned and
 * the path goes on. Executions that end ABORTED or TIMED_OUT run no Catch; the stack's EventBridge rule sends
 * them to the same cleanup function (infra/pipeline-stack.ts).
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../../pipeline/config';
import type { CleanupAction } from '../../tasks/contracts';
import { crossAccountExternalId } from '../../pipeline/cross-account';
import { CAUGHT_CAUSE_EXPRESSION, invokeTask, notifyTopic, runArgument, runExpression, type TaskFunctions, type TaskScope } from './common';

/** Attempts of each clean-up action, on any error, before the path goes on without it (~2.5 minutes). */
export const CLEANUP_ATTEMPTS = 5;

/** The variable an action's outcome is assigned to: its result, or {error, cause} when it gave up. */
const outcomeVariable = (action: CleanupAction) => `cleanup${action[0].toUpperCase()}${action.slice(1)}`;

/** What could not be cleaned, from the outcomes, as the contract's notCleaned shape. */
const NOT_CLEANED =
  "{'instances': $cleanupInstances.error ? [$cleanupInstances.error & ': ' & $cleanupInstances.cause] : [], " +
  "'images': $cleanupImages.error ? [$cleanupImages.error & ': ' & $cleanupImages.cause] : [], " +
  "'copies': $cleanupCopies.error ? [$cleanupCopies.error & ': ' & $cleanupCopies.cause] : []}";

export function failureStage(scope: Construct, config: PipelineConfig, functions: TaskFunctions, registryTable: string, topic: sns.ITopic): sfn.State {
  const ctx: TaskScope = { scope, functions };

  const fail = sfn.Fail.jsonata(scope, 'Failed', { error: '{% $error %}', cause: '{% $cause %}' });

  // When an action gave up (its function kept failing), name what the state machine itself knows: the run's
  // image and the instances it launched, so a person can act even if the clean-up function never ran.
  const notCleanedLines =
    "$append($append($append(" +
    "$cleanupImages.error ? ['Images (' & ($imageId ? $imageId & ', and ' : '') & 'any tagged with this execution): ' & $cleanupImages.cause] : [], " +
    "$cleanupInstances.error ? ['Instances (' & ($count([$builderId, $testInstanceId]) > 0 ? $join([$builderId, $testInstanceId], ', ') & ', and ' : '') & 'any tagged with this execution): ' & $cleanupInstances.cause] : []), " +
    "$cleanupCopies.error ? ['Copies in target regions (' & ($count($regionImages[region != '" + config.distribution.sourceRegion + "']) > 0 ? $join($regionImages[region != '" + config.distribution.sourceRegion + "'].(imageId & ' in ' & region), ', ') & ', and ' : '') & 'any tagged with this execution), with their snapshots: ' & $cleanupCopies.cause] : []), " +
    "$cleanupRecord.error ? ['Registry record' & ($version ? ' of version ' & $version : '') & ' not marked failed: ' & $cleanupRecord.cause] : [])";
  // The latest-image parameters (when the pipeline publishes): still at this run's image if the restore gave up.
  const parametersLeft =
    "$cleanupParameters.error ? ['Latest-image parameters still at the image of this run (' & $join($parameters.(account & ' ' & region & ' ' & name), ', ') & '): ' & $cleanupParameters.cause] : []";
  const cleanedLines =
    "'Clean-up: rejected and deprecated ' & ($count($cleanupImages.rejectedImageIds) > 0 ? $join($cleanupImages.rejectedImageIds, ', ') : 'no images') & " +
    "'; terminated ' & ($count($cleanupInstances.terminated) > 0 ? $join($cleanupInstances.terminated, ', ') : 'no instances') & " +
    "'; deregistered ' & ($count($cleanupCopies.deregistered) > 0 ? 'copies ' & $join($cleanupCopies.deregistered, ', ') & ' with their snapshots' : 'no copies') & '.'";
  const notify = notifyTopic(
    scope,
    'Notify Failure',
    topic,
    config.name,
    {
      subject: `{% $substring('[${config.name}] ' & $error & ' in ' & $failedStage, 0, 100) %}`,
      body:
        `{% ($left := $append(${notCleanedLines}, ${config.publish ? parametersLeft : '[]'}); 'Pipeline ${config.name}' & ($version ? ' version ' & $version : '') & ' failed in stage ' & $failedStage & ' with ' & $error & '.\\n\\n' & $cause & ` +
        `'\\n\\n' & ${cleanedLines} & ` +
        `($count($left) > 0 ? '\\nNOT CLEANED (act on these):\\n- ' & $join($left, '\\n- ') : '\\nNothing was left behind.') & ` +
        `'\\n\\nExecution: ' & $states.context.Execution.Id) %}`,
      error: '{% $error %}',
    },
    fail,
    CLEANUP_ATTEMPTS,
  );

  const action = (name: string, cleanupAction: CleanupAction, extra: Record<string, string> = {}) => {
    const variable = outcomeVariable(cleanupAction);
    const payload =
      `{% $merge([{'run': ${runExpression(config.name)}, 'action': '${cleanupAction}', 'imageId': $imageId, 'version': $version, ` +
      `'registryTable': '${registryTable}', 'stage': $failedStage, 'error': $error, 'cause': $cause}` +
      `${Object.entries(extra).map(([k, v]) => `, {'${k}': ${v}}`).join('')}]) %}`;
    const state = invokeTask(ctx, name, 'cleanup', payload, { assign: { [variable]: '{% $states.result.Payload %}' } });
    // On any error, crashes and time-outs included: every action is idempotent.
    state.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(5), maxAttempts: CLEANUP_ATTEMPTS, backoffRate: 2, maxDelay: Duration.seconds(60), jitterStrategy: sfn.JitterType.FULL });
    return state;
  };
  const record = action('Mark Record Failed', 'record', { notCleaned: NOT_CLEANED, redistribution: '$redistribute' });
  const copyRegions = JSON.stringify(config.distribution.targetRegions.map((t) => t.region)).replace(/"/g, "'");
  const copies = action('Deregister Run Copies', 'copies', { copyRegions, regionImages: '$regionImages' });
  const instances = action('Terminate Run Instances', 'instances');
  const images = action('Reject Run Images', 'images');
  const gaveUp = (variable: string) => ({
    [variable]: `{% {'error': $states.errorOutput.Error, 'cause': $substring(${CAUGHT_CAUSE_EXPRESSION}, 0, 2000)} %}`,
  });

  record.addCatch(notify, { errors: ['States.ALL'], assign: gaveUp(outcomeVariable('record')) });
  record.next(notify);
  copies.addCatch(record, { errors: ['States.ALL'], assign: gaveUp(outcomeVariable('copies')) });
  copies.next(record);
  instances.addCatch(copies, { errors: ['States.ALL'], assign: gaveUp(outcomeVariable('instances')) });
  instances.next(copies);
  if (!config.publish) {
    images.addCatch(instances, { errors: ['States.ALL'], assign: gaveUp(outcomeVariable('images')) });
    images.next(instances);
    return images;
  }

  // Right after the images are rejected: consumers resolving the latest golden image must not get a rejected one.
  const restore = invokeTask(
    ctx,
    'Restore Published Parameters',
    'publishImage',
    {
      run: runArgument(config.name),
      parameterName: config.publish.ssmParameter,
      regionImages: [],
      accounts: config.publish.accounts.map(({ account, roleName }) => ({ account, roleName })),
      externalId: crossAccountExternalId(config.name),
      version: '{% $version ? $version : 0 %}',
      restore: '{% $parameters ? $parameters : [] %}',
    },
    { assign: { cleanupParameters: '{% $states.result.Payload %}' } },
  );
  restore.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(5), maxAttempts: CLEANUP_ATTEMPTS, backoffRate: 2, maxDelay: Duration.seconds(60), jitterStrategy: sfn.JitterType.FULL });
  restore.addCatch(instances, { errors: ['States.ALL'], assign: gaveUp('cleanupParameters') });
  restore.next(instances);
  images.addCatch(restore, { errors: ['States.ALL'], assign: gaveUp(outcomeVariable('images')) });
  images.next(restore);
  return images;
}
