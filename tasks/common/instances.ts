/** Finding and terminating the instances of one execution; shared by terminateInstances and cleanup. */
import { paginateDescribeInstances, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { TAG } from '../../pipeline/tags';
import { hasErrorName } from './aws-errors';

/** Every state but `shutting-down` and `terminated`: those are already on their way out. */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** Ids of the instances tagged with `executionArn` that are not terminated or terminating. */
export async function findExecutionInstances(ec2: EC2Client, executionArn: string): Promise<string[]> {
  const ids: string[] = [];
  const pages = paginateDescribeInstances(
    { client: ec2, pageSize: 1000 },
    {
      Filters: [
        { Name: `tag:${TAG.execution}`, Values: [executionArn] },
        { Name: 'instance-state-name', Values: LIVE_STATES },
      ],
    },
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) if (instance.InstanceId) ids.push(instance.InstanceId);
    }
  }
  return ids;
}

/**
 * Terminate `instanceIds`, idempotently: terminating an already terminated instance succeeds on EC2, and an
 * instance EC2 no longer knows (terminated long ago) is skipped. Returns the ids EC2 acknowledged.
 */
export async function terminate(ec2: EC2Client, instanceIds: string[]): Promise<string[]> {
  if (instanceIds.length === 0) return [];
  try {
    const result = await ec2.send(new TerminateInstancesCommand({ InstanceIds: instanceIds }));
    return (result.TerminatingInstances ?? []).flatMap((change) => (change.InstanceId ? [change.InstanceId] : []));
  } catch (error) {
    if (!hasErrorName(error, 'InvalidInstanceID.NotFound')) throw error;
    if (instanceIds.length === 1) return [];
    // One unknown id fails the whole call: go one by one so the others still get terminated.
    const terminated: string[] = [];
    for (const id of instanceIds) terminated.push(...(await terminate(ec2, [id])));
    return terminated;
  }
}
