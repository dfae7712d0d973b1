/**
 * The approval pages, written with Hono's `html` tagged template: every interpolated value is HTML-escaped
 * unless it is itself a template result, so markup comes only from the literals here (escaped by
 * construction, no string concatenation of HTML). No script at all; one style element carrying the CSP nonce.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { SEVERITIES } from '../../pipeline/config';
import { diffToPrevious, type Availability } from './diff';
import { decisionsInOrder, type ApproverDecision, type PublicApproval } from './record';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 1.5rem;color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;vertical-align:top}
.fail{color:#a00;font-weight:600}.pass{color:#060;font-weight:600}.muted{color:#666}
.notice{border-left:4px solid #888;background:#f4f4f4;padding:.6rem 1rem}
.refused{border-left-color:#a00}.ok{border-left-color:#060}
form{margin-top:1rem;padding:1rem;border:1px solid #ccc}textarea{width:100%;min-height:5rem}
button{margin-right:1rem;padding:.4rem 1.2rem;font-size:1rem}
`;

export function layout(title: string, nonce: string | undefined, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style nonce="${nonce ?? ''}">${STYLE}</style>
</head>
<body>
${body}
</body>
</html>`;
}

/** A refusal or a plain message: what happened, and what the person can do about it. */
export function messagePage(nonce: string | undefined, kind: 'refused' | 'ok' | 'info', title: string, message: string, extra?: Html): Html {
  return layout(
    title,
    nonce,
    html`<h1>${title}</h1>
<p class="notice ${kind === 'refused' ? 'refused' : kind === 'ok' ? 'ok' : ''}">${message}</p>
${extra ?? ''}
<p class="muted">Nothing was changed by this request unless the message says so.</p>`,
  );
}

export function timeLeft(expiresAt: string, now: Date): string {
  const ms = Date.parse(expiresAt) - now.getTime();
  if (ms <= 0) return 'expired';
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  return hours >= 48 ? `${Math.floor(hours / 24)} days ${hours % 24} h` : `${hours} h ${minutes} min`;
}

const list = (items: readonly string[], empty = 'none') => (items.length ? html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>` : html`<p class="muted">${empty}</p>`);

function unavailable<T>(section: Availability<T>, render: (value: T) => Html): Html {
  return section.available ? render(section.value) : html`<p class="muted">Not available: ${section.reason}.</p>`;
}

export function decisionsTable(approval: PublicApproval): Html {
  const decisions = decisionsInOrder(approval);
  const undecided = approval.approvers.filter((a) => !approval.decisions[a]);
  return html`<table>
<tr><th>approver</th><th>decision</th><th>at</th><th>comment</th></tr>
${decisions.map((d) => html`<tr><td>${d.approver}</td><td class="${d.decision === 'approve' ? 'pass' : 'fail'}">${d.decision === 'approve' ? 'approved' : 'rejected'}</td><td>${d.at}</td><td>${d.comment}</td></tr>`)}
${undecided.map((a) => html`<tr><td>${a}</td><td class="muted">not yet</td><td></td><td></td></tr>`)}
</table>`;
}

/** The outcome in one sentence, as recorded (used after a decision and on every later visit). */
export function outcomeSentence(approval: PublicApproval): string {
  const subject = `${approval.pipeline} v${approval.version}`;
  const ran =
    approval.delivery === 'task-timed-out'
      ? ' The run had already timed out waiting (ApprovalExpired), so it did not continue.'
      : approval.delivery === 'task-closed'
        ? ' The run had already ended, so it did not continue.'
        : approval.delivery === 'failed' || approval.delivery === 'pending'
          ? ' The pipeline has not been told yet; submitting a decision again retries.'
          : '';
  switch (approval.status) {
    case 'approved':
      return `${subject} was approved (${approval.minApprovals} approval${approval.minApprovals === 1 ? '' : 's'} needed) at ${approval.closedAt}.${ran}`;
    case 'rejected':
      return `${subject} was rejected by ${approval.closedBy} at ${approval.closedAt}.${ran}`;
    case 'expired':
      return `The approval of ${subject} expired at ${approval.expiresAt} before enough people decided; the run failed with ApprovalExpired.`;
    default:
      return `${subject} is waiting for ${approval.minApprovals} approval${approval.minApprovals === 1 ? '' : 's'}.`;
  }
}

export interface FormFields {
  action: string;
  approver: string;
  exp: number;
  sig: string;
  csrf: string;
}

/** The phrase the approver must tick; the server requires exactly it. */
export const reviewedPhrase = (approval: Pick<PublicApproval, 'pipeline' | 'version'>) => `${approval.pipeline} v${approval.version}`;

function decisionForm(approval: PublicApproval, form: FormFields): Html {
  return html`<form method="post" action="${form.action}">
<input type="hidden" name="a" value="${form.approver}">
<input type="hidden" name="exp" value="${form.exp}">
<input type="hidden" name="sig" value="${form.sig}">
<input type="hidden" name="csrf" value="${form.csrf}">
<p><label><input type="checkbox" name="reviewed" value="${reviewedPhrase(approval)}"> I have reviewed the evidence for ${reviewedPhrase(approval)}</label></p>
<p><label for="comment">Comment (required to reject; recorded with your name)</label><br>
<textarea id="comment" name="comment" maxlength="1000"></textarea></p>
<p><button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="reject">Reject</button></p>
</form>`;
}

function retryForm(form: FormFields): Html {
  return html`<form method="post" action="${form.action}">
<input type="hidden" name="a" value="${form.approver}">
<input type="hidden" name="exp" value="${form.exp}">
<input type="hidden" name="sig" value="${form.sig}">
<input type="hidden" name="csrf" value="${form.csrf}">
<p>The decision is recorded, but the pipeline has not been told yet. <button type="submit">Notify the pipeline again</button></p>
</form>`;
}

export interface EvidencePageInput {
  approval: PublicApproval;
  approver: string;
  now: Date;
  /** Present when this approver may still decide. */
  form?: FormFields;
  /** Present when a recorded outcome still has to reach the pipeline (an interrupted earlier request). */
  retryForm?: FormFields;
  /** The approver's own recorded decision, when there is one. */
  mine?: ApproverDecision;
  nonce?: string;
  /** A notice above the evidence (e.g. "your decision was recorded"). */
  notice?: { kind: 'ok' | 'refused' | 'info'; text: string };
}

export function evidencePage(input: EvidencePageInput): Html {
  const { approval, now, form, mine } = input;
  const e = approval.evidence;
  const gate = e.gate;
  const diff = diffToPrevious(e);
  const subject = reviewedPhrase(approval);
  const title = approval.status === 'pending' ? `Approve ${subject}?` : `${subject}: ${approval.status}`;
  const body = html`<h1>${title}</h1>
${input.notice ? html`<p class="notice ${input.notice.kind === 'refused' ? 'refused' : input.notice.kind === 'ok' ? 'ok' : ''}">${input.notice.text}</p>` : ''}
<p>You are <strong>${input.approver}</strong>. ${outcomeSentence(approval)}
${approval.status === 'pending' ? html` Time left: <strong>${timeLeft(approval.expiresAt, now)}</strong> (until ${approval.expiresAt}).` : ''}</p>
${mine ? html`<p class="notice">Your decision, recorded at ${mine.at}: <strong>${mine.decision === 'approve' ? 'approved' : 'rejected'}</strong>${mine.comment ? html` — “${mine.comment}”` : ''}.</p>` : ''}

<h2>Image</h2>
<table>
<tr><th>pipeline</th><td>${e.pipeline}</td></tr>
<tr><th>version</th><td>${e.version}</td></tr>
<tr><th>image</th><td>${e.image.imageId} — ${e.image.name}</td></tr>
<tr><th>base image</th><td>${e.baseImage.imageId} — ${e.baseImage.name} (owner ${e.baseImage.ownerId}, created ${e.baseImage.creationDate}, from ${e.baseImage.source})</td></tr>
<tr><th>base image lineage</th><td>${e.lineage.length ? e.lineage.join(' → ') : html`<span class="muted">none recorded</span>`}</td></tr>
${e.reason ? html`<tr><th>reason for this run</th><td>${e.reason}</td></tr>` : ''}
${e.requestedBy ? html`<tr><th>requested by</th><td>${e.requestedBy}</td></tr>` : ''}
<tr><th>evidence SHA-256</th><td><code>${approval.evidenceSha256}</code></td></tr>
</table>

<h2>Components, in order</h2>
${e.components.length ? html`<ol>${e.components.map((c) => html`<li>${c}</li>`)}</ol>` : html`<p class="muted">none</p>`}

<h2>Build and test steps</h2>
${e.steps.length
    ? html`<table><tr><th>component</th><th>phase</th><th>step</th><th>result</th></tr>
${e.steps.map((s) => html`<tr><td>${s.component}</td><td>${s.phase}</td><td>${s.step}</td><td class="${s.status === 'Success' ? 'pass' : 'fail'}">${s.status}</td></tr>`)}</table>`
    : html`<p class="muted">none recorded</p>`}

<h2>Scan gate: <span class="${gate.passed ? 'pass' : 'fail'}">${gate.passed ? 'passed' : 'failed'}</span></h2>
<table><tr><th>severity</th><th>found</th><th>allowed</th></tr>
${SEVERITIES.map((s) => html`<tr><td>${s}</td><td>${gate.counts[s] ?? 0}</td><td>${gate.thresholds[s] ?? 'unlimited'}</td></tr>`)}
</table>
<p>${gate.totalFindings} active finding${gate.totalFindings === 1 ? '' : 's'} in total.</p>

<h2>Exceptions applied</h2>
${e.exceptions.length
    ? html`<table><tr><th>CVE</th><th>reason</th><th>accepted by</th><th>expires</th><th>findings</th></tr>
${e.exceptions.map((x) => html`<tr><td>${x.cve}</td><td>${x.reason}</td><td>${x.approvedBy}</td><td>${x.expiresOn}</td><td>${x.findings}</td></tr>`)}</table>`
    : html`<p class="muted">none</p>`}
${gate.exceptionsExpired.length ? html`<p>Expired exceptions (not applied): ${gate.exceptionsExpired.join(', ')}</p>` : ''}

<h2>Top findings</h2>
${gate.topFindings.length
    ? html`<table><tr><th>CVE</th><th>package</th><th>installed → fixed</th><th>severity</th><th>score</th><th>exploit available</th></tr>
${gate.topFindings.map(
  (f) =>
    html`<tr><td>${f.vulnerabilityId}</td><td>${f.packageName ?? ''}</td><td>${f.installedVersion ?? '?'} → ${f.fixedInVersion ?? 'no fix'}</td><td>${f.severity}</td><td>${f.inspectorScore ?? ''}</td><td>${f.exploitAvailable === undefined ? 'unknown' : f.exploitAvailable ? 'yes' : 'no'}</td></tr>`,
)}</table>`
    : html`<p class="muted">no findings</p>`}

<h2>Difference to the previous approved image${diff.previous ? html` (v${diff.previous.version}, ${diff.previous.imageId})` : ''}</h2>
<h3>Packages</h3>
${unavailable(diff.packages, (p) => html`<p>Added:</p>${list(p.added.map((x) => `${x.name} ${x.version}`))}<p>Removed:</p>${list(p.removed.map((x) => `${x.name} ${x.version}`))}<p>Upgraded or changed:</p>${list(p.changed.map((x) => `${x.name} ${x.from} → ${x.to}`))}`)}
<h3>CVEs</h3>
${unavailable(diff.cves, (c) => html`<p>Fixed:</p>${list(c.fixed)}<p>New:</p>${list(c.introduced)}<p>Still open:</p>${list(c.stillOpen)}`)}

<h2>Decisions so far (${approval.minApprovals} approval${approval.minApprovals === 1 ? '' : 's'} needed, one rejection rejects)</h2>
${decisionsTable(approval)}

${form ? html`<h2>Your decision</h2>${decisionForm(approval, form)}` : ''}
${input.retryForm ? retryForm(input.retryForm) : ''}`;
  return layout(title, input.nonce, body);
}
