/**
 * The approval record in DynamoDB, with every state change a conditional write:
 *
 * 1. create       PutItem if the id is new.
 * 2. decide       SET decisions.<approver> if the record is pending, not expired, lists the approver and has no
 *                 decision of theirs yet: the first decision of each approver wins, a replay changes nothing.
 * 3. close        SET status approved|rejected if still pending, by the caller whose decision made it decidable
 *                 (one rejection, or minApprovals distinct approvals). Concurrent deciders race on this one
 *                 condition, so exactly one closes — and only that one tells Step Functions:
 * 4. deliver      SendTaskSuccess {decision, evidenceSha256, approvers} or SendTaskFailure(ApprovalRejected,
 *                 who and why). TaskTimedOut means the run already ended with ApprovalExpired: recorded as the
 *                 outcome (delivery task-timed-out), not an error; TaskDoesNotExist / InvalidToken likewise
 *                 (task-closed). Any other error leaves delivery `failed`, and the next POST retries it (claimed
 *                 with a conditional write, so a retry is sent once too).
 * A crash between 2 and 3 is healed by the next POST of any approver: the store closes a decidable pending
 * record before answering. Nothing here reads the wall clock: callers pass `now`.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { hasErrorName } from '../common/aws-errors';
import {
  approvalKey,
  approvalRecordSchema,
  decidedBy,
  decisionsInOrder,
  outcomeOf,
  withoutToken,
  type ApprovalRecord,
  type ApproverDecision,
  type Delivery,
  type PublicApproval,
} from './record';

/** The error a rejected approval fails its task with (and, through the failure path, the run). */
export const APPROVAL_REJECTED = 'ApprovalRejected';
/** The error the run ends with when nobody decided in time (the workflow's Task timeout; next step). */
export const APPROVAL_EXPIRED = 'ApprovalExpired';

export interface ApprovalStore {
  db: DynamoDBDocumentClient;
  sfn: SFNClient;
  tableName: string;
}

/** What Step Functions receives on approval (the task's output). */
export interface ApprovalTaskOutput {
  decision: 'approved';
  evidenceSha256: string;
  approvers: { approver: string; at: string; comment: string; sourceIp: string; userAgent: string }[];
}

export type DecisionOutcome =
  /** Recorded; the approval still waits for others. */
  | { kind: 'recorded'; approval: PublicApproval }
  /** Recorded, and this decision closed the approval; Step Functions was told (see `approval.delivery`). */
  | { kind: 'closed'; approval: PublicApproval }
  /** Nothing changed: this approver had decided already (first decision wins). */
  | { kind: 'already-decided'; approval: PublicApproval; recorded: ApproverDecision }
  /** Nothing changed: the approval was closed or expired before this decision. */
  | { kind: 'not-pending'; approval: PublicApproval }
  /** Nothing changed. */
  | { kind: 'not-found' }
  | { kind: 'not-approver'; approval: PublicApproval };

/** Create the record. Refuses (ConditionalCheckFailedException) an id that exists: ids are never reused. */
export async function putApproval(store: Pick<ApprovalStore, 'db' | 'tableName'>, record: ApprovalRecord): Promise<void> {
  await store.db.send(
    new PutCommand({
      TableName: store.tableName,
      Item: approvalRecordSchema.parse(record),
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

/** The record, or undefined when there is none (or the item is not an approval record). */
export async function getApproval(store: Pick<ApprovalStore, 'db' | 'tableName'>, approvalId: string): Promise<ApprovalRecord | undefined> {
  const { Item } = await store.db.send(new GetCommand({ TableName: store.tableName, Key: approvalKey(approvalId), ConsistentRead: true }));
  if (!Item) return undefined;
  const parsed = approvalRecordSchema.safeParse(Item);
  // A malformed item is a bug or tampering, never something to act on: treat it as absent, loudly.
  if (!parsed.success) throw new Error(`approval record ${approvalId} is malformed`);
  return parsed.data;
}

export function approvalTaskOutput(approval: PublicApproval): ApprovalTaskOutput {
  return {
    decision: 'approved',
    evidenceSha256: approval.evidenceSha256,
    approvers: decisionsInOrder(approval)
      .filter((d) => d.decision === 'approve')
      .map(({ approver, at, comment, sourceIp, userAgent }) => ({ approver, at, comment, sourceIp, userAgent })),
  };
}

/** The SendTaskFailure cause of a rejection: who rejected, when, why — readable by an operator. */
export function rejectionCause(approval: PublicApproval): string {
  const rejections = decisionsInOrder(approval).filter((d) => d.decision === 'reject');
  const who = rejections.map((d) => `${d.approver} at ${d.at}: ${d.comment || '(no comment)'}`).join('; ');
  return `${approval.pipeline} v${approval.version} (${approval.imageId}) rejected by ${who} (evidence sha256 ${approval.evidenceSha256})`;
}

function isConditionFailure(error: unknown): boolean {
  return hasErrorName(error, 'ConditionalCheckFailedException');
}

/**
 * Record `decision` for `approvalId` at `now`, close the approval when this decision decides it, and tell
 * Step Functions when this call closed it. Never throws for a refusal: the outcome says what happened.
 */
export async function recordDecision(store: ApprovalStore, approvalId: string, decision: ApproverDecision, now: Date): Promise<DecisionOutcome> {
  let record: ApprovalRecord;
  try {
    const { Attributes } = await store.db.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: approvalKey(approvalId),
        UpdateExpression: 'SET #decisions.#approver = :decision',
        ConditionExpression:
          'attribute_exists(pk) AND #status = :pending AND #expiresAt > :now AND contains(#approvers, :approver) AND attribute_not_exists(#decisions.#approver)',
        ExpressionAttributeNames: {
          '#decisions': 'decisions',
          '#approver': decision.approver,
          '#status': 'status',
          '#expiresAt': 'expiresAt',
          '#approvers': 'approvers',
        },
        ExpressionAttributeValues: { ':decision': decision, ':pending': 'pending', ':now': now.toISOString(), ':approver': decision.approver },
        ReturnValues: 'ALL_NEW',
      }),
    );
    record = approvalRecordSchema.parse(Attributes);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return explainRefusal(store, approvalId, decision.approver, now);
  }
  return closeIfDecided(store, record, decision.approver, now);
}

/** Why the decision write was refused, healing an interrupted close or delivery on the way. */
async function explainRefusal(store: ApprovalStore, approvalId: string, approver: string, now: Date): Promise<DecisionOutcome> {
  const record = await getApproval(store, approvalId);
  if (!record) return { kind: 'not-found' };
  if (!record.approvers.includes(approver)) return { kind: 'not-approver', approval: withoutToken(record) };
  const healed = await heal(store, record, approver, now);
  const recorded = healed.decisions[approver];
  if (recorded) return { kind: 'already-decided', approval: withoutToken(healed), recorded };
  return { kind: 'not-pending', approval: withoutToken(healed) };
}

/** True when a caller was interrupted: a decidable record still pending, or a delivery that failed. */
export function needsHealing(record: Pick<ApprovalRecord, 'status' | 'delivery' | 'decisions' | 'minApprovals'>): boolean {
  return (record.status === 'pending' && outcomeOf(record) !== undefined) || record.delivery === 'failed';
}

/**
 * Finish what an interrupted caller left: close a decidable pending record; retry a failed delivery (claimed
 * with a conditional write, so concurrent retries send once). Returns the record as it is afterwards.
 */
export async function healApproval(store: ApprovalStore, record: ApprovalRecord, approver: string, now: Date): Promise<ApprovalRecord> {
  return heal(store, record, approver, now);
}

async function heal(store: ApprovalStore, record: ApprovalRecord, approver: string, now: Date): Promise<ApprovalRecord> {
  if (record.status === 'pending' && outcomeOf(record)) {
    await closeIfDecided(store, record, approver, now);
    return (await getApproval(store, record.approvalId)) ?? record;
  }
  if ((record.status === 'approved' || record.status === 'rejected') && record.delivery === 'failed') {
    if (await claimRedelivery(store, record)) await deliver(store, record);
    return (await getApproval(store, record.approvalId)) ?? record;
  }
  return record;
}

async function closeIfDecided(store: ApprovalStore, record: ApprovalRecord, approver: string, now: Date): Promise<DecisionOutcome> {
  const outcome = outcomeOf(record);
  if (!outcome) return { kind: 'recorded', approval: withoutToken(record) };
  let closed: ApprovalRecord;
  try {
    const { Attributes } = await store.db.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: approvalKey(record.approvalId),
        UpdateExpression: 'SET #status = :outcome, closedAt = :now, closedBy = :approver, delivery = :delivery',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':outcome': outcome,
          ':now': now.toISOString(),
          ':approver': decidedBy(record) ?? approver,
          ':delivery': 'pending' satisfies Delivery,
          ':pending': 'pending',
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    closed = approvalRecordSchema.parse(Attributes);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Another decider closed it first (or it expired): our decision is recorded, theirs told Step Functions.
    const latest = (await getApproval(store, record.approvalId)) ?? record;
    return { kind: 'recorded', approval: withoutToken(latest) };
  }
  const delivered = await deliver(store, closed);
  return { kind: 'closed', approval: withoutToken(delivered) };
}

async function claimRedelivery(store: ApprovalStore, record: ApprovalRecord): Promise<boolean> {
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: approvalKey(record.approvalId),
        UpdateExpression: 'SET delivery = :pending REMOVE deliveryError',
        ConditionExpression: 'delivery = :failed',
        ExpressionAttributeValues: { ':pending': 'pending', ':failed': 'failed' },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Tell Step Functions the outcome of a closed record, and record how that went. */
async function deliver(store: ApprovalStore, record: ApprovalRecord): Promise<ApprovalRecord> {
  const approval = withoutToken(record);
  let delivery: Delivery;
  let deliveryError: string | undefined;
  try {
    if (record.status === 'approved') {
      await store.sfn.send(new SendTaskSuccessCommand({ taskToken: record.taskToken, output: JSON.stringify(approvalTaskOutput(approval)) }));
    } else {
      await store.sfn.send(new SendTaskFailureCommand({ taskToken: record.taskToken, error: APPROVAL_REJECTED, cause: rejectionCause(approval) }));
    }
    delivery = 'sent';
  } catch (error) {
    if (hasErrorName(error, 'TaskTimedOut')) delivery = 'task-timed-out';
    else if (hasErrorName(error, 'TaskDoesNotExist', 'InvalidToken')) delivery = 'task-closed';
    else {
      delivery = 'failed';
      // The SDK's message never contains the token; the error's name and message are enough to act on.
      deliveryError = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 500) : 'unknown error';
    }
  }
  const { Attributes } = await store.db.send(
    new UpdateCommand({
      TableName: store.tableName,
      Key: approvalKey(record.approvalId),
      UpdateExpression: deliveryError ? 'SET delivery = :delivery, deliveryError = :error' : 'SET delivery = :delivery',
      ExpressionAttributeValues: { ':delivery': delivery, ...(deliveryError ? { ':error': deliveryError } : {}) },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return approvalRecordSchema.parse(Attributes);
}

/**
 * Mark a still-pending approval expired (the run's Task timed out: the workflow's failure path, next step).
 * Returns false when it was already closed.
 */
export async function expireApproval(store: Pick<ApprovalStore, 'db' | 'tableName'>, approvalId: string, now: Date): Promise<boolean> {
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: approvalKey(approvalId),
        UpdateExpression: 'SET #status = :expired, closedAt = :now',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':expired': 'expired', ':now': now.toISOString(), ':pending': 'pending' },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
