/**
 * The failure path every stage's Catch leads to: Clean Up (terminate this run's instances; tag the image
 * rejected and deprecate it at once), record the failure, notify, and fail with the stage's named error.
 * Clean-up and recording failures do not stop the notification and the Fail: the original error wins.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../../pipeline/config';
import { invokeTask, runArgument, runExpression, type TaskFunctions, type TaskScope } from './common';

export function failureStage(scope: Construct, config: PipelineConfig, functions: TaskFunctions, registryTable: string, topic: sns.ITopic): sfn.State {
  const ctx: TaskScope = { scope, functions };
  const run = runArgument(config.name);

  const fail = sfn.Fail.jsonata(scope, 'Failed', { error: '{% $error %}', cause: '{% $cause %}' });

  const notify = tasks.CallAwsService.jsonata(scope, 'Notify Failure', {
    service: 'sns',
    action: 'publish',
    iamResources: [topic.topicArn],
    parameters: {
      TopicArn: topic.topicArn,
      Subject: `{% $substring('[${config.name}] ' & $error & ' in ' & $failedStage, 0, 100) %}`,
      Message: `{% 'Pipeline ${config.name}' & ($version ? ' version ' & $version : '') & ' failed in stage ' & $failedStage & ' with ' & $error & '.\\n\\n' & $cause & '\\n\\nExecution: ' & $states.context.Execution.Id %}`,
      MessageAttributes: {
        pipeline: { DataType: 'String', StringValue: config.name },
        error: { DataType: 'String', StringValue: '{% $error %}' },
      },
    },
  });
  notify.addRetry({ errors: ['States.ALL'], maxAttempts: 3, jitterStrategy: sfn.JitterType.FULL });
  notify.addCatch(fail, { errors: ['States.ALL'] });
  notify.next(fail);

  const record = invokeTask(ctx, 'Record Failure', 'recordStage', {
    run,
    registryTable,
    version: '{% $version %}',
    stage: 'Failed',
    status: 'failed',
    details: "{% {'stage': $failedStage, 'error': $error, 'cause': $cause, 'cleanup': $cleanup} %}",
  });
  record.addCatch(notify, { errors: ['States.ALL'] });
  record.next(notify);
  const hasVersion = sfn.Choice.jsonata(scope, 'Version Allocated?')
    .when(sfn.Condition.jsonata('{% $version != null %}'), record)
    .otherwise(notify);

  const cleanup = invokeTask(ctx, 'Clean Up', 'cleanup', `{% $merge([{'run': ${runExpression(config.name)}, 'error': $error, 'cause': $cause}, $imageId ? {'imageId': $imageId} : {}]) %}`, {
    assign: { cleanup: '{% $states.result.Payload %}' },
  });
  cleanup.addCatch(hasVersion, {
    errors: ['States.ALL'],
    assign: { cleanup: "{% {'error': $states.errorOutput.Error, 'cause': $states.errorOutput.Cause} %}" },
  });
  cleanup.next(hasVersion);
  return cleanup;
}
