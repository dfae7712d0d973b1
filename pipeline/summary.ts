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
 * Stages the configuration describes but the state machine does not run yet: none any more. Should a stage be
 * configured before it is built again, list it here and have `validate` say so, so the summary never promises it;
 * a test fails when a stage of this list appears in the workflow's stages (tasks/contracts.ts STAGES).
 */
export const NOT_YET_BUILT: readonly string[] = [];

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
  const targets = c.distribution.targetRegions.map((t) => t.region);
  const distribution = [
    targets.length
      ? `copies to ${targets.join(', ')} (${c.distribution.copyConcurrency} at a time${c.distribution.startBeforeApproval ? ', starting before approval' : ''}` +
        `${c.distribution.copyCompletionMinutes ? `, each within ${c.distribution.copyCompletionMinutes} min` : ''})`
      : 'copies: none (stays in the source region)',
  ];
  const shares = [
    ...(c.sharing.accounts.length ? [plural(c.sharing.accounts.length, 'account')] : []),
    ...(c.sharing.organizationArn ? ['the organization'] : []),
    ...(c.sharing.organizationalUnitArns.length ? [plural(c.sharing.organizationalUnitArns.length, 'OU')] : []),
  ];
  distribution.push(`shares with ${shares.length ? shares.join(', ') : 'no one'}${c.sharing.snapshotPermissions ? ' (snapshots too)' : ''}; never public`);
  if (c.publish) {
    const accounts = c.publish.accounts.length ? ` and in ${plural(c.publish.accounts.length, 'consumer account')}` : '';
    distribution.push(`publishes the image id to ${c.publish.ssmParameter} in every region${accounts}`);
  }
  if (c.launchTemplates.length) {
    distribution.push(
      `updates ${plural(c.launchTemplates.length, 'launch template')}, all or nothing (rolled back on any failure): ` +
        c.launchTemplates
          .map(
            (t) =>
              `${t.launchTemplateName ?? t.launchTemplateId} (${t.account}/${t.region}${t.autoScalingGroups.length ? `; refreshes ${t.autoScalingGroups.join(', ')} at ≥ ${t.minHealthyPercentage} % healthy` : ''})`,
          )
          .join(', '),
    );
  }
  distribution.push(`marks the image and its copies approved: watermarked ${c.name}, protected from deregistration, tagged gami:status=approved`);

  lines.push(
    c.approval.required
      ? `  approval: ${c.approval.minApprovals} of ${c.approval.approvers.length} approvers (${c.approval.approvers.join(', ')}) within ${c.approval.timeoutHours} h, each by a personal signed link; one rejection rejects`
      : '  approval: not required (recorded as such)',
  );
  lines.push(`  runs today: bake → test → scan gate → approval → distribute → share → publish → launch templates → retention:`);
  for (const line of distribution) lines.push(`    ${line}`);
  const r = c.retention;
  const regions = [c.distribution.sourceRegion, ...c.distribution.targetRegions.map((t) => t.region)];
  const consumers = new Set([...c.sharing.accounts, ...c.launchTemplates.map((t) => t.account)]);
  lines.push(
    `    retention: keeps the newest ${r.keepNewest}, deprecates after ${r.deprecateAfterDays} d, deregisters after ${r.deregisterAfterDays} d` +
      `${r.deleteSnapshots ? ' with snapshots' : ''}${r.dryRun ? ' (dry run)' : ''}; never an image in use in ${regions.join(', ')}` +
      `${consumers.size ? ` or ${plural(consumers.size, 'consumer account')}` : ''}; sweep ${r.sweepEnabled ? r.sweepSchedule : 'disabled'}`,
  );

  if (c.schedule) {
    const next = c.schedule.enabled ? nextRun(c.schedule.cron, c.schedule.timeZone, now) : undefined;
    lines.push(
      `  schedule: ${c.schedule.cron} ${c.schedule.timeZone}${c.schedule.enabled ? '' : ' (disabled)'}${next ? `, next run ${next.toISOString()}` : ''}` +
        `${c.schedule.onlyWhenChanged ? '; skipped (and recorded) when neither the base image nor a component changed since the last approved image' : ''}` +
        `${c.schedule.disableAfterFailures ? `; disabled (and notified) after ${c.schedule.disableAfterFailures} consecutive failed runs` : ''}`,
    );
  }

  return lines;
}
