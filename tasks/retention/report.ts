/**
 * The retention report (pure): what was kept and why, what was deprecated and deregistered, freed GiB, what
 * could not be read, and tag compliance — as JSON and as Markdown, one per sweep (or lifecycle Retention stage).
 *
 * Built in two steps because planning and executing are separate invocations: `summarizePlan` keeps what the
 * report needs from the plan (the registry item RETENTION#<sweep>), `finishReport` adds the executor's results.
 * The report is bounded so it fits one DynamoDB item (400 KB) at 100,000 images: per version at most
 * MAX_KEPT_LISTED kept copies with their reasons, at most MAX_LISTED images per list and compliance issues,
 * versions newest first until MAX_VERSIONS; counts are always complete, and every image's own result stays in
 * its batch item (RETENTION#<sweep>#BATCH#<n>).
 */
import type { ComplianceIssue } from './collect';
import type { ActionResult, RetentionAction } from './batches';
import type { RetentionPlan } from './model';

export const MAX_KEPT_LISTED = 5;
export const MAX_LISTED = 200;
export const MAX_VERSIONS = 300;
/** Longest reason line of a kept copy in the report. */
export const MAX_REASON_CHARS = 400;
/**
 * Most bytes of the plan's summary (JSON): the report (the summary plus bounded lists) and its Markdown, about as
 * long again, then fit one DynamoDB item (400 KB) with room to spare.
 */
export const MAX_BASE_BYTES = 120_000;

export interface Totals {
  kept: number;
  deprecated: number;
  deregistered: number;
  snapshotsDeleted: number;
  freedGiB: number;
}

export interface VersionLine {
  version: string;
  creationTime: string;
  copies: number;
  kept: number;
  deprecated: number;
  deregistered: number;
  retired: boolean;
  /** Kept copies and why (`account/region imageId: reason; reason`). */
  keptBecause: string[];
  moreKept: number;
}

export interface ReportBase {
  pipeline: string;
  sweepId: string;
  trigger: 'lifecycle' | 'sweep';
  now: string;
  dryRun: boolean;
  images: number;
  planned: Totals;
  /** Actions the executor takes (deprecations of images already deprecated need none). */
  actions: number;
  deprecateActions: number;
  batches: number;
  /** Actions left to the next sweep (the lifecycle's stage does at most LIFECYCLE_RETENTION_MAX_BATCHES). */
  deferred: number;
  versions: VersionLine[];
  olderVersions: number;
  unreadableScopes: { account: string; region: string; reason: string }[];
  compliance: { count: number; issues: ComplianceIssue[] };
  describeImagesCalls: Record<string, number>;
}

export interface RetentionReport extends ReportBase {
  /** What this sweep changed (nothing on a dry run; actions found already done are not counted). */
  done: Totals;
  /** Copies the plan deprecates that already were (tag and time): left as they are. */
  alreadyDeprecated: number;
  deprecatedImages: string[];
  deregisteredImages: string[];
  failures: string[];
  failed: number;
  snapshotsLeft: string[];
}

const round = (n: number) => Math.round(n * 100) / 100;
const deprecateActions = (base: ReportBase) => base.deprecateActions;

export function summarizePlan(
  plan: RetentionPlan,
  meta: { pipeline: string; sweepId: string; trigger: 'lifecycle' | 'sweep'; dryRun: boolean; compliance: ComplianceIssue[]; describeImagesCalls: Record<string, number> },
  actions: RetentionAction[],
  batches: number,
  deferred = 0,
): ReportBase {
  const keptByVersion = new Map<string, string[]>();
  for (const d of plan.decisions) {
    if (d.decision !== 'keep') continue;
    const list = keptByVersion.get(d.version) ?? [];
    const line = `${d.account}/${d.region} ${d.imageId}: ${d.reasons.filter((r) => r.code !== 'ignored-reference').map((r) => r.text).join('; ')}`;
    list.push(line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS - 1)}…` : line);
    keptByVersion.set(d.version, list);
  }
  const versions = plan.versions.slice(0, MAX_VERSIONS).map((v) => {
    const kept = keptByVersion.get(v.version) ?? [];
    return { ...v, keptBecause: kept.slice(0, MAX_KEPT_LISTED), moreKept: Math.max(0, kept.length - MAX_KEPT_LISTED) };
  });
  return fitBase({
    pipeline: meta.pipeline,
    sweepId: meta.sweepId,
    trigger: meta.trigger,
    now: plan.now,
    dryRun: meta.dryRun,
    images: plan.decisions.length,
    planned: { ...plan.totals, freedGiB: round(plan.totals.freedGiB) },
    actions: actions.length,
    deprecateActions: actions.filter((a) => a.kind === 'deprecate').length,
    batches,
    deferred,
    versions,
    olderVersions: Math.max(0, plan.versions.length - MAX_VERSIONS),
    unreadableScopes: plan.unreadableScopes,
    compliance: { count: meta.compliance.length, issues: meta.compliance.slice(0, MAX_LISTED) },
    describeImagesCalls: meta.describeImagesCalls,
  });
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** The summary within MAX_BASE_BYTES: fewer versions listed (newest kept), then fewer compliance issues listed. */
export function fitBase(base: ReportBase, max = MAX_BASE_BYTES): ReportBase {
  let fitted = base;
  while (bytes(fitted) > max && fitted.versions.length > 1) {
    const keep = Math.floor(fitted.versions.length / 2);
    fitted = { ...fitted, versions: fitted.versions.slice(0, keep), olderVersions: fitted.olderVersions + fitted.versions.length - keep };
  }
  if (bytes(fitted) > max) fitted = { ...fitted, compliance: { ...fitted.compliance, issues: fitted.compliance.issues.slice(0, 20) } };
  return fitted;
}

export function finishReport(base: ReportBase, done: { action: RetentionAction; result: ActionResult }[]): RetentionReport {
  const totals: Totals = { kept: base.planned.kept, deprecated: 0, deregistered: 0, snapshotsDeleted: 0, freedGiB: 0 };
  const deprecatedImages: string[] = [];
  const deregisteredImages: string[] = [];
  const failures: string[] = [];
  const snapshotsLeft: string[] = [];
  let failed = 0;
  for (const { action, result } of done) {
    const where = `${action.region} ${action.imageId} (version ${action.version})`;
    if (result.outcome === 'failed') {
      failed++;
      totals.kept++;
      if (failures.length < MAX_LISTED) failures.push(`${action.kind} ${where}: ${result.error ?? 'failed'}`);
      continue;
    }
    if (result.outcome === 'already') continue;
    if (action.kind === 'deprecate') {
      totals.deprecated++;
      if (deprecatedImages.length < MAX_LISTED) deprecatedImages.push(where);
    } else {
      totals.deregistered++;
      if (deregisteredImages.length < MAX_LISTED) deregisteredImages.push(where);
      totals.snapshotsDeleted += result.snapshotsDeleted.length;
      const sizes = action.deleteSnapshots.length > 0 ? action.snapshotGiB / action.deleteSnapshots.length : 0;
      totals.freedGiB += sizes * result.snapshotsDeleted.length;
      for (const id of result.snapshotsLeft) if (snapshotsLeft.length < MAX_LISTED) snapshotsLeft.push(`${id} of ${where}${result.error ? `: ${result.error}` : ''}`);
    }
  }
  totals.freedGiB = round(totals.freedGiB);
  return { ...base, done: totals, alreadyDeprecated: base.planned.deprecated - deprecateActions(base), deprecatedImages, deregisteredImages, failures, failed, snapshotsLeft };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(report: RetentionReport): string {
  const lines: string[] = [];
  const t = report.dryRun ? report.planned : report.done;
  lines.push(`# Retention of ${report.pipeline}: ${report.sweepId}`);
  lines.push('');
  lines.push(`${report.now} · ${report.trigger === 'sweep' ? 'scheduled sweep' : 'lifecycle Retention stage'}${report.dryRun ? ' · **dry run: nothing was changed**' : ''}`);
  lines.push('');
  lines.push(`| images | kept | ${report.dryRun ? 'would deprecate' : 'deprecated'} | ${report.dryRun ? 'would deregister' : 'deregistered'} | snapshots deleted | freed GiB | failed |`);
  lines.push('|---:|---:|---:|---:|---:|---:|---:|');
  lines.push(`| ${report.images} | ${t.kept} | ${t.deprecated} | ${t.deregistered} | ${t.snapshotsDeleted} | ${t.freedGiB} | ${report.failed} |`);
  if (report.deferred > 0) lines.push('', `${report.deferred} more action(s) left to the next RetentionSweep (the lifecycle's Retention stage does at most a few batches).`);
  if (report.alreadyDeprecated > 0) lines.push('', `${report.alreadyDeprecated} image(s) past the deprecation age were already deprecated: left as they are.`);
  if (report.unreadableScopes.length > 0) {
    lines.push('', '## Not read: every image there kept (fail closed)', '');
    for (const s of report.unreadableScopes) lines.push(`- ${s.account} ${s.region}: ${s.reason}`);
  }
  lines.push('', '## Versions', '', '| version | built | copies | kept | deprecated | deregistered | kept because |', '|---|---|---:|---:|---:|---:|---|');
  for (const v of report.versions) {
    const why = [...v.keptBecause, ...(v.moreKept > 0 ? [`and ${v.moreKept} more`] : [])].map(cell).join('<br>');
    lines.push(`| ${v.version}${v.retired ? ' (retired)' : ''} | ${v.creationTime.slice(0, 10)} | ${v.copies} | ${v.kept} | ${v.deprecated} | ${v.deregistered} | ${why} |`);
  }
  if (report.olderVersions > 0) lines.push(``, `${report.olderVersions} older versions not listed (see the batch items).`);
  const list = (title: string, items: string[], count: number) => {
    if (count === 0) return;
    lines.push('', `## ${title} (${count})`, '');
    for (const i of items) lines.push(`- ${i}`);
    if (count > items.length) lines.push(`- … and ${count - items.length} more (see the batch items)`);
  };
  if (!report.dryRun) {
    list('Deprecated', report.deprecatedImages, report.deprecatedImages.length);
    list('Deregistered', report.deregisteredImages, report.done.deregistered);
    list('Failed (kept)', report.failures, report.failed);
    list('Snapshots left', report.snapshotsLeft, report.snapshotsLeft.length);
  }
  lines.push('', `## Tag compliance (${report.compliance.count} issues)`, '');
  if (report.compliance.count === 0) lines.push('Every image of the pipeline carries its required tags and a consistent status.');
  for (const c of report.compliance.issues) lines.push(`- ${c.account} ${c.region} ${c.imageId}: ${c.issue}`);
  if (report.compliance.count > report.compliance.issues.length) lines.push(`- … and ${report.compliance.count - report.compliance.issues.length} more`);
  return `${lines.join('\n')}\n`;
}

/** A few lines for a person watching a run (the demo, the execution output): one per version, newest first. */
export function summaryLines(report: RetentionReport, max = 10): string[] {
  const lines = report.versions.slice(0, max).map((v) => {
    const counts = [
      v.kept && `${v.kept} kept`,
      v.deprecated && `${v.deprecated} ${report.dryRun ? 'to deprecate' : 'deprecated'}`,
      v.deregistered && `${v.deregistered} ${report.dryRun ? 'to deregister' : 'deregistered'}`,
    ].filter(Boolean);
    const why = v.keptBecause[0] ? ` — ${v.keptBecause[0]}${v.keptBecause.length + v.moreKept > 1 ? ` (+${v.keptBecause.length + v.moreKept - 1} more)` : ''}` : '';
    return `version ${v.version}${v.retired ? ' retired' : ''}: ${counts.join(', ')}${why}`;
  });
  if (report.versions.length > max) lines.push(`… and ${report.versions.length - max + report.olderVersions} older versions (report in the registry)`);
  for (const s of report.unreadableScopes) lines.push(`not read, every image there kept: ${s.account} ${s.region}: ${s.reason}`);
  return lines;
}
