/**
 * The audit report of one run: a pure function of what the Step Functions API and the registry hold —
 * DescribeExecution, GetExecutionHistory, the state machine definition, and the run's registry items (IMAGE,
 * its STAGE and SCAN items, the approval record) — or of the same data read back from the history archive.
 * It answers an auditor's question: what went out, on what evidence, approved by whom, and where is it now.
 *
 * Sections render what the run recorded. A stage that did not run says so ("not part of this run"); a stage
 * this release records only as its registry STAGE item (distribution, sharing, publishing, launch templates,
 * retention: built by other parts) is shown from that item's details, field by field.
 */
import { z } from 'zod';

/** One history event as the API returns it (timestamps as Date or ISO text: the archive stores JSON). */
export interface AuditEvent {
  id?: number;
  type?: string;
  timestamp?: Date | string | number;
  stateEnteredEventDetails?: { name?: string };
  stateExitedEventDetails?: { name?: string; output?: string };
  taskSucceededEventDetails?: { output?: string; resource?: string };
  taskFailedEventDetails?: { error?: string; cause?: string };
  taskTimedOutEventDetails?: { error?: string; cause?: string };
  taskScheduledEventDetails?: { parameters?: string };
  [key: string]: unknown;
}

export interface AuditInput {
  execution: {
    executionArn: string;
    name?: string;
    stateMachineArn?: string;
    status?: string;
    startDate?: Date | string;
    stopDate?: Date | string;
    input?: string;
    output?: string;
    error?: string;
    cause?: string;
  };
  events: readonly AuditEvent[];
  /** The state machine's definition (ASL JSON text). */
  definition?: string;
  /** The run's registry items (any order). */
  registry: readonly Record<string, unknown>[];
  /** Where the history came from. */
  source: 'execution history' | 'history archive';
  generatedAt: string;
}

export interface StageRow {
  stage: string;
  status: string;
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
}

export interface PathRow {
  state: string;
  type: string;
  enteredAt: string;
  exitedAt?: string;
  durationSeconds?: number;
  visits: number;
  /** The state's task failed at least once (retried or caught). */
  failures: string[];
}

export interface Artifact {
  kind: string;
  id: string;
  region?: string;
  account?: string;
  status?: string;
}

export interface ApprovalDecision {
  approver: string;
  decision: string;
  at: string;
  comment: string;
  sourceIp: string;
  userAgent: string;
}

export interface AuditReport {
  title: string;
  generatedAt: string;
  source: AuditInput['source'];
  run: {
    pipeline: string;
    version?: number;
    executionArn: string;
    executionName: string;
    status: string;
    startedAt?: string;
    stoppedAt?: string;
    durationSeconds?: number;
    error?: string;
    cause?: string;
  };
  startedBy: { requestedBy?: string; reason?: string };
  stages: StageRow[];
  path: PathRow[];
  /** State → next state transitions the run took (top level), for the diagram. */
  transitions: [string, string][];
  image?: { imageId?: string; imageName?: string; region?: string; status?: string; architecture?: string };
  baseImage?: { imageId?: string; name?: string; ownerId?: string; creationDate?: string; source?: string };
  lineage: string[];
  components: { component: string; steps: { phase: string; step: string; status: string; attempts?: number }[] }[];
  tests: { component: string; step: string; status: string; attempts?: number }[];
  scan?: {
    passed: boolean;
    evaluatedAt?: string;
    totalFindings?: number;
    counts: Record<string, number>;
    thresholds: Record<string, number | string>;
    violations: string[];
    exceptions: { cve: string; findings?: number; reason?: string; approvedBy?: string; expiresOn?: string; applied: boolean }[];
    exceptionsExpired: string[];
    topFindings: { vulnerabilityId?: string; severity?: string; packageName?: string; title?: string }[];
  };
  approval?: {
    status: string;
    minApprovals?: number;
    approvers: string[];
    evidenceSha256?: string;
    createdAt?: string;
    expiresAt?: string;
    closedAt?: string;
    closedBy?: string;
    decisions: ApprovalDecision[];
    /** The error the run ended with when the approval decided against it (ApprovalRejected, ApprovalExpired). */
    outcomeError?: string;
  };
  artifacts: Artifact[];
  /** Later stages recorded by their STAGE items: name → details (distribution, share, publish, templates, retention). */
  laterStages: { stage: string; status: string; details: Record<string, unknown> }[];
  /** Sections with nothing to show, and why. */
  notPartOfThisRun: string[];
}

/** Stages this report shows from their STAGE item's details, in lifecycle order. */
export const LATER_STAGES = ['Distribute', 'Share', 'Publish', 'LaunchTemplates', 'Retention'] as const;
const STAGE_ORDER = ['Prepare', 'Bake', 'Test', 'ScanGate', 'Approval', ...LATER_STAGES, 'Done', 'Failed'];

const iso = (value: Date | string | number | undefined): string | undefined => (value === undefined ? undefined : new Date(value).toISOString());
const seconds = (from?: string, to?: string) => (from && to ? Math.round((Date.parse(to) - Date.parse(from)) / 1000) : undefined);

function parse(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const obj = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

const decisionSchema = z.object({
  approver: z.string(),
  decision: z.string(),
  at: z.string(),
  comment: z.string().default(''),
  sourceIp: z.string().default('unknown'),
  userAgent: z.string().default('unknown'),
});

/** Top-level state names of a definition. */
function topLevelStates(definition: string | undefined): Record<string, { Type?: string }> {
  return obj(obj(parse(definition)).States) as Record<string, { Type?: string }>;
}

function pathOf(events: readonly AuditEvent[], states: Record<string, { Type?: string }>) {
  const rows = new Map<string, PathRow>();
  const transitions: [string, string][] = [];
  const seen = new Set<string>();
  let current: string | undefined;
  for (const event of events) {
    const entered = event.stateEnteredEventDetails?.name;
    if (entered && entered in states) {
      if (current && current !== entered) {
        const key = `${current}\u0000${entered}`;
        if (!seen.has(key)) {
          seen.add(key);
          transitions.push([current, entered]);
        }
      }
      current = entered;
      const row = rows.get(entered);
      if (row) row.visits++;
      else rows.set(entered, { state: entered, type: states[entered].Type ?? '', enteredAt: iso(event.timestamp)!, visits: 1, failures: [] });
    }
    const exited = event.stateExitedEventDetails?.name;
    if (exited && rows.has(exited)) {
      const row = rows.get(exited)!;
      row.exitedAt = iso(event.timestamp);
      row.durationSeconds = seconds(row.enteredAt, row.exitedAt);
    }
    const failed = event.taskFailedEventDetails ?? event.taskTimedOutEventDetails;
    if (failed && current && rows.has(current)) rows.get(current)!.failures.push(failed.error ?? 'failed');
  }
  return { path: [...rows.values()], transitions };
}

/**
 * The stages from their STAGE items, in lifecycle order. A stage recorded only when it ended (startedAt =
 * endedAt: the workflow writes most stage items once, at the stage's end) started when the stage before it
 * ended — the stages run one after another — or, for the first, when the execution started.
 */
function stagesOf(items: readonly Record<string, unknown>[], executionStart: string | undefined): StageRow[] {
  const rows = items
    .filter((item) => /#STAGE#/.test(str(item.sk) ?? ''))
    .map((item) => ({ stage: str(item.stage) ?? '', status: str(item.status) ?? '', startedAt: str(item.startedAt), endedAt: str(item.endedAt) }))
    .sort((a, b) => STAGE_ORDER.indexOf(a.stage) - STAGE_ORDER.indexOf(b.stage) || (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
  let previousEnd = executionStart;
  return rows.map((row) => {
    const startedAt = row.startedAt && row.startedAt !== row.endedAt ? row.startedAt : (previousEnd ?? row.startedAt);
    previousEnd = row.endedAt ?? previousEnd;
    return { ...row, startedAt, durationSeconds: seconds(startedAt, row.endedAt) };
  });
}

/** The approval record, or what the run's history says about the approval task. */
function approvalOf(items: readonly Record<string, unknown>[], events: readonly AuditEvent[], execution: AuditInput['execution']): AuditReport['approval'] {
  const record = items.find((item) => str(item.sk) === 'APPROVAL');
  const outcomeError = ['ApprovalRejected', 'ApprovalExpired'].includes(execution.error ?? '') ? execution.error : undefined;
  if (record) {
    const decisions = Object.values(obj(record.decisions))
      .map((d) => decisionSchema.safeParse(d))
      .flatMap((r) => (r.success ? [r.data] : []))
      .sort((a, b) => a.at.localeCompare(b.at));
    return {
      status: str(record.status) ?? 'unknown',
      minApprovals: num(record.minApprovals),
      approvers: arr(record.approvers).filter((a): a is string => typeof a === 'string'),
      evidenceSha256: str(record.evidenceSha256),
      createdAt: str(record.createdAt),
      expiresAt: str(record.expiresAt),
      closedAt: str(record.closedAt),
      closedBy: str(record.closedBy),
      decisions,
      outcomeError,
    };
  }
  // No record (e.g. deleted by its TTL): the task's output carries the decision ({decision, evidenceSha256, approvers}).
  for (const event of events) {
    const output = obj(parse(event.taskSucceededEventDetails?.output));
    const payload = obj(output.Payload ?? output);
    if (typeof payload.decision === 'string' && typeof payload.evidenceSha256 === 'string') {
      const decisions = arr(payload.approvers)
        .map((d) => decisionSchema.safeParse({ decision: payload.decision, ...obj(d) }))
        .flatMap((r) => (r.success ? [r.data] : []));
      return { status: payload.decision, approvers: decisions.map((d) => d.approver), evidenceSha256: payload.evidenceSha256, decisions, outcomeError };
    }
  }
  if (outcomeError) return { status: outcomeError === 'ApprovalRejected' ? 'rejected' : 'expired', approvers: [], decisions: [], outcomeError };
  return undefined;
}

function scanOf(items: readonly Record<string, unknown>[]): AuditReport['scan'] {
  const scan = items.find((item) => /#SCAN$/.test(str(item.sk) ?? ''));
  if (!scan) return undefined;
  const result = obj(scan.result);
  const configured = arr(obj(scan.scanGate).exceptions).map(obj);
  const applied = arr(result.exceptionsApplied).map(obj);
  const exceptions = configured.map((e) => {
    const hit = applied.find((a) => a.cve === e.cve);
    return { cve: str(e.cve) ?? '', findings: num(hit?.findings), reason: str(e.reason), approvedBy: str(e.approvedBy), expiresOn: str(e.expiresOn), applied: hit !== undefined };
  });
  for (const a of applied) {
    if (!exceptions.some((e) => e.cve === a.cve)) exceptions.push({ cve: str(a.cve) ?? '', findings: num(a.findings), reason: undefined, approvedBy: undefined, expiresOn: str(a.expiresOn), applied: true });
  }
  return {
    passed: result.passed === true,
    evaluatedAt: str(scan.evaluatedAt),
    totalFindings: num(result.totalFindings),
    counts: obj(result.counts) as Record<string, number>,
    thresholds: obj(result.thresholds) as Record<string, number | string>,
    violations: arr(result.violations).filter((v): v is string => typeof v === 'string'),
    exceptions,
    exceptionsExpired: arr(result.exceptionsExpired).filter((v): v is string => typeof v === 'string'),
    topFindings: arr(result.topFindings)
      .map(obj)
      .map((f) => ({ vulnerabilityId: str(f.vulnerabilityId), severity: str(f.severity), packageName: str(f.packageName), title: str(f.title) })),
  };
}

type Step = { component: string; phase: string; step: string; status: string; attempts?: number };
const stepsOf = (details: Record<string, unknown>): Step[] =>
  arr(details.steps)
    .map(obj)
    .map((s) => ({ component: str(s.component) ?? '', phase: str(s.phase) ?? '', step: str(s.step) ?? '', status: str(s.status) ?? '', attempts: num(s.attempts) }));

/** Every id in a later stage's details that names an AWS artifact, with the region/account beside it. */
function artifactsIn(value: unknown, context: { region?: string; account?: string }, out: Artifact[], stage: string): void {
  if (Array.isArray(value)) {
    for (const v of value) artifactsIn(v, context, out, stage);
    return;
  }
  if (typeof value === 'string') {
    const kind = /^ami-[0-9a-f]+$/.test(value) ? 'image' : /^snap-[0-9a-f]+$/.test(value) ? 'snapshot' : /^lt-[0-9a-f]+$/.test(value) ? 'launch template' : undefined;
    if (kind) out.push({ kind: `${kind} (${stage})`, id: value, ...context });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  const here = { region: str(record.region) ?? context.region, account: str(record.account) ?? str(record.accountId) ?? context.account };
  for (const v of Object.values(record)) artifactsIn(v, here, out, stage);
}

/** The output of the lifecycle's Report Retention state, if the run reached it. */
function retentionReportOf(events: AuditInput['events']): Record<string, unknown> | undefined {
  const exited = [...events].reverse().find((e) => e.stateExitedEventDetails?.name === 'Report Retention');
  const output = exited?.stateExitedEventDetails?.output;
  return output ? obj(parse(output)) : undefined;
}

export function buildAuditReport(input: AuditInput): AuditReport {
  const { execution, events, registry } = input;
  const states = topLevelStates(input.definition);
  const imageItem = registry.find((item) => /^IMAGE#\d+$/.test(str(item.sk) ?? ''));
  const stageItem = (stage: string) => registry.find((item) => str(item.stage) === stage && /#STAGE#/.test(str(item.sk) ?? ''));
  const executionInput = obj(parse(execution.input));
  const pipeline = str(imageItem?.pipeline) ?? (execution.executionArn.split(':')[6] ?? '').replace(/^gami-/, '');
  const version = num(imageItem?.version);
  const startedAt = iso(execution.startDate);
  const stoppedAt = iso(execution.stopDate);
  const { path, transitions } = pathOf(events, states);
  const notPartOfThisRun: string[] = [];

  const bake = obj(stageItem('Bake')?.details);
  const test = obj(stageItem('Test')?.details);
  const buildSteps = stepsOf(bake);
  const components = [...new Set([...arr(imageItem?.components).map((c) => str(obj(c).name) ?? str(c) ?? ''), ...buildSteps.map((s) => s.component)])]
    .filter(Boolean)
    .map((component) => ({ component, steps: buildSteps.filter((s) => s.component === component).map(({ phase, step, status, attempts }) => ({ phase, step, status, attempts })) }));
  const tests = stepsOf(test).map(({ component, step, status, attempts }) => ({ component, step, status, attempts }));

  const region = execution.executionArn.split(':')[3];
  const account = execution.executionArn.split(':')[4];
  const artifacts: Artifact[] = [];
  const imageId = str(imageItem?.imageId);
  if (imageId) artifacts.push({ kind: 'image', id: imageId, region, account, status: str(imageItem?.status) });
  for (const snapshot of arr(imageItem?.snapshotIds)) if (typeof snapshot === 'string') artifacts.push({ kind: 'snapshot', id: snapshot, region, account });
  const laterStages = LATER_STAGES.flatMap((stage) => {
    const item = stageItem(stage);
    if (!item && stage === 'Retention') {
      // A successful Retention stage writes its report (RETENTION#…), not a STAGE item: its decisions are the
      // Report Retention state's output in the history.
      const reported = retentionReportOf(events);
      if (reported) return [{ stage, status: 'succeeded', details: reported }];
    }
    if (!item) {
      notPartOfThisRun.push(stage);
      return [];
    }
    const details = obj(item.details);
    artifactsIn(details, {}, artifacts, stage);
    return [{ stage, status: str(item.status) ?? '', details }];
  });
  const scan = scanOf(registry);
  if (!scan) notPartOfThisRun.push('ScanGate');
  const approval = approvalOf(registry, events, execution);
  if (!approval) notPartOfThisRun.push('Approval');
  if (tests.length === 0) notPartOfThisRun.push('Test');

  const baseImage = obj(imageItem?.baseImage ?? obj(stageItem('Prepare')?.details).baseImage);
  const approvalRecord = registry.find((item) => str(item.sk) === 'APPROVAL');
  const evidenceLineage = arr(obj(approvalRecord?.evidence).lineage).filter((l): l is string => typeof l === 'string');
  const lineage = [...evidenceLineage, ...(str(baseImage.imageId) && !evidenceLineage.includes(str(baseImage.imageId)!) ? [str(baseImage.imageId)!] : []), ...(imageId ? [imageId] : [])];

  return {
    title: `Audit report: ${pipeline}${version !== undefined ? ` v${version}` : ''} (${execution.name ?? execution.executionArn.split(':').pop()})`,
    generatedAt: input.generatedAt,
    source: input.source,
    run: {
      pipeline,
      version,
      executionArn: execution.executionArn,
      executionName: execution.name ?? execution.executionArn.split(':').pop() ?? '',
      status: execution.status ?? 'UNKNOWN',
      startedAt,
      stoppedAt,
      durationSeconds: seconds(startedAt, stoppedAt),
      error: execution.error,
      cause: execution.cause,
    },
    startedBy: {
      requestedBy: str(executionInput.requestedBy) ?? str(imageItem?.requestedBy),
      reason: str(executionInput.reason) ?? str(imageItem?.reason),
    },
    stages: stagesOf(registry, startedAt),
    path,
    transitions,
    image: imageItem
      ? { imageId, imageName: str(imageItem.imageName), region, status: str(imageItem.status), architecture: str(imageItem.architecture) }
      : undefined,
    baseImage: Object.keys(baseImage).length
      ? { imageId: str(baseImage.imageId), name: str(baseImage.name), ownerId: str(baseImage.ownerId), creationDate: str(baseImage.creationDate), source: str(baseImage.source) }
      : undefined,
    lineage,
    components,
    tests,
    scan,
    approval,
    artifacts,
    laterStages,
    notPartOfThisRun,
  };
}
