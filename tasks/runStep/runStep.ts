/**
 * runStep: send one component step to the instance through SSM RunCommand (AWS-RunShellScript), exactly once
 * per step attempt. SendCommand has no idempotency token, and a retried or duplicated invocation must not run
 * the step twice (two package managers at once would fight over their lock), so:
 *   1. claim the attempt with a conditional write in the registry (key: execution, instance, step attempt) —
 *      of two concurrent invocations exactly one wins; the other returns the winner's command, or, while the
 *      winner is still sending, fails with StepCommandPending, which the state machine retries shortly;
 *   2. the winner looks for the attempt by its Comment among the instance's commands (a winner that crashed
 *      after sending left it there) and sends only when it is not;
 *   3. the command id is written to the claim.
 * A claim whose winner died before sending is taken over after TAKEOVER_AFTER_WAITS waiting invocations.
 */
import { paginateListCommands, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import type { ComponentStepRef, runStepEventSchema, runStepResultSchema } from '../contracts';
import { hasErrorName } from '../common/aws-errors';
import { StepCommandPending } from '../errors';

export type RunStepEvent = z.output<typeof runStepEventSchema>;
export type RunStepResult = z.output<typeof runStepResultSchema>;

/** SendCommand's Comment holds at most 100 characters. */
const MAX_COMMENT = 100;

/** `<component>/<phase>/<step>`, with ` attempt <n>` from the second attempt on: one comment per attempt. */
export function stepComment(step: Pick<ComponentStepRef, 'component' | 'phase' | 'step'>, attempt: number): string {
  const suffix = attempt > 1 ? ` attempt ${attempt}` : '';
  return `${step.component}/${step.phase}/${step.step}`.slice(0, MAX_COMMENT - suffix.length) + suffix;
}

async function findSentCommand(ssm: SSMClient, instanceId: string, comment: string): Promise<string | undefined> {
  const pages = paginateListCommands(
    { client: ssm, pageSize: 50 },
    { InstanceId: instanceId, Filters: [{ key: 'DocumentName', value: 'AWS-RunShellScript' }] },
  );
  for await (const page of pages) {
    const sent = page.Commands?.find((command) => command.Comment === comment);
    if (sent?.CommandId) return sent.CommandId;
  }
  return undefined;
}

/**
 * A claim without a command after this many waiting invocations is taken over: its winner died between
 * claiming and recording (the state machine retries StepCommandPending at 5, 10, 20 s…, so after ~15 s).
 * Counting waits rather than reading a clock keeps the decision exact on any clock.
 */
export const TAKEOVER_AFTER_WAITS = 3;
/** Claims expire from the registry (TTL attribute `ttl`, epoch seconds) a week after they were made. */
const CLAIM_TTL_SECONDS = 7 * 24 * 3600;

export function claimKey(event: Pick<RunStepEvent, 'run' | 'instanceId'>, comment: string) {
  return { pk: `PIPELINE#${event.run.pipeline}`, sk: `CLAIM#${event.run.executionName}#${event.instanceId}#${comment}` };
}

/** Claim the step attempt: the command id when another invocation already sent it, else 'won'. */
async function claim(clients: RunStepClients, event: RunStepEvent, comment: string): Promise<{ commandId: string } | 'won'> {
  const { registry } = clients;
  const table = event.registryTable;
  const Key = claimKey(event, comment);
  const now = Date.parse(event.run.now);
  try {
    await registry.send(
      new PutCommand({
        TableName: table,
        Item: { ...Key, executionArn: event.run.executionArn, claimedAt: event.run.now, waits: 0, ttl: Math.floor(now / 1000) + CLAIM_TTL_SECONDS },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return 'won';
  } catch (error) {
    if (!hasErrorName(error, 'ConditionalCheckFailedException')) throw error;
  }
  const existing = (await registry.send(new GetCommand({ TableName: table, Key, ConsistentRead: true }))).Item;
  if (typeof existing?.commandId === 'string') return { commandId: existing.commandId };
  // The winner may have sent without recording yet (or died after sending): SSM knows.
  const sent = await findSentCommand(clients.ssm, event.instanceId, comment);
  if (sent) return { commandId: sent };
  let waits: number;
  try {
    const updated = await registry.send(
      new UpdateCommand({
        TableName: table,
        Key,
        UpdateExpression: 'ADD waits :one',
        ConditionExpression: 'attribute_not_exists(commandId)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    waits = typeof updated.Attributes?.waits === 'number' ? updated.Attributes.waits : 0;
  } catch (error) {
    if (!hasErrorName(error, 'ConditionalCheckFailedException')) throw error;
    const recorded = (await registry.send(new GetCommand({ TableName: table, Key, ConsistentRead: true }))).Item?.commandId;
    if (typeof recorded === 'string') return { commandId: recorded };
    throw error;
  }
  // Exactly one waiter sees the count reach the threshold (ADD is atomic): that one takes over.
  if (waits === TAKEOVER_AFTER_WAITS) return 'won';
  throw new StepCommandPending(`${comment} on ${event.instanceId} is being sent by another invocation (claimed at ${String(existing?.claimedAt)}; wait ${waits})`);
}

export interface RunStepClients {
  ssm: SSMClient;
  registry: DynamoDBDocumentClient;
}

export async function runStep(clients: RunStepClients, event: RunStepEvent): Promise<RunStepResult> {
  const { instanceId, step, attempt } = event;
  const comment = stepComment(step, attempt);
  const claimed = await claim(clients, event, comment);
  if (claimed !== 'won') return claimed;
  const commandId = (await findSentCommand(clients.ssm, instanceId, comment)) ?? (await send(clients.ssm, event, comment));
  await clients.registry.send(
    new UpdateCommand({
      TableName: event.registryTable,
      Key: claimKey(event, comment),
      UpdateExpression: 'SET commandId = :commandId',
      ExpressionAttributeValues: { ':commandId': commandId },
    }),
  );
  return { commandId };
}

async function send(ssm: SSMClient, event: RunStepEvent, comment: string): Promise<string> {
  const { instanceId, step } = event;

  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [instanceId],
      Comment: comment,
      Parameters: {
        commands: step.commands,
        // The document's own limit on the script's run time (seconds, as a string parameter).
        executionTimeout: [String(step.timeoutSeconds)],
      },
    }),
  );
  const commandId = sent.Command?.CommandId;
  if (!commandId) throw new Error(`SendCommand for ${comment} on ${instanceId} returned no command id`);
  return commandId;
}
