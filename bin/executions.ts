/**
 * `gami executions <pipeline> [--status S] [--max N]`: a pipeline's executions, newest first (ListExecutions
 * on `gami-<pipeline>`), one line each: name, status, start, duration, and who started it and why.
 * AWS by default, `--local` the local runtime's stored executions; `--format json`.
 */
import { DescribeExecutionCommand, ExecutionStatus as SfnStatus, paginateListExecutions, type ExecutionStatus } from '@aws-sdk/client-sfn';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { duration, formatOption, openSfn, operatorAction, pipelineStateMachine, targetOptions, time, withTarget, type Format, type TargetOptions } from './target';

export interface ExecutionsIo {
  out: (line: string) => void;
}

interface ExecutionsOptions extends TargetOptions {
  format: Format;
  status?: ExecutionStatus;
  max: number;
}

export interface ExecutionSummary {
  name: string;
  executionArn: string;
  status: string;
  startDate?: string;
  stopDate?: string;
  durationSeconds?: number;
  reason?: string;
  requestedBy?: string;
  error?: string;
}

const MAX_LISTED = 1000;

function parseMax(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LISTED) throw new InvalidArgumentError(`"${value}" is not a count from 1 to ${MAX_LISTED}`);
  return n;
}

async function listExecutions(pipeline: string, options: ExecutionsOptions, io: ExecutionsIo): Promise<void> {
  await withTarget(openSfn(options), async ({ sfn }) => {
    const stateMachineArn = await pipelineStateMachine(sfn, pipeline);
    const summaries: ExecutionSummary[] = [];
    for await (const page of paginateListExecutions({ client: sfn }, { stateMachineArn, statusFilter: options.status })) {
      for (const item of page.executions ?? []) {
        if (summaries.length >= options.max) break;
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
        let input: Record<string, unknown> = {};
        try {
          input = JSON.parse(described.input ?? '{}') as Record<string, unknown>;
        } catch {
          // Input is always JSON on Step Functions; nothing to show otherwise.
        }
        const stop = item.stopDate;
        summaries.push({
          name: item.name!,
          executionArn: item.executionArn!,
          status: item.status!,
          startDate: item.startDate?.toISOString(),
          ...(stop && { stopDate: stop.toISOString() }),
          ...(stop && item.startDate && { durationSeconds: Math.round((stop.getTime() - item.startDate.getTime()) / 1000) }),
          ...(typeof input.reason === 'string' && { reason: input.reason }),
          ...(typeof input.requestedBy === 'string' && { requestedBy: input.requestedBy }),
          ...(described.error && { error: described.error }),
        });
      }
      if (summaries.length >= options.max) break;
    }
    if (options.format === 'json') {
      io.out(JSON.stringify(summaries, null, 2));
      return;
    }
    if (summaries.length === 0) {
      io.out(`no executions of ${pipeline}${options.status ? ` with status ${options.status}` : ''}`);
      return;
    }
    for (const s of summaries) {
      const took = s.durationSeconds !== undefined ? duration(s.durationSeconds * 1000) : 'running';
      const who = [s.requestedBy, s.reason].filter(Boolean).join(': ');
      io.out(`${s.name}  ${s.status.padEnd(9)}  ${time(s.startDate ? new Date(s.startDate) : undefined)}  ${took.padStart(11)}${s.error ? `  ${s.error}` : ''}${who ? `  (${who})` : ''}`);
    }
  });
}

/** Add `executions` to a gami program. */
export function addExecutionsCommand(program: Command, io: ExecutionsIo): Command {
  targetOptions(
    program
      .command('executions')
      .description("a pipeline's executions, newest first")
      .argument('<pipeline>', 'pipeline name')
      .addOption(new Option('--status <status>', 'only executions with this status').choices(Object.values(SfnStatus)))
      .option('--max <n>', `at most this many (1 to ${MAX_LISTED})`, parseMax, 20)
      .addOption(formatOption()),
  ).action(operatorAction((pipeline: string, options: ExecutionsOptions) => listExecutions(pipeline, options, io)));
  return program;
}
