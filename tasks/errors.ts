/**
 * Named errors of the lifecycle tasks. The state machine matches them by name in Retry/Catch (a Lambda
 * error's type is the thrown error's `name`), so each class sets `name` to its own class name, and each
 * message tells a person what failed and what to look at — it becomes the `Cause` an operator reads.
 */

/** The event a task received does not match its contract: a bug in the state machine, never retried. */
export class InvalidTaskEvent extends Error {
  override name = 'InvalidTaskEvent';
}

/** The execution input a person or schedule gave is malformed; the message names the field. */
export class InvalidExecutionInput extends Error {
  override name = 'InvalidExecutionInput';
}

/** The configured base image (AMI id, SSM parameter, owner + name pattern) resolves to no usable image. */
export class BaseImageNotFound extends Error {
  override name = 'BaseImageNotFound';
}

/** RunInstances was refused, or the instance stopped or terminated before it became ready. */
export class InstanceLaunchFailed extends Error {
  override name = 'InstanceLaunchFailed';
}

/** The instance is running but never became an SSM managed instance within the workflow's wait. */
export class InstanceNotReady extends Error {
  override name = 'InstanceNotReady';
}

export interface ComponentFailure {
  component: string;
  phase: string;
  step: string;
  /** SSM command status: Failed, TimedOut or Cancelled. */
  status: string;
  /** Exit code of the step's script; -1 when it never finished (timed out or cancelled). */
  exitCode: number;
  attempts: number;
  outputTail: string;
  instanceId: string;
  commandId: string;
}

/** A component step failed with onFailure Abort and no attempt left. */
export class ComponentFailed extends Error {
  override name = 'ComponentFailed';
  readonly failure: ComponentFailure;

  constructor(failure: ComponentFailure) {
    const attempts = `${failure.attempts} attempt${failure.attempts === 1 ? '' : 's'}`;
    super(
      `component ${failure.component}, phase ${failure.phase}, step ${failure.step}: ${failure.status} with exit code ` +
        `${failure.exitCode} after ${attempts} (instance ${failure.instanceId}, command ${failure.commandId}). ` +
        `Output tail:\n${failure.outputTail || '(no output)'}`,
    );
    this.failure = failure;
  }
}

/** CreateImage was refused, or the image went to failed / was deregistered before it became available. */
export class ImageCreationFailed extends Error {
  override name = 'ImageCreationFailed';
}

/** Amazon Inspector cannot scan the test instance, or never finished: fail closed, no gate decision. */
export class ScanIncomplete extends Error {
  override name = 'ScanIncomplete';
}

/** The image's active findings exceed the gate; the message has every count against its threshold. */
export class ScanGateFailed extends Error {
  override name = 'ScanGateFailed';
}

/**
 * The base image resolved, but the pipeline's trust policy refuses it: an owner not in
 * `baseImageTrust.allowedOwners`, a deprecated or disabled image, one this or another pipeline rejected
 * (`gami:status` rejected/expired), or a platform the components cannot run on (Windows).
 */
export class BaseImageNotTrusted extends Error {
  override name = 'BaseImageNotTrusted';
}

/**
 * A clean-up action could not finish: the message lists every instance or image it could not clean, so
 * the failure path can retry it and, when retries run out, the notification can name what is left.
 */
export class CleanupIncomplete extends Error {
  override name = 'CleanupIncomplete';
}

/**
 * Another invocation of runStep has claimed this step attempt and not yet recorded its command: retried
 * shortly by the state machine, so two concurrent invocations send one command, not two.
 */
export class StepCommandPending extends Error {
  override name = 'StepCommandPending';
}

/**
 * SSM Inventory has no software entries for the instance yet: the stack's inventory association has not run
 * on it. Retried by the state machine for a while; then the run fails with this name.
 */
export class InventoryNotCollected extends Error {
  override name = 'InventoryNotCollected';
}

/**
 * The registry holds something this run cannot reconcile: its version's record belongs to another execution,
 * the version counter is not a number, or every attempt to allocate a version lost to a concurrent run.
 */
export class RegistryConflict extends Error {
  override name = 'RegistryConflict';
}

/** A distributeOnly run named a version whose image is not approved; the message names the image. */
export class ImageNotApproved extends Error {
  override name = 'ImageNotApproved';
}

/** A region's copy failed twice (or never completed); the message names every such region. */
export class RegionCopyFailed extends Error {
  override name = 'RegionCopyFailed';
}

/** Launch permissions, snapshot permissions or KMS grants could not be set, or the image was found public. */
export class ShareFailed extends Error {
  override name = 'ShareFailed';
}

/** The latest-image parameter could not be written in a region or account. */
export class PublishFailed extends Error {
  override name = 'PublishFailed';
}

/**
 * A launch template target could not be updated (role not assumable, template or version refused, default not
 * set) or an instance refresh failed, was cancelled or outlasted its time: every template changed by the run is set
 * back to its previous default and running refreshes are cancelled; the run then fails with this name and a cause
 * naming what was rolled back.
 */
export class LaunchTemplateUpdateFailed extends Error {
  override name = 'LaunchTemplateUpdateFailed';
}

/** A rollback could not restore every template or cancel every refresh: the message names each one left. */
export class LaunchTemplateRollbackIncomplete extends Error {
  override name = 'LaunchTemplateRollbackIncomplete';
}

/**
 * The closed set of errors a failed lifecycle execution ends with (the `Error` of its Fail state). Every
 * named task error above that can end a run, plus StageFailed: anything unexpected (retries exhausted, a
 * Lambda crash or time-out, a data limit) — its Cause names the stage, the original error and its cause.
 */
export const EXECUTION_ERRORS = [
  'InvalidExecutionInput',
  'BaseImageNotFound',
  'BaseImageNotTrusted',
  'InstanceLaunchFailed',
  'InstanceNotReady',
  'ComponentFailed',
  'ImageCreationFailed',
  'ScanIncomplete',
  'ScanGateFailed',
  'InventoryNotCollected',
  // Approval: a listed approver rejected (who and why in the cause), or nobody decided in time.
  'ApprovalRejected',
  'ApprovalExpired',
  'ImageNotApproved',
  'RegionCopyFailed',
  'ShareFailed',
  'PublishFailed',
  'LaunchTemplateUpdateFailed',
  'RetentionFailed',
  'StageFailed',
] as const;
export type ExecutionError = (typeof EXECUTION_ERRORS)[number];

/** The retention planner's input contradicts itself (the same image listed twice); the message names the copy. */
export class InvalidRetentionInput extends Error {
  override name = 'InvalidRetentionInput';
}

/**
 * Retention could not finish: an image action failed for a reason other than throttling (the message names
 * each image and why). The RetentionSweep state machine fails with it; in the lifecycle the Retention stage
 * records it and notifies, and the release still succeeds (docs/retention.md).
 */
export class RetentionFailed extends Error {
  override name = 'RetentionFailed';
}
