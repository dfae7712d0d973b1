/**
 * `gami distribute <pipeline> --version N`: run only the distribution stages (Distribute → Share → Publish) for an
 * already approved image, without rebuilding it — after adding a region, an account or an organizational unit to
 * the pipeline. Starts the pipeline's state machine with `{"distributeOnly": {"version": N}}`; the run refuses an
 * image that is not approved (ImageNotApproved, naming it) and creates nothing twice (copies and parameters that
 * exist are reused). Image Builder's DistributeImage is the anchor.
 *
 *   gami distribute web-base --version 5            on AWS: the state machine gami-<pipeline> in --region (default
 *                                                   credentials and region), followed until it ends
 *   gami distribute web-base --version 5 --local    on the local runtime, in the state directory npm start keeps
 *                                                   (default .gami), with the pipelines/ file of that name (or --file)
 *
 * Exit codes as the rest of gami: 0 done, 1 the run failed, 2 invalid input.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { resourceNames } from '../infra/pipeline-stack';
import { validatePipelineFiles } from '../pipeline/validate';
import { createClient } from '../tasks/clients';
import { distributionLines } from './demo';
import { followExecution } from './follow';

const EXIT_INVALID = 2;

export interface DistributeIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface DistributeOptions {
  version: number;
  local?: boolean;
  stateDir: string;
  file?: string;
  speed: number;
  region?: string;
}

export function parseVersion(value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`"${value}" is not an image version (a whole number from 1)`);
  return Number(value);
}

async function distributeOnAws(pipeline: string, options: DistributeOptions, io: DistributeIo): Promise<number> {
  const config = options.region ? { region: options.region } : {};
  const sts = createClient(STSClient, config);
  const sfn = createClient(SFNClient, config);
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    const region = await sfn.config.region();
    const partition = identity.Arn?.split(':')[1] ?? 'aws';
    const stateMachineArn = `arn:${partition}:states:${region}:${identity.Account}:stateMachine:${resourceNames(pipeline).stateMachine}`;
    const input = { distributeOnly: { version: options.version }, requestedBy: identity.Arn, reason: `gami distribute --version ${options.version}` };
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
    io.out(`started ${executionArn}`);
    // DescribeExecution is limited to 15/s; copies take minutes: every 10 s is plenty.
    const done = await followExecution(sfn, executionArn!, { wait: () => new Promise((resolve) => setTimeout(resolve, 10_000)) });
    if (done.status !== 'SUCCEEDED') {
      io.err(`error: ${pipeline} version ${options.version}: ${done.status} — ${[done.error, done.cause].filter(Boolean).join(': ')}`);
      return 1;
    }
    const summary = JSON.parse(done.output ?? '{}') as Record<string, unknown>;
    io.out(`✓ ${pipeline} version ${options.version} (${String(summary.imageId)}) distributed`);
    for (const line of distributionLines(summary)) io.out(line);
    return 0;
  } finally {
    sts.destroy();
    sfn.destroy();
  }
}

/** The file in pipelines/ whose pipeline is named `pipeline`. */
function pipelineFileOf(pipeline: string): string {
  const files = existsSync('pipelines') ? readdirSync('pipelines').filter((f) => /\.ya?ml$/.test(f)).map((f) => join('pipelines', f)) : [];
  const match = validatePipelineFiles(files).find((result) => result.pipeline?.config.name === pipeline);
  if (!match) throw new CommanderError(EXIT_INVALID, 'gami.noPipelineFile', `no valid pipeline named ${pipeline} in pipelines/ (give --file)`);
  return match.file;
}

async function distributeLocally(pipeline: string, options: DistributeOptions, io: DistributeIo): Promise<number> {
  const file = options.file ?? pipelineFileOf(pipeline);
  if (!existsSync(file)) throw new CommanderError(EXIT_INVALID, 'gami.noPipelineFile', `no pipeline file ${file}`);
  const { runDemo } = await import('./demo');
  const { StateDirError } = await import('../local/state-dir');
  return runDemo({
    pipelineFile: file,
    speed: options.speed,
    stateDir: options.stateDir,
    fresh: false,
    out: io.out,
    input: { distributeOnly: { version: options.version }, reason: `gami distribute --version ${options.version}`, requestedBy: 'gami distribute --local' },
    command: 'gami distribute',
  }).catch((error: unknown) => {
    if (error instanceof StateDirError) throw new CommanderError(EXIT_INVALID, 'gami.invalidInput', error.message);
    throw error;
  });
}

export function addDistributeCommand(program: Command, io: DistributeIo, defaultSpeed: number): void {
  program
    .command('distribute')
    .description('copy, share and publish an already approved image again without rebuilding it (e.g. after adding a region or an account)')
    .argument('<pipeline>', 'pipeline name')
    .requiredOption('--version <n>', 'the approved image version to distribute', parseVersion)
    .option('--local', 'run on the local runtime (the state directory npm start uses)')
    .option('--state-dir <dir>', 'state directory of the local runtime', '.gami')
    .option('--file <file>', 'with --local: the pipeline file (default: the one in pipelines/ with that name)')
    .option('--region <region>', 'region of the state machine (default: from the AWS environment)')
    .action(async (pipeline: string, options: Omit<DistributeOptions, 'speed'>) => {
      const all = { ...options, speed: defaultSpeed };
      const code = options.local ? await distributeLocally(pipeline, all, io) : await distributeOnAws(pipeline, all, io);
      if (code !== 0) throw new CommanderError(code, 'gami.runFailed', '');
    });
}
