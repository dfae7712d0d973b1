/**
 * How long EC2 things take in the simulation, calibrated from public figures (see /work/shared/AWS-FACTS.md).
 * All durations are in milliseconds of the world's clock.
 */

/** pending → running: AWS shows 30-60 s for a typical Linux instance. */
export const INSTANCE_PENDING_MS = 45_000;
/**
 * running → SSM agent online: "30 s to several minutes" (6 min observed). Assumption: 60 s after running, when
 * the image has the agent and the instance profile grants AmazonSSMManagedInstanceCore.
 */
export const AGENT_ONLINE_AFTER_RUNNING_MS = 60_000;
/** stopping → stopped. */
export const INSTANCE_STOPPING_MS = 30_000;
/** shutting-down → terminated. */
export const INSTANCE_SHUTTING_DOWN_MS = 30_000;
/** A terminated instance stays visible in DescribeInstances for about an hour (EC2 user guide). */
export const TERMINATED_VISIBLE_MS = 60 * 60_000;
/** A launch that fails on KMS access: pending → terminated (Client.InternalError) after a few seconds. */
export const FAILED_LAUNCH_MS = 5_000;
/** CreateImage pending → available: ~9-10 min per snapshot of a first image (observed; AWS says "several minutes"). */
export const CREATE_IMAGE_PER_SNAPSHOT_MS = 9.5 * 60_000;
/** CopyImage: a fixed part plus a part proportional to size (first full copy to a region). */
export const COPY_IMAGE_BASE_MS = 2 * 60_000;
export const COPY_IMAGE_PER_GIB_CROSS_REGION_MS = 30_000;
export const COPY_IMAGE_PER_GIB_SAME_REGION_MS = 10_000;
/** Auto Scaling instance refresh: per instance replaced (warm-up default 300 s plus launch). */
export const INSTANCE_REFRESH_PER_INSTANCE_MS = 6 * 60_000;
/** CreateImage without NoReboot reboots the instance: its SSM agent is offline for about this long. Assumption. */
export const REBOOT_AGENT_OFFLINE_MS = 60_000;
