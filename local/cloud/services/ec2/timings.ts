/**
 * How long EC2 things take in the simulation. All durations are in milliseconds of the world's clock.
 *
 * Every figure says where it comes from: a public source (AWS documentation or a public issue thread, named), or
 * "Assumption" when AWS publishes no figure — then the value is a plausible default chosen here, and tests must not
 * treat it as AWS's behaviour.
 */

/** pending → running. Assumption: AWS publishes no launch time; 45 s is a typical small Linux instance. */
export const INSTANCE_PENDING_MS = 45_000;
/**
 * running → SSM agent online. Source: "30 s to several minutes" after boot, 6 min observed (DataDog/stratus-red-team#108).
 * Assumption within that range: 60 s, when the image has the agent and the instance profile grants
 * AmazonSSMManagedInstanceCore.
 */
export const AGENT_ONLINE_AFTER_RUNNING_MS = 60_000;
/** stopping → stopped. Assumption (no published figure). */
export const INSTANCE_STOPPING_MS = 30_000;
/** shutting-down → terminated. Assumption (no published figure). */
export const INSTANCE_SHUTTING_DOWN_MS = 30_000;
/**
 * How long a terminated instance stays visible in DescribeInstances. Source: DescribeInstances API reference
 * ("Recently terminated instances might appear in the returned results. This interval is usually less than one
 * hour."); the simulation takes the hour.
 */
export const TERMINATED_VISIBLE_MS = 60 * 60_000;
/**
 * A launch that fails on its KMS key (or the `ec2.instanceFailsToStart` fault): pending → terminated. Assumption
 * for the time; the state reasons are EC2's (see instances.ts).
 */
export const FAILED_LAUNCH_MS = 5_000;
/**
 * CreateImage pending → available, per snapshot. Source: EC2 user guide (creating-an-ami-ebs: "several minutes …
 * sometimes up to 24 hours"), and ~9-10 min per snapshot observed for first snapshots (re:Post
 * ebs-snapshot-ec2-ami-creation-slow; supabase/postgres PR #2457). 9.5 min is the middle of the observation.
 */
export const CREATE_IMAGE_PER_SNAPSHOT_MS = 9.5 * 60_000;
/**
 * CopyImage (standard copy): a fixed part plus a part proportional to the data copied. AWS documents standard copies
 * as best effort with no figure (EC2 user guide, how-ami-copy-works / CopyingAMIs), so the rates are assumptions;
 * what the simulation takes from the documentation is the shape: the first copy into a destination region (or under
 * a new KMS key there) copies every block, later copies of the same lineage only the changed blocks (how-ami-copy-works:
 * "incremental"). The minute and the per-GiB figures are assumptions.
 */
export const COPY_IMAGE_BASE_MS = 2 * 60_000;
/** Assumption (see COPY_IMAGE_BASE_MS): ~34 MiB/s across regions. */
export const COPY_IMAGE_PER_GIB_CROSS_REGION_MS = 30_000;
/** Assumption (see COPY_IMAGE_BASE_MS). */
export const COPY_IMAGE_PER_GIB_SAME_REGION_MS = 10_000;
/**
 * Share of the blocks an incremental copy transfers. Assumption: AWS publishes no figure; a weekly rebuild of a
 * patched base changes a fraction of the volume (package updates, logs cleaned), taken here as a quarter.
 */
export const INCREMENTAL_COPY_FRACTION = 0.25;
/**
 * Time-based copy (SnapshotCopyCompletionDurationMinutes): completes within the requested duration (15 min-48 h,
 * 15-minute steps), each snapshot copied at up to 500 MiB/s. Source: EBS user guide, time-based-copies. The
 * simulation completes it at the snapshots' copy time at that rate (largest snapshot), never later than requested.
 */
export const TIME_BASED_COPY_MIB_PER_SECOND = 500;

/** How long a CopyImage takes in the simulation (see the figures above). */
export function copyImageMs(options: { snapshotGiB: number[]; crossRegion: boolean; incremental: boolean; completionMinutes?: number }): number {
  const totalGiB = options.snapshotGiB.reduce((sum, size) => sum + size, 0) * (options.incremental ? INCREMENTAL_COPY_FRACTION : 1);
  if (options.completionMinutes !== undefined) {
    const largest = Math.max(0, ...options.snapshotGiB) * (options.incremental ? INCREMENTAL_COPY_FRACTION : 1);
    const atRate = ((largest * 1024) / TIME_BASED_COPY_MIB_PER_SECOND) * 1000;
    return Math.min(options.completionMinutes * 60_000, Math.max(60_000, atRate));
  }
  const perGiB = options.crossRegion ? COPY_IMAGE_PER_GIB_CROSS_REGION_MS : COPY_IMAGE_PER_GIB_SAME_REGION_MS;
  return COPY_IMAGE_BASE_MS + perGiB * totalGiB;
}
/**
 * Auto Scaling instance refresh, per instance replaced. Source for 300 s: the default health check grace period,
 * which instance refresh uses as warm-up when none is set (Auto Scaling API reference, RefreshPreferences
 * InstanceWarmup / CreateAutoScalingGroup HealthCheckGracePeriod). The extra minute for the launch is an assumption.
 */
export const INSTANCE_REFRESH_PER_INSTANCE_MS = 6 * 60_000;
/** CreateImage without NoReboot reboots the instance: its SSM agent is offline for about this long. Assumption. */
export const REBOOT_AGENT_OFFLINE_MS = 60_000;
