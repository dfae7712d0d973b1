/**
 * requestApproval — the Approval stage's task, two phases:
 *
 *   request   (.waitForTaskToken) 1. find this run's approval pointer (IMAGE#v#APPROVAL): a retried invocation
 *             (new task token) keeps the same approval and links, only its stored token is replaced — or, when
 *             the approval was decided meanwhile, this token is answered with the recorded decision;
 *             2. otherwise build the evidence (scan item, inventories, the previous approved image, the base
 *             image's lineage), store the record (the token only there) and the pointer;
 *             3. tag the image gami:status=awaiting-approval;
 *             4. publish one SNS message per approver not yet emailed, with message attribute `approver` so
 *             each email subscription's filter policy delivers it to that approver alone.
 *             Returns ids and who was emailed; Step Functions ignores it (the task waits for SendTaskSuccess).
 *   decided   tag the image gami:status=distributing (approved by people, not yet distributed; the last
 *             distribution step tags it approved).
 *
 * The task token is never logged, returned or put in a message: only `putApproval` and the token swap see it.
 */
import { CreateTagsCommand, DescribeImagesCommand, type DescribeImagesCommandOutput, type EC2Client } from '@aws-sdk/client-ec2';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { inventoryKeys } from '../../pipeline/inventory';
import { registryKeys } from '../../pipeline/registry';
import { TAG } from '../../pipeline/tags';
import { approvalLink } from '../approval/links';
import { approvalKey, newApprovalRecord, withoutToken, type ApprovalRecord } from '../approval/record';
import { signingKey } from '../approval/signing-key';
import { APPROVAL_REJECTED, approvalTaskOutput, getApproval, putApproval, rejectionCause } from '../approval/store';
import { hasErrorName } from '../common/aws-errors';
import { logger } from '../common/powertools';
import type { requestApprovalEventSchema, requestApprovalResultSchema } from '../contracts';
import { approvalEmail } from './email';
import { APPROVED_STATUSES, buildEvidence, inventoryPackages, scanVulnerabilityIds, type ApprovalRequestEvent } from './evidence';

export type RequestApprovalEvent = z.output<typeof requestApprovalEventSchema>;
export type RequestApprovalResult = z.output<typeof requestApprovalResultSchema>;

export interface RequestApprovalClients {
  ec2: EC2Client;
  sns: SNSClient;
  registry: DynamoDBDocumentClient;
  secrets: SecretsManagerClient;
  sfn: SFNClient;
}

export interface RequestApprovalSettings {
  /** GAMI_APPROVAL_SECRET */
  secretId: string;
  /** GAMI_APPROVAL_BASE_URL */
  baseUrl: string;
}

/** Most base-image generations followed through gami:base-image tags (a golden image built on a golden image…). */
const MAX_LINEAGE = 5;

interface Pointer {
  approvalId: string;
  executionArn: string;
  notified?: Set<string>;
}

async function tagImage(ec2: EC2Client, imageId: string, status: string): Promise<void> {
  await ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: TAG.status, Value: status }] }));
}

/** The base image's own lineage, oldest first: its gami:base-image chain as far as this account can see. */
async function lineageOf(ec2: EC2Client, baseImageId: string): Promise<string[]> {
  const chain: string[] = [];
  let current: string | undefined = baseImageId;
  while (current && chain.length < MAX_LINEAGE) {
    let parent: string | undefined;
    try {
      const described: DescribeImagesCommandOutput = await ec2.send(new DescribeImagesCommand({ ImageIds: [current], IncludeDeprecated: true }));
      parent = described.Images?.[0]?.Tags?.find((t) => t.Key === TAG.baseImage)?.Value;
    } catch (error) {
      if (hasErrorName(error, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable')) break;
      throw error;
    }
    if (!parent || chain.includes(parent)) break;
    chain.unshift(parent);
    current = parent;
  }
  return chain;
}

async function getItem(registry: DynamoDBDocumentClient, table: string, key: { pk: string; sk: string }) {
  return (await registry.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
}

/** The newest earlier image of the pipeline that passed approval, with what the registry recorded about it. */
async function previousApproved(registry: DynamoDBDocumentClient, table: string, pipeline: string, version: number) {
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await registry.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        FilterExpression: '#status IN (:s0, :s1, :s2) AND attribute_exists(imageId)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pk': registryKeys.image(pipeline, 1).pk,
          ':from': registryKeys.image(pipeline, 1).sk,
          ':to': registryKeys.image(pipeline, version - 1).sk,
          ':s0': APPROVED_STATUSES[0],
          ':s1': APPROVED_STATUSES[1],
          ':s2': APPROVED_STATUSES[2],
        },
        ScanIndexForward: false,
        ExclusiveStartKey,
      }),
    );
    const item = page.Items?.find((i) => typeof i.version === 'number' && typeof i.imageId === 'string' && i.sk === registryKeys.image(pipeline, i.version as number).sk);
    if (item) {
      const v = item.version as number;
      const [scan, inventory, approvalStage] = await Promise.all([
        getItem(registry, table, registryKeys.scan(pipeline, v)),
        getItem(registry, table, inventoryKeys.item(pipeline, v, 'image')),
        getItem(registry, table, registryKeys.stage(pipeline, v, 'Approval')),
      ]);
      return {
        version: v,
        imageId: item.imageId as string,
        approvedAt: typeof approvalStage?.endedAt === 'string' ? approvalStage.endedAt : undefined,
        vulnerabilityIds: scanVulnerabilityIds(scan),
        packages: inventoryPackages(inventory),
      };
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return undefined;
}

async function readPointer(registry: DynamoDBDocumentClient, table: string, pipeline: string, version: number): Promise<Pointer | undefined> {
  const item = await getItem(registry, table, registryKeys.approval(pipeline, version));
  return item ? { approvalId: String(item.approvalId), executionArn: String(item.executionArn), notified: item.notified as Set<string> | undefined } : undefined;
}

/** A retried request (new task token) keeps its approval: swap the stored token while it is pending. */
async function replaceToken(registry: DynamoDBDocumentClient, table: string, approvalId: string, taskToken: string): Promise<boolean> {
  try {
    await registry.send(
      new UpdateCommand({
        TableName: table,
        Key: approvalKey(approvalId),
        UpdateExpression: 'SET taskToken = :token',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':token': taskToken, ':pending': 'pending' },
      }),
    );
    return true;
  } catch (error) {
    if (hasErrorName(error, 'ConditionalCheckFailedException')) return false;
    throw error;
  }
}

async function createApproval(clients: RequestApprovalClients, event: ApprovalRequestEvent, apiUrl: string): Promise<ApprovalRecord | undefined> {
  const { run, registryTable: table, version } = event;
  const [scan, inventory, previous, lineage] = await Promise.all([
    getItem(clients.registry, table, registryKeys.scan(run.pipeline, version)),
    getItem(clients.registry, table, inventoryKeys.item(run.pipeline, version, 'image')),
    previousApproved(clients.registry, table, run.pipeline, version),
    lineageOf(clients.ec2, event.baseImage.imageId),
  ]);
  const evidence = buildEvidence(event, { vulnerabilityIds: scanVulnerabilityIds(scan), packages: inventoryPackages(inventory) }, lineage, previous);
  const record = newApprovalRecord({
    taskToken: event.taskToken,
    executionArn: run.executionArn,
    evidence,
    approvers: event.approvers,
    minApprovals: event.minApprovals,
    now: new Date(run.now),
    timeoutHours: event.timeoutHours,
    apiUrl,
  });
  try {
    // The pointer first: of two concurrent invocations (a duplicate delivery) exactly one creates the approval.
    await clients.registry.send(
      new PutCommand({
        TableName: table,
        Item: { ...registryKeys.approval(run.pipeline, version), approvalId: record.approvalId, executionArn: run.executionArn, createdAt: run.now, expiresAt: record.expiresAt },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (hasErrorName(error, 'ConditionalCheckFailedException')) return undefined;
    throw error;
  }
  await putApproval({ db: clients.registry, tableName: table }, record);
  return record;
}

export async function requestApproval(clients: RequestApprovalClients, settings: RequestApprovalSettings, event: RequestApprovalEvent): Promise<RequestApprovalResult> {
  if (event.phase === 'decided') {
    await tagImage(clients.ec2, event.imageId, 'distributing');
    return { notified: [], imageStatus: 'distributing' };
  }
  const { run, registryTable: table, version } = event;
  let pointer = await readPointer(clients.registry, table, run.pipeline, version);
  let record: ApprovalRecord | undefined;
  if (pointer && pointer.executionArn === run.executionArn) {
    record = await getApproval({ db: clients.registry, tableName: table }, pointer.approvalId);
    // Not there yet: a concurrent invocation with this same token is writing it and sends the emails.
    if (!record) return { approvalId: pointer.approvalId, notified: [], imageStatus: 'awaiting-approval' };
    if (record.taskToken !== event.taskToken && !(await replaceToken(clients.registry, table, record.approvalId, event.taskToken))) {
      // Decided while the earlier invocation was failing (its token was closed by that failure): answer this
      // invocation's token with the recorded decision, so the run goes on as the approvers decided.
      const closed = (await getApproval({ db: clients.registry, tableName: table }, record.approvalId)) ?? record;
      logger.info('approval decided before the retried request', { approvalId: closed.approvalId, status: closed.status });
      if (closed.status === 'approved') {
        await clients.sfn.send(new SendTaskSuccessCommand({ taskToken: event.taskToken, output: JSON.stringify(approvalTaskOutput(withoutToken(closed))) }));
      } else if (closed.status === 'rejected') {
        await clients.sfn.send(new SendTaskFailureCommand({ taskToken: event.taskToken, error: APPROVAL_REJECTED, cause: rejectionCause(withoutToken(closed)) }));
      }
      return { approvalId: closed.approvalId, notified: [], imageStatus: 'awaiting-approval' };
    }
  } else {
    record = await createApproval(clients, event, settings.baseUrl);
    if (!record) return { notified: [], imageStatus: 'awaiting-approval' };
    pointer = { approvalId: record.approvalId, executionArn: run.executionArn };
  }

  await tagImage(clients.ec2, event.imageId, 'awaiting-approval');

  const key = await signingKey(clients.secrets, settings.secretId);
  const exp = Math.floor(Date.parse(record.expiresAt) / 1000);
  const notified: string[] = [];
  for (const approver of record.approvers) {
    if (pointer.notified?.has(approver)) continue;
    const link = approvalLink(settings.baseUrl, key, { approvalId: record.approvalId, approver, exp });
    const email = approvalEmail(record, approver, link);
    await clients.sns.send(
      new PublishCommand({
        TopicArn: event.topicArn,
        Subject: email.subject,
        Message: email.message,
        MessageAttributes: {
          approver: { DataType: 'String', StringValue: approver },
          pipeline: { DataType: 'String', StringValue: run.pipeline },
          kind: { DataType: 'String', StringValue: 'approval-request' },
        },
      }),
    );
    await clients.registry.send(
      new UpdateCommand({
        TableName: table,
        Key: registryKeys.approval(run.pipeline, version),
        UpdateExpression: 'ADD notified :approver',
        ExpressionAttributeValues: { ':approver': new Set([approver]) },
      }),
    );
    notified.push(approver);
  }
  logger.info('approval requested', { approvalId: record.approvalId, approvers: record.approvers, notified, expiresAt: record.expiresAt });
  return { approvalId: record.approvalId, expiresAt: record.expiresAt, notified, imageStatus: 'awaiting-approval' };
}
