/**
 * `npm start` / `gami demo`: the whole lifecycle offline. Synthesizes the CDK app in process, seeds the
 * simulated account from the example scenario (kept under .gami/ so runs accumulate), starts the pipeline's
 * state machine through the Step Functions API with input `{}`, prints live progress per stage on a scaled
 * clock, and ends with a summary an auditor could read.
 *
 * The state directory is opened through local/state-dir (marked, locked; --fresh only empties a directory gami
 * created). Ctrl-C (options.interrupt) stops the execution with StopExecution, as the console would; no Catch
 * runs for an ABORTED execution, so the stack's status-change rule runs the clean-up, and the demo waits for it
 * (LocalRuntime.settled()) and prints what it terminated and rejected, and anything it could not clean.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartExecutionCommand, StopExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { buildApp, LOCAL_CONTEXT } from '../infra/app';
import { resourceNames } from '../infra/pipeline-stack';
import { ScaledClock, type Clock } from '../local/clock';
import { savedWorldTime } from '../local/cloud';
import { LocalRuntime } from '../local/runtime';
import { announceServer, openStateDir } from '../local/state-dir';
import { SEVERITIES } from '../pipeline/config';
import { renderAudit } from '../tasks/audit/render';
import { registryKeys } from '../pipeline/registry';
import type { GateResult } from '../tasks/contracts';
import { approvalHandler, pollWithApprovals, startApprovalServer, type ApproveAs } from './local-approvals';
import { followExecution } from './follow';
import { loadAuditReport } from './audit';
import { cleanupLines, jsonObject, STAGE_STARTS, stateExitLines } from './live';
import { advance, note, TaskListView } from './task-list';
import { collectRunFacts, runSummaryLines, type RunFacts } from './summary';

export interface DemoOptions {
  pipelineFile: string;
  /** Simulated seconds per wall second. */
  speed: number;
  stateDir: string;
  fresh: boolean;
  out: (line: string) => void;
  /** Override the clock (tests use a virtual clock). */
  clock?: Clock;
  /** Aborted on Ctrl-C: the run is stopped (StopExecution), its clean-up awaited and reported. */
  interrupt?: AbortSignal;
  /**
   * Who approves when the run asks: 'all' (every configured approver, through the real endpoint: GET the page,
   * POST its form), a list of approvers, or 'browser' (print the links and wait for decisions made in a browser).
   * Default 'all' (tests, CI); the CLI passes 'browser' in a terminal unless --yes or --approve-as.
   */
  approveAs?: ApproveAs;
  /** Port of the local server (default 8787; a free one when it is taken). */
  port?: number;
  /** Execution input (default {}), e.g. {distributeOnly: {version}} for `gami distribute --local`. */
  input?: Record<string, unknown>;
  /** The command named in the state directory's lock (default gami demo). */
  command?: string;
  /** Draw a live task list (bin/task-list, listr2) instead of plain lines: the CLI asks for it in a terminal. */
  taskList?: boolean;
}

/** Poll the execution every 30 simulated seconds: a quarter of a second of wall time at 120x. */
const POLL_SIMULATED_MS = 30_000;

const json = jsonObject;

/** Cause of the StopExecution a Ctrl-C sends (shown in the history, DescribeExecution and the clean-up). */
export const INTERRUPT_CAUSE = 'interrupted by Ctrl-C in gami demo';

/** Exit code of an interrupted run (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;


/** The distribution part of a run's summary: copies, shares, parameters. */
export function distributionLines(summary: Record<string, unknown>): string[] {
  const list = (value: unknown) => (Array.isArray(value) ? (value as Record<string, unknown>[]) : []);
  const copies = list(summary.regionImages).slice(1);
  const shares = list(summary.shares);
  const parameters = list(summary.parameters);
  const lines: string[] = [];
  if (copies.length > 0) lines.push(`  copies: ${copies.map((c) => `${String(c.region)} ${String(c.imageId)}`).join(', ')}`);
  if (shares.length > 0) {
    const p = (shares[0].launchPermissions ?? {}) as Record<string, string[] | undefined>;
    const principals = [...(p.accounts ?? []), ...(p.organizationArns ?? []), ...(p.organizationalUnitArns ?? [])];
    lines.push(`  shared in ${shares.length} region(s) with ${principals.join(', ') || 'nobody'}; never public`);
  }
  if (parameters.length > 0) {
    const accounts = [...new Set(parameters.map((p) => String(p.account)))];
    lines.push(`  published ${String(parameters[0].name)} in ${parameters.length} place(s): ${accounts.length} account(s) × ${new Set(parameters.map((p) => String(p.region))).size} region(s)`);
  }
  return lines;
}

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
  const wallStart = Date.now();
  // Checked, marked and locked before anything reads or writes it; --fresh empties only a directory gami made.
  const stateDir = openStateDir(options.stateDir, { fresh: options.fresh, command: options.command ?? 'gami demo' });
  try {
    return await runLocked(options, wallStart);
  } finally {
    stateDir.release();
  }
}

async function runLocked(options: DemoOptions, wallStart: number): Promise<number> {
  const { out } = options;
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
  let finish: { executionArn: string; version: number | undefined; simMinutes: string; code: number };
  simStart = clock.now(); // simulated time counts from here: start-up is not part of the run
  try {
    out(`${stamp()} synthesized ${runtime.definitions.stateMachines.length} state machine(s), ${Object.keys(runtime.definitions.functions).length} task functions; simulated account ${runtime.definitions.account} in ${runtime.definitions.region}${runtime.cloud.resumed ? ' (resumed from ' + options.stateDir + ')' : ''}`);
    if (options.interrupt?.aborted) {
      out(`${stamp()} ✗ interrupted before the run started; nothing to clean up`);
      return EXIT_INTERRUPTED;
    }
    const server = await startApprovalServer(runtime, options.port ?? 8787);
    announceServer(options.stateDir, server.origin);
    out(`${stamp()} approval pages and the mailbox: ${server.origin}/mailbox`);
    // In a terminal the run's lines go to the task list's stages; otherwise they print as plain lines.
    const view = options.taskList ? new TaskListView() : undefined;
    const say = (line: string) => (view ? view.update((tasks) => note(tasks, line)) : out(`${stamp()}    ${line}`));
    const onApprovalEmails = approvalHandler(runtime, server, options.approveAs ?? 'all', say, 'approved by the demo (--approve-as)');
    const sfn = runtime.sfnClient();
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runtime.stateMachines[names.stateMachine], input: JSON.stringify(options.input ?? {}) }),
    );
    const executionArn = started.executionArn!;
    out(`${stamp()} started ${executionArn} with input ${JSON.stringify(options.input ?? {})}`);

    // Ctrl-C: stop the execution the way the console's "Stop execution" does; the follow loop then sees
    // ABORTED, and the stack's status-change rule runs the clean-up (awaited below).
    let stopping: Promise<unknown> | undefined;
    const onInterrupt = () => {
      const line = `✗ interrupted: stopping ${executionArn} (Ctrl-C again quits without waiting for the clean-up)`;
      if (view) say(line);
      else out(`${stamp()} ${line}`);
      stopping = sfn.send(new StopExecutionCommand({ executionArn, cause: INTERRUPT_CAUSE })).catch((error: unknown) => {
        out(`${stamp()} ✗ could not stop the execution: ${error instanceof Error ? error.message : String(error)}`);
      });
    };
    options.interrupt?.addEventListener('abort', onInterrupt, { once: true });

    const facts: RunFacts = {};
    const onEvent = (event: HistoryEvent) => {
      collectRunFacts(facts, event);
      if (view) return view.update((tasks) => advance(tasks, event));
      const entered = event.stateEnteredEventDetails;
      if (entered?.name && STAGE_STARTS[entered.name]) out(`${stamp()} ── ${STAGE_STARTS[entered.name]}`);
      const exited = event.stateExitedEventDetails;
      if (exited?.name) for (const line of stateExitLines(exited.name, json(exited.output))) out(`${stamp()}    ${line}`);
      if (event.type === 'ExecutionFailed') out(`${stamp()} ✗ ${event.executionFailedEventDetails?.error ?? 'failed'}: ${event.executionFailedEventDetails?.cause ?? ''}`);
    };
    let done;
    await view?.start();
    try {
      done = await followExecution(sfn, executionArn, {
        wait: () => pollWithApprovals(clock, onApprovalEmails, POLL_SIMULATED_MS),
        onEvent,
      });
    } finally {
      options.interrupt?.removeEventListener('abort', onInterrupt);
      await server.close();
      await view?.end();
    }
    await stopping;
    const simMinutes = () => ((clock.now() - simStart) / 60000).toFixed(1);
    out('');
    if (done.status === 'SUCCEEDED') {
      const summary = json(done.output);
      const gate = summary.scanGate as GateResult | null;
      out(`✓ ${pipeline.name} v${String(summary.version)}: ${String(summary.imageId)} (${String(summary.imageName)}) in ${String(summary.region)}${summary.redistribution ? ' (redistributed, not rebuilt)' : ''}`);
      out(`  base image: ${(summary.baseImage as { imageId: string; name: string }).imageId} (${(summary.baseImage as { name: string }).name})`);
      if (gate) {
        out(`  scan gate: ${gate.passed ? 'passed' : 'failed'}${gate.exceptionsApplied.length ? `; exceptions applied: ${gate.exceptionsApplied.map((e) => e.cve).join(', ')}` : ''}`);
        for (const line of gateTable(gate)) out(line);
      }
      for (const line of runSummaryLines(summary, facts)) out(line);
      const key = registryKeys.image(pipeline.name, Number(summary.version));
      out(`  registry: table ${names.registryTable}, pk ${key.pk}, sk ${key.sk} (simulated DynamoDB under ${options.stateDir}/dynamodb)`);
    } else {
      out(`✗ ${pipeline.name}: ${done.status} — ${[done.error, done.cause].filter(Boolean).join(': ') || 'no error given'}`);
    }
    if (done.status === 'ABORTED' || done.status === 'TIMED_OUT') {
      // No Catch runs for these: the clean-up is the status-change rule's; say what it did.
      out(`  waiting for the clean-up of the ${done.status === 'ABORTED' ? 'stopped' : 'timed-out'} run…`);
      const deliveries = await runtime.settled();
      for (const line of cleanupLines(executionArn, deliveries)) out(`  ${line}`);
    }
    finish = {
      executionArn,
      // A redistribution's report is named by its execution: the version's own report is the build's.
      version: done.status === 'SUCCEEDED' && !json(done.output).redistribution ? Number(json(done.output).version) : undefined,
      simMinutes: simMinutes(),
      code: done.status === 'SUCCEEDED' ? 0 : options.interrupt?.aborted && done.status === 'ABORTED' ? EXIT_INTERRUPTED : 1,
    };
  } finally {
    await runtime.stop();
  }
  // The runtime has flushed its executions and registry to the state directory: read them back as `gami audit
  // --local` does, so the report written here is the one that command re-creates.
  const lines = await writeRunAudit(options.stateDir, pipeline.name, finish.executionArn, finish.version);
  for (const line of lines) out(line);
  out(`  ${finish.simMinutes} simulated minutes in ${((Date.now() - wallStart) / 1000).toFixed(1)} s wall; execution ${finish.executionArn}`);
  out(`  gami images ${pipeline.name} --local, gami executions ${pipeline.name} --local and gami audit … --local see this run (state in ${options.stateDir})`);
  return finish.code;
}

/** Where `npm start` writes a run's audit report in its state directory. */
export function auditPaths(stateDir: string, pipeline: string, version: number | string): { md: string; html: string } {
  const base = join(stateDir, 'audit', pipeline, `audit-${version}`);
  return { md: `${base}.md`, html: `${base}.html` };
}

/** Write the run's audit report (Markdown and HTML) into the state directory; the lines saying where. */
async function writeRunAudit(stateDir: string, pipeline: string, executionArn: string, version: number | undefined): Promise<string[]> {
  const name = version !== undefined && Number.isInteger(version) ? version : executionArn.split(':').pop()!;
  const paths = auditPaths(stateDir, pipeline, name);
  try {
    const { report, definition } = await loadAuditReport(executionArn, { local: true, stateDir });
    mkdirSync(join(stateDir, 'audit', pipeline), { recursive: true });
    writeFileSync(paths.md, renderAudit(report, 'md', definition));
    writeFileSync(paths.html, renderAudit(report, 'html', definition));
  } catch (error) {
    return [`  audit report NOT written: ${error instanceof Error ? error.message : String(error)}`];
  }
  const reference = typeof name === 'number' ? `${pipeline}@${name}` : executionArn;
  return [
    `  audit report: ${paths.html} (and ${paths.md})`,
    `    re-create it: gami audit ${reference} --local --state-dir ${stateDir} --format html --out ${paths.html}`,
  ];
}
