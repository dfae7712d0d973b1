/**
 * The golden-AMI lifecycle state machine of one pipeline (Standard workflow, JSONata, Assign variables).
 * The pipeline's configuration is embedded at synth time, so a console run with input `{}` works.
 *
 * Execution input (all optional, validated by `prepare`; a malformed field fails the run with
 * InvalidExecutionInput naming it): `baseImage` ({amiId} | {ssmParameter} | {owner, namePattern}) overrides the
 * configured base image for this run; `reason` and `requestedBy` go to the audit trail; `onlyWhenChanged` (the
 * schedule sets it from schedule.onlyWhenChanged) skips a run that would rebuild the last approved image.
 *
 *  1. Start Run            Pass      assigns the variables every later state may read (nulls until known)
 *  2. Prepare Run          prepare   {run, input, config} → {version, imageName, baseImage, reason, requestedBy, skipped}
 *     Run Needed? Choice   input onlyWhenChanged and nothing changed since the last approved image (prepare
 *                          recorded a SKIP item, took no version) → Skipped (Succeed, output {skipped, …})
 *     Record Prepared      recordStage
 *  3. Bake
 *     Launch Builder       launchInstance     {purpose: build, imageId: base, image spec} → {instanceId, rootDeviceName}
 *                                                                       → $builderId, $builderRootDevice
 *     Builder Ready? loop  checkInstanceReady {instanceId} → {ready}; InstanceNotReady after 10 min
 *     Record Base Inventory recordInventory {instanceId, role: base} → the base image's packages (SSM Inventory),
 *                          retried until collected (InventoryNotCollected)                      → $baseInventory
 *     Run Build Steps      Map (1 at a time) over every component's build + validate steps:
 *                          runStep → {commandId}; checkStep → {status, retry, outputTail} polled; ComponentFailed
 *     Create Image         createImage {instanceId, imageName, lineage, image spec} → {imageId, snapshotIds}
 *                                                                       → $imageId
 *     Image Available? loop checkImage {imageId} → {state, image facts}; marks the image IMDSv2-only when the
 *                          spec says so; ImageCreationFailed on failed or after ~4 h
 *     Terminate Builder    terminateInstances {instanceIds}
 *     Record Baked         recordStage
 *  4. Test
 *     Launch Test Instance launchInstance {purpose: test, imageId: new}                            → $testInstanceId
 *     Test Instance Ready? checkInstanceReady loop
 *     Record Image Inventory recordInventory {instanceId, role: image} → packages and the diff to the base
 *     Run Test Steps       Map over every component's test steps (as above)
 *     Record Tested        recordStage
 *  5. ScanGate
 *     Scan Complete? loop  checkScanCoverage {instanceId} → {status}; ScanIncomplete (fail closed) on timeout
 *     Evaluate Scan Gate   evaluateScanGate {findings filter, gate, windows} → GateResult; ScanGateFailed when
 *                          over a count or a finding's fix is older than its severity's maxDaysSinceFix
 *     Terminate Test Instance, Record Scan Gate
 *  6. Record Done, Succeeded (output: the run summary)
 *  Failure path (every Catch, States.DataLimitExceeded by name first): Reject Run Images → Terminate Run
 *  Instances → Mark Record Failed (three independent cleanup actions, each retried on any error and passed over
 *  when it gives up) → Notify Failure (SNS; names anything not cleaned) → Failed (Error = one of
 *  EXECUTION_ERRORS: the stage's named error, or StageFailed with the stage, original error and cause).
 *  Stopped and timed-out executions skip every Catch: the stack's EventBridge rule runs the same cleanup.
 *
 * Time limits. Standard workflows allow TimeoutSeconds only on Task states, so each stage's limit is the sum
 * of its bounded waits plus its tasks' timeouts (each function's own timeout, FUNCTION_TIMEOUT_SECONDS, plus
 * 30 s), and the execution has its own TimeoutSeconds (executionTimeout):
 *   Prepare   its tasks only
 *   Bake      agent ≤ 10 min, each step ≤ its timeoutSeconds + about 3 min, image ≤ ~4 h (50 checks, back-off to 5 min)
 *   Test      agent ≤ 10 min, each step as above
 *   ScanGate  scanTimeoutMinutes (one check a minute), then ScanIncomplete
 *
 * Later stages (Approval, Distribute, Share, Publish, UpdateLaunchTemplates, Retention) go between ScanGate
 * and Done: each is a builder in workflows/stages/ that takes the state after it.
 */
import { createHash } from 'node:crypto';
import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { LoadedPipeline } from '../pipeline/validate';
import { bakeStage } from './stages/bake';
import { recordStage, type StageContext, type TaskFunctions } from './stages/common';
import { failureStage } from './stages/failure';
import { componentSteps } from './stages/instance';
import { prepareStage } from './stages/prepare';
import { scanGateStage } from './stages/scan-gate';
import { testStage } from './stages/test';

/** SHA-256 of the components' documents in order: a change to any component changes it (onlyWhenChanged). */
export function componentsDigest(pipeline: LoadedPipeline): string {
  return createHash('sha256').update(JSON.stringify(pipeline.components.map((c) => c.document))).digest('hex');
}

export interface GoldenAmiWorkflowProps {
  pipeline: LoadedPipeline;
  functions: TaskFunctions;
  topic: sns.ITopic;
  logGroup: logs.ILogGroup;
  registryTableName: string;
  stateMachineName?: string;
  /** Security groups the stack created for builders (added to the configured ones). */
  builderSecurityGroupIds?: string[];
}

/** Upper bound of one run: bake (≤ 4 h image wait), test, scan (configurable), with margin. */
export function executionTimeout(pipeline: LoadedPipeline): Duration {
  return Duration.hours(8).plus(Duration.minutes(pipeline.config.scanGate.scanTimeoutMinutes));
}

export class GoldenAmiWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: GoldenAmiWorkflowProps) {
    super(scope, id);
    const { config } = props.pipeline;
    const components = props.pipeline.components.map((c) => c.document.name);
    const steps = componentSteps(props.pipeline.components);

    const failure = failureStage(this, config, props.functions, props.registryTableName, props.topic);
    const ctx: StageContext = {
      scope: this,
      config,
      functions: props.functions,
      registryTable: props.registryTableName,
      failure,
      securityGroupIds: [...config.build.securityGroupIds, ...(props.builderSecurityGroupIds ?? [])],
    };

    const succeeded = sfn.Succeed.jsonata(this, 'Succeeded', {
      outputs: {
        pipeline: config.name,
        version: '{% $version %}',
        imageId: '{% $imageId %}',
        imageName: '{% $imageName %}',
        region: config.distribution.sourceRegion,
        baseImage: '{% $baseImage %}',
        reason: '{% $reason %}',
        requestedBy: '{% $requestedBy %}',
        scanGate: "{% $gate ~> |$|{}, ['topFindings']| %}",
        topFindings: '{% $gate.topFindings %}',
        registry: `{% {'table': '${props.registryTableName}', 'pk': 'PIPELINE#${config.name}', 'version': $version} %}`,
      },
    });
    const done = recordStage(ctx, 'Record Done', 'Done', 'succeeded', "{% {'imageId': $imageId, 'gate': $gate ~> |$|{}, ['topFindings']|} %}");
    done.next(succeeded);

    const scan = scanGateStage(ctx, done);
    const test = testStage(ctx, steps.test, scan);
    const bake = bakeStage(ctx, steps.build, components, test);
    const prepare = prepareStage(ctx, components, componentsDigest(props.pipeline), bake);

    const start = sfn.Pass.jsonata(this, 'Start Run', {
      comment: `Golden AMI lifecycle of pipeline ${config.name}`,
      assign: {
        version: null,
        imageName: null,
        baseImage: null,
        reason: null,
        requestedBy: null,
        skipped: null,
        builderId: null,
        testInstanceId: null,
        imageId: null,
        snapshotIds: [],
        buildSteps: [],
        gate: null,
        cleanupImages: null,
        cleanupInstances: null,
        cleanupRecord: null,
      },
    });
    start.next(prepare);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      timeout: executionTimeout(props.pipeline),
      tracingEnabled: true,
      // Execution data stays out of the logs (it may hold findings and names); history keeps it for auditors.
      logs: { destination: props.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: `golden-ami-pipeline ${config.name}: bake, test, scan gate`,
    });
  }
}
