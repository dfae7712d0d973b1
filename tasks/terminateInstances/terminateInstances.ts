/**
 * terminateInstances: end the builder or test instance (or, without ids, every live instance of the
 * execution). Idempotent: already terminated or long-gone instances are fine. Named ids are terminated only
 * when they carry this execution's tag: never another run's instance.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { terminateInstancesEventSchema, terminateInstancesResultSchema } from '../contracts';
import { findExecutionInstances, terminate } from '../common/instances';
import { logger } from '../common/powertools';
import { ownedByExecution } from '../common/ownership';

export type TerminateInstancesEvent = z.output<typeof terminateInstancesEventSchema>;
export type TerminateInstancesResult = z.output<typeof terminateInstancesResultSchema>;

export async function terminateInstances(
  clients: { ec2: EC2Client },
  event: TerminateInstancesEvent,
): Promise<TerminateInstancesResult> {
  const { executionArn } = event.run;
  let ids = event.instanceIds ?? (await findExecutionInstances(clients.ec2, executionArn));
  if (event.instanceIds && ids.length > 0) {
    const owned = await ownedByExecution(clients.ec2, ids, executionArn);
    const foreign = ids.filter((id) => !owned.has(id));
    if (foreign.length > 0) logger.warn('left instances alone that are not tagged with this execution', { instanceIds: foreign });
    ids = ids.filter((id) => owned.has(id));
  }
  return { terminated: await terminate(clients.ec2, ids) };
}
