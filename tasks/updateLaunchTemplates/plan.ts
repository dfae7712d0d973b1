/**
 * The pure parts of a launch template update: which image each target gets, the new version's description and
 * idempotency token, the refresh preferences, and when the refreshes must be done.
 */
import { createHash } from 'node:crypto';
import type { LaunchTemplateTarget, RegionImage, RunContext } from '../contracts';
import { LaunchTemplateUpdateFailed } from '../errors';
import { templateLabel } from '../common/template-changes';

/** The run's image in the target's region; a target in a region the run has no image in is refused by name. */
export function imageForTarget(target: LaunchTemplateTarget, regionImages: readonly RegionImage[]): RegionImage {
  const image = regionImages.find((r) => r.region === target.region);
  if (!image) {
    throw new LaunchTemplateUpdateFailed(
      `${templateLabel(target)}: the run has no image in ${target.region} (images in ${regionImages.map((r) => r.region).join(', ')}); ` +
        'add the region to distribution.targetRegions or move the launch template',
    );
  }
  return image;
}

/** The new version's description (at most 255 characters): pipeline, version and execution, for whoever reads the template. */
export function versionDescription(run: RunContext, version: number): string {
  return `golden-ami-pipeline ${run.pipeline} version ${version}, execution ${run.executionName}`.slice(0, 255);
}

/** CreateLaunchTemplateVersion's ClientToken: the same for every retry of this run on this template (≤ 64 characters). */
export function versionClientToken(run: RunContext, launchTemplateId: string): string {
  return createHash('sha256').update(`${run.executionArn}\n${launchTemplateId}`).digest('hex').slice(0, 64);
}

/** StartInstanceRefresh's preferences from the target's configuration. */
export function refreshPreferences(target: LaunchTemplateTarget): { MinHealthyPercentage: number; SkipMatching: boolean } {
  return { MinHealthyPercentage: target.minHealthyPercentage, SkipMatching: target.skipMatching };
}

/** When the refreshes must have finished: the longest refreshTimeoutMinutes of a target with groups, from `now`. */
export function refreshDeadline(now: string, targets: readonly LaunchTemplateTarget[]): string {
  const minutes = Math.max(0, ...targets.filter((t) => t.autoScalingGroups.length > 0).map((t) => t.refreshTimeoutMinutes));
  return new Date(new Date(now).getTime() + minutes * 60_000).toISOString();
}
