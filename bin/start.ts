/**
 * `gami start <pipeline> [--reason <text>] [--requested-by <who>]`: start a run of a pipeline's state machine
 * with input `{reason, requestedBy}` (both go to the audit trail; prepare validates them).
 *   AWS:     StartExecution on `gami-<pipeline>` with the default credentials; requestedBy defaults to the
 *            caller's identity (STS GetCallerIdentity). Prints the execution ARN; `--wait` follows it to the end.
 *   --local: there is no service running in the background locally, so the command is the service: it
 *            synthesizes the pipeline's stack (pipelines/*.yaml, or --file), starts the local runtime on the
 *            state directory (locked while it runs), runs the execution to its end on a scaled clock
 *            (`--speed`), and persists it, so `gami status|executions|audit --local` see it afterwards.
 *            requestedBy defaults to the local user.
 * Exit: 0 started (AWS) or succeeded; 1 the run did not succeed; 2 invalid input.
 */
import { userInfo } from 'node:os';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Command, CommanderError } from 'commander';
import { buildApp, LOCAL_CONTEXT } from '../infra/app';
import { resourceNames } from '../infra/pipeline-stack';
import { ScaledClock, type Clock } from '../local/clock';
import { savedWorldTime } from '../local/cloud';
import { LocalRuntime } from '../local/runtime';
import { announceServer, openStateDir, StateDirError } from '../local/state-dir';
import { validatePipelineFiles } from '../pipeline/validate';
import { createClient } from '../tasks/clients';
import { defaultPipelineFiles } from './cli';
import { followExecution } from './follow';
import { approvalHandler, pollWithApprovals, startApprovalServer, type ApproveAs } from './local-approvals';
import { STAGE_STARTS } from './live';
import { duration, formatOption, invalid, localNow, openSfn, operatorAction, pipelineStateMachine, targetOptions, time, type TargetOptions } from './target';

export interface StartIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** The clock of a local run, given when the simulated account was last saved (tests: a virtual clock); default a scaled clock at --speed. */
  clock?: (savedAt: number | undefined) => Clock;
}

interface StartOptions extends TargetOptions {
  reason?: string;
  requestedBy?: string;
  name?: string;
  file?: string;
  speed: string;
  wait?: boolean;
  format: 'text' | 'json';
  yes?: boolean;
  approveAs?: string[];
}

/** The local run polls every 30 simulated seconds. */
const POLL_SIMULATED_MS = 30_000;
const MAX_REASON = 500;
const MAX_REQUESTED_BY = 200;

/** The pipeline file whose config is named `pipeline`: --file, or the one among pipelines/*.yaml. */
function pipelineFile(pipeline: string, file: string | undefined): string {
  const [candidates, where] = file ? [[file], file] : [undefined, 'pipelines/'];
  const results = validatePipelineFiles(candidates ?? defaultPipelineFiles());
  const match = results.find((r) => r.pipeline?.config.name === pipeline);
  if (match) return match.file;
  const broken = results.find((r) => !r.pipeline && (file || r.file.endsWith(`/${pipeline}.yaml`)));
  if (broken) throw invalid(`${broken.file} is not a valid pipeline file; run gami validate ${broken.file}`);
  const known = results.flatMap((r) => (r.pipeline ? [r.pipeline.config.name] : []));
  throw invalid(`no pipeline named "${pipeline}" in ${where}${known.length ? ` (found: ${known.join(', ')})` : ''}`);
}

function checkInput(options: StartOptions): void {
  if (options.reason !== undefined && (options.reason.trim() === '' || options.reason.length > MAX_REASON)) {
    throw invalid(`--reason: give a reason of 1 to ${MAX_REASON} characters`);
  }
  if (options.requestedBy !== undefined && (options.requestedBy.trim() === '' || options.requestedBy.length > MAX_REQUESTED_BY)) {
    throw invalid(`--requested-by: give 1 to ${MAX_REQUESTED_BY} characters`);
  }
  if (options.name !== undefined && !/^[A-Za-z0-9_-]{1,80}$/.test(options.name)) {
    throw invalid(`--name: "${options.name}" is not an execution name (1 to 80 letters, digits, - and _)`);
  }
}

function parseSpeed(value: string): number {
  const speed = Number(value);
  if (value.trim() === '' || !Number.isFinite(speed) || speed <= 0 || speed > 3600) {
    throw invalid(`--speed: "${value}" is not a speed: give simulated seconds per wall second, more than 0 and at most 3600`);
  }
  return speed;
}

async function startOnAws(pipeline: string, options: StartOptions, io: StartIo): Promise<number> {
  const target = openSfn(options);
  try {
    const stateMachineArn = await pipelineStateMachine(target.sfn, pipeline);
    let requestedBy = options.requestedBy;
    if (requestedBy === undefined) {
      const sts = createClient(STSClient, options.region ? { region: options.region } : {});
      try {
        requestedBy = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
      } finally {
        sts.destroy();
      }
    }
    const input = { ...(options.reason && { reason: options.reason }), ...(requestedBy && { requestedBy }) };
    const { executionArn } = await target.sfn.send(new StartExecutionCommand({ stateMachineArn, name: options.name, input: JSON.stringify(input) }));
    if (!options.wait) {
      if (options.format === 'json') io.out(JSON.stringify({ executionArn, status: 'RUNNING', input }, null, 2));
      else io.out(`started ${executionArn}`);
      return 0;
    }
    io.out(`started ${executionArn}`);
    const done = await followExecution(target.sfn, executionArn!, { onEvent: (event) => stageLine(event, io) });
    return report(done, options, io);
  } finally {
    await target.close();
  }
}

function stageLine(event: { stateEnteredEventDetails?: { name?: string }; timestamp?: Date }, io: StartIo): void {
  const stage = STAGE_STARTS[event.stateEnteredEventDetails?.name ?? ''];
  if (stage) io.out(`${time(event.timestamp)}  ${stage}`);
}

function report(
  done: { executionArn?: string; status?: string; startDate?: Date; stopDate?: Date; error?: string; cause?: string; output?: string },
  options: StartOptions,
  io: StartIo,
): number {
  if (options.format === 'json') {
    io.out(
      JSON.stringify(
        {
          executionArn: done.executionArn,
          status: done.status,
          startDate: done.startDate?.toISOString(),
          stopDate: done.stopDate?.toISOString(),
          ...(done.error && { error: done.error, cause: done.cause }),
          ...(done.output && { output: JSON.parse(done.output) as unknown }),
        },
        null,
        2,
      ),
    );
  } else {
    const took = done.startDate && done.stopDate ? ` in ${duration(done.stopDate.getTime() - done.startDate.getTime())}` : '';
    io.out(`${done.status === 'SUCCEEDED' ? '✓' : '✗'} ${done.executionArn}: ${done.status}${took}${done.error ? ` — ${done.error}` : ''}`);
  }
  return done.status === 'SUCCEEDED' ? 0 : 1;
}

async function startLocally(pipeline: string, options: StartOptions, io: StartIo): Promise<number> {
  const speed = parseSpeed(options.speed);
  const file = pipelineFile(pipeline, options.file);
  let stateDir;
  try {
    stateDir = openStateDir(options.stateDir, { command: `gami start ${pipeline}` });
  } catch (error) {
    if (error instanceof StateDirError) throw invalid(error.message);
    throw error;
  }
  try {
    const { app } = buildApp({ files: [file], nag: false, context: LOCAL_CONTEXT, builtinCloudFormationValidation: false });
    const clock = io.clock?.(savedWorldTime(options.stateDir)) ?? new ScaledClock(speed, localNow(options.stateDir));
    const runtime = await LocalRuntime.start({ app, clock, stateDir: options.stateDir });
    // The run asks for approval: the local approval server serves the links; without a terminal (or with --yes /
    // --approve-as) the configured approvers approve through the real endpoint, as in the demo.
    const server = await startApprovalServer(runtime);
    announceServer(options.stateDir, server.origin);
    try {
      const approveAs: ApproveAs = options.approveAs?.length ? options.approveAs : options.yes || !process.stdout.isTTY ? 'all' : 'browser';
      const say = (line: string) => (options.format === 'text' ? io.out(`  ${line}`) : undefined);
      const onApprovalEmails = approvalHandler(runtime, server, approveAs, say, 'approved through gami start --local (--approve-as)');
      const sfn = runtime.sfnClient();
      const input = {
        ...(options.reason && { reason: options.reason }),
        requestedBy: options.requestedBy ?? `${userInfo().username} (local)`,
      };
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: runtime.stateMachines[resourceNames(pipeline).stateMachine], name: options.name, input: JSON.stringify(input) }),
      );
      if (options.format === 'text') io.out(`started ${executionArn} (local runtime, state in ${options.stateDir})`);
      const done = await followExecution(sfn, executionArn!, {
        wait: () => pollWithApprovals(clock, onApprovalEmails, POLL_SIMULATED_MS),
        onEvent: (event) => (options.format === 'text' ? stageLine(event, io) : undefined),
      });
      // Clean-up of a stopped or timed-out run (the status-change rule) ends before the state is saved.
      await runtime.settled();
      return report(done, options, io);
    } finally {
      await server.close();
      await runtime.stop();
    }
  } finally {
    stateDir.release();
  }
}

/** Add `start` to a gami program. */
export function addStartCommand(program: Command, io: StartIo): Command {
  targetOptions(
    program
      .command('start')
      .description("start a run of a pipeline (AWS: the deployed state machine; --local: run it to its end on the local runtime)")
      .argument('<pipeline>', 'pipeline name')
      .option('--reason <text>', 'why this run is started (shown to approvers and auditors)')
      .option('--requested-by <who>', 'who asks for it (default: your AWS identity, or the local user)')
      .option('--name <name>', 'execution name (default: a generated id)')
      .option('--file <path>', 'with --local: the pipeline file (default: the one in pipelines/ with this name)')
      .option('--speed <n>', 'with --local: simulated seconds per wall second', '120')
      .option('--wait', 'on AWS: follow the run to its end')
      .option('--yes', 'with --local: approve as every configured approver through the approval pages (default without a terminal)')
      .option('--approve-as <approver...>', 'with --local: approve as these approvers through the approval pages; the others decide in the browser')
      .addOption(formatOption()),
  ).action(
    operatorAction(async (pipeline: string, options: StartOptions) => {
      checkInput(options);
      const code = options.local ? await startLocally(pipeline, options, io) : await startOnAws(pipeline, options, io);
      if (code !== 0) throw new CommanderError(code, 'gami.runFailed', '');
    }),
  );
  return program;
}
