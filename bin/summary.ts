/**
 * The final summary of `npm start`: where the run's image is (per region and account), who it is shared with,
 * the published parameters, launch template versions before → after, instance refreshes, and retention's
 * decisions. Pure: from the execution's output (the Succeeded state's summary) and the outputs of the states
 * the summary does not carry (Update Launch Templates, Plan Retention), collected from the history as it runs.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

type Output = Record<string, unknown>;

/** Outputs of states the run summary does not carry, taken from their StateExited events. */
export interface RunFacts {
  launchTemplates?: Output;
  retentionPlan?: Output;
}

const COLLECTED: Record<string, keyof RunFacts> = { 'Update Launch Templates': 'launchTemplates', 'Plan Retention': 'retentionPlan' };

const object = (value: unknown): Output => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Output) : {});
const list = (value: unknown): Output[] => (Array.isArray(value) ? value.map(object) : []);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string') : []);
const str = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '?');

/** Record the facts one history event holds (a state that failed into a Catch has {Error, Cause}: skipped). */
export function collectRunFacts(facts: RunFacts, event: HistoryEvent): void {
  const exited = event.stateExitedEventDetails;
  const key = exited?.name ? COLLECTED[exited.name] : undefined;
  if (!key || !exited?.output) return;
  try {
    const output = object(JSON.parse(exited.output));
    if (typeof output.Error !== 'string') facts[key] = output;
  } catch {
    // Not JSON: nothing to summarize.
  }
}

/** Retention's line for one version, cut to its main reason ("…: reason; reason; …" → the first). */
export function mainReason(line: string): string {
  const [head, why] = line.split(' — ');
  if (!why) return line;
  const more = / \(\+\d+ more\)$/.exec(why)?.[0] ?? '';
  return `${head} — ${why.replace(/ \(\+\d+ more\)$/, '').split('; ')[0]}${more}`;
}

export function runSummaryLines(summary: Output, facts: RunFacts): string[] {
  const lines: string[] = [];
  const images = list(summary.regionImages);
  if (images.length > 0) {
    lines.push('  images:');
    images.forEach((image, i) =>
      lines.push(`    ${str(image.accountId).padEnd(12)}  ${str(image.region).padEnd(14)}  ${str(image.imageId).padEnd(21)}  ${i === 0 ? 'source' : 'copy'}`),
    );
  }
  const shares = list(summary.shares);
  if (shares.length > 0) {
    const principals = new Set<string>();
    for (const share of shares) {
      const p = object(share.launchPermissions);
      for (const who of [...strings(p.accounts), ...strings(p.organizationArns), ...strings(p.organizationalUnitArns)]) principals.add(who);
    }
    const grants = shares.reduce((n, share) => n + list(share.kmsGrants).length, 0);
    lines.push(`  shared with ${[...principals].join(', ') || 'nobody'} in ${shares.map((s) => str(s.region)).join(', ')}; ${grants} KMS grant(s); never public`);
  }
  const parameters = list(summary.parameters);
  if (parameters.length > 0) {
    lines.push(`  published ${[...new Set(parameters.map((p) => str(p.name)))].join(', ')}:`);
    for (const account of [...new Set(parameters.map((p) => str(p.account)))]) {
      const mine = parameters.filter((p) => str(p.account) === account);
      lines.push(`    ${account.padEnd(12)}  ${mine.map((p) => `${str(p.region)} ${str(p.imageId)} (parameter version ${str(p.version)})`).join(', ')}`);
    }
  }
  const templates = list(facts.launchTemplates?.templates);
  const refreshes = list(facts.launchTemplates?.refreshes);
  if (templates.length > 0) {
    lines.push('  launch templates:');
    for (const t of templates) {
      lines.push(
        `    ${str(t.launchTemplateName)} (${str(t.account)}/${str(t.region)}): version ${str(t.previousDefaultVersion)} → ${str(t.newVersion)}` +
          `${t.defaultSet === true ? ' (default)' : ' (created; default left as it was)'}, image ${str(t.imageId)}`,
      );
    }
  }
  if (refreshes.length > 0) lines.push(`  instance refreshes: ${refreshes.map((r) => `${str(r.autoScalingGroupName)} (${str(r.account)}/${str(r.region)})`).join(', ')}`);
  const retention = object(summary.retention);
  if (typeof retention.error === 'string') {
    lines.push(`  retention FAILED: ${retention.error} (recorded and notified; the release stands)`);
  } else if (retention.done) {
    const done = object(retention.done);
    const planned = object(facts.retentionPlan?.planned);
    const plan = facts.retentionPlan
      ? `${str(facts.retentionPlan.images)} images — keep ${str(planned.kept)}, deprecate ${str(planned.deprecated)}, deregister ${str(planned.deregistered)}; `
      : '';
    lines.push(
      `  retention: ${plan}changed: deprecated ${str(done.deprecated)}, deregistered ${str(done.deregistered)} ` +
        `(${str(done.snapshotsDeleted)} snapshot(s) deleted, ${str(done.freedGiB)} GiB freed)${retention.dryRun === true ? ' — dry run, nothing changed' : ''}`,
    );
    for (const line of strings(retention.lines)) lines.push(`    ${mainReason(line)}`);
  }
  return lines;
}
