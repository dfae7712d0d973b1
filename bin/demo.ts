/**
 * `npm start` / `gami demo`: the whole lifecycle offline. Synthesizes the CDK app in process, seeds the
 * simulated account from the example scenario (kept under .gami/ so runs accumulate), starts the pipeline's
 * state machine through the Step Functions API with input `{}`, prints live progress per stage on a scaled
 * clock, and ends with a summary an auditor could read.
 */
import { rmSync } from 'node:fs';
import { StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { buildApp, LOCAL_CONTEXT } from '../infra/app';
import { resourceNames } from '../infra/pipeline-stack';
import { ScaledClock, type Clock } from '../local/clock';
import { savedWorldTime } from '../local/cloud';
import { LocalRuntime } from '../local/runtime';
import { SEVERITIES } from '../pipeline/config';
import { registryKeys } from '../pipeline/registry';
import type { GateResult } from '../tasks/contracts';
import { followExecution } from './follow';

export interface DemoOptions {
  pipelineFile: string;
  /** Simulated seconds per wall second. */
  speed: number;
  stateDir: string;
  fresh: boolean;
  out: (line: string) => void;
  /** Override the clock (tests use a virtual clock). */
  clock?: Clock;
}

/** Poll the execution every 30 simulated seconds: a quarter of a second of wall time at 120x. */
const POLL_SIMULATED_MS = 30_000;

/** First state of each stage → the stage it starts (the workflow names its states; see workflows/). */
const STAGE_STARTS: Record<string, string> = {
  'Prepare Run': 'Prepare',
  'Launch Builder': 'Bake',
  'Launch Test Instance': 'Test',
  'Start Scan Gate': 'ScanGate',
  'Record Done': 'Done',
  'Clean Up': 'Failure',
};

const json = (text: string | undefined): Record<string, unknown> => {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

export function gateTable(gate: GateResult): string[] {
  const rows = SEVERITIES.map((s) => {
    const max = gate.thresholds[s];
    const count = gate.counts[s] ?? 0;
    const ok = max === 'unlimited' || count <= max;
    return `  ${s.padEnd(14)} ${String(count).padStart(5)}   ${String(max).padStart(9)}   ${ok ? 'ok' : 'OVER'}`;
  });
  return ['  severity       found   allowed', ...rows];
}

export async function runDemo(options: DemoOptions): Promise<number> {
  const { out } = options;
  const wallStart = Date.now();
  if (options.fresh) rmSync(options.stateDir, { recursive: true, force: true });
  // A resumed account continues from its own time (a fast clock runs ahead of the wall clock).
  const clock = options.clock ?? new ScaledClock(options.speed, Math.max(Date.now(), savedWorldTime(options.stateDir) ?? 0));
  let simStart = clock.now();
  const stamp = () => {
    const sim = Math.round((clock.now() - simStart) / 1000);
    const hh = String(Math.floor(sim / 3600)).padStart(2, '0');
    const mm = String(Math.floor((sim % 3600) / 60)).padStart(2, '0');
    const ss = String(sim % 60).padStart(2, '0');
    return `[${hh}:${mm}:${ss} sim | ${((Date.now() - wallStart) / 1000).toFixed(1).padStart(5)} s]`;
  };

  out(`golden-ami-pipeline demo: ${options.pipelineFile} on the local engine against a simulated AWS account (${options.clock ? 'virtual' : `${options.speed}x`} clock)`);
  const { app, stacks } = buildApp({ files: [options.pipelineFile], nag: false, context: LOCAL_CONTEXT, builtinCloudFormationValidation: false });
  const pipeline = stacks[0].pipeline.config;
  const names = resourceNames(pipeline.name);
  const runtime = await LocalRuntime.start({ app, clock, stateDir: options.stateDir });
  simStart = clock.now(); // simulated time counts from here: start-up is not part of the run
  try {
    out(`${stamp()} synthesized ${runtime.definitions.stateMachines.length} state machine(s), ${Object.keys(runtime.definitions.functions).length} task functions; simulated account ${runtime.definitions.account} in ${runtime.definitions.region}${runtime.cloud.resumed ? ' (resumed from ' + options.stateDir + ')' : ''}`);
    const sfn = runtime.sfnClient();
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runtime.stateMachines[names.stateMachine], input: '{}' }),
    );
    out(`${stamp()} started ${started.executionArn} with input {}`);

    const onEvent = (event: HistoryEvent) => {
      const entered = event.stateEnteredEventDetails;
      if (entered?.name && STAGE_STARTS[entered.name]) out(`${stamp()} ── ${STAGE_STARTS[entered.name]}`);
      const exited = event.stateExitedEventDetails;
      if (!exited?.name) return;
      const output = json(exited.output);
      switch (exited.name) {
        case 'Prepare Run': {
          const base = output.baseImage as { imageId?: string; name?: string } | undefined;
          out(`${stamp()}    version ${String(output.version)}, image name ${String(output.imageName)}, base ${base?.imageId} (${base?.name})`);
          break;
        }
        case 'Launch Builder':
        case 'Launch Test Instance':
          out(`${stamp()}    ${exited.name.toLowerCase()}: ${String(output.instanceId)}`);
          break;
        case 'Build: Step Finished':
        case 'Test: Step Finished':
          out(`${stamp()}    ${String(output.status).padEnd(8)} ${String(output.component)}/${String(output.phase)}/${String(output.step)}`);
          break;
        case 'Create Image':
          out(`${stamp()}    creating image ${String(output.imageId)}`);
          break;
        case 'Image Available?':
          break;
        case 'Terminate Builder':
        case 'Terminate Test Instance':
          out(`${stamp()}    terminated ${((output.terminated as string[] | undefined) ?? []).join(', ') || '(already gone)'}`);
          break;
        case 'Evaluate Scan Gate':
          out(`${stamp()}    scan gate ${output.passed ? 'PASSED' : 'FAILED'}: ${String(output.totalFindings)} active findings`);
          break;
        default:
      }
      if (event.type === 'ExecutionFailed') out(`${stamp()} ✗ ${event.executionFailedEventDetails?.error}: ${event.executionFailedEventDetails?.cause}`);
    };
    const done = await followExecution(sfn, started.executionArn!, { wait: () => clock.sleep(POLL_SIMULATED_MS), onEvent });
    const wall = ((Date.now() - wallStart) / 1000).toFixed(1);
    const simMinutes = ((clock.now() - simStart) / 60000).toFixed(1);
    out('');
    if (done.status === 'SUCCEEDED') {
      const summary = json(done.output);
      const gate = summary.scanGate as GateResult;
      out(`✓ ${pipeline.name} v${String(summary.version)}: ${String(summary.imageId)} (${String(summary.imageName)}) in ${String(summary.region)}`);
      out(`  base image: ${(summary.baseImage as { imageId: string; name: string }).imageId} (${(summary.baseImage as { name: string }).name})`);
      out(`  scan gate: ${gate.passed ? 'passed' : 'failed'}${gate.exceptionsApplied.length ? `; exceptions applied: ${gate.exceptionsApplied.map((e) => e.cve).join(', ')}` : ''}`);
      for (const line of gateTable(gate)) out(line);
      const key = registryKeys.image(pipeline.name, Number(summary.version));
      out(`  registry: table ${names.registryTable}, pk ${key.pk}, sk ${key.sk} (simulated DynamoDB under ${options.stateDir}/dynamodb)`);
    } else {
      out(`✗ ${pipeline.name}: ${done.status} — ${done.error ?? ''}: ${done.cause ?? ''}`);
    }
    out(`  ${simMinutes} simulated minutes in ${wall} s wall; execution ${started.executionArn}`);
    return done.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    await runtime.stop();
  }
}
