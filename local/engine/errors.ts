/**
 * Errors of the local engine. `StatesError` is a runtime error a state raises: its `error` is what Retry and
 * Catch match (`States.Timeout`, `Lambda.ServiceException`, `ScanGateFailed`, ...) and `cause` is the text AWS
 * would show. The other classes are API-level failures named after the Step Functions API exceptions.
 */

/** The predefined error names of the States Language. */
export const StatesErrors = {
  ALL: 'States.ALL',
  TaskFailed: 'States.TaskFailed',
  Timeout: 'States.Timeout',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  Runtime: 'States.Runtime',
  QueryEvaluationError: 'States.QueryEvaluationError',
  NoChoiceMatched: 'States.NoChoiceMatched',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
  BranchFailed: 'States.BranchFailed',
  Permissions: 'States.Permissions',
  DataLimitExceeded: 'States.DataLimitExceeded',
} as const;

/**
 * A failure raised while running a state; `error` and `cause` are exactly what AWS reports. `location` is the
 * field an evaluation failed in (`Items`, `Output/result`, `Assign/x`), written to the EvaluationFailed event.
 */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string = '',
    readonly location?: string,
  ) {
    super(cause ? `${error}: ${cause}` : error);
    this.name = 'StatesError';
  }
}

/** Raised inside an execution when it is stopped or timed out: not catchable by Retry/Catch. */
export class ExecutionInterrupted extends Error {
  constructor(readonly reason: 'aborted' | 'timedOut') {
    super(`execution ${reason}`);
    this.name = 'ExecutionInterrupted';
  }
}

/** CreateStateMachine refused the definition (Step Functions: InvalidDefinition). */
export class InvalidDefinition extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid State Machine Definition: ${problems.join('; ')}`);
    this.name = 'InvalidDefinition';
  }
}
