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
  'requestApproval',
  'copyImage',
  'checkCopy',
  'shareImage',
  'publishImage',
  'updateLaunchTemplates',
  'checkInstanceRefreshes',
  'rollbackLaunchTemplates',
  'markApproved',
  'retention',
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
  // Reads the run's evidence from the registry (scan, inventories, the previous approved image), writes the
  // approval record, tags the image, publishes one email per approver.
  requestApproval: 60,
  // One CopyImage (after a DescribeImages for an earlier copy); CopyImage answers in seconds.
  copyImage: 60,
  checkCopy: 60,
  // Launch permissions, snapshot permissions and KMS grants of one region, then the check that nothing is public.
  shareImage: 120,
  // One PutParameter per region, in the source account and in every consumer account (each role assumed once).
  publishImage: 120,
  // Per target: AssumeRole, a version, the default, a refresh per group — sequentially, for up to a hundred targets.
  updateLaunchTemplates: 300,
  checkInstanceRefreshes: 60,
  rollbackLaunchTemplates: 300,
  // Per region: watermark, deregistration protection, tags.
  markApproved: 120,
  // plan: pages every image of the pipeline in every region and reads every reference in every account and
  // region (DescribeImageReferences takes 10 images a call, at 20 Describe calls/s per account and region);
  // execute: one batch of at most RETENTION_BATCH.total paced image actions. Lambda's maximum.
  retention: 900,
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
    distributeOnly: z
      .strictObject({ version: z.number().int().min(1) })
      .optional()
      .describe('Run only the distribution stages for this already approved version (no bake): e.g. after adding a region or an account.'),
    onlyWhenChanged: z
      .boolean()
      .optional()
      .describe('Skip the run (recorded) when neither the resolved base image nor any component changed since the last approved image (the schedule sets it).'),
  })
  .refine((input) => !(input.distributeOnly && input.baseImage), {
    error: 'distributeOnly redistributes an existing image; it cannot be combined with baseImage',
    path: ['distributeOnly'],
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
  /** Given for `distributeOnly`: the approved image of that version, which the distribution stages start from. */
  redistribution: z.strictObject({ imageId: z.string(), snapshotIds: z.array(z.string()) }).optional(),
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

// ---- distribution ------------------------------------------------------------------------------------------------
/** Copy statuses: a speculative copy waits for the approval as pending-approval; every other copy is distributing. */
export const COPY_STATUSES = ['distributing', 'pending-approval'] as const;

/** One region's golden image: the source image (first) or a copy. The state machine's `$regionImages` holds these. */
export const regionImageSchema = z.strictObject({
  region: z.string(),
  imageId: z.string(),
  snapshotIds: z.array(z.string()),
  accountId: z.string(),
});
export type RegionImage = z.output<typeof regionImageSchema>;

export const copyImageEventSchema = z.strictObject({
  run: runContextSchema,
  sourceImageId: z.string(),
  sourceRegion: z.string(),
  /** Destination region (the function calls CopyImage there). */
  region: z.string(),
  /** Customer managed key of the destination region; absent: the account's default EBS key (never shareable). */
  kmsKeyAlias: z.string().nullish(),
  encrypted: z.boolean(),
  imageName: z.string(),
  version: z.number().int(),
  /** 1, or 2 when the first copy failed: the failed copy is deregistered and a new one started. */
  attempt: z.number().int().min(1).max(2),
  status: z.enum(COPY_STATUSES),
  /** Time-based copy (config distribution.copyCompletionMinutes). */
  copyCompletionMinutes: z.number().int().nullish(),
});
export const copyImageResultSchema = z.strictObject({
  region: z.string(),
  imageId: z.string(),
  /** True when a copy of the source already existed in the region (an earlier run, a speculative copy). */
  reused: z.boolean(),
});

export const checkCopyEventSchema = z.strictObject({
  run: runContextSchema,
  region: z.string(),
  imageId: z.string(),
  /** When `run.now` has reached it while the copy is still pending, the copy counts as failed. */
  deadline: isoTime,
});
export const checkCopyResultSchema = z.strictObject({
  state: z.enum(['pending', 'available', 'failed']),
  snapshotIds: z.array(z.string()),
  accountId: z.string(),
  /** Why a copy failed (EC2's state reason, or the deadline). */
  reason: z.string().optional(),
});

export const sharingSettingsSchema = z.strictObject({
  accounts: z.array(z.string()),
  organizationArn: z.string().nullish(),
  organizationalUnitArns: z.array(z.string()),
  snapshotPermissions: z.boolean(),
});
export type SharingSettings = z.output<typeof sharingSettingsSchema>;

export const shareImageEventSchema = z.strictObject({
  run: runContextSchema,
  image: regionImageSchema,
  sharing: sharingSettingsSchema,
  /** Accounts that must be able to use the region's key (share targets, launch template and parameter accounts). */
  keyAccounts: z.array(z.string()),
  /** The region's customer managed key (alias); absent for an unencrypted image. */
  kmsKeyAlias: z.string().nullish(),
});
export const shareImageResultSchema = z.strictObject({
  region: z.string(),
  imageId: z.string(),
  /** Launch permissions as DescribeImageAttribute reads them back after sharing (the verification). */
  launchPermissions: z.strictObject({ accounts: z.array(z.string()), organizationArns: z.array(z.string()), organizationalUnitArns: z.array(z.string()) }),
  /** Launch permissions removed because the configuration no longer names them. */
  removed: z.array(z.string()),
  snapshotPermissions: z.array(z.strictObject({ snapshotId: z.string(), accounts: z.array(z.string()) })),
  kmsGrants: z.array(z.strictObject({ account: z.string(), keyArn: z.string(), grantId: z.string() })),
});

export const publishImageEventSchema = z.strictObject({
  run: runContextSchema,
  parameterName: z.string(),
  /** The images to publish (publish mode: at least one). */
  regionImages: z.array(regionImageSchema),
  /** Consumer accounts that get the parameter too, through their role (config publish.accounts). */
  accounts: z.array(z.strictObject({ account: z.string(), roleName: z.string() })),
  externalId: z.string(),
  version: z.number().int(),
  /** A redistribution. Kept for compatibility: every publish now leaves a parameter holding a newer version alone. */
  keepNewer: z.boolean().nullish(),
  /**
   * Restore mode (the failure path): the parameters this run published (its Publish result); each one still
   * holding this run's image is set back to the image it held before, or deleted when it held none.
   */
  restore: z.array(z.lazy(() => publishedParameterSchema)).nullish(),
});
export const publishedParameterSchema = z.strictObject({
  account: z.string(),
  region: z.string(),
  name: z.string(),
  imageId: z.string(),
  version: z.number().int(),
  /** The image the parameter held before this run (null: it did not exist); what a failed run restores. */
  previousImageId: z.string().nullable().optional(),
});
export const publishedParametersSchema = z.array(publishedParameterSchema);
export const publishImageResultSchema = z.strictObject({
  parameters: z.array(publishedParameterSchema),
  /** Restore mode: one line per parameter set back or deleted ("111111111111 eu-west-1 /p: back to ami-…"). */
  restored: z.array(z.string()).optional(),
});

// ---- registry and cleanup ----------------------------------------------------------------------------------------
export const STAGES = ['Prepare', 'Bake', 'Test', 'ScanGate', 'Approval', 'Distribute', 'Share', 'Publish', 'LaunchTemplates', 'Retention', 'Done', 'Failed'] as const;
export const recordStageEventSchema = z.strictObject({
  run: runContextSchema,
  registryTable: z.string(),
  version: z.number().int(),
  stage: z.enum(STAGES),
  status: z.enum(['started', 'succeeded', 'failed']),
  /** Stage artifacts (image id, instance ids, gate result …), stored as the stage's record. */
  details: z.record(z.string(), z.unknown()),
  /**
   * A distributeOnly run of an approved version: the IMAGE record gains the artifacts and a lastRedistribution
   * entry, but its stage and status stay as the original run left them.
   */
  redistribution: z.boolean().nullish(),
});
export const recordStageResultSchema = z.strictObject({ recorded: z.literal(true), key: z.strictObject({ pk: z.string(), sk: z.string() }) });

/** The independent clean-up actions of the failure path, each its own state with its own retries. */
export const CLEANUP_ACTIONS = ['images', 'instances', 'copies', 'record'] as const;
export type CleanupAction = (typeof CLEANUP_ACTIONS)[number];

/** What a clean-up action could not do; the notification names every id. */
export const notCleanedSchema = z.strictObject({
  instances: z.array(z.string()),
  images: z.array(z.string()),
  /** Copies in target regions (and their snapshots) not deregistered. */
  copies: z.array(z.string()).optional(),
  /** Why the registry record could not be marked, when it could not. */
  record: z.string().optional(),
  /** Launch templates of a stopped execution that could not be set back (status-change clean-up). */
  launchTemplates: z.array(z.string()).optional(),
  /** Latest-image parameters of a stopped execution that could not be restored (status-change clean-up). */
  parameters: z.array(z.string()).optional(),
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
  /** For `copies`: the target regions searched for copies tagged with the execution. */
  copyRegions: z.array(z.string()).optional(),
  /** For `copies`: the copies the state machine knows ($regionImages; the source region's entry is skipped). */
  regionImages: z.array(regionImageSchema).nullish(),
  /** A distributeOnly run: the record keeps its status (the approved image stays approved). */
  redistribution: z.boolean().nullish(),
});
export const cleanupResultSchema = z.strictObject({
  action: z.enum(CLEANUP_ACTIONS),
  /** Instances now terminated (instances), images now tagged rejected and deprecated (images). */
  terminated: z.array(z.string()),
  rejectedImageIds: z.array(z.string()),
  /** Copies now deregistered with their snapshots (copies). */
  deregistered: z.array(z.string()).optional(),
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
  deregistered: z.array(z.string()).optional(),
  recordedVersion: z.number().int().nullable(),
  notCleaned: notCleanedSchema,
  notified: z.boolean(),
});

// ---- approval --------------------------------------------------------------------------------------------------
/** A component step's result as the Map of the bake or test stage returns it. */
export const stepOutcomeSchema = z.object({
  component: z.string(),
  phase: z.enum(['build', 'validate', 'test']),
  step: z.string(),
  status: z.string(),
});

/**
 * requestApproval, phase `request` (a `.waitForTaskToken` task): build the evidence from the run and the
 * registry, store the approval record (the task token only there), tag the image awaiting-approval, publish one
 * email per approver. The task's output is what the approval API sends with SendTaskSuccess, never this
 * function's return value. Phase `decided` (after the decision, or when no approval is required): tag the image
 * distributing.
 */
export const requestApprovalEventSchema = z.discriminatedUnion('phase', [
  z.strictObject({
    phase: z.literal('request'),
    run: runContextSchema,
    /** $states.context.Task.Token: stored on the approval record, never logged or returned. */
    taskToken: z.string().min(1),
    registryTable: z.string(),
    topicArn: z.string(),
    version: z.number().int().min(1),
    imageId: z.string(),
    imageName: z.string(),
    baseImage: resolvedImageSchema,
    components: z.array(z.string()),
    buildSteps: z.array(stepOutcomeSchema).nullish(),
    testSteps: z.array(stepOutcomeSchema).nullish(),
    gate: gateResultSchema,
    exceptions: z.array(z.strictObject({ cve: z.string(), reason: z.string(), approvedBy: z.string(), expiresOn: z.string() })),
    reason: z.string().nullish(),
    requestedBy: z.string().nullish(),
    approvers: z.array(z.string().min(1)).min(1),
    minApprovals: z.number().int().min(1),
    timeoutHours: z.number().min(0),
  }),
  z.strictObject({
    phase: z.literal('decided'),
    run: runContextSchema,
    imageId: z.string(),
  }),
]);
export const requestApprovalResultSchema = z.strictObject({
  approvalId: z.string().optional(),
  expiresAt: z.string().optional(),
  /** Approvers an email was published to by this invocation. */
  notified: z.array(z.string()),
  imageStatus: z.string(),
});

// ---- launch templates and Mark Approved ------------------------------------------------------------------------------
// (regionImageSchema, the state machine's `$regionImages`: see distribution above.)

/** The role a task assumes in a consumer account (GamiTargetAccountStack's role). */
export const assumedRoleSchema = z.strictObject({
  account: z.string().regex(/^\d{12}$/),
  region: z.string(),
  roleName: z.string(),
  externalId: z.string(),
});
export type AssumedRole = z.output<typeof assumedRoleSchema>;

/** One configured launch template (config `launchTemplates[]`, with defaults), embedded at synth time. */
export const launchTemplateTargetSchema = assumedRoleSchema.extend({
  launchTemplateId: z.string().optional(),
  launchTemplateName: z.string().optional(),
  setDefault: z.boolean(),
  autoScalingGroups: z.array(z.string()),
  minHealthyPercentage: z.number().int().min(0).max(100),
  skipMatching: z.boolean(),
  refreshTimeoutMinutes: z.number().int().min(1),
});
export type LaunchTemplateTarget = z.output<typeof launchTemplateTargetSchema>;

/** What the run changed on one launch template (also its registry item, so an interrupted run can be rolled back). */
export const templateChangeSchema = assumedRoleSchema.extend({
  launchTemplateId: z.string(),
  launchTemplateName: z.string(),
  /** The default version before this run: what a rollback sets back. */
  previousDefaultVersion: z.number().int(),
  newVersion: z.number().int(),
  imageId: z.string(),
  defaultSet: z.boolean(),
});
export type TemplateChange = z.output<typeof templateChangeSchema>;

export const refreshRefSchema = assumedRoleSchema.extend({
  autoScalingGroupName: z.string(),
  instanceRefreshId: z.string(),
  /** Of the template whose new version the refresh rolls out. */
  launchTemplateId: z.string(),
});
export type RefreshRef = z.output<typeof refreshRefSchema>;

export const updateLaunchTemplatesEventSchema = z.strictObject({
  run: runContextSchema,
  registryTable: z.string(),
  version: z.number().int(),
  targets: z.array(launchTemplateTargetSchema),
  regionImages: z.array(regionImageSchema).min(1),
});
/** A template the run left alone: its default already launches a newer image of the pipeline (a concurrent run's). */
export const supersededTemplateSchema = z.strictObject({
  account: z.string(),
  region: z.string(),
  launchTemplateId: z.string(),
  launchTemplateName: z.string(),
  /** The image the default version launches, and its `gami:version`. */
  defaultImageId: z.string(),
  byVersion: z.number().int(),
});

export const updateLaunchTemplatesResultSchema = z.strictObject({
  templates: z.array(templateChangeSchema),
  /** Templates not changed because a newer version of the pipeline already rolled out there. */
  superseded: z.array(supersededTemplateSchema).optional(),
  refreshes: z.array(refreshRefSchema),
  /** When the refreshes must have finished (the longest refreshTimeoutMinutes of a target with groups). */
  refreshDeadline: isoTime,
});

export const checkInstanceRefreshesEventSchema = z.strictObject({
  run: runContextSchema,
  refreshes: z.array(refreshRefSchema),
  deadline: isoTime,
});
export const checkInstanceRefreshesResultSchema = z.strictObject({
  /** True when every refresh has succeeded; a failed, cancelled or late one throws LaunchTemplateUpdateFailed. */
  done: z.boolean(),
  refreshes: z.array(
    z.strictObject({ autoScalingGroupName: z.string(), account: z.string(), region: z.string(), status: z.string(), percentageComplete: z.number().optional() }),
  ),
});

export const rollbackLaunchTemplatesEventSchema = z.strictObject({
  run: runContextSchema,
  registryTable: z.string(),
  version: z.number().int(),
});
export const rollbackLaunchTemplatesResultSchema = z.strictObject({
  /** "web-prod (222222222222/eu-west-1): default back to 1", one line per template. */
  rolledBack: z.array(z.string()),
  /** "web-prod-asg (222222222222/eu-west-1): refresh <id> cancelled". */
  cancelledRefreshes: z.array(z.string()),
});

export const markApprovedEventSchema = z.strictObject({
  run: runContextSchema,
  regionImages: z.array(regionImageSchema).min(1),
  /** The AMI watermark's name (the pipeline's name): its key is <account>:<name>. */
  watermarkName: z.string(),
});
export const markApprovedResultSchema = z.strictObject({
  approved: z.array(z.strictObject({ region: z.string(), imageId: z.string(), watermarkKey: z.string() })),
});
// ---- retention -------------------------------------------------------------------------------------------------
/**
 * Batches of the retention executor (tasks/retention/execute.ts), sized under EC2's request limits per account
 * and region (AWS-FACTS.md): DeregisterImage and DeleteSnapshot 100 tokens refilled at 5/s, EnableImageDeprecation
 * (the default mutating bucket) 50 at 5/s, CreateTags 100 at 10/s (one per deprecation and per deregistration),
 * Describe* 100 at 20/s (two per account and region and batch: DescribeImages and DescribeSnapshots by filter).
 * One batch takes at most `deregisterPerScope` deregistrations and `deprecatePerScope` deprecations of one
 * account and region (90 CreateTags together), `total` in all (so a batch's registry item stays far below
 * DynamoDB's 400 KB); the state machine waits `waitSeconds` between batches, which refills every bucket a batch
 * drew from (5/s × 20 s = 100).
 */
export const RETENTION_BATCH = { deregisterPerScope: 60, deprecatePerScope: 30, total: 1000, waitSeconds: 20 } as const;

/**
 * Batches the lifecycle's Retention stage executes at most (the RetentionSweep has no limit): a release's run
 * stays short and bounded (executionTimeout allows an hour for it); what is left is the next sweep's, and the
 * report says how many actions it left.
 */
export const LIFECYCLE_RETENTION_MAX_BATCHES = 10;

/** Where retention looks and what it may do: the config's distribution, sharing, templates and retention, resolved at synth. */
export const retentionSettingsSchema = z.strictObject({
  sourceRegion: z.string(),
  targetRegions: z.array(z.string()),
  /** Consumer accounts (sharing.accounts and launch template accounts) and the role retention reads them through. */
  accounts: z.array(z.strictObject({ account: z.string().regex(/^\d{12}$/), roleName: z.string() })),
  /** The publish parameter (the current golden image), when the pipeline publishes one. */
  publishParameter: z.string().nullable(),
  keepNewest: z.number().int().min(1),
  deprecateAfterDays: z.number().int().min(1),
  deregisterAfterDays: z.number().int().min(1),
  deleteSnapshots: z.boolean(),
  rejectedRetentionDays: z.number().int().min(0).optional(),
});
export type RetentionSettings = z.output<typeof retentionSettingsSchema>;

export const RETENTION_TRIGGERS = ['lifecycle', 'sweep'] as const;

export const retentionEventSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('plan'),
    run: runContextSchema,
    registryTable: z.string(),
    trigger: z.enum(RETENTION_TRIGGERS),
    /** Only report: nothing is changed (config retention.dryRun, or the execution input's `dryRun`). */
    dryRun: z.boolean(),
    /** At most this many batches (the lifecycle's stage); the rest is left to the next sweep. Null: all. */
    maxBatches: z.number().int().min(1).nullable(),
    settings: retentionSettingsSchema,
  }),
  z.strictObject({
    action: z.literal('execute'),
    run: runContextSchema,
    registryTable: z.string(),
    sweepId: z.string(),
    /** The batch to execute, from 1. */
    batch: z.number().int().min(1),
  }),
  z.strictObject({
    action: z.literal('report'),
    run: runContextSchema,
    registryTable: z.string(),
    sweepId: z.string(),
    /** The lifecycle's version, whose Retention stage item the report is also recorded as. */
    version: z.number().int().nullable(),
  }),
  z.strictObject({
    action: z.literal('failed'),
    run: runContextSchema,
    registryTable: z.string(),
    version: z.number().int().nullable(),
    error: z.string(),
    cause: z.string(),
  }),
]);
export type RetentionEvent = z.output<typeof retentionEventSchema>;

export const retentionTotalsSchema = z.strictObject({
  kept: z.number().int(),
  deprecated: z.number().int(),
  deregistered: z.number().int(),
  snapshotsDeleted: z.number().int(),
  freedGiB: z.number(),
});

export const retentionPlanResultSchema = z.strictObject({
  sweepId: z.string(),
  dryRun: z.boolean(),
  /** Batches the executor goes through (0 when there is nothing to do, or on a dry run). */
  batches: z.number().int(),
  planned: retentionTotalsSchema,
  /** Actions left to the next sweep (beyond maxBatches). */
  deferred: z.number().int(),
  images: z.number().int(),
  unreadableScopes: z.number().int(),
  describeImagesCalls: z.number().int(),
});
export const retentionExecuteResultSchema = z.strictObject({
  batch: z.number().int(),
  /** The next batch, or null after the last. */
  next: z.number().int().nullable(),
  deprecated: z.number().int(),
  deregistered: z.number().int(),
  failed: z.number().int(),
});
export const retentionReportResultSchema = z.strictObject({
  sweepId: z.string(),
  key: z.strictObject({ pk: z.string(), sk: z.string() }),
  dryRun: z.boolean(),
  done: retentionTotalsSchema,
  failed: z.number().int(),
  unreadableScopes: z.array(z.string()),
  complianceIssues: z.number().int(),
  /** One line per version (newest first, a few), for people watching a run. */
  lines: z.array(z.string()),
});
export const retentionFailedResultSchema = z.strictObject({ recorded: z.boolean() });
