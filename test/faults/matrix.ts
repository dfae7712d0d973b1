/**
 * The fault matrix: every stage × every fault kind of the engine's Lambda registry (crash before or after the
 * handler's work, a time-out after the work, a service error, a double invocation; once, and for good) and of
 * the simulated cloud (throttling, server errors, resources that fail), the failure path's own faults, stopped
 * and timed-out executions, and concurrent runs. Each scenario runs the real synthesized lifecycle with the
 * real handlers on the local runtime (virtual clock), then `checkInvariants` asserts what a platform team
 * expects of every run, whatever went wrong:
 *
 *   1. the execution is terminal, with the expected status, and a failed one ends with the expected error,
 *      which is always one of EXECUTION_ERRORS;
 *   2. no instance of the run is left pending or running — unless the notification names it;
 *   3. every image of a run that did not succeed is tagged rejected and deprecated — unless the notification
 *      names it;
 *   4. the registry record is terminal and consistent with the image's tags — unless the notification says
 *      it could not be marked;
 *   5. a run that did not succeed sent a notification;
 *   6. copies: a run that did not succeed left no copy (nor a snapshot of one) in any target region — unless the
 *      notification names it; a successful run has exactly one available copy per target region.
 *   7. launch templates all or nothing: after a failed or stopped run no template's default is a version it made and
 *      no refresh runs (unless the notification names it); after a successful one every template has its version.
 *
 * Shared by `test/faults/*.test.ts` (jest: TEST_SCENARIOS, every stage × fault kind cell) and `npm run faults`
 * (bench/faults.ts runs SCENARIOS, all of them, and prints the table). Adding a
 * stage to the lifecycle means adding its tasks to STAGE_TASKS and its behaviours to CLOUD_SCENARIOS.
 */
import { StartExecutionCommand, StopExecutionCommand, type DescribeExecutionOutput } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { followExecution } from '../../bin/follow';
import { buildApp, LOCAL_CONTEXT } from '../../infra/app';
import { resourceNames } from '../../infra/pipeline-stack';
import { VirtualClock } from '../../local/clock';
import type { FaultRule } from '../../local/cloud/faults';
import type { LambdaFaultKind, LambdaFaultRule } from '../../local/engine/lambda-faults';
import type { EngineEvent } from '../../local/engine/history';
import { LocalRuntime } from '../../local/runtime';
import { TAG } from '../../pipeline/tags';
import { createClient } from '../../tasks/clients';
import type { TaskName } from '../../tasks/contracts';
import { EXECUTION_ERRORS } from '../../tasks/errors';
import { approvalLinks, decideThroughPage } from '../../bin/approval-client';
import { startLocalServer } from '../../local/server';
import type { ApprovalMode } from '../workflow/runtime-fixture';

export const TOOLING = '111111111111';
/** The example's consumer accounts (launch templates web-prod and web-staging). */
export const PROD = '222222222222';
export const STAGING = '333333333333';
export const REGION = 'eu-west-1';
/** The example pipeline: every scenario runs every stage, approval through the real endpoint included. */
export const PIPELINE_FILE = 'pipelines/example.yaml';

type Status = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface Scenario {
  /** Unique, readable: `Bake / createImage / crash-before once`. */
  id: string;
  /** Stage the fault hits (the matrix's row). */
  stage: string;
  /** Fault kind (the matrix's column). */
  fault: string;
  lambda?: LambdaFaultRule[];
  cloud?: FaultRule[];
  /** Cloud rules added when the failure path starts (a fault of the clean-up itself). */
  cloudOnFailurePath?: FaultRule[];
  /** Cloud faults added once the run enters this state (e.g. a fault of the Retention stage alone). */
  cloudFromState?: { state: string; rules: FaultRule[] };
  /** Stop the execution this many simulated minutes after it started. */
  stopAfterMinutes?: number;
  /** Stop the execution on the first minute after it entered this state (independent of earlier stages' durations). */
  stopAtState?: string;
  /** Give the state machine this execution timeout (seconds) for the scenario, so the run times out. */
  executionTimeoutSeconds?: number;
  /** Run this many executions at once (each must satisfy the invariants on its own). */
  concurrent?: number;
  /** Execution input (default {}). */
  input?: unknown;
  /** What the approvers do (default approve: each approves through the real HTTP endpoint). */
  approval?: ApprovalMode;
  /** The state machine: the lifecycle (default) or the pipeline's RetentionSweep. */
  machine?: 'lifecycle' | 'sweep';
  /** A notification of the execution must contain this (a Retention failure notifies though the release succeeds). */
  expectMessage?: string;
  /** Only in `npm run faults`, not in `npm test` (its time budget). */
  faultsOnly?: boolean;
  expect: { status: Status; error?: string };
}

/** Lambda tasks that run in a successful lifecycle, with the stage of their first invocation. */
export const STAGE_TASKS: [stage: string, task: TaskName][] = [
  ['Prepare', 'prepare'],
  ['Bake', 'launchInstance'],
  ['Bake', 'checkInstanceReady'],
  ['Bake', 'runStep'],
  ['Bake', 'checkStep'],
  ['Bake', 'createImage'],
  ['Bake', 'checkImage'],
  ['Bake', 'terminateInstances'],
  ['Bake', 'recordInventory'],
  ['Prepare', 'recordStage'],
  ['ScanGate', 'checkScanCoverage'],
  ['ScanGate', 'evaluateScanGate'],
  ['Approval', 'requestApproval'],
  ['Distribute', 'copyImage'],
  ['Distribute', 'checkCopy'],
  ['Share', 'shareImage'],
  ['Publish', 'publishImage'],
  ['LaunchTemplates', 'updateLaunchTemplates'],
  ['LaunchTemplates', 'checkInstanceRefreshes'],
  ['LaunchTemplates', 'markApproved'],
  ['Retention', 'retention'],
];

/** Stages whose transient Lambda scenarios run only in `npm run faults` (npm test takes DISTRIBUTION_TEST_SCENARIOS). */
const DISTRIBUTION_STAGES = ['Distribute', 'Share', 'Publish'];

const LAMBDA_KINDS: LambdaFaultKind[] = ['crash-before', 'crash-after', 'timeout-after', 'error', 'double-invoke'];

/**
 * A Lambda fault on the first invocation of `task` only: retried, the run succeeds and creates nothing twice.
 * `sampled` keeps the pairs where task index + kind index is even: every task meets two or three kinds and every
 * kind five or six tasks, every stage × kind cell stays covered — half the runs, for `npm test`'s time budget.
 */
function transientLambdaScenarios(sampled = false): Scenario[] {
  return STAGE_TASKS.flatMap(([stage, task], t) =>
    LAMBDA_KINDS.filter((_, k) => !sampled || (t + k) % 2 === 0).map((kind) => ({
      id: `${stage} / ${task} / ${kind} once`,
      stage,
      fault: `lambda ${kind} once`,
      lambda: [{ function: task, kind, count: 1, ...(kind === 'error' ? { error: 'Lambda.ServiceException' } : {}) }],
      expect: { status: 'SUCCEEDED' as const },
    })),
  );
}

/** A Lambda fault on every invocation of a stage's task: the run fails as StageFailed, fully cleaned. */
function persistentLambdaScenarios(): Scenario[] {
  const targets: [string, TaskName, number][] = [
    ['Prepare', 'prepare', 1],
    ['Bake', 'createImage', 1],
    // The second launch is the test instance's.
    ['Test', 'launchInstance', 2],
    ['ScanGate', 'evaluateScanGate', 1],
    ['Share', 'shareImage', 1],
  ];
  const kinds: LambdaFaultKind[] = ['crash-before', 'crash-after', 'timeout-after', 'error'];
  return targets.flatMap(([stage, task, from]) =>
    kinds.map((kind) => ({
      id: `${stage} / ${task} / ${kind} always`,
      stage,
      fault: `lambda ${kind} always`,
      lambda: [{ function: task, kind, from, ...(kind === 'error' ? { error: 'Lambda.ServiceException' } : {}) }],
      expect: { status: 'FAILED' as const, error: 'StageFailed' },
    })),
  );
}

/** Faults of the simulated account: transient ones are absorbed, resources that fail end with their error. */
const CLOUD_SCENARIOS: Scenario[] = [
  { id: 'All / ec2 / 30% throttled', stage: 'All', fault: 'cloud throttling', cloud: [{ operation: 'ec2:*', error: 'RequestLimitExceeded', probability: 0.3 }], expect: { status: 'SUCCEEDED' } },
  { id: 'All / ssm / 20% throttled', stage: 'All', fault: 'cloud throttling', cloud: [{ operation: 'ssm:*', error: 'ThrottlingException', probability: 0.2 }], expect: { status: 'SUCCEEDED' } },
  { id: 'All / inspector2 / 20% throttled', stage: 'All', fault: 'cloud throttling', cloud: [{ operation: 'inspector2:*', error: 'ThrottlingException', probability: 0.2 }], expect: { status: 'SUCCEEDED' } },
  { id: 'Bake / ec2:RunInstances / 5xx x3', stage: 'Bake', fault: 'cloud 5xx', cloud: [{ operation: 'ec2:RunInstances', error: 'InternalError', count: 3 }], expect: { status: 'SUCCEEDED' } },
  { id: 'Bake / ssm:SendCommand / 5xx x3', stage: 'Bake', fault: 'cloud 5xx', cloud: [{ operation: 'ssm:SendCommand', error: 'InternalServerError', count: 3 }], expect: { status: 'SUCCEEDED' } },
  { id: 'Bake / ec2:CreateImage / 5xx x3', stage: 'Bake', fault: 'cloud 5xx', cloud: [{ operation: 'ec2:CreateImage', error: 'InternalError', count: 3 }], expect: { status: 'SUCCEEDED' } },
  { id: 'Bake / ec2:CreateImage / 5xx always', stage: 'Bake', fault: 'cloud 5xx always', cloud: [{ operation: 'ec2:CreateImage', error: 'InternalError' }], expect: { status: 'FAILED', error: 'StageFailed' } },
  { id: 'Bake / builder fails to start', stage: 'Bake', fault: 'cloud resource fails', cloud: [{ behaviour: 'ec2.instanceFailsToStart', count: 1 }], expect: { status: 'FAILED', error: 'InstanceLaunchFailed' } },
  { id: 'Bake / SSM agent never online', stage: 'Bake', fault: 'cloud resource fails', cloud: [{ behaviour: 'ssm.agentNeverOnline' }], expect: { status: 'FAILED', error: 'InstanceNotReady' } },
  { id: 'Bake / step command fails', stage: 'Bake', fault: 'cloud resource fails', cloud: [{ behaviour: 'ssm.commandFails' }], expect: { status: 'FAILED', error: 'ComponentFailed' } },
  { id: 'Bake / image fails', stage: 'Bake', fault: 'cloud resource fails', cloud: [{ behaviour: 'ec2.imageFails' }], expect: { status: 'FAILED', error: 'ImageCreationFailed' } },
  { id: 'Test / test instance fails to start', stage: 'Test', fault: 'cloud resource fails', cloud: [{ behaviour: 'ec2.instanceFailsToStart', skip: 1, count: 1 }], expect: { status: 'FAILED', error: 'InstanceLaunchFailed' } },
  { id: 'ScanGate / scan never completes', stage: 'ScanGate', fault: 'cloud resource fails', cloud: [{ behaviour: 'inspector.scanNeverCompletes' }], expect: { status: 'FAILED', error: 'ScanIncomplete' } },
  { id: 'ScanGate / ListFindings 5xx always', stage: 'ScanGate', fault: 'cloud 5xx always', cloud: [{ operation: 'inspector2:ListFindings', error: 'InternalServerException' }], expect: { status: 'FAILED', error: 'StageFailed' } },
  { id: 'Distribute / one copy fails once (retried)', stage: 'Distribute', fault: 'cloud resource fails', cloud: [{ behaviour: 'ec2.copyFails', region: 'us-east-1', count: 1 }], expect: { status: 'SUCCEEDED' } },
  { id: 'Distribute / one region\'s copies fail', stage: 'Distribute', fault: 'cloud resource fails', cloud: [{ behaviour: 'ec2.copyFails', region: 'us-east-1' }], expect: { status: 'FAILED', error: 'RegionCopyFailed' } },
  { id: 'Distribute / ec2:CopyImage / 5xx x3', stage: 'Distribute', fault: 'cloud 5xx', cloud: [{ operation: 'ec2:CopyImage', error: 'InternalError', count: 3 }], expect: { status: 'SUCCEEDED' } },
  { id: 'Distribute / ec2:CopyImage / 50% throttled', stage: 'Distribute', fault: 'cloud throttling', cloud: [{ operation: 'ec2:CopyImage', error: 'RequestLimitExceeded', probability: 0.5 }], expect: { status: 'SUCCEEDED' } },
  { id: 'Share / kms:CreateGrant / 5xx always', stage: 'Share', fault: 'cloud 5xx always', cloud: [{ operation: 'kms:CreateGrant', error: 'KMSInternalException', httpStatusCode: 500 }], expect: { status: 'FAILED', error: 'StageFailed' } },
  { id: 'Share / ec2:ModifyImageAttribute / 5xx x3', stage: 'Share', fault: 'cloud 5xx', cloud: [{ operation: 'ec2:ModifyImageAttribute', error: 'InternalError', count: 3 }], expect: { status: 'SUCCEEDED' } },
  { id: 'Publish / ssm:PutParameter / 5xx always', stage: 'Publish', fault: 'cloud 5xx always', cloud: [{ operation: 'ssm:PutParameter', error: 'InternalServerError' }], expect: { status: 'FAILED', error: 'StageFailed' } },
  { id: 'LaunchTemplates / autoscaling / 30% throttled', stage: 'LaunchTemplates', fault: 'cloud throttling', cloud: [{ operation: 'autoscaling:*', error: 'Throttling', probability: 0.3 }], expect: { status: 'SUCCEEDED' } },
  {
    id: "LaunchTemplates / the second account refuses the new version",
    stage: 'LaunchTemplates',
    fault: 'cloud refusal',
    cloud: [{ operation: 'ec2:CreateLaunchTemplateVersion', accountId: STAGING, error: 'UnauthorizedOperation', httpStatusCode: 403 }],
    expect: { status: 'FAILED', error: 'LaunchTemplateUpdateFailed' },
  },
  { id: 'LaunchTemplates / instance refresh fails', stage: 'LaunchTemplates', fault: 'cloud resource fails', cloud: [{ behaviour: 'autoscaling.refreshFails' }], expect: { status: 'FAILED', error: 'LaunchTemplateUpdateFailed' } },
  {
    id: 'LaunchTemplates / markApproved / error always (templates go back)',
    stage: 'LaunchTemplates',
    fault: 'lambda error always',
    lambda: [{ function: 'markApproved', kind: 'error', error: 'Lambda.ServiceException' }],
    expect: { status: 'FAILED', error: 'LaunchTemplateUpdateFailed' },
  },
  {
    id: 'LaunchTemplates / rollback: ModifyLaunchTemplate 5xx x3',
    stage: 'LaunchTemplates',
    fault: 'cloud 5xx',
    cloud: [{ behaviour: 'autoscaling.refreshFails' }, { operation: 'ec2:ModifyLaunchTemplate', accountId: PROD, error: 'InternalError', skip: 1, count: 3 }],
    expect: { status: 'FAILED', error: 'LaunchTemplateUpdateFailed' },
  },
];

/** The approval stage: a rejection, nobody deciding, the emails or the signing key failing. */
const APPROVAL_SCENARIOS: Scenario[] = [
  { id: 'Approval / an approver rejects', stage: 'Approval', fault: 'approval rejected', approval: 'reject', expect: { status: 'FAILED', error: 'ApprovalRejected' } },
  { id: 'Approval / nobody decides in time', stage: 'Approval', fault: 'approval expired', approval: 'none', expect: { status: 'FAILED', error: 'ApprovalExpired' } },
  // Two are absorbed by the SDK's own retries; six outlast them (the task fails: StageFailed) and then leave
  // enough of Notify Failure's retries for the failure notification to get through.
  { id: 'Approval / sns:Publish 5xx x2', stage: 'Approval', fault: 'cloud 5xx', cloud: [{ operation: 'sns:Publish', error: 'InternalError', count: 2 }], expect: { status: 'SUCCEEDED' } },
  { id: 'Approval / sns:Publish 5xx x6', stage: 'Approval', fault: 'cloud 5xx always', cloud: [{ operation: 'sns:Publish', error: 'InternalError', count: 6 }], expect: { status: 'FAILED', error: 'StageFailed' } },
  { id: 'Approval / secretsmanager:GetSecretValue 5xx x2', stage: 'Approval', fault: 'cloud 5xx', cloud: [{ operation: 'secretsmanager:GetSecretValue', error: 'InternalServiceError', count: 2 }], expect: { status: 'SUCCEEDED' } },
];
/** A run that fails in Publish after its copies exist in every target region (copies are then cleaned up). */
const FAILING_AFTER_COPIES: FaultRule[] = [{ operation: 'ssm:PutParameter', error: 'InternalServerError' }];

/** A run that fails in ScanGate with an available image and a running test instance, for clean-up faults. */
const FAILING_RUN: FaultRule[] = [{ behaviour: 'inspector.scanNeverCompletes' }];

/** Faults of the failure path itself: every clean-up action still happens, or the notification names what did not. */
const FAILURE_PATH_SCENARIOS: Scenario[] = [
  ...(['crash-before', 'crash-after', 'timeout-after', 'error', 'double-invoke'] as LambdaFaultKind[]).map((kind) => ({
    id: `FailurePath / cleanup / ${kind} once`,
    stage: 'FailurePath',
    fault: `lambda ${kind} once`,
    cloud: FAILING_RUN,
    lambda: [{ function: 'cleanup', kind, count: 1 }],
    expect: { status: 'FAILED' as const, error: 'ScanIncomplete' },
  })),
  {
    id: 'FailurePath / cleanup / crash-before always',
    stage: 'FailurePath',
    fault: 'lambda crash-before always',
    cloud: FAILING_RUN,
    lambda: [{ function: 'cleanup', kind: 'crash-before' }],
    expect: { status: 'FAILED', error: 'ScanIncomplete' },
  },
  {
    id: 'FailurePath / ec2:TerminateInstances / 5xx always',
    stage: 'FailurePath',
    fault: 'cloud 5xx always',
    cloud: FAILING_RUN,
    cloudOnFailurePath: [{ operation: 'ec2:TerminateInstances', error: 'InternalError' }],
    expect: { status: 'FAILED', error: 'ScanIncomplete' },
  },
  {
    id: 'FailurePath / ec2:DescribeImages / 5xx always',
    stage: 'FailurePath',
    fault: 'cloud 5xx always',
    cloud: FAILING_RUN,
    cloudOnFailurePath: [{ operation: 'ec2:DescribeImages', error: 'InternalError' }],
    expect: { status: 'FAILED', error: 'ScanIncomplete' },
  },
  {
    id: 'FailurePath / ec2:CreateTags / 5xx x4',
    stage: 'FailurePath',
    fault: 'cloud 5xx',
    cloud: FAILING_RUN,
    cloudOnFailurePath: [{ operation: 'ec2:CreateTags', error: 'InternalError', count: 4 }],
    expect: { status: 'FAILED', error: 'ScanIncomplete' },
  },
  {
    id: 'FailurePath / record crash once (recordStage is not used; cleanup record action)',
    stage: 'FailurePath',
    fault: 'lambda crash-after once',
    cloud: FAILING_RUN,
    // The third cleanup invocation is the record action.
    lambda: [{ function: 'cleanup', kind: 'crash-after', from: 3, count: 1 }],
    expect: { status: 'FAILED', error: 'ScanIncomplete' },
  },
  {
    id: 'FailurePath / copies: ec2:DeregisterImage / 5xx always (named in the notification)',
    stage: 'FailurePath',
    fault: 'cloud 5xx always',
    cloud: FAILING_AFTER_COPIES,
    cloudOnFailurePath: [{ operation: 'ec2:DeregisterImage', error: 'InternalError' }],
    expect: { status: 'FAILED', error: 'StageFailed' },
  },
  {
    id: 'FailurePath / sns:Publish / 5xx x3',
    stage: 'FailurePath',
    fault: 'cloud 5xx',
    cloud: FAILING_RUN,
    cloudOnFailurePath: [{ operation: 'sns:Publish', error: 'InternalError', count: 3 }],
    expect: { status: 'FAILED', error: 'ScanIncomplete' },
  },
  {
    id: 'Prepare / prepare / timeout-after always (record written, result lost)',
    stage: 'Prepare',
    fault: 'lambda timeout-after always',
    lambda: [{ function: 'prepare', kind: 'timeout-after' }],
    expect: { status: 'FAILED', error: 'StageFailed' },
  },
  {
    id: 'Prepare / a 200 KB reason',
    stage: 'Prepare',
    fault: 'bad input',
    input: { reason: 'x'.repeat(200 * 1024) },
    expect: { status: 'FAILED', error: 'InvalidExecutionInput' },
  },
  {
    id: 'Prepare / a 255 KB reason (over the data limit with the config)',
    stage: 'Prepare',
    fault: 'data limit',
    // Within StartExecution's 256 KiB, over what the Prepare task's arguments (input + config) may carry.
    input: { reason: 'x'.repeat(261_600) },
    expect: { status: 'FAILED', error: 'StageFailed' },
  },
];

/** Runs stopped part-way (StopExecution, Ctrl-C): no Catch runs; the EventBridge rule's cleanup does. */
const STOP_SCENARIOS: Scenario[] = [
  { id: 'Bake / stopped while the builder runs', stage: 'Bake', fault: 'stopped', stopAfterMinutes: 4, expect: { status: 'ABORTED' } },
  { id: 'Test / stopped while the test instance runs', stage: 'Test', fault: 'stopped', stopAfterMinutes: 16, expect: { status: 'ABORTED' } },
  { id: 'ScanGate / stopped while waiting for the scan', stage: 'ScanGate', fault: 'stopped', cloud: FAILING_RUN, stopAfterMinutes: 40, expect: { status: 'ABORTED' } },
  // The gate passes at about 33 minutes; the copies take about 17: stopped while they are pending.
  { id: 'Distribute / stopped while copying', stage: 'Distribute', fault: 'stopped', stopAfterMinutes: 40, expect: { status: 'ABORTED' } },
  // web-prod-asg's instance refresh runs (two replacements of 6 minutes each) while the stage waits for it.
  { id: 'LaunchTemplates / stopped while the instance refresh runs', stage: 'LaunchTemplates', fault: 'stopped', stopAtState: 'Wait For Instance Refreshes', expect: { status: 'ABORTED' } },
];

/** Runs that exceed the execution's time limit: no Catch runs either; the EventBridge rule's cleanup does. */
const TIMEOUT_SCENARIOS: Scenario[] = [
  { id: 'Bake / execution times out while the builder runs', stage: 'Bake', fault: 'timed out', executionTimeoutSeconds: 600, expect: { status: 'TIMED_OUT' } },
  { id: 'ScanGate / execution times out waiting for the scan', stage: 'ScanGate', fault: 'timed out', cloud: FAILING_RUN, executionTimeoutSeconds: 1800, expect: { status: 'TIMED_OUT' } },
];

const CONCURRENT_SCENARIOS: Scenario[] = [
  { id: 'All / two concurrent runs', stage: 'All', fault: 'concurrent runs', concurrent: 2, expect: { status: 'SUCCEEDED' } },
  { id: 'All / two concurrent runs, both throttled', stage: 'All', fault: 'concurrent runs', concurrent: 2, cloud: [{ operation: 'ec2:*', error: 'RequestLimitExceeded', probability: 0.2 }], expect: { status: 'SUCCEEDED' } },
  { id: 'All / two concurrent runs, double invocations', stage: 'All', fault: 'concurrent runs', concurrent: 2, lambda: [{ function: 'runStep', kind: 'double-invoke' }, { function: 'launchInstance', kind: 'double-invoke' }, { function: 'createImage', kind: 'double-invoke' }], expect: { status: 'SUCCEEDED' } },
];

/**
 * Retention, in the lifecycle and as the RetentionSweep. In the lifecycle a Retention failure never fails the
 * release: the run succeeds, the Retention stage item says failed, a notification says why. In the lifecycle the
 * us-east-1 fault starts at Plan Retention (the run's own copy lives there). The sweep fails with RetentionFailed and notifies.
 */
const RETENTION_SCENARIOS: Scenario[] = [
  {
    id: 'Retention / ec2:DescribeImages us-east-1 / 5xx always (release succeeds)',
    stage: 'Retention',
    fault: 'cloud 5xx always',
    // From Plan Retention on: before it, the run's own copy to us-east-1 needs DescribeImages there.
    cloudFromState: { state: 'Plan Retention', rules: [{ operation: 'ec2:DescribeImages', region: 'us-east-1', error: 'InternalError' }] },
    expectMessage: 'Retention stage failed',
    expect: { status: 'SUCCEEDED' },
  },
  {
    id: 'Retention / retention / error always (release succeeds)',
    stage: 'Retention',
    fault: 'lambda error always',
    lambda: [{ function: 'retention', kind: 'error', error: 'Lambda.ServiceException' }],
    expectMessage: 'Retention stage failed',
    faultsOnly: true,
    expect: { status: 'SUCCEEDED' },
  },
  {
    id: 'Retention / ec2:DescribeImageReferences / AccessDenied always (fail closed)',
    stage: 'Retention',
    fault: 'cloud refused',
    cloud: [{ operation: 'ec2:DescribeImageReferences', error: 'UnauthorizedOperation' }],
    faultsOnly: true,
    expect: { status: 'SUCCEEDED' },
  },
  {
    id: 'Sweep / ec2:DescribeImages us-east-1 / 5xx always',
    stage: 'Sweep',
    fault: 'cloud 5xx always',
    machine: 'sweep',
    cloud: [{ operation: 'ec2:DescribeImages', region: 'us-east-1', error: 'InternalError' }],
    expectMessage: 'retention sweep of pipeline web-base failed',
    expect: { status: 'FAILED', error: 'RetentionFailed' },
  },
  ...(['crash-before', 'crash-after', 'timeout-after', 'double-invoke'] as LambdaFaultKind[]).map((kind) => ({
    id: `Sweep / retention / ${kind} once`,
    stage: 'Sweep',
    fault: `lambda ${kind} once`,
    machine: 'sweep' as const,
    lambda: [{ function: 'retention' as TaskName, kind, count: 1 }],
    faultsOnly: true,
    expect: { status: 'SUCCEEDED' as const },
  })),
  { id: 'Sweep / ec2 / 30% throttled', stage: 'Sweep', fault: 'cloud throttling', machine: 'sweep', cloud: [{ operation: 'ec2:*', error: 'RequestLimitExceeded', probability: 0.3 }], faultsOnly: true, expect: { status: 'SUCCEEDED' } },
  {
    id: 'Sweep / ec2:DescribeImageReferences / AccessDenied in prod (fail closed)',
    stage: 'Sweep',
    fault: 'cloud refused',
    machine: 'sweep',
    cloud: [{ operation: 'ec2:DescribeImageReferences', accountId: '222222222222', error: 'UnauthorizedOperation' }],
    faultsOnly: true,
    expect: { status: 'SUCCEEDED' },
  },
];

/** Every scenario: `npm run faults`. */
export const SCENARIOS: Scenario[] = [
  ...transientLambdaScenarios(),
  ...persistentLambdaScenarios(),
  ...CLOUD_SCENARIOS,
  ...APPROVAL_SCENARIOS,
  ...FAILURE_PATH_SCENARIOS,
  ...STOP_SCENARIOS,
  ...TIMEOUT_SCENARIOS,
  ...CONCURRENT_SCENARIOS,
  ...RETENTION_SCENARIOS,
];

/**
 * The Lambda faults `npm test` runs: one task per stage (its busiest), each with another fault kind, so every kind
 * and every stage is covered; `npm run faults` runs every task with every kind.
 */
const LAMBDA_TEST_SCENARIOS = new Set([
  'Bake / runStep / double-invoke once',
  'Test / launchInstance / error always',
  'ScanGate / evaluateScanGate / error once',
  'Approval / requestApproval / crash-after once',
  'Distribute / copyImage / crash-after once',
  'LaunchTemplates / updateLaunchTemplates / double-invoke once',
  'Retention / retention / timeout-after once',
  'Prepare / prepare / crash-before always',
  'Bake / createImage / timeout-after always',
  'Share / shareImage / error always',
]);

/** Cloud scenarios left to `npm run faults` (npm test's time budget): near-duplicates of ones npm test runs. */
const FAULTS_ONLY = new Set([
  'All / ssm / 20% throttled',
  'All / inspector2 / 20% throttled',
  'Bake / ssm:SendCommand / 5xx x3',
  'Bake / ec2:CreateImage / 5xx x3',
  'Approval / sns:Publish 5xx x2',
  'Approval / secretsmanager:GetSecretValue 5xx x2',
  // npm test runs the plain pair of concurrent runs (the older is superseded at the launch templates); these add
  // throttling and double invocations to it.
  'All / two concurrent runs, both throttled',
  'All / two concurrent runs, double invocations',
  // npm test keeps one server-error scenario per failure-path action and three of the clean-up function's faults.
  'Bake / ec2:RunInstances / 5xx x3',
  'FailurePath / ec2:DescribeImages / 5xx always',
  'FailurePath / cleanup / error once',
  'FailurePath / cleanup / crash-before once',
  'FailurePath / cleanup / crash-after once',
  'FailurePath / cleanup / timeout-after once',
  'FailurePath / ec2:CreateTags / 5xx x4',
  'Approval / sns:Publish 5xx x6',
]);

/** The distribution and launch template scenarios `npm test` runs besides their Lambda faults. */
const LATER_STAGE_TEST_SCENARIOS = new Set([
  "Distribute / one region's copies fail",
  'FailurePath / copies: ec2:DeregisterImage / 5xx always (named in the notification)',
  'LaunchTemplates / the second account refuses the new version',
  'LaunchTemplates / instance refresh fails',
  'LaunchTemplates / stopped while the instance refresh runs',
]);

/**
 * What `npm test` runs (41 scenarios, about 40 whole runs, within its time budget): every scenario with a named error or a
 * failure-path fault of the stages up to the approval, a sample of the Lambda faults (LAMBDA_TEST_SCENARIOS) and of
 * the later stages' scenarios (LATER_STAGE_TEST_SCENARIOS). `npm run faults` runs all of them.
 */
export const TEST_SCENARIOS: Scenario[] = SCENARIOS.filter((s) => {
  if (s.fault.startsWith('lambda') && s.stage !== 'FailurePath') return LAMBDA_TEST_SCENARIOS.has(s.id);
  if (s.faultsOnly || FAULTS_ONLY.has(s.id)) return false;
  if (DISTRIBUTION_STAGES.includes(s.stage) || s.stage === 'LaunchTemplates' || s.cloud === FAILING_AFTER_COPIES) return LATER_STAGE_TEST_SCENARIOS.has(s.id);
  return true;
});

/** Test scenarios split into `parts` groups of about equal size (jest runs one file per group in parallel). */
export function partOf(part: number, parts: number): Scenario[] {
  return TEST_SCENARIOS.filter((_, i) => i % parts === part);
}

// ------------------------------------------------------------------------------------------------ the harness

export interface RunOutcome {
  executionArn: string;
  description: DescribeExecutionOutput;
}

export interface ScenarioResult {
  scenario: Scenario;
  outcomes: RunOutcome[];
  /** Invariant violations (empty: clean). */
  problems: string[];
  lambdaFaults: number;
  cloudFaults: number;
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** One runtime for many scenarios (the world accumulates runs; each scenario looks only at its own). */
export async function startHarness() {
  const clock = new VirtualClock(Date.UTC(2026, 10, 22, 9, 0, 0));
  const { app, stacks } = buildApp({ files: [PIPELINE_FILE], nag: false, context: LOCAL_CONTEXT, builtinCloudFormationValidation: false });
  const failurePathListeners = new Set<(event: EngineEvent) => void>();
  const runtime = await LocalRuntime.start({
    app,
    clock,
    seed: 7,
    onEvent: (_execution, event) => {
      for (const listener of failurePathListeners) listener(event);
    },
  });
  const config = stacks[0].pipeline.config;
  const names = resourceNames(config.name);
  const lifecycleArn = runtime.stateMachines[names.stateMachine];
  const sweepArn = runtime.stateMachines[names.retentionSweep];
  const sfn = runtime.sfnClient();
  const registry = DynamoDBDocumentClient.from(createClient(DynamoDBClient, { region: REGION }));
  // Approvers decide through the real HTTP endpoint, as in the workflow tests.
  const server = await startLocalServer({ runtime });
  const followed = new Set<string>();
  let approval: ApprovalMode = 'approve';
  async function actOnApprovalEmails(): Promise<void> {
    const links = approvalLinks(runtime.cloud.mailbox()).filter((l) => !followed.has(l.url));
    for (const link of links) followed.add(link.url);
    if (approval === 'none') return;
    for (const link of approval === 'reject' ? links.slice(0, 1) : links) {
      await decideThroughPage(link.url, approval === 'reject' ? 'reject' : 'approve', approval === 'reject' ? 'rejected by the fault matrix' : 'fault matrix');
    }
  }
  const follow = (executionArn: string) =>
    followExecution(sfn, executionArn, {
      wait: async () => {
        await clock.hold(actOnApprovalEmails());
        await clock.sleep(approval === 'none' ? 3_600_000 : 60_000);
      },
    });

  async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
    const stateMachineArn = scenario.machine === 'sweep' ? sweepArn : lifecycleArn;
    const faults = runtime.cloud.world.faults;
    const lambdas = runtime.stepFunctions.engine.lambdas;
    const injectedBefore = lambdas.injectedFaults.length;
    faults.clear(11);
    for (const rule of scenario.cloud ?? []) faults.add(rule);
    lambdas.setFaultPlan(scenario.lambda ? { seed: 5, rules: scenario.lambda } : undefined);
    const onFailurePath = (event: EngineEvent) => {
      if (event.type === 'TaskStateEntered' && event.stateEnteredEventDetails?.name === 'Reject Run Images') {
        for (const rule of scenario.cloudOnFailurePath ?? []) faults.add(rule);
        failurePathListeners.delete(onFailurePath);
      }
    };
    if (scenario.cloudOnFailurePath) failurePathListeners.add(onFailurePath);
    const fromState = scenario.cloudFromState;
    const onState = (event: EngineEvent) => {
      if (fromState && event.stateEnteredEventDetails?.name === fromState.state) {
        for (const rule of fromState.rules) faults.add(rule);
        failurePathListeners.delete(onState);
      }
    };
    if (fromState) failurePathListeners.add(onState);

    const original = runtime.stepFunctions.describeStateMachine({ stateMachineArn }).definition!;
    if (scenario.executionTimeoutSeconds !== undefined) {
      runtime.stepFunctions.updateDefinition(stateMachineArn, JSON.stringify({ ...JSON.parse(original), TimeoutSeconds: scenario.executionTimeoutSeconds }));
    }

    const mailboxBefore = runtime.cloud.mailbox().length;
    approval = scenario.approval ?? 'approve';
    const input = scenario.input ?? {};
    const outcomes = await Promise.all(
      Array.from({ length: scenario.concurrent ?? 1 }, async () => {
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
        if (scenario.stopAfterMinutes !== undefined) {
          // Minute by minute, deciding approvals as they come (a stop after the approval must find the run past it).
          for (let minute = 0; minute < scenario.stopAfterMinutes; minute++) {
            await clock.hold(actOnApprovalEmails());
            await clock.sleep(60_000);
          }
          await sfn.send(new StopExecutionCommand({ executionArn, cause: 'stopped by the fault matrix' }));
        }
        if (scenario.stopAtState !== undefined) {
          let reached = false;
          const watch = (event: EngineEvent) => {
            if (event.stateEnteredEventDetails?.name === scenario.stopAtState) reached = true;
          };
          failurePathListeners.add(watch);
          // A day at most: the state is reached within the run's own time limit or the scenario is wrong.
          for (let minute = 0; minute < 24 * 60 && !reached; minute++) {
            await clock.hold(actOnApprovalEmails());
            await clock.sleep(60_000);
          }
          failurePathListeners.delete(watch);
          await sfn.send(new StopExecutionCommand({ executionArn, cause: `stopped by the fault matrix at ${scenario.stopAtState}` }));
        }
        const description = await follow(executionArn!);
        return { executionArn: executionArn!, description };
      }),
    );
    // Stopped and timed-out runs are cleaned up by the EventBridge rule's deliveries.
    await runtime.settled();
    runtime.stepFunctions.updateDefinition(stateMachineArn, original);
    failurePathListeners.delete(onFailurePath);
    failurePathListeners.delete(onState);
    const cloudFaults = faults.rules.reduce((n, r) => n + (r.fired ?? 0), 0);
    faults.clear(11);
    lambdas.setFaultPlan(undefined);

    const problems: string[] = [];
    const messages = runtime.cloud.mailbox().slice(mailboxBefore);
    for (const outcome of outcomes) {
      problems.push(...(scenario.machine === 'sweep' ? await checkSweepInvariants(scenario, outcome, messages) : await checkInvariants(scenario, outcome, messages)));
      if (scenario.expectMessage && !messages.some((m) => m.message.includes(outcome.executionArn) && m.message.includes(scenario.expectMessage!))) {
        problems.push(`no notification saying "${scenario.expectMessage}"`);
      }
    }
    return { scenario, outcomes, problems, lambdaFaults: lambdas.injectedFaults.length - injectedBefore, cloudFaults };
  }

  async function checkInvariants(scenario: Scenario, outcome: RunOutcome, messages: { message: string }[]): Promise<string[]> {
    const problems: string[] = [];
    const { executionArn, description } = outcome;
    const status = description.status as string;
    const notification = messages.map((m) => m.message).find((m) => m.includes(executionArn));

    // 1. Terminal, expected, named.
    if (status !== scenario.expect.status) problems.push(`status ${status}, expected ${scenario.expect.status} (${description.error ?? ''}: ${description.cause ?? ''})`);
    if (status === 'FAILED') {
      if (!(EXECUTION_ERRORS as readonly string[]).includes(description.error ?? '')) problems.push(`error ${description.error} is not one of EXECUTION_ERRORS`);
      if (scenario.expect.error && description.error !== scenario.expect.error) problems.push(`error ${description.error}, expected ${scenario.expect.error}: ${description.cause}`);
    }

    // 2. Nothing left running (or named in the notification).
    const region = runtime.cloud.world.region(TOOLING, REGION);
    const running = Object.values(region.instances).filter(
      (i) => i.tags[TAG.execution] === executionArn && !['terminated', 'shutting-down'].includes(i.state),
    );
    for (const instance of running) {
      if (status === 'SUCCEEDED' || !notification?.includes(instance.instanceId)) problems.push(`instance ${instance.instanceId} left ${instance.state}`);
    }

    // 3. Images of a run that did not succeed: rejected and deprecated (or named in the notification).
    const images = Object.values(region.images).filter((i) => i.tags[TAG.execution] === executionArn);
    if (status !== 'SUCCEEDED') {
      for (const image of images) {
        if (image.state === 'deregistered') continue;
        const failedStatus = description.error === 'ApprovalExpired' ? 'expired' : 'rejected';
        const rejected = image.tags[TAG.status] === failedStatus && image.deprecationTime !== undefined;
        if (!rejected && !notification?.includes(image.imageId)) problems.push(`image ${image.imageId} is ${image.tags[TAG.status]}, deprecated: ${image.deprecationTime !== undefined}`);
      }
    } else if (images.length !== 1) {
      problems.push(`a successful run has ${images.length} images (created twice?)`);
    }
    if (images.filter((i) => i.state !== 'failed').length > 1) problems.push(`${images.length} images for one run`);

    // 4. The registry record: terminal and consistent with the tags.
    // Every page: a harness that has run many scenarios holds more than one 1 MB page of registry items.
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: registry },
      {
        TableName: resourceNames(config.name).registryTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :image)',
        FilterExpression: 'executionArn = :execution AND attribute_exists(imageName)',
        ExpressionAttributeValues: { ':pk': `PIPELINE#${config.name}`, ':image': 'IMAGE#', ':execution': executionArn },
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    const records = { Items: items };
    const [record] = records.Items;
    if (records.Items.length > 1) problems.push(`${records.Items.length} registry records for one run`);
    if (status === 'SUCCEEDED') {
      if (record?.stage !== 'Done' || record.stageStatus !== 'succeeded') problems.push(`registry record at ${record?.stage}/${record?.stageStatus}, not Done/succeeded`);
      const tag = images[0]?.tags[TAG.status];
      if (record && tag !== record.status) problems.push(`registry status ${record.status} but image tag ${tag}`);
    } else if (record && !notification?.includes('Registry record')) {
      const failedStatus = description.error === 'ApprovalExpired' ? 'expired' : 'rejected';
      if (record.status !== failedStatus || record.stage !== 'Failed') problems.push(`registry record ${record.status} at ${record.stage}/${record.stageStatus}, not ${failedStatus}/Failed`);
      for (const image of images) {
        if (image.state !== 'deregistered' && image.tags[TAG.status] !== record.status && !notification?.includes(image.imageId)) {
          problems.push(`registry says ${record.status}, image ${image.imageId} is tagged ${image.tags[TAG.status]}`);
        }
      }
    }

    // 5. A notification for every run that did not succeed.
    if (status !== 'SUCCEEDED' && !notification) problems.push('no notification');

    // 6. Copies: none left by a run that did not succeed (nor their snapshots); one per region after success.
    for (const { region: target } of config.distribution.targetRegions) {
      const state = runtime.cloud.world.region(TOOLING, target);
      const copies = Object.values(state.images).filter((i) => i.tags[TAG.execution] === executionArn && i.state !== 'deregistered');
      if (status === 'SUCCEEDED') {
        if (copies.length !== 1 || copies[0].state !== 'available') problems.push(`${target}: ${copies.length} copies (${copies.map((c) => c.state).join(', ')}), expected one available`);
        continue;
      }
      for (const copy of copies) if (!notification?.includes(copy.imageId)) problems.push(`copy ${copy.imageId} left in ${target}`);
      const snapshots = Object.values(state.snapshots).filter((sn) => sn.tags[TAG.execution] === executionArn);
      if (copies.length === 0) for (const snapshot of snapshots) problems.push(`snapshot ${snapshot.snapshotId} of a copy left in ${target}`);
    }
    // 8. The latest-image parameter: a run that did not succeed left it at no image of its own (restored), in any
    //    region of the tooling account — unless the notification says it could not be restored.
    if (status !== 'SUCCEEDED' && config.publish) {
      for (const region of runtime.cloud.world.state.regions) {
        const value = runtime.cloud.world.region(TOOLING, region).parameters[config.publish.ssmParameter]?.value;
        const image = value ? runtime.cloud.world.region(TOOLING, region).images[value] : undefined;
        if (image?.tags[TAG.execution] === executionArn && !notification?.includes(config.publish.ssmParameter)) {
          problems.push(`${region}: ${config.publish.ssmParameter} still holds this run's image ${value}`);
        }
      }
    }
    // 7. Launch templates all or nothing: a run that did not succeed left no template's default at a version it
    //    created, and no instance refresh running (or the notification names them); a successful run made a version
    //    of every configured template — or left it to a newer version of the pipeline (superseded) — and the
    //    default is the pipeline's, never an image older than a successful run's (no step back).
    for (const target of config.launchTemplates) {
      const state = runtime.cloud.world.region(target.account, target.region);
      const lt = Object.values(state.launchTemplates).find((t) => t.launchTemplateName === target.launchTemplateName || t.launchTemplateId === target.launchTemplateId);
      if (!lt) continue;
      const byRun = (v: number) => lt.versions[String(v)]?.versionDescription?.includes(`execution ${executionArn.split(':').pop()}`) ?? false;
      const label = `launch template ${lt.launchTemplateName} (${target.account}/${target.region})`;
      // Concurrent runs each set their own version: the default is one of the pipeline's runs', and this run made one.
      const byPipeline = lt.versions[String(lt.defaultVersion)]?.versionDescription?.startsWith(`golden-ami-pipeline ${config.name} `) ?? false;
      const created = Object.keys(lt.versions).some((v) => byRun(Number(v)));
      const output = status === 'SUCCEEDED' ? (JSON.parse(description.output ?? '{}') as { version?: number }) : {};
      const defaultImage = lt.versions[String(lt.defaultVersion)]?.data?.ImageId as string | undefined;
      const defaultVersion = Number(defaultImage ? runtime.cloud.world.region(TOOLING, target.region).images[defaultImage]?.tags[TAG.version] : undefined);
      // Superseded: the run left the template alone because its default already launched a newer version.
      const superseded = output.version !== undefined && Number.isInteger(defaultVersion) && defaultVersion > output.version;
      if (status === 'SUCCEEDED' && (!byPipeline || !(created || superseded))) problems.push(`${label}: default ${lt.defaultVersion} is not a version the run (or a concurrent one) made`);
      if (status === 'SUCCEEDED' && output.version !== undefined && Number.isInteger(defaultVersion) && defaultVersion < output.version) {
        problems.push(`${label}: default ${lt.defaultVersion} launches v${defaultVersion}, older than this successful run's v${output.version} (a step back)`);
      }
      if (status !== 'SUCCEEDED' && byRun(lt.defaultVersion) && !notification?.includes(lt.launchTemplateName)) problems.push(`${label}: left at the run's version ${lt.defaultVersion}`);
      if (status !== 'SUCCEEDED') {
        for (const group of target.autoScalingGroups) {
          const active = state.autoScalingGroups[group]?.instanceRefreshes.filter((r) => r.status === 'InProgress' || r.status === 'Pending') ?? [];
          if (active.length > 0 && !notification?.includes(group)) problems.push(`${group}: instance refresh ${active[0].instanceRefreshId} left ${active[0].status}`);
        }
      }
    }
    return problems;
  }

  /**
   * The sweep's invariants: terminal with the expected status, a failure named RetentionFailed and notified; the
   * current golden image (the publish parameter's) still registered and not deprecated in every region; the
   * sweep's registry item reported (or failed) when it got as far as a plan.
   */
  async function checkSweepInvariants(scenario: Scenario, outcome: RunOutcome, messages: { message: string }[]): Promise<string[]> {
    const problems: string[] = [];
    const { executionArn, description } = outcome;
    const status = description.status as string;
    if (status !== scenario.expect.status) problems.push(`status ${status}, expected ${scenario.expect.status} (${description.error ?? ''}: ${description.cause ?? ''})`);
    if (status === 'FAILED' && description.error !== 'RetentionFailed') problems.push(`error ${description.error}, expected RetentionFailed`);
    if (status === 'FAILED' && !messages.some((m) => m.message.includes(executionArn))) problems.push('no notification');
    for (const region of runtime.cloud.world.state.regions) {
      const state = runtime.cloud.world.region(TOOLING, region);
      const golden = config.publish ? state.parameters[config.publish.ssmParameter]?.value : undefined;
      if (!golden) continue;
      const image = state.images[golden];
      if (!image || image.state === 'deregistered') problems.push(`the current golden image ${golden} in ${region} is gone`);
      else if (image.deprecationTime !== undefined && image.deprecationTime <= clock.now()) problems.push(`the current golden image ${golden} in ${region} is deprecated`);
    }
    if (status === 'SUCCEEDED') {
      const output = JSON.parse(description.output ?? '{}') as { registry?: { pk: string; sk: string } };
      const item = output.registry
        ? (await registry.send(new QueryCommand({ TableName: names.registryTable, KeyConditionExpression: 'pk = :pk AND sk = :sk', ExpressionAttributeValues: { ':pk': output.registry.pk, ':sk': output.registry.sk } }))).Items?.[0]
        : undefined;
      if (item?.status !== 'reported') problems.push(`the sweep's report is ${item?.status ?? 'missing'}`);
    }
    return problems;
  }

  return {
    runtime,
    clock,
    runScenario,
    stop: async () => {
      await server.close();
      await runtime.stop();
    },
  };
}

/** The table `npm run faults` prints: one row per stage, one column per fault kind, clean/total per cell. */
export function formatMatrix(results: ScenarioResult[]): string[] {
  const stages = [...new Set(results.map((r) => r.scenario.stage))];
  const kinds = [...new Set(results.map((r) => r.scenario.fault))];
  const cell = (stage: string, kind: string) => {
    const rs = results.filter((r) => r.scenario.stage === stage && r.scenario.fault === kind);
    return rs.length === 0 ? '' : `${rs.filter((r) => r.problems.length === 0).length}/${rs.length}`;
  };
  const width = Math.max(...kinds.map((k) => k.length), 5);
  const column = Math.max(...stages.map((s) => s.length)) + 2;
  const lines = [`${'fault kind'.padEnd(width)}${stages.map((s) => s.padStart(column)).join('')}`];
  for (const kind of kinds) lines.push(`${kind.padEnd(width)}${stages.map((s) => cell(s, kind).padStart(column)).join('')}`);
  const clean = results.filter((r) => r.problems.length === 0).length;
  lines.push('', `${results.length} scenarios: ${clean} clean, ${results.length - clean} unclean`);
  for (const r of results.filter((x) => x.problems.length > 0)) lines.push(`UNCLEAN ${r.scenario.id}: ${r.problems.join('; ')}`);
  return lines;
}
