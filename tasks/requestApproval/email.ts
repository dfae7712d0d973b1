/**
 * The approval email of one approver: the gate summary (so the decision is not "click a link blind") and the
 * approver's own signed link. Plain text (SNS email). The link is the only way in; it carries no task token.
 */
import { SEVERITIES } from '../../pipeline/config';
import type { ApprovalRecord } from '../approval/record';

export interface ApprovalEmail {
  subject: string;
  message: string;
}

export function approvalEmail(record: Pick<ApprovalRecord, 'evidence' | 'approvers' | 'minApprovals' | 'expiresAt'>, approver: string, link: string): ApprovalEmail {
  const { evidence } = record;
  const { gate } = evidence;
  const subject = `[${evidence.pipeline}] Approval needed: ${evidence.pipeline} v${evidence.version}`.slice(0, 100);
  const counts = SEVERITIES.map((s) => `  ${s.padEnd(13)} ${String(gate.counts[s] ?? 0).padStart(4)} found, ${String(gate.thresholds[s] ?? 'unlimited')} allowed`);
  const top = gate.topFindings.slice(0, 5).map(
    (f) => `  ${f.severity} ${f.vulnerabilityId}${f.packageName ? ` (${f.packageName} ${f.installedVersion ?? ''}${f.fixedInVersion ? ` → ${f.fixedInVersion}` : ''})` : ''}${f.exploitAvailable ? ', exploit available' : ''}`,
  );
  const exceptions = evidence.exceptions.map((e) => `  ${e.cve}: ${e.reason} (accepted by ${e.approvedBy} until ${e.expiresOn})`);
  const lines = [
    `${approver},`,
    '',
    `${evidence.pipeline} v${evidence.version} (${evidence.image.name}, ${evidence.image.imageId}) passed its scan gate and waits for approval:`,
    `${record.minApprovals} of ${record.approvers.length} approvers (${record.approvers.join(', ')}) must approve; one rejection rejects.`,
    '',
    `Scan gate: ${gate.passed ? 'PASSED' : 'FAILED'}, ${gate.totalFindings} finding(s)`,
    ...counts,
    ...(exceptions.length ? ['Exceptions applied:', ...exceptions] : []),
    ...(top.length ? ['Top findings:', ...top] : ['No findings.']),
    '',
    `Base image: ${evidence.baseImage.name} (${evidence.baseImage.imageId}, ${evidence.baseImage.source})`,
    `Components: ${evidence.components.join(', ')}`,
    ...(evidence.reason ? [`Reason for this run: ${evidence.reason}`] : []),
    '',
    'Review the full evidence and decide here (your personal link; do not forward it):',
    link,
    '',
    `The link expires at ${record.expiresAt}. Opening it changes nothing: you decide on the page, with a deliberate click.`,
  ];
  return { subject, message: lines.join('\n') };
}
