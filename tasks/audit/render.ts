/**
 * The audit report as Markdown, JSON or one self-contained HTML file (inline CSS, inline SVG, no script, no
 * external fetch), all from the same AuditReport, section for section:
 *   run · started by · timeline of stages · path through the state machine · image, base image and lineage ·
 *   components and tests · scan gate (findings, decision, exceptions: who accepted them, until when) ·
 *   approval (approvers, time, comment, source IP, user agent, the evidence hash they saw) · artifacts per
 *   region and account · later stages (distribution, sharing, publishing, launch templates, retention).
 * A section whose stage did not run says "not part of this run".
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { DIAGRAM_STYLE, edgeKey, stateMachineSvg } from './diagram';
import { LATER_STAGES, type AuditReport, type StageRow } from './report';

export const AUDIT_FORMATS = ['md', 'html', 'json'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

export const NOT_PART = 'not part of this run';

const LATER_TITLES: Record<(typeof LATER_STAGES)[number], string> = {
  Distribute: 'Distribution (copies per region)',
  Share: 'Sharing',
  Publish: 'Publishing',
  LaunchTemplates: 'Launch templates (versions before and after)',
  Retention: 'Retention decisions',
};

export function formatDuration(totalSeconds: number | undefined): string {
  if (totalSeconds === undefined) return '—';
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : m > 0 ? `${m} min ${String(s).padStart(2, '0')} s` : `${s} s`;
}

const when = (value: string | undefined) => (value ? value.replace('T', ' ').replace(/\.000Z$|Z$/, ' UTC') : '—');

/** Flatten a stage's details into `path: value` lines (arrays of objects become one line per element). */
export function detailLines(value: unknown, prefix = ''): [string, string][] {
  if (value === null || value === undefined) return [];
  if (typeof value !== 'object') return [[prefix || 'value', String(value)]];
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) return [[prefix, value.join(', ')]];
    return value.flatMap((v, i) => detailLines(v, `${prefix}[${i}]`));
  }
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => detailLines(v, prefix ? `${prefix}.${k}` : k));
}

// ---- Markdown ----------------------------------------------------------------------------------------------------

const cell = (value: unknown) => (value === undefined || value === null || value === '' ? '—' : String(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' '));
/** The image section's rows, the same in Markdown and HTML (only when the report has an image). */
function imageRows(report: AuditReport, image: NonNullable<AuditReport['image']>): unknown[][] {
  return [
    ['Image', `${image.imageId ?? '—'} (${image.imageName ?? ''})`],
    ['Status', image.status],
    ['Architecture', image.architecture],
    ['Base image', report.baseImage ? `${report.baseImage.imageId} (${report.baseImage.name})` : undefined],
    ['Base image owner', report.baseImage?.ownerId],
    ['Base image created', report.baseImage?.creationDate],
    ['Resolved from', report.baseImage?.source],
    ['Lineage', report.lineage.join(' → ')],
  ];
}

/** The run section's rows, the same in Markdown and HTML (HTML shows the status as a badge below instead). */
function runRows(report: AuditReport, withStatus: boolean): unknown[][] {
  const r = report.run;
  return [
    ['Pipeline', r.pipeline],
    ['Version', r.version],
    ['Execution', r.executionArn],
    ...(withStatus ? [['Status', r.status]] : []),
    ['Started', when(r.startedAt)],
    ['Ended', when(r.stoppedAt)],
    ['Duration', formatDuration(r.durationSeconds)],
    ...(r.error ? [['Error', r.error], ['Cause', r.cause]] : []),
    ['Started by', report.startedBy.requestedBy ?? 'not recorded'],
    ['Reason', report.startedBy.reason ?? 'not given'],
  ];
}

const table = (head: string[], rows: unknown[][]) => [`| ${head.map((h) => h || ' ').join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];

function stageRows(stages: StageRow[]) {
  return stages.map((s) => [s.stage, s.status, when(s.startedAt), when(s.endedAt), formatDuration(s.durationSeconds)]);
}

export function renderMarkdown(report: AuditReport): string {
  const lines: string[] = [`# ${report.title}`, '', `Generated ${when(report.generatedAt)} from the ${report.source} and the registry.`, ''];
  lines.push('## Run', '');
  lines.push(
    ...table(
      ['', ''],
      runRows(report, true),
    ),
    '',
  );
  lines.push('## Timeline', '', ...table(['Stage', 'Status', 'Started', 'Ended', 'Duration'], stageRows(report.stages)), '');
  lines.push(
    '## Path through the state machine',
    '',
    ...table(
      ['State', 'Type', 'Entered', 'Duration', 'Visits', 'Task errors'],
      report.path.map((p) => [p.state, p.type, when(p.enteredAt), formatDuration(p.durationSeconds), p.visits, p.failures.join(', ')]),
    ),
    '',
  );
  lines.push('## Image', '');
  if (report.image) {
    lines.push(
      ...table(
        ['', ''],
        imageRows(report, report.image),
      ),
      '',
    );
  } else lines.push(`No image record: ${NOT_PART}.`, '');
  lines.push('## Components', '');
  if (report.components.length) {
    lines.push(...table(['Component', 'Phase', 'Step', 'Status', 'Attempts'], report.components.flatMap((c) => (c.steps.length ? c.steps.map((s) => [c.component, s.phase, s.step, s.status, s.attempts]) : [[c.component, '—', '—', 'not run', '—']]))), '');
  } else lines.push(NOT_PART, '');
  lines.push('## Tests', '');
  lines.push(...(report.tests.length ? table(['Component', 'Step', 'Status', 'Attempts'], report.tests.map((t) => [t.component, t.step, t.status, t.attempts])) : [NOT_PART]), '');
  lines.push('## Scan gate', '');
  const scan = report.scan;
  if (scan) {
    lines.push(`Decision: **${scan.passed ? 'passed' : 'failed'}** (${scan.totalFindings ?? 0} findings, evaluated ${when(scan.evaluatedAt)})`, '');
    lines.push(...table(['Severity', 'Found', 'Allowed'], Object.keys(scan.thresholds).map((s) => [s, scan.counts[s] ?? 0, scan.thresholds[s]])), '');
    if (scan.violations.length) lines.push('Violations:', '', ...scan.violations.map((v) => `- ${v}`), '');
    lines.push('Exceptions:', '');
    lines.push(
      ...(scan.exceptions.length
        ? table(['CVE', 'Applied', 'Findings', 'Accepted by', 'Until', 'Reason'], scan.exceptions.map((e) => [e.cve, e.applied ? 'yes' : 'no', e.findings, e.approvedBy, e.expiresOn, e.reason]))
        : ['none']),
      '',
    );
    if (scan.exceptionsExpired.length) lines.push(`Expired exceptions (ignored): ${scan.exceptionsExpired.join(', ')}`, '');
    if (scan.topFindings.length) lines.push(...table(['Finding', 'Severity', 'Package', 'Title'], scan.topFindings.map((f) => [f.vulnerabilityId, f.severity, f.packageName, f.title])), '');
  } else lines.push(NOT_PART, '');
  lines.push('## Approval', '');
  const approval = report.approval;
  if (approval) {
    lines.push(`Outcome: **${approval.status}**${approval.outcomeError ? ` (${approval.outcomeError})` : ''}${approval.minApprovals ? `; ${approval.minApprovals} of ${approval.approvers.length} approvers needed` : ''}`, '');
    if (approval.evidenceSha256) lines.push(`Evidence seen by the approvers: SHA-256 \`${approval.evidenceSha256}\``, '');
    if (approval.expiresAt) lines.push(`Requested ${when(approval.createdAt)}, expiring ${when(approval.expiresAt)}${approval.closedAt ? `; closed ${when(approval.closedAt)}${approval.closedBy ? ` by ${approval.closedBy}` : ''}` : ''}`, '');
    lines.push(
      ...(approval.decisions.length
        ? table(['Approver', 'Decision', 'At', 'Comment', 'Source IP', 'User agent'], approval.decisions.map((d) => [d.approver, d.decision, when(d.at), d.comment, d.sourceIp, d.userAgent]))
        : ['No approver decided.']),
      '',
    );
  } else lines.push(NOT_PART, '');
  lines.push('## Artifacts', '');
  lines.push(...(report.artifacts.length ? table(['Kind', 'Id', 'Region', 'Account', 'Status'], report.artifacts.map((a) => [a.kind, a.id, a.region, a.account, a.status])) : ['none']), '');
  for (const stage of LATER_STAGES) {
    lines.push(`## ${LATER_TITLES[stage]}`, '');
    const later = report.laterStages.find((l) => l.stage === stage);
    if (later) lines.push(`Status: ${later.status}`, '', ...table(['Field', 'Value'], detailLines(later.details)), '');
    else lines.push(NOT_PART, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

// ---- HTML --------------------------------------------------------------------------------------------------------

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 1.5rem;color:#1b1b1b}
h1{font-size:1.45rem}h2{font-size:1.1rem;margin-top:1.8rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}.muted{color:#666}.pass{color:#1b5e20;font-weight:600}.fail{color:#b71c1c;font-weight:600}
code{font-size:.85em;word-break:break-all}.status{display:inline-block;padding:.1rem .5rem;border-radius:.6rem;background:#eee}
.status.SUCCEEDED{background:#c8e6c9}.status.FAILED,.status.TIMED_OUT,.status.ABORTED{background:#ffcdd2}
.timeline .bar{fill:#64b5f6}.timeline .bar.failed{fill:#e57373}.timeline text{font:12px system-ui,sans-serif}
.columns{display:flex;gap:2rem;flex-wrap:wrap;align-items:flex-start}
${DIAGRAM_STYLE}`;

type Html = HtmlEscapedString;
const notPart = html`<p class="muted">${NOT_PART}</p>` as Html;
const htmlTable = (head: string[], rows: unknown[][]): Html =>
  html`<table>${head.some(Boolean) ? html`<thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead>` : ''}<tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c === undefined || c === null || c === '' ? '—' : String(c)}</td>`)}</tr>`)}</tbody></table>` as Html;

/** The stages as bars on one time axis. */
function timelineSvg(stages: StageRow[]): Html {
  const timed = stages.filter((s) => s.startedAt);
  if (timed.length === 0) return notPart;
  const start = Math.min(...timed.map((s) => Date.parse(s.startedAt!)));
  const end = Math.max(...timed.map((s) => Date.parse(s.endedAt ?? s.startedAt!)));
  const span = Math.max(1, end - start);
  const labelW = 110;
  const barW = 520;
  const rowH = 22;
  const height = timed.length * rowH + 24;
  const x = (t: number) => labelW + ((t - start) / span) * barW;
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${labelW + barW + 140}" height="${height}" role="img" aria-label="Timeline of the stages">
${timed.map((s, i) => {
  const from = x(Date.parse(s.startedAt!));
  const to = Math.max(from + 2, x(Date.parse(s.endedAt ?? s.startedAt!)));
  return html`<g><text x="0" y="${i * rowH + 15}">${s.stage}</text><rect class="bar ${s.status === 'failed' ? 'failed' : ''}" x="${from.toFixed(1)}" y="${i * rowH + 4}" width="${(to - from).toFixed(1)}" height="14"><title>${s.stage}: ${when(s.startedAt)} → ${when(s.endedAt)}</title></rect><text x="${(to + 6).toFixed(1)}" y="${i * rowH + 15}">${formatDuration(s.durationSeconds)}</text></g>`;
})}
<text x="${labelW}" y="${height - 4}" class="muted">${when(new Date(start).toISOString())}</text><text x="${labelW + barW}" y="${height - 4}" text-anchor="end">${when(new Date(end).toISOString())}</text>
</svg>` as Html;
}

export function renderHtml(report: AuditReport, definition: string | undefined): string {
  const r = report.run;
  const scan = report.scan;
  const approval = report.approval;
  const failedStates = new Set(report.path.filter((p) => p.failures.length > 0).map((p) => p.state));
  const diagram = definition
    ? stateMachineSvg(definition, {
        visited: new Set(report.path.map((p) => p.state)),
        taken: new Set(report.transitions.map(([a, b]) => edgeKey(a, b))),
        failed: failedStates,
        last: report.path.at(-1)?.state,
      })
    : html`<p class="muted">The state machine definition was not available.</p>`;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${report.title}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${report.title}</h1>
<p class="muted">Generated ${when(report.generatedAt)} from the ${report.source} and the registry.</p>
<h2 id="run">Run</h2>
${htmlTable(
  ['', ''],
  runRows(report, false),
)}
<p>Status: <span class="status ${r.status}">${r.status}</span></p>
<h2 id="timeline">Timeline</h2>
${timelineSvg(report.stages)}
${htmlTable(['Stage', 'Status', 'Started', 'Ended', 'Duration'], stageRows(report.stages))}
<h2 id="path">Path through the state machine</h2>
<p class="muted">Every state of the definition; the states this run entered are green (red: where it failed), the transitions it took are blue.</p>
<div class="columns">${diagram}
${htmlTable(['State', 'Entered', 'Duration', 'Visits', 'Task errors'], report.path.map((p) => [p.state, when(p.enteredAt), formatDuration(p.durationSeconds), p.visits, p.failures.join(', ')]))}</div>
<h2 id="image">Image</h2>
${report.image
  ? htmlTable(
      ['', ''],
      imageRows(report, report.image),
    )
  : notPart}
<h2 id="components">Components</h2>
${report.components.length
  ? htmlTable(['Component', 'Phase', 'Step', 'Status', 'Attempts'], report.components.flatMap((c) => (c.steps.length ? c.steps.map((s) => [c.component, s.phase, s.step, s.status, s.attempts]) : [[c.component, '—', '—', 'not run', '—']])))
  : notPart}
<h2 id="tests">Tests</h2>
${report.tests.length ? htmlTable(['Component', 'Step', 'Status', 'Attempts'], report.tests.map((t) => [t.component, t.step, t.status, t.attempts])) : notPart}
<h2 id="scan">Scan gate</h2>
${scan
  ? html`<p>Decision: <span class="${scan.passed ? 'pass' : 'fail'}">${scan.passed ? 'passed' : 'failed'}</span> (${scan.totalFindings ?? 0} findings, evaluated ${when(scan.evaluatedAt)})</p>
${htmlTable(['Severity', 'Found', 'Allowed'], Object.keys(scan.thresholds).map((s) => [s, scan.counts[s] ?? 0, scan.thresholds[s]]))}
${scan.violations.length ? html`<p>Violations:</p><ul>${scan.violations.map((v) => html`<li>${v}</li>`)}</ul>` : ''}
<p>Exceptions:</p>
${scan.exceptions.length ? htmlTable(['CVE', 'Applied', 'Findings', 'Accepted by', 'Until', 'Reason'], scan.exceptions.map((e) => [e.cve, e.applied ? 'yes' : 'no', e.findings, e.approvedBy, e.expiresOn, e.reason])) : html`<p class="muted">none</p>`}
${scan.exceptionsExpired.length ? html`<p>Expired exceptions (ignored): ${scan.exceptionsExpired.join(', ')}</p>` : ''}
${scan.topFindings.length ? htmlTable(['Finding', 'Severity', 'Package', 'Title'], scan.topFindings.map((f) => [f.vulnerabilityId, f.severity, f.packageName, f.title])) : ''}`
  : notPart}
<h2 id="approval">Approval</h2>
${approval
  ? html`<p>Outcome: <strong>${approval.status}</strong>${approval.outcomeError ? ` (${approval.outcomeError})` : ''}${approval.minApprovals ? `; ${approval.minApprovals} of ${approval.approvers.length} approvers needed` : ''}</p>
${approval.evidenceSha256 ? html`<p>Evidence seen by the approvers: SHA-256 <code>${approval.evidenceSha256}</code></p>` : ''}
${approval.expiresAt ? html`<p>Requested ${when(approval.createdAt)}, expiring ${when(approval.expiresAt)}${approval.closedAt ? `; closed ${when(approval.closedAt)}${approval.closedBy ? ` by ${approval.closedBy}` : ''}` : ''}</p>` : ''}
${approval.decisions.length ? htmlTable(['Approver', 'Decision', 'At', 'Comment', 'Source IP', 'User agent'], approval.decisions.map((d) => [d.approver, d.decision, when(d.at), d.comment, d.sourceIp, d.userAgent])) : html`<p class="muted">No approver decided.</p>`}`
  : notPart}
<h2 id="artifacts">Artifacts</h2>
${report.artifacts.length ? htmlTable(['Kind', 'Id', 'Region', 'Account', 'Status'], report.artifacts.map((a) => [a.kind, a.id, a.region, a.account, a.status])) : html`<p class="muted">none</p>`}
${LATER_STAGES.map((stage) => {
  const later = report.laterStages.find((l) => l.stage === stage);
  return html`<h2>${LATER_TITLES[stage]}</h2>
${later ? html`<p>Status: ${later.status}</p>${htmlTable(['Field', 'Value'], detailLines(later.details))}` : notPart}`;
})}
</body>
</html>
`;
  return page.toString();
}

export function renderAudit(report: AuditReport, format: AuditFormat, definition: string | undefined): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'md') return renderMarkdown(report);
  return renderHtml(report, definition);
}
