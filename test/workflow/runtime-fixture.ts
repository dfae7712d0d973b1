/** Runs the real synthesized lifecycle on the local engine, against a fresh simulated account, on a virtual clock. */
import { StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { followExecution } from '../../bin/follow';
import { buildApp, LOCAL_CONTEXT } from '../../infra/app';
import { resourceNames } from '../../infra/pipeline-stack';
import { VirtualClock } from '../../local/clock';
import type { ScenarioInput } from '../../local/cloud/scenario';
import { LocalRuntime } from '../../local/runtime';
import { startLocalServer } from '../../local/server';
import { approvalLinks, decideThroughPage } from '../../bin/approval-client';

export const PIPELINE_FILE = 'pipelines/example.yaml';

/**
 * What the approvers do when a run asks them (the example pipeline needs 2 of 2): `approve` (default) — each
 * follows their link and approves through the real HTTP endpoint (GET the page, POST its form); `reject` — the
 * first approver rejects; `none` — nobody decides (the approval expires on the virtual clock).
 */
export type ApprovalMode = 'approve' | 'reject' | 'none';

export interface RuntimeOptions {
  pipelineFile?: string;
  scenario?: string | ScenarioInput;
  stateDir?: string;
  approval?: ApprovalMode;
  /** Scheduled rules, schedules and alarm evaluation on the clock (LocalRuntime `timers`): the test starts them. */
  timers?: boolean;
}

export async function startRuntime(options: RuntimeOptions = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 22, 9, 0, 0));
  const { app, stacks } = buildApp({ files: [options.pipelineFile ?? PIPELINE_FILE], nag: false, context: LOCAL_CONTEXT, builtinCloudFormationValidation: false });
  const runtime = await LocalRuntime.start({ app, clock, seed: 42, scenario: options.scenario, stateDir: options.stateDir, timers: options.timers ? 'manual' : undefined });
  const pipeline = stacks[0].pipeline.config;
  const stateMachineArn = runtime.stateMachines[resourceNames(pipeline.name).stateMachine];
  const sfn = runtime.sfnClient();
  const server = await startLocalServer({ runtime });
  let mode: ApprovalMode = options.approval ?? 'approve';
  const followed = new Set<string>();
  const decisions: { approver: string; decision: string; status: number }[] = [];

  /** The approvers act on every approval email not acted on yet, through the server (the clock held meanwhile). */
  async function actOnApprovalEmails(): Promise<void> {
    if (mode === 'none') return;
    const links = approvalLinks(runtime.cloud.mailbox()).filter((l) => !followed.has(l.url));
    for (const link of links) followed.add(link.url);
    // Reject: the first approver rejects (one rejection rejects); the others need not act.
    for (const link of mode === 'reject' ? links.slice(0, 1) : links) {
      const decision = mode === 'reject' ? 'reject' : 'approve';
      const answer = await decideThroughPage(link.url, decision, decision === 'reject' ? 'CVE backlog not acceptable for prod' : 'evidence reviewed');
      decisions.push({ approver: link.approver, decision, status: answer.status });
    }
  }

  /** Start an execution and wait (on the virtual clock) until it ends; returns description and history. */
  async function run(input: unknown = {}, name?: string) {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }));
    // Followed through the Step Functions API, as gami follows a run on AWS; polls on the virtual clock.
    const events: HistoryEvent[] = [];
    const description = await followExecution(sfn, executionArn!, {
      wait: async () => {
        await clock.hold(actOnApprovalEmails());
        // Nobody deciding: a run waits out the approval's hours; poll hourly, not 4,320 times.
        await clock.sleep(mode === 'none' ? 3_600_000 : 60_000);
      },
      onEvent: (e) => events.push(e),
    });
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

  return {
    runtime,
    clock,
    pipeline,
    stateMachineArn,
    sfn,
    run,
    sweep,
    server,
    decisions,
    /** Change what approvers do from the next email on. */
    setApproval: (next: ApprovalMode) => (mode = next),
    stop: async () => {
      await server.close();
      await runtime.stop();
    },
  };
}
