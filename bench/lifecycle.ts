/**
 * Lifecycle benchmark (`npm run bench:lifecycle`), issue 11's figure: the example pipeline's simulated critical
 * path, from the execution's start to the end of the LaunchTemplates stage ('Record LaunchTemplates' exited), run
 * twice on the local runtime — `distribution.startBeforeApproval: false` (as pipelines/example.yaml) and `true`
 * (speculative copies started right after Bake) — each in a fresh simulated account on a virtual clock, so both
 * copy every block (first copy into each region).
 *
 * Approval takes a human time (default 30 simulated minutes): both approvers follow their emailed link through the
 * real approval endpoint (GET the page, POST its form: bin/approval-client.ts) exactly that long after the email.
 *
 * Everything is measured from the execution history (GetExecutionHistory, as gami follows a run on AWS):
 * - a stage ends when its registry record state exits ('Record Baked', … 'Record LaunchTemplates'); it starts where
 *   the previous one ended, so the stages add up to the critical path;
 * - state transitions = *StateEntered events; Lambda invocations = LambdaFunctionScheduled events plus
 *   TaskScheduled events of resource type lambda (lambda:invoke, .waitForTaskToken). The approval API's own
 *   invocations (one GET and one POST per approver) are not in the history and are counted apart.
 *
 * Derived (per run, from its measured stages):
 * - the physical limit = bake + max(test + scan + approval, copy) + share + templates, where copy is the full copy
 *   time measured where nothing overlaps it: the sequential run's Distribute stage (the speculative run's Distribute
 *   stage only waits for what is left). Prepare and Publish lie on the path too and are added (0 min here);
 * - Image Builder's order = the same stages one after the other (bake + test + scan + approval + copy + share +
 *   templates, plus prepare and publish).
 *
 *   npx tsx bench/lifecycle.ts [--approval-minutes N]     (or APPROVAL_MINUTES=N)
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { parse, stringify } from 'yaml';
import { approvalLinks, decideThroughPage } from '../bin/approval-client';
import { followExecution } from '../bin/follow';
import { buildApp, LOCAL_CONTEXT } from '../infra/app';
import { resourceNames } from '../infra/pipeline-stack';
import { VirtualClock } from '../local/clock';
import { INSPECTOR_DISCOVERY_MS, INSPECTOR_FIRST_SCAN_AFTER_AGENT_MS } from '../local/cloud/inspector/service';
import {
  AGENT_ONLINE_AFTER_RUNNING_MS,
  COPY_IMAGE_BASE_MS,
  COPY_IMAGE_PER_GIB_CROSS_REGION_MS,
  CREATE_IMAGE_PER_SNAPSHOT_MS,
  INSTANCE_PENDING_MS,
  INSTANCE_REFRESH_PER_INSTANCE_MS,
} from '../local/cloud/services/ec2/timings';
import { INVOCATION_REPORT_DELAY_MS, INVOCATION_START_DELAY_MS } from '../local/cloud/ssm/commands';
import { LocalRuntime } from '../local/runtime';
import { startLocalServer } from '../local/server';

const PIPELINE_FILE = 'pipelines/example.yaml';
const MINUTE_MS = 60_000;
/** How often the follower polls the execution when no approval falls due sooner (virtual time). */
const POLL_MS = MINUTE_MS;
/** Step Functions Standard: $0.025 per 1,000 state transitions (us-east-1; AWS-FACTS.md). */
const USD_PER_TRANSITION = 0.025 / 1_000;

/** Each stage ends when its record state exits; in lifecycle order. */
const STAGES = [
  { key: 'prepare', label: 'Prepare', end: 'Record Prepared' },
  { key: 'bake', label: 'Bake', end: 'Record Baked' },
  { key: 'test', label: 'Test', end: 'Record Tested' },
  { key: 'scan', label: 'ScanGate', end: 'Record Scan Gate' },
  { key: 'approval', label: 'Approval', end: 'Record Approval' },
  { key: 'copy', label: 'Distribute (copies)', end: 'Record Distributed' },
  { key: 'share', label: 'Share', end: 'Record Shared' },
  { key: 'publish', label: 'Publish', end: 'Record Published' },
  { key: 'templates', label: 'LaunchTemplates', end: 'Record LaunchTemplates' },
] as const;
type StageKey = (typeof STAGES)[number]['key'];

interface RunFigures {
  speculative: boolean;
  status: string;
  wallMs: number;
  /** Minutes from the execution's start to the end of the LaunchTemplates stage. */
  criticalMin: number;
  /** Minutes from start to the end of the run (Retention and Record Done included). */
  totalMin: number;
  stages: Record<StageKey, number>;
  transitions: number;
  lambdaInvocations: number;
  historyEvents: number;
  approvalRequests: number;
  /** Minutes from start to the first copy task state (after Approval, or right after Bake when speculative). */
  copiesStartedMin: number;
}

function usage(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

function approvalMinutes(): number {
  const args = process.argv.slice(2);
  let raw = process.env.APPROVAL_MINUTES;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--approval-minutes') raw = args[++i];
    else if (arg.startsWith('--approval-minutes=')) raw = arg.slice('--approval-minutes='.length);
    else usage(`unknown argument ${arg} (usage: bench/lifecycle.ts [--approval-minutes N])`);
  }
  if (raw === undefined) return 30;
  const minutes = Number(raw);
  // Under the example's approval.timeoutHours (72 h), or the approval expires instead.
  if (raw.trim() === '' || !Number.isFinite(minutes) || minutes < 0 || minutes >= 72 * 60) usage(`approval minutes must be a number from 0 to under 4320, got ${JSON.stringify(raw)}`);
  return minutes;
}

const eventMs = (e: HistoryEvent) => e.timestamp!.getTime();

/** One run of the example pipeline in a fresh simulated account; figures from its execution history. */
async function runLifecycle(file: string, speculative: boolean, humanMs: number): Promise<RunFigures> {
  const wallStarted = performance.now();
  const clock = new VirtualClock(Date.UTC(2026, 10, 22, 9, 0, 0));
  const { app, stacks } = buildApp({ files: [file], nag: false, context: LOCAL_CONTEXT, builtinCloudFormationValidation: false });
  const runtime = await LocalRuntime.start({ app, clock, seed: 42 });
  const server = await startLocalServer({ runtime });
  try {
    const sfn = runtime.sfnClient();
    const stateMachineArn = runtime.stateMachines[resourceNames(stacks[0].pipeline.config.name).stateMachine];
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ reason: 'bench:lifecycle', requestedBy: 'bench' }) }));

    // Approvers: each decides through the endpoint `humanMs` after their email arrived, not before.
    const decided = new Set<string>();
    let approvalRequests = 0;
    const pending = () =>
      runtime.cloud.mailbox().flatMap((message) =>
        approvalLinks([message])
          .filter((link) => !decided.has(link.url))
          .map((link) => ({ link, dueAt: message.timestamp + humanMs })),
      );
    const decideDue = async () => {
      for (const { link, dueAt } of pending()) {
        if (clock.now() < dueAt) continue;
        decided.add(link.url);
        const answer = await decideThroughPage(link.url, 'approve', 'bench: evidence reviewed');
        approvalRequests += 2; // GET the page, POST its form
        if (answer.status !== 200) throw new Error(`${link.approver}'s decision answered HTTP ${answer.status}: ${answer.text.slice(0, 200)}`);
      }
    };

    const events: HistoryEvent[] = [];
    const description = await followExecution(sfn, executionArn!, {
      onEvent: (e) => events.push(e),
      wait: async () => {
        // The HTTP round trips are held (virtual time must not jump meanwhile).
        await clock.hold(decideDue());
        const next = Math.min(...pending().map((p) => p.dueAt));
        await clock.sleep(Number.isFinite(next) ? Math.min(POLL_MS, next - clock.now()) : POLL_MS);
      },
    });
    if (description.status !== 'SUCCEEDED') throw new Error(`the ${speculative ? 'speculative' : 'sequential'} run ended ${description.status}: ${description.error} ${description.cause}`);

    const startMs = eventMs(events[0]);
    const exitMin = (name: string) => {
      const exit = events.find((e) => e.type?.endsWith('StateExited') && e.stateExitedEventDetails?.name === name);
      if (!exit) throw new Error(`no '${name}' state exited in the history`);
      return (eventMs(exit) - startMs) / MINUTE_MS;
    };
    const stages = {} as Record<StageKey, number>;
    let previous = 0;
    for (const stage of STAGES) {
      const end = exitMin(stage.end);
      stages[stage.key] = end - previous;
      previous = end;
    }
    const firstCopy = events.find((e) => e.type === 'TaskStateEntered' && /copy/i.test(e.stateEnteredEventDetails?.name ?? ''));
    if (!firstCopy) throw new Error('no copy task state entered in the history');
    return {
      speculative,
      status: description.status,
      wallMs: performance.now() - wallStarted,
      criticalMin: exitMin('Record LaunchTemplates'),
      totalMin: (eventMs(events[events.length - 1]) - startMs) / MINUTE_MS,
      stages,
      transitions: events.filter((e) => e.type?.endsWith('StateEntered')).length,
      lambdaInvocations: events.filter((e) => e.type === 'LambdaFunctionScheduled' || (e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resourceType === 'lambda')).length,
      historyEvents: events.length,
      approvalRequests,
      copiesStartedMin: (eventMs(firstCopy) - startMs) / MINUTE_MS,
    };
  } finally {
    await server.close();
    await runtime.stop();
  }
}

/** The physical limit and Image Builder's sequential order of a run, with `copyMin` the full copy time. */
function bounds(run: RunFigures, copyMin: number): { limit: number; sequential: number } {
  const s = run.stages;
  const around = s.prepare + s.bake + s.share + s.publish + s.templates;
  return { limit: around + Math.max(s.test + s.scan + s.approval, copyMin), sequential: around + s.test + s.scan + s.approval + copyMin };
}

const min = (value: number) => value.toFixed(1);
const pad = (text: string, width: number) => text.padEnd(width);
const lpad = (text: string, width: number) => text.padStart(width);

async function main(): Promise<void> {
  const humanMin = approvalMinutes();
  const dir = mkdtempSync(join(tmpdir(), 'gami-bench-lifecycle-'));
  try {
    // The example as it is, and the example with speculative copies (nothing else changed).
    symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
    const config = parse(readFileSync(PIPELINE_FILE, 'utf8')) as { distribution: Record<string, unknown> };
    const files = { sequential: join(dir, 'sequential.yaml'), speculative: join(dir, 'speculative.yaml') };
    writeFileSync(files.sequential, stringify({ ...config, distribution: { ...config.distribution, startBeforeApproval: false } }));
    writeFileSync(files.speculative, stringify({ ...config, distribution: { ...config.distribution, startBeforeApproval: true } }));

    const sequential = await runLifecycle(files.sequential, false, humanMin * MINUTE_MS);
    const speculative = await runLifecycle(files.speculative, true, humanMin * MINUTE_MS);
    // The full copy time: where nothing overlaps it (the speculative run's Distribute only waits for the rest).
    const copyMin = sequential.stages.copy;
    const runs = [sequential, speculative].map((run) => ({ run, ...bounds(run, copyMin) }));

    const out: string[] = [];
    out.push(`Lifecycle benchmark: ${PIPELINE_FILE} (2 approvers, 2 target regions, 2 accounts, 2 launch templates, 1 instance refresh),`);
    out.push(`approval decided through the endpoint ${humanMin} simulated min after the email; each run in a fresh simulated account.`);
    out.push('');
    out.push('Simulated durations used (local/cloud; AWS-FACTS.md):');
    out.push(`  launch → running ${INSTANCE_PENDING_MS / 1000} s + SSM agent online ${AGENT_ONLINE_AFTER_RUNNING_MS / 1000} s   (facts: agent "30 s to several minutes"; launch time an assumption)`);
    out.push(`  SSM RunCommand overhead ${(INVOCATION_START_DELAY_MS + INVOCATION_REPORT_DELAY_MS) / 1000} s per command               (facts: ~5 s)`);
    out.push(`  CreateImage ${CREATE_IMAGE_PER_SNAPSHOT_MS / MINUTE_MS} min per snapshot (2 snapshots: root + /dev/sdf)  (facts: ~9-10 min per snapshot observed)`);
    out.push(`  Inspector coverage ${INSPECTOR_DISCOVERY_MS / MINUTE_MS} min after launch, first scan ${INSPECTOR_FIRST_SCAN_AFTER_AGENT_MS / MINUTE_MS} min after agent online (facts: no published figure; assumption)`);
    out.push(`  CopyImage ${COPY_IMAGE_BASE_MS / MINUTE_MS} min + ${COPY_IMAGE_PER_GIB_CROSS_REGION_MS / 1000} s per GiB cross-region, full first copy (facts: best effort, no figure; assumption)`);
    out.push(`  instance refresh ${INSTANCE_REFRESH_PER_INSTANCE_MS / MINUTE_MS} min per instance (300 s default warm-up + 1 min launch)`);
    out.push('');
    const head = `${pad('stage (ends at its Record state exit)', 40)}${lpad('sequential', 12)}${lpad('speculative', 13)}`;
    out.push(head);
    out.push('-'.repeat(head.length));
    for (const stage of STAGES) out.push(`${pad(stage.label, 40)}${lpad(`${min(sequential.stages[stage.key])} min`, 12)}${lpad(`${min(speculative.stages[stage.key])} min`, 13)}`);
    out.push('-'.repeat(head.length));
    const row = (label: string, f: (r: (typeof runs)[number]) => string) => out.push(`${pad(label, 40)}${lpad(f(runs[0]), 12)}${lpad(f(runs[1]), 13)}`);
    row('critical path (start → LaunchTemplates)', (r) => `${min(r.run.criticalMin)} min`);
    row('whole run (Retention, Record Done)', (r) => `${min(r.run.totalMin)} min`);
    row('copies started (after start)', (r) => `${min(r.run.copiesStartedMin)} min`);
    row('physical limit', (r) => `${min(r.limit)} min`);
    row("Image Builder's order", (r) => `${min(r.sequential)} min`);
    row('critical path / physical limit', (r) => `${(r.run.criticalMin / r.limit).toFixed(2)}x`);
    row("critical path / Image Builder's order", (r) => `${(r.run.criticalMin / r.sequential).toFixed(2)}x`);
    row('state transitions (StateEntered)', (r) => String(r.run.transitions));
    row('  at $0.025 per 1,000', (r) => `$${(r.run.transitions * USD_PER_TRANSITION).toFixed(4)}`);
    row('Lambda invocations (history)', (r) => String(r.run.lambdaInvocations));
    row('approval API requests (GET + POST)', (r) => String(r.run.approvalRequests));
    row('history events', (r) => String(r.run.historyEvents));
    row('wall time', (r) => `${(r.run.wallMs / 1000).toFixed(1)} s`);
    out.push('');
    out.push(`physical limit = prepare + bake + max(test + scan + approval, copy) + share + publish + templates, each from the run's`);
    out.push(`history; copy = ${min(copyMin)} min, the sequential run's Distribute stage (nothing overlaps it there).`);
    out.push(`Image Builder's order = prepare + bake + test + scan + approval + copy + share + publish + templates.`);
    const spec = runs[1];
    out.push(`critical path ${min(spec.run.criticalMin)} min: ${(spec.run.criticalMin / spec.limit).toFixed(2)}x the physical limit, ${(spec.run.criticalMin / spec.sequential).toFixed(2)}x Image Builder's order`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
