/**
 * checkInstanceRefreshes: the state of every instance refresh the run started (DescribeInstanceRefreshes through
 * each account's role). done when all succeeded; LaunchTemplateUpdateFailed when one failed, was cancelled or
 * rolled back, or when `run.now` has reached the deadline with one still running — the state machine then rolls
 * everything back. The verdict is `judgeRefreshes`, a pure function.
 */
import { DescribeInstanceRefreshesCommand } from '@aws-sdk/client-auto-scaling';
import type { z } from 'zod';
import type { checkInstanceRefreshesEventSchema, checkInstanceRefreshesResultSchema, RefreshRef } from '../contracts';
import { LaunchTemplateUpdateFailed } from '../errors';
import type { CrossAccountClients } from '../common/cross-account';
import { onTarget } from '../common/target-errors';

export type CheckInstanceRefreshesEvent = z.output<typeof checkInstanceRefreshesEventSchema>;
export type CheckInstanceRefreshesResult = z.output<typeof checkInstanceRefreshesResultSchema>;

export interface RefreshState {
  ref: RefreshRef;
  status: string;
  percentageComplete?: number;
  statusReason?: string;
}

/** Statuses an instance refresh ends in without having rolled out the new version. */
const UNSUCCESSFUL = new Set(['Failed', 'Cancelling', 'Cancelled', 'RollbackInProgress', 'RollbackFailed', 'RollbackSuccessful']);

const groupLabel = (r: RefreshRef) => `${r.autoScalingGroupName} (${r.account}/${r.region})`;

/** done, or a LaunchTemplateUpdateFailed naming every refresh that failed (or is late at the deadline). */
export function judgeRefreshes(states: readonly RefreshState[], now: string, deadline: string): { done: boolean } {
  const failed = states.filter((s) => UNSUCCESSFUL.has(s.status));
  if (failed.length > 0) {
    throw new LaunchTemplateUpdateFailed(
      `instance refresh ${failed
        .map((s) => `${s.ref.instanceRefreshId} of ${groupLabel(s.ref)} ended ${s.status}${s.statusReason ? ` (${s.statusReason})` : ''}`)
        .join('; ')}`,
    );
  }
  const running = states.filter((s) => s.status !== 'Successful');
  if (running.length === 0) return { done: true };
  if (new Date(now).getTime() >= new Date(deadline).getTime()) {
    throw new LaunchTemplateUpdateFailed(
      `instance refresh not finished by ${deadline}: ${running
        .map((s) => `${groupLabel(s.ref)} ${s.status}${s.percentageComplete !== undefined ? ` at ${s.percentageComplete} %` : ''}`)
        .join('; ')}`,
    );
  }
  return { done: false };
}

export async function checkInstanceRefreshes(clients: { targets: CrossAccountClients }, event: CheckInstanceRefreshesEvent): Promise<CheckInstanceRefreshesResult> {
  const states: RefreshState[] = [];
  for (const ref of event.refreshes) {
    const { autoScaling } = clients.targets.for(ref);
    const out = await onTarget(groupLabel(ref), 'DescribeInstanceRefreshes', () =>
      autoScaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: ref.autoScalingGroupName, InstanceRefreshIds: [ref.instanceRefreshId] })),
    );
    const refresh = out.InstanceRefreshes?.find((r) => r.InstanceRefreshId === ref.instanceRefreshId);
    if (!refresh?.Status) throw new LaunchTemplateUpdateFailed(`${groupLabel(ref)}: instance refresh ${ref.instanceRefreshId} is not known to Auto Scaling`);
    states.push({ ref, status: refresh.Status, percentageComplete: refresh.PercentageComplete, statusReason: refresh.StatusReason });
  }
  const { done } = judgeRefreshes(states, event.run.now, event.deadline);
  return {
    done,
    refreshes: states.map((s) => ({
      autoScalingGroupName: s.ref.autoScalingGroupName,
      account: s.ref.account,
      region: s.ref.region,
      status: s.status,
      percentageComplete: s.percentageComplete,
    })),
  };
}
