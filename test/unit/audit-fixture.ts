/**
 * Audit report inputs in the shapes DescribeExecution, GetExecutionHistory and the registry return, for runs
 * that ended each way: succeeded without approval, failed at the gate, and approved / rejected / expired at
 * the approval stage (records as docs/approval.md documents them). Small on purpose: the real lifecycle's
 * reports are tested through `gami audit` in test/cli/operators.test.ts.
 */
import type { AuditEvent, AuditInput } from '../../tasks/audit/report';

export type Outcome = 'succeeded' | 'gate-failed' | 'approved' | 'rejected' | 'expired';

const ARN = (name: string) => `arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:${name}`;
const T0 = Date.UTC(2026, 10, 22, 9);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

export const FIXTURE_DEFINITION = JSON.stringify({
  QueryLanguage: 'JSONata',
  StartAt: 'Start Run',
  States: {
    'Start Run': { Type: 'Pass', Next: 'Prepare Run' },
    'Prepare Run': { Type: 'Task', Next: 'Evaluate Scan Gate', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Reject Run Images' }] },
    'Evaluate Scan Gate': { Type: 'Task', Next: 'Request Approval', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Reject Run Images' }] },
    'Request Approval': { Type: 'Task', Next: 'Record Done', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Reject Run Images' }] },
    'Record Done': { Type: 'Task', Next: 'Succeeded' },
    Succeeded: { Type: 'Succeed' },
    'Reject Run Images': { Type: 'Task', Next: 'Failed' },
    Failed: { Type: 'Fail' },
  },
});

const DECISIONS = {
  'alice@example.com': { approver: 'alice@example.com', decision: 'approve', at: at(70), comment: 'evidence reviewed <ok>', sourceIp: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' },
  'bob@example.com': { approver: 'bob@example.com', decision: 'approve', at: at(95), comment: 'fine', sourceIp: '198.51.100.23', userAgent: 'Mozilla/5.0 (Macintosh) Safari/17.4' },
};

export function auditFixture(outcome: Outcome): AuditInput {
  const name = `${outcome}-run`;
  const executionArn = ARN(name);
  const states: [string, number, string?][] = [['Start Run', 0], ['Prepare Run', 1], ['Evaluate Scan Gate', 40]];
  if (outcome === 'gate-failed') states[2][2] = 'ScanGateFailed';
  if (outcome !== 'gate-failed' && outcome !== 'succeeded') states.push(['Request Approval', 60, outcome === 'rejected' ? 'ApprovalRejected' : outcome === 'expired' ? 'ApprovalExpired' : undefined]);
  const failed = states.some((s) => s[2]);
  states.push(...((failed ? [['Reject Run Images', 200], ['Failed', 201]] : [['Record Done', 200], ['Succeeded', 201]]) as [string, number][]));

  const events: AuditEvent[] = [{ id: 1, type: 'ExecutionStarted', timestamp: at(0) }];
  for (const [state, minute, error] of states) {
    events.push({ id: events.length + 1, type: 'TaskStateEntered', timestamp: at(minute), stateEnteredEventDetails: { name: state } });
    if (error) events.push({ id: events.length + 1, type: 'TaskFailed', timestamp: at(minute + 1), taskFailedEventDetails: { error, cause: `${error} in ${state}` } });
    else events.push({ id: events.length + 1, type: 'TaskStateExited', timestamp: at(minute + 1), stateExitedEventDetails: { name: state } });
  }
  const finalError = states.find((s) => s[2])?.[2];
  events.push({ id: events.length + 1, type: failed ? 'ExecutionFailed' : 'ExecutionSucceeded', timestamp: at(202) });

  const item = (sk: string, extra: Record<string, unknown>) => ({ pk: 'PIPELINE#web-base', sk, pipeline: 'web-base', version: 5, executionArn, ...extra });
  const stage = (stageName: string, status: string, end: number, details: Record<string, unknown> = {}) =>
    item(`IMAGE#000005#STAGE#${stageName}`, { stage: stageName, status, startedAt: at(end), endedAt: at(end), details });
  const registry: Record<string, unknown>[] = [
    item('IMAGE#000005', {
      imageName: 'web-base-5-20261122',
      imageId: 'ami-0aaa1111bbbb2222c',
      snapshotIds: ['snap-0123456789abcdef0'],
      status: failed ? (outcome === 'expired' ? 'expired' : 'rejected') : 'approved',
      architecture: 'x86_64',
      components: ['os-update', 'cleanup'],
      baseImage: { imageId: 'ami-3b54cda58fbbee87e', name: 'al2023-ami-2023.3', ownerId: '137112412989', creationDate: '2026-03-17T09:00:00.000Z', source: 'ssm:/aws/service/al2023' },
      reason: 'monthly patch',
      requestedBy: 'alice@example.com',
    }),
    stage('Prepare', 'succeeded', 1, {}),
    stage('Bake', 'succeeded', 25, { steps: [{ component: 'os-update', phase: 'build', step: 'UpdatePackages', status: 'Success', attempts: 1 }, { component: 'cleanup', phase: 'build', step: 'RemoveSshKeys', status: 'Success', attempts: 2 }] }),
    stage('Test', 'succeeded', 35, { steps: [{ component: 'os-update', phase: 'test', step: 'NoPendingUpdates', status: 'Success', attempts: 1 }] }),
    stage('ScanGate', outcome === 'gate-failed' ? 'failed' : 'succeeded', 41),
    item('IMAGE#000005#SCAN', {
      evaluatedAt: at(41),
      result: {
        passed: outcome !== 'gate-failed',
        counts: { CRITICAL: outcome === 'gate-failed' ? 2 : 0, HIGH: 1 },
        thresholds: { CRITICAL: 0, HIGH: 3 },
        violations: outcome === 'gate-failed' ? ['CRITICAL: 2 findings > 0 allowed'] : [],
        exceptionsApplied: [{ cve: 'CVE-2024-2511', findings: 1, expiresOn: '2027-03-31' }],
        exceptionsExpired: [],
        totalFindings: 3,
        topFindings: [{ vulnerabilityId: 'CVE-2024-2511', severity: 'HIGH', packageName: 'openssl-libs', title: 'openssl: session cache growth' }],
      },
      scanGate: { exceptions: [{ cve: 'CVE-2024-2511', reason: 'not reachable here', approvedBy: 'security-lead@example.com', expiresOn: '2027-03-31' }] },
    }),
  ];
  if (['approved', 'rejected', 'expired'].includes(outcome)) {
    const decisions =
      outcome === 'approved'
        ? DECISIONS
        : outcome === 'rejected'
          ? { 'bob@example.com': { ...DECISIONS['bob@example.com'], decision: 'reject', comment: 'kernel too old' } }
          : {};
    registry.push({
      pk: 'APPROVAL#q2VhY3JldC1hcHByb3ZhbC1pZC1ub3QtaW4tdGhlLXJlcG9ydA',
      sk: 'APPROVAL',
      executionArn,
      status: outcome,
      approvers: ['alice@example.com', 'bob@example.com'],
      minApprovals: 2,
      evidenceSha256: 'a'.repeat(64),
      evidence: { lineage: ['ami-0root000000000000'] },
      createdAt: at(61),
      expiresAt: at(61 + 72 * 60),
      decisions,
      ...(outcome !== 'expired' && { closedAt: outcome === 'approved' ? at(95) : at(95), closedBy: 'bob@example.com' }),
    });
    registry.push(stage('Approval', outcome === 'approved' ? 'succeeded' : 'failed', 96));
  }
  if (outcome === 'approved') {
    registry.push(
      stage('LaunchTemplates', 'succeeded', 190, {
        templates: [{ launchTemplateId: 'lt-0abc1234def567890', account: '222222222222', region: 'eu-central-1', versionBefore: 3, versionAfter: 4 }],
      }),
    );
  }
  registry.push(stage(failed ? 'Failed' : 'Done', failed ? 'failed' : 'succeeded', 201, failed ? { error: finalError } : {}));

  return {
    execution: {
      executionArn,
      name,
      stateMachineArn: 'arn:aws:states:eu-west-1:111111111111:stateMachine:gami-web-base',
      status: failed ? 'FAILED' : 'SUCCEEDED',
      startDate: new Date(T0),
      stopDate: new Date(at(202)),
      input: JSON.stringify({ reason: 'monthly patch', requestedBy: 'alice@example.com' }),
      ...(finalError && { error: finalError, cause: `${finalError} in the run` }),
    },
    events,
    definition: FIXTURE_DEFINITION,
    registry,
    source: 'execution history',
    generatedAt: at(300),
  };
}
