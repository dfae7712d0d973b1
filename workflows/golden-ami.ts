/**
 * The golden-AMI lifecycle state machine of one pipeline (Standard workflow, JSONata, Assign variables).
 * The pipeline's configuration is embedded at synth time, so a console run with input `{}` works.
 *
 * Execution input (all optional, validated by `prepare`; a malformed field fails the run with
 * InvalidExecutionInput naming it): `baseImage` ({amiId} | {ssmParameter} | {owner, namePattern}) overrides the
 * configured base image for this run; `reason` and `requestedBy` go to the audit trail; `distributeOnly`
 * ({version}) runs only Distribute → Share → Publish (→ launch templates, retention) for that version's approved
 * image (ImageNotApproved otherwise); `onlyWhenChanged` (the schedule sets it from schedule.onlyWhenChanged) skips
 * a run that would rebuild the last approved image.
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
 *  6. Approval (workflows/stages/approval.ts)
 *     Record Approval Requested, Request Approval  requestApproval {phase: request, taskToken, evidence} with
 *                          .waitForTaskToken (TimeoutSeconds = approval.timeoutHours) → the approval API's
 *                          SendTaskSuccess {decision, evidenceSha256, approvers} → $approval; SendTaskFailure
 *                          ApprovalRejected; States.Timeout → ApprovalExpired (failure path: image expired)
 *     Mark Image Distributing requestApproval {phase: decided}; Record Approval. required: false → recorded as
 *                          not required, and passes.
 *  7. Distribute (stages/distribute.ts)  Map over target regions: copyImage → checkCopy with back-off, one retry;
 *                          RegionCopyFailed naming the regions                                → $regionImages
 *     (startBeforeApproval: the copies are started right after Bake, pending-approval, and found again here)
 *  8. Share (stages/share.ts)     Map over $regionImages: shareImage (launch/snapshot permissions, KMS grants,
 *                          never public); ShareFailed                                           → $shares
 *  9. Publish (stages/publish.ts) publishImage: aws:ec2:image parameter per region and consumer account → $parameters
 * 10. UpdateLaunchTemplates (workflows/stages/launch-templates.ts): every configured launch template gets a new
 *     default version with the image, the listed groups an instance refresh — all or nothing: any failure rolls
 *     back every template changed (previous default, refreshes cancelled) → LaunchTemplateUpdateFailed. Then Mark
 *     Approved: image and copies watermarked, protected from deregistration, tagged gami:status=approved
 * 11. Retention (workflows/stages/retention.ts): plan, retire in paced batches, report; a Retention failure is
 *     recorded and notified and does not fail the release
 * 12. Record Done, Succeeded (output: the run summary); a redistribution skips Record Done
 *  Failure path (every Catch, States.DataLimitExceeded by name first): Reject Run Images → Terminate Run
 *  Instances → Deregister Run Copies → Mark Record Failed (four independent cleanup actions, each retried on any error and passed over
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
 *   Approval  approval.timeoutHours, then ApprovalExpired
 *   Distribute each copy ≤ 6 h (or copyCompletionMinutes + 30 min), twice at most, copyConcurrency regions at a time
 *   LaunchTemplates  the longest refreshTimeoutMinutes (checks back off from 1 to 5 min), then LaunchTemplateUpdateFailed
 *   Retention at most LIFECYCLE_RETENTION_MAX_BATCHES batches, 20 s apart (the rest is the RetentionSweep's); the
 *             execution timeout allows it an hour
 *
 * Every stage is a builder in workflows/stages/ that takes the state after it.
 */
import { createHash } from 'node:crypto';
import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { LoadedPipeline } from '../pipeline/validate';
import { approvalStage } from './stages/approval';
import { bakeStage } from './stages/bake';
import { recordStage, type StageContext, type TaskFunctions } from './stages/common';
import { failureStage } from './stages/failure';
import { copyDeadlineMinutes, distributeStage, startCopiesEarly } from './stages/distribute';
import { launchTemplatesStage, launchTemplatesWait } from './stages/launch-templates';
import { componentSteps } from './stages/instance';
import { prepareStage } from './stages/prepare';
import { publishStage } from './stages/publish';
import { retentionStage } from './stages/retention';
import { scanGateStage } from './stages/scan-gate';
import { shareStage } from './stages/share';
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

/**
 * Upper bound of one run: bake (≤ 4 h image wait), test, scan (configurable), approval (configurable), copies (two
 * attempts per wave of regions), instance refreshes, retention (an hour), with margin.
 */
export function executionTimeout(pipeline: LoadedPipeline): Duration {
  const { distribution, scanGate, approval } = pipeline.config;
  const approvalHours = approval.required ? approval.timeoutHours : 0;
  const waves = Math.ceil(distribution.targetRegions.length / distribution.copyConcurrency);
  const copyMinutes = waves * 2 * copyDeadlineMinutes(distribution.copyCompletionMinutes);
  return Duration.hours(9 + approvalHours)
    .plus(Duration.minutes(scanGate.scanTimeoutMinutes + copyMinutes))
    .plus(launchTemplatesWait({ config: pipeline.config }));
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
        // A redistribution has no gate of its own (the version's record keeps the one it passed).
        scanGate: "{% $gate ? ($gate ~> |$|{}, ['topFindings']|) : null %}",
        topFindings: '{% $gate ? $gate.topFindings : [] %}',
        approval: `{% ${config.approval.required ? '$approval' : "{'required': false}"} %}`,
        regionImages: '{% $regionImages %}',
        shares: '{% $shares %}',
        parameters: '{% $parameters %}',
        redistribution: '{% $redistribute %}',
        retention: "{% $retentionReport ? $retentionReport : {'error': $retentionError, 'cause': $retentionCause} %}",
        registry: `{% {'table': '${props.registryTableName}', 'pk': 'PIPELINE#${config.name}', 'version': $version} %}`,
      },
    });
    const done = recordStage(ctx, 'Record Done', 'Done', 'succeeded', "{% {'imageId': $imageId, 'gate': $gate ~> |$|{}, ['topFindings']|} %}");
    done.next(succeeded);
    // A redistribution (distributeOnly) leaves the version's Done record to the run that built it.
    const finish = sfn.Choice.jsonata(this, 'Redistribution?')
      .when(sfn.Condition.jsonata('{% $redistribute %}'), succeeded)
      .otherwise(done);

    const retention = retentionStage(ctx, finish, props.topic);
    const launchTemplates = launchTemplatesStage(ctx, retention);
    const publish = publishStage(ctx, launchTemplates);
    const share = shareStage(ctx, publish);
    const distribute = distributeStage(ctx, share);
    const approval = approvalStage(ctx, { topicArn: props.topic.topicArn, components }, distribute);
    const scan = scanGateStage(ctx, approval);
    const test = testStage(ctx, steps.test, scan);
    const bake = bakeStage(ctx, steps.build, components, startCopiesEarly(ctx, test));
    const prepare = prepareStage(ctx, components, componentsDigest(props.pipeline), bake, distribute);

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
        approval: null,
        testSteps: [],
        redistribute: false,
        copies: [],
        regionImages: [],
        shares: [],
        parameters: [],
        launchTemplates: null,
        refreshWait: null,
        refreshesDone: null,
        rollback: null,
        templateCause: null,
        approved: null,
        cleanupImages: null,
        cleanupInstances: null,
        cleanupCopies: null,
        cleanupRecord: null,
        retention: null,
        retentionBatch: null,
        retentionReport: null,
        retentionError: null,
        retentionCause: null,
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
      comment: `golden-ami-pipeline ${config.name}: bake, test, scan gate, approval, distribute, share, publish, launch templates, retention`,
    });
  }
}
