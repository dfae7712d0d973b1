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
 * CopyImage: a fixed part plus a part proportional to size. Assumption: AWS documents standard copies as best effort
 * with no figure (EC2 user guide, how-ami-copy-works / CopyingAMIs); first copies are full, later ones incremental,
 * which the simulation does not distinguish. (Time-based copies, not simulated, run at 500 MiB/s per snapshot:
 * EBS user guide, time-based-copies.)
 */
export const COPY_IMAGE_BASE_MS = 2 * 60_000;
/** Assumption (see COPY_IMAGE_BASE_MS). */
export const COPY_IMAGE_PER_GIB_CROSS_REGION_MS = 30_000;
/** Assumption (see COPY_IMAGE_BASE_MS). */
export const COPY_IMAGE_PER_GIB_SAME_REGION_MS = 10_000;
/**
 * Auto Scaling instance refresh, per instance replaced. Source for 300 s: the default health check grace period,
 * which instance refresh uses as warm-up when none is set (Auto Scaling API reference, RefreshPreferences
 * InstanceWarmup / CreateAutoScalingGroup HealthCheckGracePeriod). The extra minute for the launch is an assumption.
 */
export const INSTANCE_REFRESH_PER_INSTANCE_MS = 6 * 60_000;
/** CreateImage without NoReboot reboots the instance: its SSM agent is offline for about this long. Assumption. */
export const REBOOT_AGENT_OFFLINE_MS = 60_000;
