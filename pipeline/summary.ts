/** A few lines that say what a valid pipeline will do — the answer `gami validate` gives when all is well. */
import { SEVERITIES, type PipelineConfig } from './config';
import { nextRun } from './cron';
import { imageSpecSummaryLines } from './image-spec';
import type { LoadedPipeline } from './validate';

function baseImageText(config: PipelineConfig): string {
  const base = config.baseImage;
  if ('amiId' in base) return `image ${base.amiId}`;
  if ('ssmParameter' in base) return `the image in SSM parameter ${base.ssmParameter}`;
  return `the newest image of ${base.owner} named "${base.namePattern}"`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Stages the configuration describes but the state machine does not run yet (it ends after the scan gate).
 * `validate` lists their settings under "configured, not yet built" so the summary never promises them; a
 * test fails when a stage of this list appears in the workflow's stages (tasks/contracts.ts STAGES).
 */
export const NOT_YET_BUILT = ['Approval', 'Distribute', 'Share', 'Publish', 'UpdateLaunchTemplates', 'Retention'] as const;

export function summarizePipeline(pipeline: LoadedPipeline, now = new Date()): string[] {
  const c = pipeline.config;
  const lines: string[] = [];
  lines.push(
    `${c.name}: bakes ${baseImageText(c)} (${c.architecture}, ${c.instanceType}) in ${c.distribution.sourceRegion} ` +
      `with ${plural(pipeline.components.length, 'component')}: ${pipeline.components.map((x) => x.document.name).join(', ')}`,
  );
  lines.push(`  base images only from: ${c.baseImageTrust.allowedOwners.join(', ')}`);
  const gate = SEVERITIES.map((s) => `${s} ≤ ${c.scanGate.maxFindings[s] === 'unlimited' ? '∞' : c.scanGate.maxFindings[s]}`).join(', ');
  lines.push(
    `  scan gate: ${gate}; ${plural(c.scanGate.exceptions.length, 'exception')}; fails closed after ${c.scanGate.scanTimeoutMinutes} min without a scan`,
  );
  lines.push(...imageSpecSummaryLines(c));
  lines.push('  runs today: bake → test → scan gate; the image stays in the source region, unshared');
  if (c.schedule) {
    const next = c.schedule.enabled ? nextRun(c.schedule.cron, c.schedule.timeZone, now) : undefined;
    lines.push(
      `  schedule: ${c.schedule.cron} ${c.schedule.timeZone}${c.schedule.enabled ? '' : ' (disabled)'}${next ? `, next run ${next.toISOString()}` : ''}` +
        `${c.schedule.onlyWhenChanged ? '; skipped (and recorded) when neither the base image nor a component changed since the last approved image' : ''}` +
        `${c.schedule.disableAfterFailures ? `; disabled (and notified) after ${c.schedule.disableAfterFailures} consecutive failed runs` : ''}`,
    );
  }

  const later: string[] = [];
  later.push(
    c.approval.required
      ? `approval: ${c.approval.minApprovals} of ${c.approval.approvers.length} approvers within ${c.approval.timeoutHours} h`
      : 'approval: not required',
  );
  const targets = c.distribution.targetRegions.map((t) => t.region);
  later.push(
    targets.length
      ? `copies to ${targets.join(', ')} (${c.distribution.copyConcurrency} at a time${c.distribution.startBeforeApproval ? ', starting before approval' : ''})`
      : 'copies: none (stays in the source region)',
  );
  const shares = [
    ...(c.sharing.accounts.length ? [plural(c.sharing.accounts.length, 'account')] : []),
    ...(c.sharing.organizationArn ? ['the organization'] : []),
    ...(c.sharing.organizationalUnitArns.length ? [plural(c.sharing.organizationalUnitArns.length, 'OU')] : []),
  ];
  later.push(`shares with ${shares.length ? shares.join(', ') : 'no one'}; never public`);
  if (c.launchTemplates.length) {
    later.push(
      `updates ${plural(c.launchTemplates.length, 'launch template')}: ` +
        c.launchTemplates.map((t) => `${t.launchTemplateName ?? t.launchTemplateId} (${t.account}/${t.region})`).join(', '),
    );
  }
  if (c.publish) later.push(`publishes the image id to ${c.publish.ssmParameter}`);
  const r = c.retention;
  later.push(
    `retention: keeps the newest ${r.keepNewest}, deprecates after ${r.deprecateAfterDays} d, deregisters after ${r.deregisterAfterDays} d` +
      `${r.deleteSnapshots ? ' with snapshots' : ''}${r.dryRun ? ' (dry run)' : ''}`,
  );
  lines.push('  configured, not yet built (checked now, run by a later release):');
  for (const line of later) lines.push(`    ${line}`);
  return lines;
}
