/**
 * The shapes of the retention planner (`plan.ts`): its input (policy, inventory, references, which scopes could
 * be read) and its plan. One zod schema per shape, for whoever collects the inventory and whoever executes the
 * plan; the planner itself takes the parsed types and never parses.
 */
import * as z from 'zod';
import { retentionSchema } from '../../pipeline/config';
import { IMAGE_STATUS } from '../../pipeline/tags';

/** The tag that keeps an image whatever its age (any value). */
export const RETAIN_TAG = 'gami:retain';

const isoTime = z.iso.datetime({ offset: true });
const accountId = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id');
const region = z.string().min(1);
const imageId = z.string().regex(/^ami-[0-9a-f]+$/, 'an AMI id');

/**
 * The policy: the config's retention section (without `dryRun`, which is the executor's business) plus how long
 * rejected and expired images are kept. A rejected image is never kept longer than an approved one would be.
 */
export const retentionPolicySchema = retentionSchema
  .pick({ keepNewest: true, deprecateAfterDays: true, deregisterAfterDays: true, deleteSnapshots: true })
  .extend({
    rejectedRetentionDays: z
      .number()
      .int()
      .min(0)
      .max(3650)
      .default(7)
      .describe('Rejected and expired images are deregistered after this many days unless referenced. Default: 7.'),
  })
  .refine((p) => p.deregisterAfterDays > p.deprecateAfterDays, {
    message: 'deregisterAfterDays must be greater than deprecateAfterDays: an image is deprecated before it is deregistered',
    path: ['deregisterAfterDays'],
  })
  .refine((p) => p.rejectedRetentionDays <= p.deregisterAfterDays, {
    message: 'rejectedRetentionDays may not exceed deregisterAfterDays: a rejected image is never kept longer than an approved one',
    path: ['rejectedRetentionDays'],
  });
export type RetentionPolicy = z.output<typeof retentionPolicySchema>;

export const snapshotSchema = z.strictObject({ snapshotId: z.string().regex(/^snap-[0-9a-f]+$/), sizeGiB: z.number().min(0) });

/** One copy of an image version: the image in one account and region. */
export const imageCopySchema = z.strictObject({
  account: accountId,
  region,
  imageId,
  version: z.string().min(1),
  /** The copy the pipeline built (build account, home region); the others were copied or shared from it. */
  source: z.boolean(),
  /** The `gami:status` tag; a copy without one is reported as `undefined` and treated as in flight. */
  status: z.enum(IMAGE_STATUS).optional(),
  creationTime: isoTime,
  /** When EC2 deprecates (or deprecated) the image; absent when never deprecated. */
  deprecationTime: isoTime.optional(),
  deregistrationProtection: z.boolean(),
  /** The copy carries a `gami:retain` tag. */
  retain: z.boolean(),
  lastLaunchedTime: isoTime.optional(),
  snapshots: z.array(snapshotSchema),
});
export type ImageCopy = z.output<typeof imageCopySchema>;

const copyKey = {
  account: accountId,
  region,
  imageId,
  /** The account the user is in, when not the copy's owner (a consumer account using the shared image). */
  seenIn: accountId.optional(),
};

/**
 * What uses a copy, one entry per user. Entries that do not count (a terminated instance, a launch template
 * version that is neither `$Default`, `$Latest` nor named by a group) may be passed: the plan lists them as
 * ignored so a reader sees why an old launch template version did not keep an image.
 */
export const imageReferenceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...copyKey,
    kind: z.literal('instance'),
    instanceId: z.string().min(1),
    state: z.enum(['pending', 'running', 'shutting-down', 'stopping', 'stopped', 'terminated']),
  }),
  z.strictObject({
    ...copyKey,
    kind: z.literal('launch-template'),
    launchTemplateId: z.string().min(1),
    launchTemplateName: z.string().optional(),
    version: z.number().int().min(1),
    isDefault: z.boolean(),
    isLatest: z.boolean(),
    /** Auto Scaling groups naming this version, directly or in a mixed-instances policy. */
    namedBy: z.array(z.strictObject({ kind: z.enum(['auto-scaling-group', 'mixed-instances-policy']), groupName: z.string().min(1) })),
  }),
  z.strictObject({ ...copyKey, kind: z.literal('ssm-parameter'), parameterName: z.string().min(1) }),
]);
export type ImageReference = z.output<typeof imageReferenceSchema>;

/** Whether the references of one account and region could be read; a scope that is not listed was not read. */
export const referenceScopeSchema = z.strictObject({
  account: accountId,
  region,
  readable: z.boolean(),
  /** Why not (AccessDenied, throttling exhausted, region disabled); shown in the plan. */
  reason: z.string().optional(),
});
export type ReferenceScope = z.output<typeof referenceScopeSchema>;

export const retentionInputSchema = z.strictObject({
  policy: retentionPolicySchema,
  now: isoTime,
  /** The version the pipeline's SSM parameter points at; none before the first publish. */
  currentVersion: z.string().min(1).nullable(),
  inventory: z.array(imageCopySchema),
  references: z.array(imageReferenceSchema),
  scopes: z.array(referenceScopeSchema),
});
export type RetentionInput = z.output<typeof retentionInputSchema>;

export const DECISIONS = ['keep', 'deprecate', 'deregister'] as const;
export type Decision = (typeof DECISIONS)[number];

/** Machine-readable reasons, in the order a decision lists them. */
export const REASON_CODES = [
  // Guards: any one keeps the copy.
  'unreadable-scope',
  'current-version',
  'newest-approved',
  'referenced',
  'deregistration-protected',
  'retain-tag',
  'source-of-kept-copies',
  // Age.
  'in-flight',
  'within-deprecate-age',
  'past-deprecate-age',
  'past-deregister-age',
  'within-rejected-retention',
  'past-rejected-retention',
  'abandoned-in-flight',
  // Information.
  'already-deprecated',
  'ignored-reference',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export const reasonSchema = z.strictObject({ code: z.enum(REASON_CODES), text: z.string() });
export type Reason = z.output<typeof reasonSchema>;

export const copyDecisionSchema = z.strictObject({
  account: accountId,
  region,
  imageId,
  version: z.string(),
  source: z.boolean(),
  decision: z.enum(DECISIONS),
  reasons: z.array(reasonSchema),
  /** Snapshots to delete with the image: only on `deregister` with `deleteSnapshots`, never one a kept copy uses. */
  deleteSnapshots: z.array(z.string()),
  /** Whole days since the version was built. */
  ageDays: z.number().int(),
  lastLaunchedTime: isoTime.optional(),
});
export type CopyDecision = z.output<typeof copyDecisionSchema>;

export const versionSummarySchema = z.strictObject({
  version: z.string(),
  creationTime: isoTime,
  copies: z.number().int(),
  kept: z.number().int(),
  deprecated: z.number().int(),
  deregistered: z.number().int(),
  /** No copy of the version is kept: the registry and the source may retire it. */
  retired: z.boolean(),
});
export type VersionSummary = z.output<typeof versionSummarySchema>;

export const retentionPlanSchema = z.strictObject({
  now: isoTime,
  decisions: z.array(copyDecisionSchema),
  versions: z.array(versionSummarySchema),
  totals: z.strictObject({
    kept: z.number().int(),
    deprecated: z.number().int(),
    deregistered: z.number().int(),
    snapshotsDeleted: z.number().int(),
    freedGiB: z.number(),
  }),
  unreadableScopes: z.array(z.strictObject({ account: z.string(), region: z.string(), reason: z.string() })),
});
export type RetentionPlan = z.output<typeof retentionPlanSchema>;
