/**
 * runStep: send one component step to the instance through SSM RunCommand (AWS-RunShellScript).
 * SendCommand has no idempotency token, so the step's attempt is found first by its Comment among the
 * instance's commands: a retried invocation returns the command already sent instead of running the step
 * twice (two package managers at once would fight over their lock).
 */
import { paginateListCommands, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { z } from 'zod';
import type { ComponentStepRef, runStepEventSchema, runStepResultSchema } from '../contracts';

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

export async function runStep(clients: { ssm: SSMClient }, event: RunStepEvent): Promise<RunStepResult> {
  const { instanceId, step, attempt } = event;
  const comment = stepComment(step, attempt);
  const existing = await findSentCommand(clients.ssm, instanceId, comment);
  if (existing) return { commandId: existing };

  const sent = await clients.ssm.send(
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
  return { commandId };
}
