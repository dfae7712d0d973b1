import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createClient } from '../clients';
import { parseTaskEnv } from '../common/env';
import { parseTaskEvent } from '../common/handler';
import { logger } from '../common/powertools';
import { snsClient } from '../common/sns';
import { executionStatusChangeSchema } from '../contracts';
import { watchSchedule } from './watch';

const sfn = createClient(SFNClient, {});
const scheduler = createClient(SchedulerClient, {});

/** Invoked by the stack's EventBridge rule when an execution ends FAILED, TIMED_OUT or ABORTED. */
export const handler = async (event: unknown) => {
  const change = parseTaskEvent('watchSchedule', executionStatusChangeSchema, event);
  const env = parseTaskEnv();
  if (!env.GAMI_PIPELINE || !env.GAMI_SCHEDULE_NAME || !env.GAMI_DISABLE_AFTER_FAILURES || !env.GAMI_TOPIC_ARN) {
    throw new Error('watchSchedule needs GAMI_PIPELINE, GAMI_SCHEDULE_NAME, GAMI_DISABLE_AFTER_FAILURES and GAMI_TOPIC_ARN');
  }
  const result = await watchSchedule({ sfn, scheduler, sns: snsClient() }, change, {
    pipeline: env.GAMI_PIPELINE,
    scheduleName: env.GAMI_SCHEDULE_NAME,
    disableAfterFailures: env.GAMI_DISABLE_AFTER_FAILURES,
    topicArn: env.GAMI_TOPIC_ARN,
  });
  logger.info('watched the schedule', { result });
  return result;
};
