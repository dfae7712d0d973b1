/**
 * checkStep: one poll of a step's command invocation, and the step's failure policy:
 *   success                                   → Success
 *   failed, attempts left                     → Failed, retry: true (the workflow sends attempt + 1)
 *   failed, no attempt left, onFailure Ignore → Ignored
 *   failed, no attempt left, onFailure Continue → Failed, retry: false (the phase fails at its end)
 *   failed, no attempt left, onFailure Abort  → throws ComponentFailed
 * "Failed" covers SSM's Failed, TimedOut and Cancelled.
 */
import { GetCommandInvocationCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { z } from 'zod';
import type { checkStepEventSchema, checkStepResultSchema } from '../contracts';
import { hasErrorName } from '../common/aws-errors';
import { ComponentFailed } from '../errors';

export type CheckStepEvent = z.output<typeof checkStepEventSchema>;
export type CheckStepResult = z.output<typeof checkStepResultSchema>;

/** Enough output to see what went wrong, small enough for a state's payload and an error's cause. */
export const OUTPUT_TAIL_CHARS = 2000;

const RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);
const FAILED = new Set(['Failed', 'TimedOut', 'Cancelled']);

/** The last `max` characters of `text`, cut at a line start when possible. */
export function tail(text: string, max = OUTPUT_TAIL_CHARS): string {
  const trimmed = text.trimEnd();
  if (trimmed.length <= max) return trimmed;
  const cut = trimmed.slice(-max);
  const newline = cut.indexOf('\n');
  return `…${newline >= 0 && newline < cut.length - 1 ? cut.slice(newline + 1) : cut}`;
}

/** Standard output and error of an invocation as one tail, stderr last (that is where failures speak). */
export function outputTail(stdout = '', stderr = ''): string {
  const parts = [stdout.trimEnd(), stderr.trimEnd() ? `--- stderr ---\n${stderr.trimEnd()}` : ''].filter(Boolean);
  return tail(parts.join('\n'));
}

export async function checkStep(clients: { ssm: SSMClient }, event: CheckStepEvent): Promise<CheckStepResult> {
  const { instanceId, commandId, step, attempt } = event;
  let invocation;
  try {
    invocation = await clients.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  } catch (error) {
    // Right after SendCommand the invocation may not exist yet: still pending, poll again.
    if (hasErrorName(error, 'InvocationDoesNotExist')) return { status: 'InProgress', outputTail: '', retry: false };
    throw error;
  }

  const status = invocation.Status ?? 'Pending';
  const output = outputTail(invocation.StandardOutputContent, invocation.StandardErrorContent);
  if (RUNNING.has(status)) return { status: 'InProgress', outputTail: output, retry: false };

  const responseCode = invocation.ResponseCode ?? -1;
  if (status === 'Success') return { status: 'Success', responseCode, outputTail: output, retry: false };
  if (!FAILED.has(status)) throw new Error(`GetCommandInvocation returned an unknown status ${JSON.stringify(status)} for ${commandId}`);

  if (attempt < step.maxAttempts) return { status: 'Failed', responseCode, outputTail: output, retry: true };
  if (step.onFailure === 'Ignore') return { status: 'Ignored', responseCode, outputTail: output, retry: false };
  if (step.onFailure === 'Continue') return { status: 'Failed', responseCode, outputTail: output, retry: false };
  throw new ComponentFailed({
    component: step.component,
    phase: step.phase,
    step: step.step,
    status,
    exitCode: responseCode,
    attempts: attempt,
    outputTail: output,
    instanceId,
    commandId,
  });
}
