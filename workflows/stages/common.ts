/**
 * Building blocks shared by the lifecycle stages: Lambda task states with the house retry policy, the `run`
 * context every task receives, and the hand-off to the failure path. Stages are built back to front: each
 * stage builder takes the state that follows it and returns its first state, so loops and Choices can name
 * their successor without placeholder states.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../../pipeline/config';
import { FUNCTION_TIMEOUT_SECONDS, TASK_TIMEOUT_MARGIN_SECONDS, THROTTLING_ERRORS, type TaskName } from '../../tasks/contracts';
import { EXECUTION_ERRORS } from '../../tasks/errors';

export type TaskFunctions = Record<TaskName, lambda.IFunction>;

/** What building a task state needs. */
export interface TaskScope {
  scope: Construct;
  functions: TaskFunctions;
}

export interface StageContext extends TaskScope {
  config: PipelineConfig;
  /** Security groups of builder and test instances: the configured ones plus any the stack created. */
  securityGroupIds: string[];
  registryTable: string;
  /** First state of the failure path (Cleanup → Record → Notify → Fail); expects $error, $cause, $failedStage. */
  failure: sfn.IChainable;
}

/** The run context of every task event (see tasks/contracts.ts runContextSchema), as a JSONata expression. */
export function runExpression(pipeline: string): string {
  return (
    `{'pipeline': '${pipeline}', 'executionArn': $states.context.Execution.Id, ` +
    `'executionName': $states.context.Execution.Name, 'now': $states.context.State.EnteredTime}`
  );
}

/** The run context as a field value. */
export function runArgument(pipeline: string): string {
  return `{% ${runExpression(pipeline)} %}`;
}

/** Errors a Lambda invocation or an AWS call inside a handler may raise that are worth trying again. */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  ...THROTTLING_ERRORS,
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'Unavailable',
];

/**
 * A function that crashed (Runtime.ExitError: out of memory, a runtime that exited), was ended at its own
 * timeout (Sandbox.Timedout), failed in a way Lambda cannot name (Lambda.Unknown), or whose invocation was
 * lost past the Task's timeout (States.Timeout): every handler is idempotent, so try again, a few times.
 */
export const CRASH_ERRORS = ['Runtime.ExitError', 'Sandbox.Timedout', 'Lambda.Unknown', 'States.Timeout'];

/**
 * A Lambda task: payload object (values may be `{% %}` expressions); the state's output is the handler's
 * return value. In `assign`, the handler's return value is `$states.result.Payload` (the Lambda envelope).
 */
export function invokeTask(
  ctx: TaskScope,
  name: string,
  task: TaskName,
  payload: Record<string, unknown> | string,
  options: { assign?: Record<string, unknown>; outputs?: unknown } = {},
): tasks.LambdaInvoke {
  const state = tasks.LambdaInvoke.jsonata(ctx.scope, name, {
    lambdaFunction: ctx.functions[task],
    payload: typeof payload === 'string' ? sfn.TaskInput.fromText(payload) : sfn.TaskInput.fromObject(payload),
    // Unwrap the Lambda envelope once, here: every reader sees the handler's own result.
    outputs: options.outputs ?? '{% $states.result.Payload %}',
    assign: options.assign,
    retryOnServiceExceptions: false,
    // The function's own timeout ends a slow handler first; this only catches an invocation lost on the way.
    taskTimeout: sfn.Timeout.duration(Duration.seconds(FUNCTION_TIMEOUT_SECONDS[task] + TASK_TIMEOUT_MARGIN_SECONDS)),
  });
  state.addRetry({
    errors: TRANSIENT_ERRORS,
    interval: Duration.seconds(2),
    maxAttempts: 6,
    backoffRate: 2,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  state.addRetry({ errors: CRASH_ERRORS, interval: Duration.seconds(5), maxAttempts: 2, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
  return state;
}

/**
 * The readable cause of a caught error, as a bare JSONata expression to build larger ones from: a Lambda
 * error's cause is the JSON {errorType, errorMessage, trace}; the Fail state and the notification carry just
 * its message (the history keeps the whole document).
 */
export const CAUGHT_CAUSE_EXPRESSION =
  "($c := $states.errorOutput.Cause; $c ? ($substring($c, 0, 13) = '{\"errorType\":' ? $parse($c).errorMessage : $c) : '')";

/** Longest cause carried to the registry, the notification and the Fail state (the history keeps all). */
export const MAX_CAUSE = 4000;

const KNOWN_ERRORS = `[${EXECUTION_ERRORS.map((e) => `'${e}'`).join(', ')}]`;

/**
 * Route every error of `state` to the failure path, remembering the stage and the error as one of the closed
 * set EXECUTION_ERRORS: a named task error stays itself; anything else (retries exhausted, a crash or time-out,
 * a data limit) becomes StageFailed, with the stage, the original error and its cause in the cause.
 * States.DataLimitExceeded is not matched by States.ALL, so it is caught by name.
 */
export function catchInto(ctx: StageContext, state: sfn.TaskStateBase | sfn.Map | sfn.Parallel, stage: string): void {
  const readable = CAUGHT_CAUSE_EXPRESSION;
  const assign = {
    failedStage: stage,
    error: `{% $states.errorOutput.Error in ${KNOWN_ERRORS} ? $states.errorOutput.Error : 'StageFailed' %}`,
    cause:
      `{% $substring($states.errorOutput.Error in ${KNOWN_ERRORS} ? (${readable}) : ` +
      `'Stage ${stage} failed with ' & $states.errorOutput.Error & ': ' & (${readable}), 0, ${MAX_CAUSE}) %}`,
  };
  state.addCatch(ctx.failure, { errors: ['States.DataLimitExceeded'], assign });
  state.addCatch(ctx.failure, { errors: ['States.ALL'], assign });
}

/** A Lambda task of `stage` whose every error goes to the failure path (invokeTask + catchInto). */
export function stageTask(
  ctx: StageContext,
  stage: string,
  name: string,
  task: TaskName,
  payload: Record<string, unknown> | string,
  options: Parameters<typeof invokeTask>[4] = {},
): tasks.LambdaInvoke {
  const state = invokeTask(ctx, name, task, payload, options);
  catchInto(ctx, state, stage);
  return state;
}

/** A Pass that puts a named error on the failure path (for time-outs detected by a Choice). */
export function failWith(ctx: StageContext, name: string, stage: string, error: string, cause: string): sfn.Pass {
  const pass = sfn.Pass.jsonata(ctx.scope, name, { assign: { failedStage: stage, error, cause } });
  pass.next(ctx.failure);
  return pass;
}

/**
 * Record a stage in the registry (recordStage task); its errors go to the failure path too. `extra`: further
 * fields of the recordStage event (e.g. the distribution stages' `redistribution`).
 */
export function recordStage(
  ctx: StageContext,
  name: string,
  stage: string,
  status: 'started' | 'succeeded' | 'failed',
  details: string,
  extra: Record<string, string> = {},
): tasks.LambdaInvoke {
  return stageTask(ctx, stage, name, 'recordStage', {
    run: runArgument(ctx.config.name),
    registryTable: ctx.registryTable,
    version: '{% $version %}',
    stage,
    status,
    details,
    ...extra,
  });
}

/**
 * A notification to the pipeline's topic (SNS Publish from the state machine, no Lambda), retried on any error and
 * then given up: whether it was sent or not, the state continues with `next` — a notification never changes how
 * a run or sweep ends. `error` is the message attribute subscriptions filter on (a JSONata expression or a name).
 */
export function notifyTopic(
  scope: Construct,
  name: string,
  topic: sns.ITopic,
  pipeline: string,
  message: { subject: string; body: string; error: string },
  next: sfn.IChainable,
  attempts = 3,
): tasks.CallAwsService {
  const notify = tasks.CallAwsService.jsonata(scope, name, {
    service: 'sns',
    action: 'publish',
    iamResources: [topic.topicArn],
    parameters: {
      TopicArn: topic.topicArn,
      Subject: message.subject,
      Message: message.body,
      MessageAttributes: {
        pipeline: { DataType: 'String', StringValue: pipeline },
        error: { DataType: 'String', StringValue: message.error },
      },
    },
  });
  notify.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(2), maxAttempts: attempts, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
  notify.addCatch(next, { errors: ['States.ALL'] });
  notify.next(next);
  return notify;
}
