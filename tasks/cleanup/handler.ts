import { cleanupEventSchema, executionStatusChangeSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { parseTaskEnv } from '../common/env';
import { parseTaskEvent, taskHandler } from '../common/handler';
import { logger } from '../common/powertools';
import { registryClient } from '../common/registry';
import { snsClient } from '../common/sns';
import { CrossAccountClients } from '../common/cross-account';
import { publishClients } from '../publishImage/clients';
import { cleanup, cleanupAfterStatusChange } from './cleanup';

const stateMachineHandler = taskHandler('cleanup', cleanupEventSchema, (event) => cleanup({ ec2: ec2Client(), ec2In: ec2Client, registry: registryClient() }, event));

/**
 * Two callers: the state machine's failure path (one action per invocation), and the stack's EventBridge rule
 * for executions that ended ABORTED or TIMED_OUT (an "Execution Status Change" event: every action + notify).
 */
export const handler = async (event: unknown, context?: Parameters<typeof stateMachineHandler>[1]) => {
  if (typeof event !== 'object' || event === null || (event as { source?: unknown }).source !== 'aws.states') {
    return stateMachineHandler(event, context);
  }
  const statusChange = parseTaskEvent('cleanup', executionStatusChangeSchema, event);
  const env = parseTaskEnv();
  if (!env.GAMI_PIPELINE || !env.GAMI_REGISTRY_TABLE || !env.GAMI_TOPIC_ARN) {
    throw new Error('cleanup needs GAMI_PIPELINE, GAMI_REGISTRY_TABLE and GAMI_TOPIC_ARN to clean up after an execution status change');
  }
  const result = await cleanupAfterStatusChange(
    { ec2: ec2Client(), ec2In: ec2Client, registry: registryClient(), sns: snsClient(), targets: (run) => new CrossAccountClients(run), publish: publishClients },
    statusChange,
    {
      pipeline: env.GAMI_PIPELINE,
      registryTable: env.GAMI_REGISTRY_TABLE,
      topicArn: env.GAMI_TOPIC_ARN,
      copyRegions: env.GAMI_COPY_REGIONS ? env.GAMI_COPY_REGIONS.split(',') : [],
      publish: env.GAMI_PUBLISH,
    },
  );
  logger.info('cleaned up after an execution status change', { result });
  return result;
};
