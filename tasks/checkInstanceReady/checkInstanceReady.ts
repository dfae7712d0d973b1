/**
 * checkInstanceReady: one poll of an instance the workflow waits for. Ready = EC2 says running and SSM says
 * the agent is Online (only then can RunCommand reach it). An instance that stopped or terminated on its own
 * will never become ready: InstanceLaunchFailed with EC2's reason.
 */
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { z } from 'zod';
import type { checkInstanceReadyEventSchema, checkInstanceReadyResultSchema } from '../contracts';
import { hasErrorName } from '../common/aws-errors';
import { InstanceLaunchFailed, InstanceNotReady } from '../errors';

export type CheckInstanceReadyEvent = z.output<typeof checkInstanceReadyEventSchema>;
export type CheckInstanceReadyResult = z.output<typeof checkInstanceReadyResultSchema>;

const GONE = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/** Not ready yet: poll again, unless the workflow's deadline has passed. */
function notReady(event: CheckInstanceReadyEvent, result: CheckInstanceReadyResult): CheckInstanceReadyResult {
  if (event.deadline && Date.parse(event.run.now) >= Date.parse(event.deadline)) {
    const agent = result.pingStatus ? `SSM agent ${result.pingStatus}` : 'SSM agent not registered';
    throw new InstanceNotReady(
      `instance ${event.instanceId} was not ready by ${event.deadline} (EC2 state ${result.instanceState}, ${agent}): ` +
        'check that the image runs the SSM agent, the instance profile has AmazonSSMManagedInstanceCore, ' +
        'and the subnet reaches the SSM endpoints',
    );
  }
  return result;
}

export async function checkInstanceReady(
  clients: { ec2: EC2Client; ssm: SSMClient },
  event: CheckInstanceReadyEvent,
): Promise<CheckInstanceReadyResult> {
  const { instanceId } = event;
  let instance;
  try {
    const described = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    instance = described.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  } catch (error) {
    // EC2 is eventually consistent: right after RunInstances the id may not be visible yet.
    if (hasErrorName(error, 'InvalidInstanceID.NotFound')) return notReady(event, { ready: false, instanceState: 'unknown' });
    throw error;
  }
  if (!instance) return notReady(event, { ready: false, instanceState: 'unknown' });

  const state = instance.State?.Name ?? 'unknown';
  if (GONE.has(state)) {
    const reason = instance.StateReason?.Message ?? instance.StateTransitionReason ?? 'no reason given';
    throw new InstanceLaunchFailed(`instance ${instanceId} is ${state} before it became ready: ${reason}`);
  }
  if (state !== 'running') return notReady(event, { ready: false, instanceState: state });

  const information = await clients.ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }),
  );
  const pingStatus = information.InstanceInformationList?.find((i) => i.InstanceId === instanceId)?.PingStatus;
  const result = { ready: pingStatus === 'Online', instanceState: state, ...(pingStatus ? { pingStatus } : {}) };
  return result.ready ? result : notReady(event, result);
}
