/** Runs the real synthesized lifecycle on the local engine, against a fresh simulated account, on a virtual clock. */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { buildApp, LOCAL_CONTEXT } from '../../infra/app';
import { resourceNames } from '../../infra/pipeline-stack';
import { VirtualClock } from '../../local/clock';
import type { ScenarioInput } from '../../local/cloud/scenario';
import { LocalRuntime } from '../../local/runtime';

export const PIPELINE_FILE = 'pipelines/example.yaml';

export async function startRuntime(options: { pipelineFile?: string; scenario?: string | ScenarioInput } = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 22, 9, 0, 0));
  const { app, stacks } = buildApp({ files: [options.pipelineFile ?? PIPELINE_FILE], nag: false, context: LOCAL_CONTEXT, builtinCloudFormationValidation: false });
  const runtime = await LocalRuntime.start({ app, clock, seed: 42, scenario: options.scenario });
  const pipeline = stacks[0].pipeline.config;
  const stateMachineArn = runtime.stateMachines[resourceNames(pipeline.name).stateMachine];
  const sfn = runtime.sfnClient();

  /** Start an execution and wait (on the virtual clock) until it ends; returns description and history. */
  async function run(input: unknown = {}, name?: string) {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }));
    const execution = runtime.stepFunctions.engine; // the engine advances the virtual clock by itself when idle
    void execution;
    let description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    while (description.status === 'RUNNING') {
      await clock.sleep(60_000);
      description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    }
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return { executionArn: executionArn!, description, events, output: description.output ? JSON.parse(description.output) : undefined };
  }

  return { runtime, clock, pipeline, stateMachineArn, sfn, run, stop: () => runtime.stop() };
}
