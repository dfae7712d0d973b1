/**
 * `gami status [execution]`: where a run is.
 *   with an execution (ARN or name): its status, times, the state it is in (or ended in), the stage, who
 *   started it and why, and the error of a failed run;
 *   without: the newest execution of every pipeline's state machine.
 * AWS by default (default credentials), `--local` reads the executions the local runtime stored; `--format json`.
 */
import { GetExecutionHistoryCommand, ListExecutionsCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { duration, findExecution, formatOption, invalid, listStateMachines, openSfn, operatorAction, targetOptions, time, withTarget, type Format, type TargetOptions } from './target';

export interface StatusIo {
  out: (line: string) => void;
}

export interface ExecutionStatus {
  executionArn: string;
  name: string;
  pipeline: string;
  status: string;
  startDate?: string;
  stopDate?: string;
  durationSeconds?: number;
  /** The state the execution is in (running) or last entered. */
  state?: string;
  reason?: string;
  requestedBy?: string;
  error?: string;
  cause?: string;
}

const pipelineOf = (executionArn: string) => (executionArn.split(':')[6] ?? '').replace(/^gami-/, '');

function inputField(input: string | undefined, field: string): string | undefined {
  try {
    const value = (JSON.parse(input ?? '{}') as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The last state entered, from the newest history events. */
async function currentState(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100, includeExecutionData: false }));
  return (events ?? []).find((e) => e.stateEnteredEventDetails?.name)?.stateEnteredEventDetails?.name;
}

export async function describeStatus(sfn: SFNClient, execution: DescribeExecutionCommandOutput): Promise<ExecutionStatus> {
  const arn = execution.executionArn!;
  const stop = execution.stopDate ?? undefined;
  return {
    executionArn: arn,
    name: execution.name ?? arn.split(':').pop()!,
    pipeline: pipelineOf(arn),
    status: execution.status ?? 'UNKNOWN',
    startDate: execution.startDate?.toISOString(),
    ...(stop && { stopDate: stop.toISOString() }),
    ...(stop && execution.startDate && { durationSeconds: Math.round((stop.getTime() - execution.startDate.getTime()) / 1000) }),
    state: await currentState(sfn, arn),
    reason: inputField(execution.input, 'reason'),
    requestedBy: inputField(execution.input, 'requestedBy'),
    ...(execution.error && { error: execution.error }),
    ...(execution.cause && { cause: execution.cause }),
  };
}

export function statusLines(s: ExecutionStatus): string[] {
  const lines = [
    `${s.pipeline}  ${s.name}  ${s.status}`,
    `  execution: ${s.executionArn}`,
    `  started:   ${time(s.startDate ? new Date(s.startDate) : undefined)}${s.requestedBy ? ` by ${s.requestedBy}` : ''}${s.reason ? ` — ${s.reason}` : ''}`,
  ];
  if (s.stopDate) lines.push(`  ended:     ${time(new Date(s.stopDate))} (${duration((s.durationSeconds ?? 0) * 1000)})`);
  if (s.state) lines.push(`  ${s.status === 'RUNNING' ? 'now in:   ' : 'last state:'} ${s.state}`);
  if (s.error) lines.push(`  error:     ${s.error}${s.cause ? `: ${s.cause.split('\n')[0].slice(0, 300)}` : ''}`);
  return lines;
}

async function status(reference: string | undefined, options: TargetOptions & { format: Format }, io: StatusIo): Promise<void> {
  await withTarget(openSfn(options), async ({ sfn }) => {
    let statuses: ExecutionStatus[];
    if (reference !== undefined) {
      const execution = await findExecution(sfn, reference);
      if (!execution) throw invalid(`no execution "${reference}" (Step Functions keeps a closed execution's history for 90 days)`);
      statuses = [await describeStatus(sfn, execution)];
    } else {
      statuses = [];
      for (const machine of (await listStateMachines(sfn)).filter((m) => m.name?.startsWith('gami-'))) {
        const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn, maxResults: 1 }));
        const newest = executions?.[0];
        if (!newest) continue;
        const found = await findExecution(sfn, newest.executionArn!);
        if (found) statuses.push(await describeStatus(sfn, found));
      }
    }
    if (options.format === 'json') {
      io.out(JSON.stringify(reference !== undefined ? statuses[0] : statuses, null, 2));
      return;
    }
    if (statuses.length === 0) io.out('no executions yet');
    for (const s of statuses) for (const line of statusLines(s)) io.out(line);
  });
}

/** Add `status` to a gami program. */
export function addStatusCommand(program: Command, io: StatusIo): Command {
  targetOptions(
    program
      .command('status')
      .description('the status of an execution (ARN or name), or of the newest execution of every pipeline')
      .argument('[execution]', 'execution ARN or name')
      .addOption(formatOption()),
  ).action(operatorAction((reference: string | undefined, options: TargetOptions & { format: Format }) => status(reference, options, io)));
  return program;
}
