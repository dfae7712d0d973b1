/**
 * The pipeline configuration: one YAML file per pipeline (`pipelines/<name>.yaml`), validated by this zod
 * schema. Every object is strict — an unknown key is an error, because a typo such as `maxFinding:` must
 * never silently switch a gate off. Every default is explicit here and documented in its description (which
 * also lands in `pipelines/schema.json` for editor completion).
 *
 * Rules that involve more than one field live in `validate.ts` (cross-field checks) so that this file stays
 * a plain description of the shape, convertible to JSON Schema.
 */
import * as z from 'zod';
import {
  MAX_APPROVERS,
  MAX_AUTO_SCALING_GROUPS_PER_TEMPLATE,
  MAX_COMPONENTS,
  MAX_CONCURRENT_SNAPSHOT_COPIES,
  MAX_EXCEPTION_REASON_LENGTH,
  MAX_LAUNCH_TEMPLATES,
  MAX_NOTIFICATION_EMAILS,
  MAX_SCAN_EXCEPTIONS,
  MAX_SECURITY_GROUPS_PER_INTERFACE,
  MAX_SSM_PARAMETER_LEVELS,
  MAX_SSM_PARAMETER_NAME_LENGTH,
  MAX_TAG_KEY_LENGTH,
  MAX_TAGS_PER_RESOURCE,
  MAX_TAG_VALUE_LENGTH,
  MAX_USER_TAGS,
  MAX_TIME_BASED_COPY_MINUTES,
  MAX_VOLUME_SIZE_GIB,
  MIN_TIME_BASED_COPY_MINUTES,
  PIPELINE_IMAGE_TAG_KEYS,
  RESERVED_TAG_PREFIX,
  TIME_BASED_COPY_STEP_MINUTES,
} from './limits';
import { imageSpecSchema } from './image-spec';
import { AWS_REGIONS, isAwsRegion } from './regions';
import { closest } from './suggest';

const quote = (value: unknown): string => JSON.stringify(value) ?? String(value);
const listed = (value: unknown): string => (Array.isArray(value) ? `${value.length}` : 'too many');
const lengthOf = (value: unknown): string => (typeof value === 'string' ? String(value.length) : 'too many');

// ---- Reusable field types (one schema per shape) ---------------------------------------------------------

export const accountId = z
  .string({
    error: (iss) =>
      typeof iss.input === 'number'
        ? `${iss.input} must be quoted ("${iss.input}"): unquoted digits are read as a number, which drops leading zeros`
        : `${quote(iss.input)} is not a 12-digit AWS account id`,
  })
  .regex(/^\d{12}$/, { error: (iss) => `${quote(iss.input)} is not a 12-digit AWS account id` });

export const region = z
  .string({ error: (iss) => `${quote(iss.input)} is not an AWS region name` })
  .refine(isAwsRegion, {
    error: (iss) => {
      const suggestion = typeof iss.input === 'string' ? closest(iss.input, AWS_REGIONS) : undefined;
      return `${quote(iss.input)} is not an AWS region name${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
    },
  });

const email = z.email({ error: (iss) => `${quote(iss.input)} is not an email address` });

const ssmParameterName = z
  .string()
  .regex(/^\/[\w.\-/]+$/, { error: (iss) => `${quote(iss.input)} is not an SSM parameter name` })
  .max(MAX_SSM_PARAMETER_NAME_LENGTH, {
    error: (iss) => `the parameter name is ${lengthOf(iss.input)} characters; SSM allows at most ${MAX_SSM_PARAMETER_NAME_LENGTH}`,
  })
  .refine((name) => name.split('/').length - 1 <= MAX_SSM_PARAMETER_LEVELS, {
    error: (iss) => `${quote(iss.input)} has more than ${MAX_SSM_PARAMETER_LEVELS} levels; SSM allows at most ${MAX_SSM_PARAMETER_LEVELS}`,
  });

const isoDate = z.iso.date({ error: (iss) => `${quote(iss.input)} is not a date in the form YYYY-MM-DD` });

const kmsKeyAlias = z
  .string()
  .regex(/^alias\/[a-zA-Z0-9/_-]{1,250}$/, {
    error: (iss) => `${quote(iss.input)} is not a KMS key alias (expected "alias/<name>")`,
  });

const count = (what: string) =>
  z
    .number({ error: (iss) => `${what} must be a whole number, got ${quote(iss.input)}` })
    .int({ error: (iss) => `${what} must be a whole number, got ${quote(iss.input)}` })
    .min(0, { error: (iss) => `${what} must be 0 or more, got ${quote(iss.input)}` });

const positive = (what: string, max: number) =>
  z
    .number({ error: (iss) => `${what} must be a whole number, got ${quote(iss.input)}` })
    .int({ error: (iss) => `${what} must be a whole number, got ${quote(iss.input)}` })
    .min(1, { error: (iss) => `${what} must be at least 1, got ${quote(iss.input)}` })
    .max(max, { error: (iss) => `${what} must be at most ${max}, got ${quote(iss.input)}` });

const arn = (kind: string, pattern: RegExp) =>
  z.string().regex(pattern, { error: (iss) => `${quote(iss.input)} is not ${kind}` });

// ---- Sections ---------------------------------------------------------------------------------------------

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;

export const baseImageSchema = z
  .union(
    [
      z.strictObject({
        amiId: z
          .string()
          .regex(/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/, { error: (iss) => `${quote(iss.input)} is not an AMI id` })
          .describe('A fixed AMI id in the source region, e.g. ami-0abcdef1234567890.'),
      }),
      z.strictObject({
        ssmParameter: ssmParameterName.describe(
            'An SSM parameter holding an AMI id, e.g. the public ' +
              '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64.',
          ),
      }),
      z.strictObject({
        owner: z
          .string()
          .regex(/^(\d{12}|amazon|aws-marketplace|self)$/, {
            error: (iss) => `${quote(iss.input)} is not an image owner (12-digit account id, amazon, aws-marketplace or self)`,
          })
          .describe('Image owner: account id, "amazon", "aws-marketplace" or "self".'),
        namePattern: z
          .string()
          .min(1)
          .describe('DescribeImages name filter (* and ? wildcards); the newest matching image wins.'),
      }),
    ],
    { error: () => 'give exactly one of: amiId, ssmParameter, or owner + namePattern' },
  )
  .describe('Where the build starts from. Exactly one of: amiId, ssmParameter, owner + namePattern.');

export const buildSchema = z
  .strictObject({
    subnetId: z
      .string()
      .regex(/^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/, { error: (iss) => `${quote(iss.input)} is not a subnet id` })
      .describe('Subnet for builder and test instances (needs a route to SSM and Inspector endpoints).'),
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/, { error: (iss) => `${quote(iss.input)} is not a VPC id` })
      .optional()
      .describe("The subnet's VPC. When given, the stack creates a builder security group with no ingress (HTTPS/HTTP egress only)."),
    securityGroupIds: z
      .array(
        z.string().regex(/^sg-[0-9a-f]{8}([0-9a-f]{9})?$/, {
          error: (iss) => `${quote(iss.input)} is not a security group id`,
        }),
      )
      .max(MAX_SECURITY_GROUPS_PER_INTERFACE, {
        error: (iss) => `${listed(iss.input)} security groups; an instance takes at most ${MAX_SECURITY_GROUPS_PER_INTERFACE} (VPC quota per network interface)`,
      })
      .default([])
      .describe('Existing security groups for builder and test instances; they need no ingress. Give these, vpcId, or both.'),
    instanceProfile: z
      .string()
      .regex(/^[\w+=,.@-]{1,128}$/, { error: (iss) => `${quote(iss.input)} is not an instance profile name` })
      .optional()
      .describe(
        'IAM name of the instance profile the stack creates for builder and test instances (its role has only ' +
          'AmazonSSMManagedInstanceCore); unique per account. Default: gami-<name>-builder.',
      ),
    requireImdsv2: z
      .literal(true, { error: 'IMDSv2 is always required on builders (requireImdsv2 can only be true)' })
      .default(true)
      .describe('Always true: builders and test instances require IMDSv2 (HttpTokens=required). Default: true.'),
    rootVolumeSizeGiB: positive('rootVolumeSizeGiB', MAX_VOLUME_SIZE_GIB)
      .optional()
      .describe('Root volume size in GiB. Default: the base image size.'),
  })
  .describe('Build infrastructure for builder and test instances.');

export const componentRefSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .regex(/\.ya?ml$/, { error: (iss) => `${quote(iss.input)} is not a .yaml or .yml file` })
    .describe('Path of the component document, relative to the pipeline file.'),
});

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'] as const;
export type Severity = (typeof SEVERITIES)[number];

const threshold = (severity: Severity, fallback: number | 'unlimited') =>
  z
    .union([count(`maxFindings.${severity}`), z.literal('unlimited')], {
      error: (iss) => `maxFindings.${severity} must be a whole number ≥ 0 or "unlimited", got ${quote(iss.input)}`,
    })
    .default(fallback)
    .describe(`Most ${severity} findings allowed. Default: ${fallback}.`);

export const DEFAULT_MAX_FINDINGS = {
  CRITICAL: 0,
  HIGH: 0,
  MEDIUM: 10,
  LOW: 'unlimited',
  INFORMATIONAL: 'unlimited',
  UNTRIAGED: 0,
} as const satisfies Record<Severity, number | 'unlimited'>;

/**
 * Remediation windows: how many days a finding of a severity may ship after its fix became available
 * (Inspector: fixAvailable YES/PARTIAL, fix released at the vendor's vendorUpdatedAt). Beside the counts: a
 * finding past its window fails the gate whatever the counts; findings without a fix are left to the counts.
 */
const remediationWindow = (severity: Severity) =>
  z
    .union([count(`maxDaysSinceFix.${severity}`), z.literal('unlimited')], {
      error: (iss) => `maxDaysSinceFix.${severity} must be a whole number of days ≥ 0 or "unlimited", got ${quote(iss.input)}`,
    })
    .default('unlimited')
    .describe(`Most days a ${severity} finding may ship after its fix became available; 0: not at all. Default: unlimited (counts only).`);

export const maxDaysSinceFixSchema = z
  .strictObject(Object.fromEntries(SEVERITIES.map((s) => [s, remediationWindow(s)])) as Record<Severity, ReturnType<typeof remediationWindow>>)
  .prefault({})
  .describe('Remediation windows per severity, in days since the fix became available (EC2 Allowed AMIs has the same idea).');

export const scanExceptionSchema = z.strictObject({
  cve: z
    .string()
    .regex(/^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|ALAS[\w-]+)$/, {
      error: (iss) => `${quote(iss.input)} is not a vulnerability id (CVE-YYYY-NNNN, GHSA-… or ALAS…)`,
    })
    .describe('The vulnerability this exception covers; it applies to no other.'),
  reason: z
    .string()
    .min(10, { error: 'reason must say why (10 characters or more)' })
    .max(MAX_EXCEPTION_REASON_LENGTH, {
      error: (iss) => `reason is ${lengthOf(iss.input)} characters; at most ${MAX_EXCEPTION_REASON_LENGTH}`,
    }),
  approvedBy: email.describe('Who accepted the risk.'),
  expiresOn: isoDate.describe('Last day (UTC) the exception applies; after it the finding counts again.'),
});

export const scanGateSchema = z
  .strictObject({
    maxFindings: z
      .strictObject({
        CRITICAL: threshold('CRITICAL', DEFAULT_MAX_FINDINGS.CRITICAL),
        HIGH: threshold('HIGH', DEFAULT_MAX_FINDINGS.HIGH),
        MEDIUM: threshold('MEDIUM', DEFAULT_MAX_FINDINGS.MEDIUM),
        LOW: threshold('LOW', DEFAULT_MAX_FINDINGS.LOW),
        INFORMATIONAL: threshold('INFORMATIONAL', DEFAULT_MAX_FINDINGS.INFORMATIONAL),
        UNTRIAGED: threshold('UNTRIAGED', DEFAULT_MAX_FINDINGS.UNTRIAGED),
      })
      .default(DEFAULT_MAX_FINDINGS)
      .describe('Most active findings allowed per severity, after exceptions.'),
    maxDaysSinceFix: maxDaysSinceFixSchema,
    exceptions: z
      .array(scanExceptionSchema)
      .max(MAX_SCAN_EXCEPTIONS, { error: (iss) => `${listed(iss.input)} exceptions; at most ${MAX_SCAN_EXCEPTIONS}` })
      .default([])
      .describe(`Accepted findings, each with an expiry. At most ${MAX_SCAN_EXCEPTIONS}.`),
    scanTimeoutMinutes: positive('scanTimeoutMinutes', 1440)
      .default(60)
      .describe('How long to wait for Inspector to finish scanning the test instance. Default: 60.'),
    failClosed: z
      .literal(true, { error: 'the scan gate always fails closed (failClosed can only be true)' })
      .default(true)
      .describe('Always true: no scan result means no distribution. Default: true.'),
  })
  .describe('Amazon Inspector scan gate applied to the test instance.');

export const approvalSchema = z
  .strictObject({
    required: z.boolean().default(true).describe('Whether a person must approve before distribution. Default: true.'),
    approvers: z
      .array(email)
      .max(MAX_APPROVERS, { error: (iss) => `${listed(iss.input)} approvers; at most ${MAX_APPROVERS}` })
      .default([])
      .describe(`Each approver gets a personal, signed, expiring link. At most ${MAX_APPROVERS}.`),
    minApprovals: positive('minApprovals', 10)
      .default(1)
      .describe('Distinct approvals needed; one rejection rejects. Default: 1.'),
    timeoutHours: positive('timeoutHours', 24 * 30)
      .default(72)
      .describe('After this the run fails with ApprovalExpired. Default: 72.'),
  })
  .describe('Manual approval tied to the scan evidence.');

export const targetRegionSchema = z.strictObject({
  region,
  kmsKeyAlias: kmsKeyAlias
    .optional()
    .describe('Customer managed KMS key alias for the copy in this region; required when sharing encrypted images.'),
});

export const distributionSchema = z
  .strictObject({
    sourceRegion: region.describe('Region where the image is baked and tested.'),
    sourceKmsKeyAlias: kmsKeyAlias
      .optional()
      .describe('Customer managed KMS key for the baked image. Default: unencrypted unless EBS encryption by default.'),
    encrypted: z.boolean().default(true).describe('Encrypt copies. Default: true.'),
    targetRegions: z.array(targetRegionSchema).default([]).describe('Regions the approved image is copied to.'),
    copyConcurrency: positive('copyConcurrency', MAX_CONCURRENT_SNAPSHOT_COPIES)
      .default(2)
      .describe('Regions copied at the same time (CopyImage is throttled at 1 request/s). Default: 2.'),
    startBeforeApproval: z
      .boolean()
      .default(false)
      .describe('Start copies while approval is pending; unapproved copies are deregistered. Default: false.'),
    copyCompletionMinutes: z
      .number({ error: (iss) => `copyCompletionMinutes must be a whole number of minutes, got ${quote(iss.input)}` })
      .int({ error: (iss) => `copyCompletionMinutes must be a whole number of minutes, got ${quote(iss.input)}` })
      .min(MIN_TIME_BASED_COPY_MINUTES, {
        error: (iss) => `copyCompletionMinutes must be at least ${MIN_TIME_BASED_COPY_MINUTES} (time-based copy), got ${quote(iss.input)}`,
      })
      .max(MAX_TIME_BASED_COPY_MINUTES, {
        error: (iss) => `copyCompletionMinutes must be at most ${MAX_TIME_BASED_COPY_MINUTES} (48 hours, time-based copy), got ${quote(iss.input)}`,
      })
      .refine((minutes) => minutes % TIME_BASED_COPY_STEP_MINUTES === 0, {
        error: (iss) => `copyCompletionMinutes must be a multiple of ${TIME_BASED_COPY_STEP_MINUTES}, got ${quote(iss.input)}`,
      })
      .optional()
      .describe(
        'Time-based copy: every copy completes within this many minutes (15 to 2880, in 15-minute steps; ' +
          'SnapshotCopyCompletionDurationMinutes). Default: a standard, best-effort copy.',
      ),
  })
  .describe('Multi-region copy.');

export const sharingSchema = z
  .strictObject({
    accounts: z.array(accountId).default([]).describe('Accounts that may launch the image.'),
    organizationArn: arn(
      'an organization ARN',
      /^arn:aws[\w-]*:organizations::\d{12}:organization\/o-[a-z0-9]{10,32}$/,
    )
      .optional()
      .describe('Share with a whole AWS Organization.'),
    organizationalUnitArns: z
      .array(
        arn('an organizational unit ARN', /^arn:aws[\w-]*:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/),
      )
      .default([])
      .describe('Share with organizational units.'),
    snapshotPermissions: z
      .boolean()
      .default(false)
      .describe(
        "Also give sharing.accounts create-volume permission on every copy's snapshots (needed only to create volumes or " +
          'copy the snapshots themselves; launching needs none). Default: false.',
      ),
  })
  .describe('Launch and snapshot permissions. Images are never made public: there is no way to say so.');

export const launchTemplateSchema = z
  .strictObject({
    account: accountId.describe('Account that owns the launch template.'),
    region: region.describe('Region of the launch template: the source or a target region.'),
    launchTemplateId: z
      .string()
      .regex(/^lt-[0-9a-f]{17}$/, { error: (iss) => `${quote(iss.input)} is not a launch template id` })
      .optional(),
    launchTemplateName: z
      .string()
      .regex(/^[a-zA-Z0-9().\-/_]{3,128}$/, { error: (iss) => `${quote(iss.input)} is not a launch template name` })
      .optional(),
    setDefault: z.boolean().default(true).describe('Make the new version the default. Default: true.'),
    autoScalingGroups: z
      .array(z.string().min(1).max(255))
      .max(MAX_AUTO_SCALING_GROUPS_PER_TEMPLATE, {
        error: (iss) => `${listed(iss.input)} Auto Scaling groups; at most ${MAX_AUTO_SCALING_GROUPS_PER_TEMPLATE} per launch template`,
      })
      .default([])
      .describe('Auto Scaling groups to start an instance refresh on after the update.'),
    roleName: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, { error: (iss) => `${quote(iss.input)} is not an IAM role name` })
      .default('GamiLaunchTemplateUpdater')
      .describe('Role assumed in that account (deployed by GamiTargetAccountStack). Default: GamiLaunchTemplateUpdater.'),
    externalId: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, { error: (iss) => `${quote(iss.input)} is not an STS external id (2-1224 of letters, digits, +=,.@:/-_)` })
      .optional()
      .describe('ExternalId given to sts:AssumeRole; the role in that account requires it. Default: gami-<pipeline name>.'),
    minHealthyPercentage: z
      .number({ error: (iss) => `${quote(iss.input)} is not a percentage` })
      .int({ error: (iss) => `${quote(iss.input)} is not a whole percentage` })
      .min(0, { error: 'minHealthyPercentage is at least 0' })
      .max(100, { error: 'minHealthyPercentage is at most 100' })
      .default(90)
      .describe('Instance refresh: share of the group kept in service while instances are replaced. Default: 90.'),
    skipMatching: z
      .boolean()
      .default(true)
      .describe('Instance refresh: leave instances that already run the new launch template version. Default: true.'),
    refreshTimeoutMinutes: positive('refreshTimeoutMinutes', 24 * 60)
      .default(120)
      .describe('How long to wait for the instance refreshes before rolling everything back. Default: 120.'),
  })
  .describe('A launch template that gets a new version with the new image. Give launchTemplateId or launchTemplateName.');

export const publishAccountSchema = z
  .strictObject({
    account: accountId.describe('Consumer account that gets the parameter in every region (the image must be shared with it).'),
    roleName: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, { error: (iss) => `${quote(iss.input)} is not an IAM role name` })
      .default('GamiLaunchTemplateUpdater')
      .describe('Role assumed in that account (target-account stack). Default: GamiLaunchTemplateUpdater.'),
  })
  .describe('A consumer account whose own parameter store gets the latest image id.');

export const publishSchema = z
  .strictObject({
    ssmParameter: ssmParameterName.describe('SSM parameter (in every region) that holds the latest golden image id, data type aws:ec2:image.'),
    accounts: z
      .array(publishAccountSchema)
      .default([])
      .describe('Consumer accounts that get the same parameter in their own account, through their role. Default: none.'),
  })
  .describe('Where consumers find the latest image.');

export const retentionSchema = z
  .strictObject({
    keepNewest: positive('keepNewest', 1000).default(3).describe('Images always kept, newest first. Default: 3.'),
    deprecateAfterDays: positive('deprecateAfterDays', 3650)
      .default(30)
      .describe('Deprecate images older than this (and not among the newest). Default: 30.'),
    deregisterAfterDays: positive('deregisterAfterDays', 3650)
      .default(90)
      .describe('Deregister images older than this; never one still referenced. Default: 90.'),
    deleteSnapshots: z.boolean().default(true).describe('Delete the snapshots of deregistered images. Default: true.'),
    dryRun: z.boolean().default(false).describe('Only report what would be retired. Default: false.'),
    sweepSchedule: z
      .string()
      .regex(/^(cron|rate)\(.+\)$/, { error: (iss) => `${quote(iss.input)} is not an EventBridge Scheduler expression (cron(...) or rate(...))` })
      .default('cron(0 4 * * ? *)')
      .describe('When the RetentionSweep runs over every region and account (EventBridge Scheduler, UTC). Default: daily at 04:00 UTC.'),
    sweepEnabled: z.boolean().default(true).describe('Whether the scheduled RetentionSweep runs. Default: true.'),
  })
  .describe('Retention of earlier golden images.');

export const scheduleSchema = z
  .strictObject({
    cron: z
      .string()
      .describe('EventBridge Scheduler expression: cron(min hour day-of-month month day-of-week year) or rate(...).'),
    timeZone: z.string().default('UTC').describe('IANA time zone of the cron expression. Default: UTC.'),
    enabled: z.boolean().default(true).describe('Default: true.'),
    onlyWhenChanged: z
      .boolean()
      .default(false)
      .describe(
        'Skip a scheduled run (recorded in the registry, not silent) when neither the resolved base image nor any component changed since the last approved image. Default: false.',
      ),
    disableAfterFailures: positive('schedule.disableAfterFailures', 10)
      .optional()
      .describe('Disable the schedule after this many consecutive unsuccessful runs (1-10, as Image Builder), and notify the topic. Default: never.'),
  })
  .describe('When to build automatically: an EventBridge Scheduler schedule that starts the state machine.');

/** Object Lock retention modes (S3 User Guide, "Object Lock"). */
export const OBJECT_LOCK_MODES = ['GOVERNANCE', 'COMPLIANCE'] as const;

export const historySchema = z
  .strictObject({
    objectLock: z
      .strictObject({
        mode: z
          .enum(OBJECT_LOCK_MODES, { error: (iss) => `${quote(iss.input)} is not an Object Lock mode (GOVERNANCE or COMPLIANCE)` })
          .default('GOVERNANCE')
          .describe('GOVERNANCE: users with s3:BypassGovernanceRetention may delete; COMPLIANCE: nobody, not even root. Default: GOVERNANCE.'),
        days: positive('objectLock.days', 36500).describe('How long each archived history stays undeletable.'),
      })
      .optional()
      .describe('Lock every archived history against deletion (S3 Object Lock; only on a new bucket). Default: off.'),
    infrequentAccessAfterDays: positive('infrequentAccessAfterDays', 3650)
      .refine((d) => d >= 30, { error: 'S3 moves objects to Standard-IA after 30 days at the earliest' })
      .default(90)
      .describe('Move archived histories to S3 Standard-IA after this many days (at least 30). Default: 90.'),
    glacierAfterDays: positive('glacierAfterDays', 36500)
      .default(365)
      .describe('Move archived histories to S3 Glacier Instant Retrieval after this many days. Default: 365.'),
  })
  .refine((h) => h.glacierAfterDays > h.infrequentAccessAfterDays, {
    error: 'glacierAfterDays must come after infrequentAccessAfterDays',
    path: ['glacierAfterDays'],
  })
  .describe('The execution history archive (kept beyond the 90 days Step Functions keeps it), for auditors.');

export const freshnessSchema = z
  .strictObject({
    maxAgeDays: positive('freshness.maxAgeDays', 3650)
      .default(30)
      .describe('Alarm when the newest approved image is older than this many days (or there is none). Default: 30.'),
  })
  .describe('Image freshness: a CloudWatch metric of the newest approved image\'s age, and an alarm to the topic.');

export const NAMING_TOKENS = ['pipeline', 'version', 'arch', 'yyyymmdd', 'yyyymmddhhmm', 'timestamp'] as const;

export const namingSchema = z
  .strictObject({
    pattern: z
      .string()
      .default('{pipeline}-{version}-{yyyymmdd}')
      .describe(
        `AMI name pattern. Tokens: ${NAMING_TOKENS.map((t) => `{${t}}`).join(', ')}; must contain {version} or ` +
          '{timestamp} so names are unique. Default: {pipeline}-{version}-{yyyymmdd}.',
      ),
  })
  .default({ pattern: '{pipeline}-{version}-{yyyymmdd}' });

const tagKey = z
  .string()
  .min(1, { error: 'a tag key cannot be empty' })
  .max(MAX_TAG_KEY_LENGTH, { error: (iss) => `tag key is ${lengthOf(iss.input)} characters; AWS allows at most ${MAX_TAG_KEY_LENGTH}` })
  .refine((k) => !k.toLowerCase().startsWith(RESERVED_TAG_PREFIX), {
    error: (iss) => `tag key ${quote(iss.input)}: keys starting with "${RESERVED_TAG_PREFIX}" are reserved for AWS`,
  })
  .refine((k) => !k.startsWith('gami:') && !(PIPELINE_IMAGE_TAG_KEYS as readonly string[]).includes(k), {
    error: (iss) => `tag key ${quote(iss.input)} is set by the pipeline itself`,
  });

const tagValue = z.string({ error: (iss) => `tag values are strings; quote ${quote(iss.input)}` }).max(MAX_TAG_VALUE_LENGTH, {
  error: (iss) => `tag value is ${lengthOf(iss.input)} characters; AWS allows at most ${MAX_TAG_VALUE_LENGTH}`,
});

export const BASE_IMAGE_OWNERS = ['amazon', 'self', 'aws-marketplace'] as const;
export const DEFAULT_ALLOWED_OWNERS = ['amazon', 'self'];

export const baseImageTrustSchema = z
  .strictObject({
    allowedOwners: z
      .array(
        z.string().regex(/^(\d{12}|amazon|self|aws-marketplace)$/, {
          error: (iss) => `${quote(iss.input)} is not an image owner (amazon, self, aws-marketplace or a 12-digit account id)`,
        }),
      )
      .min(1, { error: 'allowedOwners needs at least one owner: with none, no base image could be used' })
      .default(DEFAULT_ALLOWED_OWNERS)
      .describe(
        'Owners a base image may come from: "amazon", "self" (this account), "aws-marketplace" or 12-digit account ids. ' +
          'Checked in Prepare before anything is launched, for every base image (configured or given in the execution input). ' +
          'Deprecated, disabled and rejected images and non-Linux platforms are always refused. Default: [amazon, self].',
      ),
  })
  .describe('Which base images a run may start from.');

export const notificationsSchema = z
  .strictObject({
    emails: z
      .array(email)
      .max(MAX_NOTIFICATION_EMAILS, { error: (iss) => `${listed(iss.input)} emails; at most ${MAX_NOTIFICATION_EMAILS}` })
      .default([])
      .describe('Subscribed to the pipeline topic: failures, rejections, results.'),
  })
  .default({ emails: [] });

/** The shape as written; `pipelineConfigSchema` adds the defaults that depend on other fields. */
export const pipelineConfigObject = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/, {
        error: (iss) =>
          `${quote(iss.input)} is not a pipeline name (3-40 characters: lowercase letters, digits, hyphens; starts with a letter)`,
      })
      .describe('Pipeline name; used in resource names and the gami:pipeline tag.'),
    description: z.string().max(1000).default('').describe('What this golden image is for.'),
    baseImage: baseImageSchema,
    baseImageTrust: baseImageTrustSchema.prefault({}),
    architecture: z
      .enum(ARCHITECTURES, { error: (iss) => `${quote(iss.input)} is not an architecture (x86_64 or arm64)` })
      .default('x86_64')
      .describe('Default: x86_64.'),
    instanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: (iss) => `${quote(iss.input)} is not an EC2 instance type` })
      .default('t3.medium')
      .describe('Builder and test instance type. Default: t3.medium.'),
    build: buildSchema,
    image: imageSpecSchema.prefault({}),
    components: z
      .array(componentRefSchema)
      .min(1, { error: 'at least one component is required' })
      .max(MAX_COMPONENTS, { error: (iss) => `${listed(iss.input)} components; at most ${MAX_COMPONENTS}` })
      .describe('Components run in this order (build phase on the builder, validate/test on the test instance).'),
    scanGate: scanGateSchema.prefault({}),
    approval: approvalSchema.prefault({}),
    distribution: distributionSchema,
    sharing: sharingSchema.prefault({}),
    launchTemplates: z
      .array(launchTemplateSchema)
      .max(MAX_LAUNCH_TEMPLATES, { error: (iss) => `${listed(iss.input)} launch templates; at most ${MAX_LAUNCH_TEMPLATES}` })
      .default([]),
    publish: publishSchema.optional(),
    retention: retentionSchema.prefault({}),
    schedule: scheduleSchema.optional(),
    history: historySchema.prefault({}),
    freshness: freshnessSchema.prefault({}),
    naming: namingSchema,
    tags: z
      .record(tagKey, tagValue)
      .refine((tags) => Object.keys(tags).length <= MAX_USER_TAGS, {
        error: (iss) =>
          `${Object.keys(iss.input as object).length} tags; at most ${MAX_USER_TAGS} fit beside the ${PIPELINE_IMAGE_TAG_KEYS.length} the pipeline ` +
          `puts on every image (AWS allows ${MAX_TAGS_PER_RESOURCE} per resource)`,
      })
      .meta({ maxProperties: MAX_USER_TAGS })
      .default({})
      .describe(
        `Tags put on every image, snapshot and instance the pipeline creates, besides its own Name and gami:* tags. ` +
          `At most ${MAX_USER_TAGS}: AWS allows 50 per resource and the pipeline sets up to ${PIPELINE_IMAGE_TAG_KEYS.length} itself.`,
      ),
    notifications: notificationsSchema,
  })
  .describe('A golden-AMI pipeline.');

/** Default IAM name of the builder instance profile: one per pipeline, so two pipelines can share an account. */
export const defaultInstanceProfile = (pipelineName: string): string => `gami-${pipelineName}-builder`;

/**
 * Default STS external id of a pipeline's cross-account role: the same string the target-account stack
 * (infra/target-account-stack.ts) requires unless both are given another.
 */
export const defaultExternalId = (pipelineName: string): string => `gami-${pipelineName}`;

export const pipelineConfigSchema = pipelineConfigObject.transform((config) => ({
  ...config,
  build: { ...config.build, instanceProfile: config.build.instanceProfile ?? defaultInstanceProfile(config.name) },
  launchTemplates: config.launchTemplates.map((t) => ({ ...t, externalId: t.externalId ?? defaultExternalId(config.name) })),
}));

/** The configuration as written (defaults optional). */
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;
/** The configuration with every default applied. */
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;
export type BaseImage = PipelineConfig['baseImage'];
/** Which base images a run may start from (checked in Prepare). */
export type BaseImageTrust = PipelineConfig['baseImageTrust'];
export type ScanException = z.output<typeof scanExceptionSchema>;
export type Threshold = number | 'unlimited';
export type LaunchTemplateTarget = PipelineConfig['launchTemplates'][number];
