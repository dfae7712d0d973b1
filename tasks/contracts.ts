/**
 * The contract of every lifecycle task: the event the state machine sends and the result it gets back, one
 * zod schema per shape, shared by the handlers (which parse their event with it) and the workflow construct
 * (which builds the event with JSONata and reads the result). Workflows import only types and these schemas
 * from here, never handler code.
 *
 * Time: handlers never read the wall clock for decisions; the state machine passes `now` (the state's
 * EnteredTime), so the same code is exact under the local runtime's virtual clock.
 */
import * as z from 'zod';
import { SEVERITIES } from '../pipeline/config';
import { imageSpecSchema } from '../pipeline/image-spec';

/** Names of the task functions; the infra creates one Lambda per name, the local runtime maps them. */
export const TASK_NAMES = [
  'prepare',
  'launchInstance',
  'checkInstanceReady',
  'runStep',
  'checkStep',
  'createImage',
  'checkImage',
  'terminateInstances',
  'checkScanCoverage',
  'evaluateScanGate',
  'recordStage',
  'cleanup',
  'recordInventory',
  'archiveExecution',
  'reportFreshness',
  'watchSchedule',
] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/**
 * Each function's own timeout (seconds): the one owner of how long a handler may run. Lambda ends a handler
 * at this limit (error Sandbox.Timedout, retried by the state machine like a crash); the Task state's
 * TimeoutSeconds is this plus TASK_TIMEOUT_MARGIN_SECONDS, a backstop for an invocation that is lost on the
 * way (States.Timeout, retried the same way). The infra sets the functions' timeouts from this table and the
 * workflow the tasks' timeouts, so the two can never disagree.
 */
export const FUNCTION_TIMEOUT_SECONDS: Record<TaskName, number> = {
  prepare: 60,
  launchInstance: 60,
  checkInstanceReady: 60,
  runStep: 60,
  checkStep: 60,
  // Waits for CreateImage's answer, which can take a minute on large volumes.
  createImage: 120,
  checkImage: 60,
  terminateInstances: 60,
  checkScanCoverage: 60,
  // Pages through every finding of the instance and writes the scan evidence.
  evaluateScanGate: 300,
  recordStage: 60,
  cleanup: 120,
  // Pages through the instance's inventory (50 entries a page) and writes one registry item.
  recordInventory: 60,
  // Pages through the whole history (up to 25,000 events, 1,000 a page) and writes one S3 object.
  archiveExecution: 120,
  // One registry query and one PutMetricData.
  reportFreshness: 60,
  // A page or two of ListExecutions, GetSchedule, UpdateSchedule, one Publish.
  watchSchedule: 60,
};
export const TASK_TIMEOUT_MARGIN_SECONDS = 30;

/**
 * Error names AWS services use for throttling: handlers let them through unwrapped, and the state machine
 * retries them with backoff (one list, so the two can never disagree).
 */
export const THROTTLING_ERRORS = [
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
] as const;

const isoTime = z.iso.datetime({ offset: true });

/** Identifies the run every task works for; tags and idempotency tokens derive from it. */
export const runContextSchema = z.strictObject({
  pipeline: z.string(),
  executionArn: z.string(),
  executionName: z.string(),
  /** The state's EnteredTime ($states.context.State.EnteredTime). */
  now: isoTime,
});
export type RunContext = z.output<typeof runContextSchema>;

/** The execution input a person or schedule may give; `{}` runs the pipeline as configured. */
export const executionInputSchema = z
  .strictObject({
    baseImage: z
      .union([
        z.strictObject({ amiId: z.string().regex(/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/, { error: (i) => `${JSON.stringify(i.input)} is not an AMI id` }) }),
        z.strictObject({ ssmParameter: z.string().regex(/^\/[\w.\-/]+$/, { error: (i) => `${JSON.stringify(i.input)} is not an SSM parameter name` }) }),
        z.strictObject({ owner: z.string().min(1), namePattern: z.string().min(1) }),
      ])
      .optional()
      .describe('Override the configured base image for this run.'),
    reason: z.string().max(500).optional().describe('Why this run was started (shown to approvers and auditors).'),
    requestedBy: z.string().max(200).optional().describe('Who started it (defaults to the schedule or console user).'),
    onlyWhenChanged: z
      .boolean()
      .optional()
      .describe('Skip the run (recorded) when neither the resolved base image nor any component changed since the last approved image (the schedule sets it).'),
  })
  .describe('Execution input. {} runs the pipeline as configured.');
export type ExecutionInput = z.output<typeof executionInputSchema>;

export const resolvedImageSchema = z.strictObject({
  imageId: z.string(),
  name: z.string(),
  ownerId: z.string(),
  creationDate: z.string(),
  /** How it was found, for the audit trail: "ssm:/aws/service/...", "ami-...", "owner:amazon name:al2023-*". */
  source: z.string(),
});
export type ResolvedImage = z.output<typeof resolvedImageSchema>;

// ---- prepare -------------------------------------------------------------------------------------------------
export const prepareEventSchema = z.strictObject({
  run: runContextSchema,
  /** Raw execution input: validated here, so a malformed field is refused with its name. */
  input: z.unknown(),
  config: z.strictObject({
    baseImage: z.record(z.string(), z.string()),
    architecture: z.string(),
    namingPattern: z.string(),
    registryTable: z.string(),
    components: z.array(z.string()),
    /** The trust policy's owners (config `baseImageTrust.allowedOwners`). */
    allowedOwners: z.array(z.string()).min(1),
    /** SHA-256 of the components' documents, in order (synth time): what `onlyWhenChanged` compares. */
    componentsDigest: z.string(),
  }),
});
/** A run that `onlyWhenChanged` skipped: what it compared with. */
export const skippedRunSchema = z.strictObject({
  reason: z.string(),
  lastApproved: z.strictObject({ version: z.number().int(), imageId: z.string().nullable() }),
});
export const prepareResultSchema = z.strictObject({
  /** null when the run is skipped (no version is taken). */
  version: z.number().int().min(1).nullable(),
  imageName: z.string().nullable(),
  baseImage: resolvedImageSchema,
  reason: z.string(),
  requestedBy: z.string(),
  skipped: skippedRunSchema.nullable(),
});

// ---- instances -------------------------------------------------------------------------------------------------
export const INSTANCE_PURPOSES = ['build', 'test'] as const;
export const launchInstanceEventSchema = z.strictObject({
  run: runContextSchema,
  purpose: z.enum(INSTANCE_PURPOSES),
  imageId: z.string(),
  version: z.number().int(),
  instanceType: z.string(),
  subnetId: z.string(),
  securityGroupIds: z.array(z.string()),
  instanceProfile: z.string(),
  rootVolumeSizeGiB: z.number().int().optional(),
  /**
   * The image spec (config `image`, resolved): given for the builder, whose volumes and encryption it sets and
   * whose base image it checks (root size ≥ snapshot, boot mode, NitroTPM). The test instance takes the new
   * image's own mappings.
   */
  image: imageSpecSchema.optional(),
  tags: z.record(z.string(), z.string()),
});
export const launchInstanceResultSchema = z.strictObject({
  instanceId: z.string(),
  /** The launched image's root device (given when `image` was): CreateImage maps the root volume on it. */
  rootDeviceName: z.string().optional(),
});

export const checkInstanceReadyEventSchema = z.strictObject({
  run: runContextSchema,
  instanceId: z.string(),
  /** When given and `run.now` has reached it while the instance is still not ready: InstanceNotReady. */
  deadline: isoTime.optional(),
});
export const checkInstanceReadyResultSchema = z.strictObject({
  ready: z.boolean(),
  instanceState: z.string(),
  pingStatus: z.string().optional(),
});

export const terminateInstancesEventSchema = z.strictObject({
  run: runContextSchema,
  /** Terminate these; when absent, every instance tagged with this execution. */
  instanceIds: z.array(z.string()).optional(),
});
export const terminateInstancesResultSchema = z.strictObject({ terminated: z.array(z.string()) });

// ---- component steps -----------------------------------------------------------------------------------------
/** One component step, flattened at synth time: the unit the workflow runs through SSM RunCommand. */
export const componentStepRefSchema = z.strictObject({
  component: z.string(),
  phase: z.enum(['build', 'validate', 'test']),
  step: z.string(),
  commands: z.array(z.string()),
  timeoutSeconds: z.number().int(),
  onFailure: z.enum(['Abort', 'Continue', 'Ignore']),
  maxAttempts: z.number().int(),
});
export type ComponentStepRef = z.output<typeof componentStepRefSchema>;

export const runStepEventSchema = z.strictObject({
  run: runContextSchema,
  /** Where the step attempt is claimed, so concurrent invocations send one command. */
  registryTable: z.string(),
  instanceId: z.string(),
  step: componentStepRefSchema,
  attempt: z.number().int().min(1),
});
export const runStepResultSchema = z.strictObject({ commandId: z.string() });

export const STEP_STATUSES = ['InProgress', 'Success', 'Failed', 'Ignored'] as const;
export const checkStepEventSchema = z.strictObject({
  run: runContextSchema,
  instanceId: z.string(),
  commandId: z.string(),
  step: componentStepRefSchema,
  attempt: z.number().int().min(1),
});
/**
 * InProgress: poll again. Success: next step. Ignored: failed with onFailure Ignore. Failed: failed with
 * onFailure Continue, or with attempts left (the workflow retries). A failure with onFailure Abort and no
 * attempt left throws ComponentFailed instead.
 */
export const checkStepResultSchema = z.strictObject({
  status: z.enum(STEP_STATUSES),
  responseCode: z.number().int().optional(),
  outputTail: z.string(),
  retry: z.boolean(),
});

// ---- image -----------------------------------------------------------------------------------------------------
export const createImageEventSchema = z.strictObject({
  run: runContextSchema,
  instanceId: z.string(),
  imageName: z.string(),
  description: z.string(),
  version: z.number().int(),
  baseImageId: z.string(),
  components: z.array(z.string()),
  tags: z.record(z.string(), z.string()),
  /** The image spec: CreateImage pins its volume sizes, types, IOPS and throughput. */
  image: imageSpecSchema.optional(),
  /** The builder's root device (launchInstance's result). */
  rootDeviceName: z.string().nullish(),
});
export const createImageResultSchema = z.strictObject({ imageId: z.string(), snapshotIds: z.array(z.string()) });

export const checkImageEventSchema = z.strictObject({
  run: runContextSchema,
  imageId: z.string(),
  /** v2.0: once available, mark the image IMDSv2-only (ModifyImageAttribute; CreateImage cannot). */
  imdsSupport: z.enum(['v2.0', 'none']).optional(),
});
/** What the image is made of, as EC2 describes it: recorded in the registry with the Bake stage. */
export const imageFactsSchema = z.strictObject({
  architecture: z.string().optional(),
  bootMode: z.string().optional(),
  tpmSupport: z.string().optional(),
  imdsSupport: z.string().optional(),
  rootDeviceName: z.string().optional(),
  blockDevices: z.array(
    z.strictObject({
      deviceName: z.string(),
      snapshotId: z.string().optional(),
      sizeGiB: z.number().int().optional(),
      type: z.string().optional(),
      iops: z.number().int().optional(),
      throughputMiBps: z.number().int().optional(),
      encrypted: z.boolean().optional(),
      kmsKeyId: z.string().optional(),
    }),
  ),
});
export type ImageFacts = z.output<typeof imageFactsSchema>;
export const checkImageResultSchema = z.strictObject({
  state: z.enum(['pending', 'available']),
  snapshotIds: z.array(z.string()),
  /** Given when the event carries `imdsSupport` (the workflow always does). */
  image: imageFactsSchema.optional(),
});

// ---- scan gate -------------------------------------------------------------------------------------------------
export const checkScanCoverageEventSchema = z.strictObject({
  run: runContextSchema,
  instanceId: z.string(),
  /** When given and `run.now` has reached it while the scan is still pending: ScanIncomplete (fail closed). */
  deadline: isoTime.optional(),
});
/** PENDING: poll again. SCANNED: findings are final. UNSUPPORTED never returns: it throws ScanIncomplete. */
export const checkScanCoverageResultSchema = z.strictObject({
  status: z.enum(['PENDING', 'SCANNED']),
  statusReason: z.string().optional(),
});

export const severitySchema = z.enum(SEVERITIES);
export const gateFindingSchema = z.strictObject({
  findingArn: z.string(),
  vulnerabilityId: z.string(),
  severity: severitySchema,
  title: z.string(),
  packageName: z.string().optional(),
  installedVersion: z.string().optional(),
  fixedInVersion: z.string().optional(),
  inspectorScore: z.number().optional(),
  exploitAvailable: z.boolean().optional(),
  fixAvailable: z.boolean().optional(),
  /**
   * When the fix became available (ISO time), for a finding with a fix: the vendor's vendorUpdatedAt (Inspector
   * has no "fix available since" field; the vendor updates its advisory when the fixed build ships).
   */
  fixAvailableSince: z.string().optional(),
});
export type GateFinding = z.output<typeof gateFindingSchema>;

export const evaluateScanGateEventSchema = z.strictObject({
  run: runContextSchema,
  instanceId: z.string(),
  imageId: z.string(),
  version: z.number().int(),
  registryTable: z.string(),
  scanGate: z.strictObject({
    maxFindings: z.record(severitySchema, z.union([z.number().int().min(0), z.literal('unlimited')])),
    /** Remediation windows: most days since the fix per severity (config scanGate.maxDaysSinceFix); absent: none. */
    maxDaysSinceFix: z.partialRecord(severitySchema, z.union([z.number().int().min(0), z.literal('unlimited')])).optional(),
    exceptions: z.array(
      z.strictObject({ cve: z.string(), reason: z.string(), approvedBy: z.string(), expiresOn: z.string() }),
    ),
  }),
});
/** A fixable finding that has shipped longer after its fix than its severity's window allows. */
export const windowViolationSchema = z.strictObject({
  vulnerabilityId: z.string(),
  severity: severitySchema,
  packageName: z.string().optional(),
  installedVersion: z.string().optional(),
  fixedInVersion: z.string().optional(),
  /** ISO time the fix became available; absent when Inspector gave no date (fails closed). */
  fixAvailableSince: z.string().optional(),
  daysSinceFix: z.number().int().optional(),
  maxDaysSinceFix: z.number().int(),
});
export type WindowViolation = z.output<typeof windowViolationSchema>;

export const gateResultSchema = z.strictObject({
  passed: z.boolean(),
  /** Active findings per severity after exceptions. */
  counts: z.record(severitySchema, z.number().int()),
  thresholds: z.record(severitySchema, z.union([z.number().int(), z.literal('unlimited')])),
  /** Remediation windows applied, per severity (days since the fix, or 'unlimited'). */
  windows: z.record(severitySchema, z.union([z.number().int(), z.literal('unlimited')])).optional(),
  /** Each fixable finding past its window, oldest fix first. */
  windowViolations: z.array(windowViolationSchema).optional(),
  /** Human-readable, e.g. "HIGH: 3 findings > 0 allowed", "HIGH CVE-… (glibc): fix available since 2026-11-12, 10 days > 7 allowed". */
  violations: z.array(z.string()),
  exceptionsApplied: z.array(z.strictObject({ cve: z.string(), findings: z.number().int(), expiresOn: z.string() })),
  /** Exceptions ignored because they had expired by `now`. */
  exceptionsExpired: z.array(z.string()),
  totalFindings: z.number().int(),
  topFindings: z.array(gateFindingSchema).max(10),
});
export type GateResult = z.output<typeof gateResultSchema>;

// ---- package inventory -----------------------------------------------------------------------------------------
export const recordInventoryEventSchema = z.strictObject({
  run: runContextSchema,
  registryTable: z.string(),
  version: z.number().int(),
  /** The managed instance whose SSM Inventory (AWS:Application) is read. */
  instanceId: z.string(),
  /** The image the instance runs: the new image (role image) or the base image (role base, on the builder before any step). */
  imageId: z.string(),
  role: z.enum(['image', 'base']),
});
export const recordInventoryResultSchema = z.strictObject({
  role: z.enum(['image', 'base']),
  imageId: z.string(),
  count: z.number().int(),
  rawBytes: z.number().int(),
  storedBytes: z.number().int(),
  encoding: z.enum(['list', 'gzip']),
  captureTime: z.string().optional(),
  /** Role image, when the base inventory was recorded: how many packages were added, removed and changed. */
  changes: z.strictObject({ added: z.number().int(), removed: z.number().int(), changed: z.number().int() }).optional(),
});

// ---- registry and cleanup ----------------------------------------------------------------------------------------
export const STAGES = ['Prepare', 'Bake', 'Test', 'ScanGate', 'Done', 'Failed'] as const;
export const recordStageEventSchema = z.strictObject({
  run: runContextSchema,
  registryTable: z.string(),
  version: z.number().int(),
  stage: z.enum(STAGES),
  status: z.enum(['started', 'succeeded', 'failed']),
  /** Stage artifacts (image id, instance ids, gate result …), stored as the stage's record. */
  details: z.record(z.string(), z.unknown()),
});
export const recordStageResultSchema = z.strictObject({ recorded: z.literal(true), key: z.strictObject({ pk: z.string(), sk: z.string() }) });

/** The independent clean-up actions of the failure path, each its own state with its own retries. */
export const CLEANUP_ACTIONS = ['images', 'instances', 'record'] as const;
export type CleanupAction = (typeof CLEANUP_ACTIONS)[number];

/** What a clean-up action could not do; the notification names every id. */
export const notCleanedSchema = z.strictObject({
  instances: z.array(z.string()),
  images: z.array(z.string()),
  /** Why the registry record could not be marked, when it could not. */
  record: z.string().optional(),
});
export type NotCleaned = z.output<typeof notCleanedSchema>;

/** One clean-up action of a failed run, invoked by the state machine's failure path. */
export const cleanupEventSchema = z.strictObject({
  run: runContextSchema,
  action: z.enum(CLEANUP_ACTIONS),
  /** The run's image as the state machine knows it; images tagged with the execution are found as well. */
  imageId: z.string().nullish(),
  /** The run's version when Prepare returned one; otherwise the record is found by execution. */
  version: z.number().int().nullish(),
  registryTable: z.string(),
  /** Stage that failed, the execution error (one of EXECUTION_ERRORS) and its readable cause. */
  stage: z.string(),
  error: z.string(),
  cause: z.string(),
  /** For `record`: what the earlier actions could not clean, stored with the record for auditors. */
  notCleaned: notCleanedSchema.optional(),
});
export const cleanupResultSchema = z.strictObject({
  action: z.enum(CLEANUP_ACTIONS),
  /** Instances now terminated (instances), images now tagged rejected and deprecated (images). */
  terminated: z.array(z.string()),
  rejectedImageIds: z.array(z.string()),
  /** The version whose record is now terminal (record); null when the run never got one. */
  recordedVersion: z.number().int().nullable().optional(),
});

/**
 * The EventBridge event "Step Functions Execution Status Change" of an execution that ended ABORTED or
 * TIMED_OUT: no Catch ran, so the stack's rule invokes cleanup with it, and cleanup does every action
 * and sends the notification itself.
 */
export const executionStatusChangeSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  time: isoTime.optional(),
  detail: z.object({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: z.string(),
    status: z.string(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
    stopDate: z.number().nullish(),
  }),
});
export type ExecutionStatusChange = z.output<typeof executionStatusChangeSchema>;
/** An EventBridge scheduled event (a rule with a schedule expression): its `time` is when it fired. */
export const scheduledEventSchema = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: isoTime,
});
export const statusChangeCleanupResultSchema = z.strictObject({
  executionArn: z.string(),
  status: z.string(),
  terminated: z.array(z.string()),
  rejectedImageIds: z.array(z.string()),
  recordedVersion: z.number().int().nullable(),
  notCleaned: notCleanedSchema,
  notified: z.boolean(),
});
