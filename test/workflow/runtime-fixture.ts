/** Runs the real synthesized lifecycle on the local engine, against a fresh simulated account, on a virtual clock. */
import { StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { followExecution } from '../../bin/follow';
import { buildApp, LOCAL_CONTEXT } from '../../infra/app';
import { resourceNames } from '../../infra/pipeline-stack';
import { VirtualClock } from '../../local/clock';
import type { ScenarioInput } from '../../local/cloud/scenario';
import { LocalRuntime } from '../../local/runtime';

export const PIPELINE_FILE = 'pipelines/example.yaml';

export async function startRuntime(options: { pipelineFile?: string; scenario?: string | ScenarioInput; stateDir?: string } = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 22, 9, 0, 0));
  const { app, stacks } = buildApp({ files: [options.pipelineFile ?? PIPELINE_FILE], nag: false, context: LOCAL_CONTEXT, builtinCloudFormationValidation: false });
  const runtime = await LocalRuntime.start({ app, clock, seed: 42, scenario: options.scenario, stateDir: options.stateDir });
  const pipeline = stacks[0].pipeline.config;
  const stateMachineArn = runtime.stateMachines[resourceNames(pipeline.name).stateMachine];
  const sfn = runtime.sfnClient();

  /** Start an execution and wait (on the virtual clock) until it ends; returns description and history. */
  async function run(input: unknown = {}, name?: string) {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }));
    // Followed through the Step Functions API, as gami follows a run on AWS; polls on the virtual clock.
    const events: HistoryEvent[] = [];
    const description = await followExecution(sfn, executionArn!, { wait: () => clock.sleep(60_000), onEvent: (e) => events.push(e) });
    return { executionArn: executionArn!, description, events, output: description.output ? JSON.parse(description.output) : undefined };
  }

  /** Start the pipeline's RetentionSweep (as its schedule does) and wait until it ends. */
  async function sweep(input: unknown = {}) {
    const arn = runtime.stateMachines[resourceNames(pipeline.name).retentionSweep];
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify(input) }));
    const events: HistoryEvent[] = [];
    const description = await followExecution(sfn, executionArn!, { wait: () => clock.sleep(60_000), onEvent: (e) => events.push(e) });
    return { executionArn: executionArn!, description, events, output: description.output ? JSON.parse(description.output) : undefined };
  }

  return { runtime, clock, pipeline, stateMachineArn, sfn, run, sweep, stop: () => runtime.stop() };
}
