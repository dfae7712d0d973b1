/**
 * The approval record: one DynamoDB item per approval request, the only place the Step Functions task token
 * lives. Everything an approver sees (the evidence) and everything an auditor needs afterwards (who decided
 * what, when, from where; how the run was told) is on it. One zod schema per shape, shared by the writer
 * (the Request Approval task, next step) and the readers (the approval web app, `gami audit`).
 *
 * Keys: `pk = APPROVAL#<approvalId>`, `sk = APPROVAL`, so the item fits the registry table's pk/sk schema
 * (and its `ttl` attribute) or a table of its own with the same key schema.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { gateResultSchema, resolvedImageSchema } from '../contracts';

/** 32 random bytes (256 bits; the issue asks ≥ 128) as base64url: 43 characters, safe in a URL path. */
export const APPROVAL_ID_BYTES = 32;
export const approvalIdSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, { error: 'not an approval id' });

/** A fresh opaque approval id. Opaque on purpose: it says nothing about the pipeline, run or token. */
export function newApprovalId(): string {
  return randomBytes(APPROVAL_ID_BYTES).toString('base64url');
}

/** Longest comment an approver may leave; it ends up in the execution's output or failure cause. */
export const MAX_COMMENT_LENGTH = 1000;

const isoTime = z.iso.datetime({ offset: true });

/** One installed package of an image (name and full version, e.g. from SSM Inventory). */
export const packageSchema = z.strictObject({ name: z.string().min(1), version: z.string().min(1) });
export type InstalledPackage = z.output<typeof packageSchema>;

/** One component step's result, in run order. */
export const stepResultSchema = z.strictObject({
  component: z.string(),
  phase: z.enum(['build', 'validate', 'test']),
  step: z.string(),
  status: z.string(),
});

/** A scan-gate exception as configured: the CVE, why, who accepted the risk, until when. */
export const appliedExceptionSchema = z.strictObject({
  cve: z.string(),
  reason: z.string(),
  approvedBy: z.string(),
  expiresOn: z.string(),
  /** Findings it removed from the count in this run. */
  findings: z.number().int().min(0),
});

/**
 * What the approvers are shown and what the decision is bound to (its SHA-256 goes into the task output).
 * `packages` and `vulnerabilityIds` are optional: an image recorded before package inventories existed, or whose
 * inventory could not be read, has none; without them (on this image or the previous one) the page says the
 * difference is not available, and why.
 */
export const approvalEvidenceSchema = z.strictObject({
  pipeline: z.string().min(1),
  version: z.number().int().min(1),
  image: z.strictObject({ imageId: z.string(), name: z.string() }),
  baseImage: resolvedImageSchema,
  /** The base image's own lineage, oldest first (e.g. its gami:source-image chain), when known. */
  lineage: z.array(z.string()).default([]),
  /** Components in the order they ran. */
  components: z.array(z.string()),
  steps: z.array(stepResultSchema),
  gate: gateResultSchema,
  exceptions: z.array(appliedExceptionSchema).default([]),
  /** Every active vulnerability id of this image (not only the top findings), for the CVE difference. */
  vulnerabilityIds: z.array(z.string()).optional(),
  packages: z.array(packageSchema).optional(),
  /** The previous approved image of this pipeline, when there is one. */
  previous: z
    .strictObject({
      version: z.number().int().min(1),
      imageId: z.string(),
      approvedAt: isoTime.optional(),
      vulnerabilityIds: z.array(z.string()).optional(),
      packages: z.array(packageSchema).optional(),
    })
    .optional(),
  reason: z.string().optional(),
  requestedBy: z.string().optional(),
});
export type ApprovalEvidence = z.output<typeof approvalEvidenceSchema>;

export const DECISIONS = ['approve', 'reject'] as const;
export type Decision = (typeof DECISIONS)[number];

/** One approver's decision: first one wins, it is never overwritten. */
export const approverDecisionSchema = z.strictObject({
  approver: z.string(),
  decision: z.enum(DECISIONS),
  at: isoTime,
  comment: z.string().max(MAX_COMMENT_LENGTH),
  sourceIp: z.string(),
  userAgent: z.string(),
});
export type ApproverDecision = z.output<typeof approverDecisionSchema>;

/**
 * pending → approved | rejected (closed by the decision that reached minApprovals, or by the first
 * rejection; that caller tells Step Functions) | expired (the approval's time ran out first).
 */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/**
 * How Step Functions was told about the outcome:
 * pending (closed, not yet sent) → sent | task-timed-out (TaskTimedOut: the run had already ended with
 * ApprovalExpired) | task-closed (TaskDoesNotExist: the run ended another way) | failed (any other error;
 * a later POST retries).
 */
export const DELIVERIES = ['pending', 'sent', 'task-timed-out', 'task-closed', 'failed'] as const;
export type Delivery = (typeof DELIVERIES)[number];

export const approvalRecordSchema = z.strictObject({
  pk: z.string(),
  sk: z.literal('APPROVAL'),
  approvalId: approvalIdSchema,
  /** Server-side only: never in a URL, page, email, log line or execution output. */
  taskToken: z.string().min(1),
  executionArn: z.string(),
  pipeline: z.string(),
  version: z.number().int().min(1),
  imageId: z.string(),
  imageName: z.string(),
  evidence: approvalEvidenceSchema,
  /** Hex SHA-256 of the canonical JSON of `evidence` (see `evidenceSha256`). */
  evidenceSha256: z.string().regex(/^[0-9a-f]{64}$/),
  approvers: z.array(z.string().min(1)).min(1),
  minApprovals: z.number().int().min(1),
  createdAt: isoTime,
  expiresAt: isoTime,
  /** DynamoDB TTL (epoch seconds): when the item may be deleted, well after it expires. */
  ttl: z.number().int(),
  status: z.enum(APPROVAL_STATUSES),
  /** Keyed by approver, exactly as listed in `approvers`. */
  decisions: z.record(z.string(), approverDecisionSchema),
  closedAt: isoTime.optional(),
  /** The approver whose decision closed it (expired: absent). */
  closedBy: z.string().optional(),
  delivery: z.enum(DELIVERIES).optional(),
  deliveryError: z.string().optional(),
  /** The approval API's base URL the links point at (not secret): where `gami approve` sends a decision. */
  apiUrl: z.string().optional(),
});
export type ApprovalRecord = z.output<typeof approvalRecordSchema>;

export const approvalKey = (approvalId: string) => ({ pk: `APPROVAL#${approvalId}`, sk: 'APPROVAL' as const });

/** JSON with object keys sorted at every level: the same evidence always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function evidenceSha256(evidence: ApprovalEvidence): string {
  return createHash('sha256').update(canonicalJson(evidence)).digest('hex');
}

export interface NewApproval {
  taskToken: string;
  executionArn: string;
  evidence: ApprovalEvidence;
  approvers: readonly string[];
  minApprovals: number;
  /** The state's EnteredTime: approvals run on the workflow's clock. */
  now: Date;
  timeoutHours: number;
  /** How long the item is kept after it expires (DynamoDB TTL). Default 400 days: past a yearly audit. */
  retainDays?: number;
  /** The approval API's base URL (GAMI_APPROVAL_BASE_URL). */
  apiUrl?: string;
}

/** A new pending record with a fresh id. Throws (zod) when the request itself is inconsistent. */
export function newApprovalRecord(request: NewApproval): ApprovalRecord {
  const approvers = [...new Set(request.approvers)];
  if (request.minApprovals > approvers.length) {
    throw new Error(`${request.minApprovals} approvals needed but only ${approvers.length} distinct approvers listed`);
  }
  const approvalId = newApprovalId();
  const expiresAt = new Date(request.now.getTime() + request.timeoutHours * 3_600_000);
  const evidence = approvalEvidenceSchema.parse(request.evidence);
  return approvalRecordSchema.parse({
    ...approvalKey(approvalId),
    approvalId,
    taskToken: request.taskToken,
    executionArn: request.executionArn,
    pipeline: evidence.pipeline,
    version: evidence.version,
    imageId: evidence.image.imageId,
    imageName: evidence.image.name,
    evidence,
    evidenceSha256: evidenceSha256(evidence),
    approvers,
    minApprovals: request.minApprovals,
    createdAt: request.now.toISOString(),
    expiresAt: expiresAt.toISOString(),
    ttl: Math.floor(expiresAt.getTime() / 1000) + (request.retainDays ?? 400) * 86_400,
    status: 'pending',
    decisions: {},
    ...(request.apiUrl ? { apiUrl: request.apiUrl } : {}),
  });
}

/** The decisions in the order they were made. */
export function decisionsInOrder(approval: Pick<ApprovalRecord, 'decisions'>): ApproverDecision[] {
  return Object.values(approval.decisions).sort((a, b) => a.at.localeCompare(b.at) || a.approver.localeCompare(b.approver));
}

/** What a pending record's decisions add up to: rejected on any rejection, approved at minApprovals. */
export function outcomeOf(approval: Pick<ApprovalRecord, 'decisions' | 'minApprovals'>): 'approved' | 'rejected' | undefined {
  const decisions = decisionsInOrder(approval);
  if (decisions.some((d) => d.decision === 'reject')) return 'rejected';
  if (decisions.filter((d) => d.decision === 'approve').length >= approval.minApprovals) return 'approved';
  return undefined;
}

/** Whose decision decided it: the first rejection, or the approval that reached minApprovals. */
export function decidedBy(approval: Pick<ApprovalRecord, 'decisions' | 'minApprovals'>): string | undefined {
  const decisions = decisionsInOrder(approval);
  const rejection = decisions.find((d) => d.decision === 'reject');
  if (rejection) return rejection.approver;
  return decisions.filter((d) => d.decision === 'approve')[approval.minApprovals - 1]?.approver;
}

/** The record without its task token: what pages, logs and callers outside the store may see. */
export type PublicApproval = Omit<ApprovalRecord, 'taskToken'>;
export function withoutToken(record: ApprovalRecord): PublicApproval {
  const { taskToken: _token, ...rest } = record;
  return rest;
}
