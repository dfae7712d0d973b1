/**
 * terminateInstances: end the builder or test instance (or, without ids, every live instance of the
 * execution). Idempotent: already terminated or long-gone instances are fine.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { terminateInstancesEventSchema, terminateInstancesResultSchema } from '../contracts';
import { findExecutionInstances, terminate } from '../common/instances';

export type TerminateInstancesEvent = z.output<typeof terminateInstancesEventSchema>;
export type TerminateInstancesResult = z.output<typeof terminateInstancesResultSchema>;

export async function terminateInstances(
  clients: { ec2: EC2Client },
  event: TerminateInstancesEvent,
): Promise<TerminateInstancesResult> {
  const ids = event.instanceIds ?? (await findExecutionInstances(clients.ec2, event.run.executionArn));
  return { terminated: await terminate(clients.ec2, ids) };
}
