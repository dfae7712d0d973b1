/**
 * Audit report contents for each way a run can end (data-driven: each outcome's registry and history, in the
 * shapes the API and the approval record have, test/unit/audit-fixture.ts). The real lifecycle's reports are
 * checked through `gami audit` in test/cli/operators.test.ts.
 */
import { buildAuditReport } from '../../tasks/audit/report';
import { NOT_PART, renderHtml, renderMarkdown } from '../../tasks/audit/render';
import { graphOf } from '../../tasks/audit/diagram';
import { auditFixture, FIXTURE_DEFINITION, type Outcome } from './audit-fixture';

const approvals: [Outcome, { status: string; error?: string; decisions: string[] }][] = [
  ['approved', { status: 'approved', decisions: ['alice@example.com approve', 'bob@example.com approve'] }],
  ['rejected', { status: 'rejected', error: 'ApprovalRejected', decisions: ['bob@example.com reject'] }],
  ['expired', { status: 'expired', error: 'ApprovalExpired', decisions: [] }],
];

describe.each(approvals)('a run %s at the approval stage', (outcome, expected) => {
  const input = auditFixture(outcome);
  const report = buildAuditReport(input);

  it('names the outcome, every approver decision with time, comment, source IP, user agent, and the evidence hash', () => {
    expect(report.approval).toMatchObject({ status: expected.status, minApprovals: 2, evidenceSha256: 'a'.repeat(64), outcomeError: expected.error });
    expect(report.approval!.decisions.map((d) => `${d.approver} ${d.decision}`)).toEqual(expected.decisions);
    const md = renderMarkdown(report);
    expect(md).toContain(`Outcome: **${expected.status}**${expected.error ? ` (${expected.error})` : ''}; 2 of 2 approvers needed`);
    expect(md).toContain(`Evidence seen by the approvers: SHA-256 \`${'a'.repeat(64)}\``);
    if (outcome !== 'expired') expect(md).toContain('| bob@example.com | ' + (outcome === 'approved' ? 'approve' : 'reject') + ' | 2026-11-22 10:35:00 UTC | ');
    if (outcome === 'expired') expect(md).toContain('No approver decided.');
  });

  it('keeps the run facts: who started it and why, lineage, the gate and its accepted exceptions', () => {
    expect(report.startedBy).toEqual({ requestedBy: 'alice@example.com', reason: 'monthly patch' });
    expect(report.lineage).toEqual(['ami-0root000000000000', 'ami-3b54cda58fbbee87e', 'ami-0aaa1111bbbb2222c']);
    expect(report.scan?.exceptions).toEqual([
      { cve: 'CVE-2024-2511', findings: 1, reason: 'not reachable here', approvedBy: 'security-lead@example.com', expiresOn: '2027-03-31', applied: true },
    ]);
  });

  it('draws the path: the approval task red when the run was caught there', () => {
    const page = renderHtml(report, FIXTURE_DEFINITION);
    expect(page).toMatch(new RegExp(`<g class="node ${outcome === 'approved' ? 'visited' : 'failed'}"><title>Request Approval`));
  });
});

it('an approved run shows its later stages field by field, and their artifacts per region and account', () => {
  const report = buildAuditReport(auditFixture('approved'));
  expect(report.laterStages.map((l) => l.stage)).toEqual(['LaunchTemplates']);
  expect(report.artifacts).toContainEqual({ kind: 'launch template (LaunchTemplates)', id: 'lt-0abc1234def567890', region: 'eu-central-1', account: '222222222222' });
  const md = renderMarkdown(report);
  expect(md).toContain('## Launch templates (versions before and after)\n\nStatus: succeeded\n\n| Field | Value |\n|---|---|\n| templates[0].launchTemplateId | lt-0abc1234def567890 |');
  expect(md).toContain('| templates[0].versionBefore | 3 |\n| templates[0].versionAfter | 4 |');
  expect(md).toContain(`## Distribution (copies per region)\n\n${NOT_PART}`);
  expect(md).toContain(`## Retention decisions\n\n${NOT_PART}`);
});

it('a run without approval says so, and the gate failure is the error with its violations', () => {
  const report = buildAuditReport(auditFixture('gate-failed'));
  expect(report.approval).toBeUndefined();
  expect(report.notPartOfThisRun).toEqual(['Distribute', 'Share', 'Publish', 'LaunchTemplates', 'Retention', 'Approval']);
  expect(report.run).toMatchObject({ status: 'FAILED', error: 'ScanGateFailed', durationSeconds: 202 * 60 });
  expect(report.scan).toMatchObject({ passed: false, violations: ['CRITICAL: 2 findings > 0 allowed'] });
  expect(report.path.find((p) => p.state === 'Evaluate Scan Gate')?.failures).toEqual(['ScanGateFailed']);
  expect(renderMarkdown(report)).toContain(`## Approval\n\n${NOT_PART}`);
});

it('stages recorded only at their end start when the stage before them ended', () => {
  const report = buildAuditReport(auditFixture('succeeded'));
  expect(report.stages.map((s) => [s.stage, s.durationSeconds])).toEqual([
    ['Prepare', 60],
    ['Bake', 24 * 60],
    ['Test', 10 * 60],
    ['ScanGate', 6 * 60],
    ['Done', 160 * 60],
  ]);
});

it('escapes everything it was given: a comment cannot inject markup', () => {
  const input = auditFixture('approved');
  const page = renderHtml(buildAuditReport(input), input.definition);
  expect(page).toContain('evidence reviewed &lt;ok&gt;');
  expect(page).not.toContain('<ok>');
});

it('lays the happy path out first, the failure path after it', () => {
  expect(graphOf(FIXTURE_DEFINITION).order).toEqual(['Start Run', 'Prepare Run', 'Evaluate Scan Gate', 'Request Approval', 'Record Done', 'Succeeded', 'Reject Run Images', 'Failed']);
});
