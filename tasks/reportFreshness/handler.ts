import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createClient } from '../clients';
import { parseTaskEnv } from '../common/env';
import { parseTaskEvent } from '../common/handler';
import { logger } from '../common/powertools';
import { registryClient } from '../common/registry';
import { scheduledEventSchema } from '../contracts';
import { reportFreshness } from './freshness';

const cloudwatch = createClient(CloudWatchClient, {});

/** Invoked hourly by the stack's scheduled rule (an EventBridge "Scheduled Event"; its `time` is now). */
export const handler = async (event: unknown) => {
  const scheduled = parseTaskEvent('reportFreshness', scheduledEventSchema, event);
  const env = parseTaskEnv();
  if (!env.GAMI_PIPELINE || !env.GAMI_REGISTRY_TABLE) throw new Error('reportFreshness needs GAMI_PIPELINE and GAMI_REGISTRY_TABLE');
  const result = await reportFreshness({ registry: registryClient(), cloudwatch }, { pipeline: env.GAMI_PIPELINE, registryTable: env.GAMI_REGISTRY_TABLE, now: new Date(scheduled.time) });
  logger.info('reported image freshness', { result });
  return result;
};
