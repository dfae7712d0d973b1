/**
 * Stage 5 — Approval: named people decide whether the image may go out.
 *
 *   Record Approval Requested  recordStage Approval started (image record: awaiting-approval)
 *   Request Approval           requestApproval {phase: request, taskToken, the run's evidence} with
 *                              .waitForTaskToken: stores the approval record (the token only there), tags the
 *                              image awaiting-approval, emails each approver their own signed link. The task
 *                              ends when the approval API calls SendTaskSuccess {decision, evidenceSha256,
 *                              approvers} (→ $approval) or SendTaskFailure ApprovalRejected (who and why);
 *                              TimeoutSeconds = approval.timeoutHours: States.Timeout → ApprovalExpired.
 *   Mark Image Distributing    requestApproval {phase: decided}: gami:status=distributing
 *   Record Approval            recordStage Approval succeeded {approval} (image record: distributing)
 *
 * With `approval.required: false` the stage is Approval Not Required (a Pass) → Mark Image Distributing →
 * Record Approval {required: false}: recorded as not required, and passes.
 *
 * The task's output is the API's SendTaskSuccess output only (never the Lambda's payload or the token); the
 * task is not retried on States.Timeout (a retry would email new links and restart the clock): the approval
 * expires. Other errors of the Lambda invocation itself are retried like every task; a retry keeps the same
 * approval and links (requestApproval swaps the stored token).
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { catchInto, MAX_CAUSE, recordStage, runArgument, stageTask, TRANSIENT_ERRORS, type StageContext } from './common';

export const APPROVAL_STAGE = 'Approval';

export function approvalStage(ctx: StageContext, options: { topicArn: string; components: string[] }, next: sfn.IChainable): sfn.IChainable {
  const { topicArn, components } = options;
  const { config } = ctx;
  const { approval } = config;
  const run = runArgument(config.name);

  const recorded = recordStage(
    ctx,
    'Record Approval',
    APPROVAL_STAGE,
    'succeeded',
    approval.required ? "{% {'required': true, 'approval': $approval} %}" : "{% {'required': false} %}",
  );
  recorded.next(next);
  const distributing = stageTask(ctx, APPROVAL_STAGE, 'Mark Image Distributing', 'requestApproval', { phase: 'decided', run, imageId: '{% $imageId %}' });
  distributing.next(recorded);

  if (!approval.required) {
    return sfn.Pass.jsonata(ctx.scope, 'Approval Not Required', { comment: 'approval.required is false in the pipeline configuration' }).next(distributing);
  }

  const request = new tasks.LambdaInvoke(ctx.scope, 'Request Approval', {
    queryLanguage: sfn.QueryLanguage.JSONATA,
    lambdaFunction: ctx.functions.requestApproval,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      phase: 'request',
      run,
      taskToken: '{% $states.context.Task.Token %}',
      registryTable: ctx.registryTable,
      topicArn,
      version: '{% $version %}',
      imageId: '{% $imageId %}',
      imageName: '{% $imageName %}',
      baseImage: '{% $baseImage %}',
      components,
      buildSteps: '{% $buildSteps %}',
      testSteps: '{% $testSteps %}',
      gate: '{% $gate %}',
      exceptions: config.scanGate.exceptions,
      reason: '{% $reason %}',
      requestedBy: '{% $requestedBy %}',
      approvers: approval.approvers,
      minApprovals: approval.minApprovals,
      timeoutHours: approval.timeoutHours,
    }),
    // The decision the API sent (SendTaskSuccess): {decision, evidenceSha256, approvers}. Nothing else.
    outputs: '{% $states.result %}',
    assign: { approval: '{% $states.result %}' },
    retryOnServiceExceptions: false,
    taskTimeout: sfn.Timeout.duration(Duration.hours(approval.timeoutHours)),
  });
  // Invocation errors only: the task's own time-out is the approval expiring, never retried.
  request.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2, maxDelay: Duration.seconds(60), jitterStrategy: sfn.JitterType.FULL });
  request.addRetry({ errors: ['Runtime.ExitError', 'Sandbox.Timedout', 'Lambda.Unknown'], interval: Duration.seconds(5), maxAttempts: 2, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
  request.addCatch(ctx.failure, {
    errors: ['States.Timeout', 'States.HeartbeatTimeout'],
    assign: {
      failedStage: APPROVAL_STAGE,
      error: 'ApprovalExpired',
      cause:
        `{% $substring('${config.name} v' & $version & ' (' & $imageId & '): no decision within ${approval.timeoutHours} hours ` +
        `(${approval.minApprovals} of ${approval.approvers.join(', ')} needed); the approval expired (' & $states.errorOutput.Error & ')', 0, ${MAX_CAUSE}) %}`,
    },
  });
  // ApprovalRejected (SendTaskFailure from the API: who rejected, when, why) keeps its name; anything else is StageFailed.
  catchInto(ctx, request, APPROVAL_STAGE);
  request.next(distributing);

  const started = recordStage(
    ctx,
    'Record Approval Requested',
    APPROVAL_STAGE,
    'started',
    `{% {'imageId': $imageId, 'approvers': ${JSON.stringify(approval.approvers)}, 'minApprovals': ${approval.minApprovals}} %}`,
  );
  started.next(request);
  return started;
}
