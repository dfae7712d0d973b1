import { retentionEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { registryClient } from '../common/registry';
import { defaultCollectDeps } from './collect';
import { retention } from './retention';

/** The retention task: plan, execute a batch, report, or record a failed Retention stage (tasks/retention/retention.ts). */
export const handler = taskHandler('retention', retentionEventSchema, (event) =>
  retention({ registry: registryClient(), collect: defaultCollectDeps(), execute: { ec2: (region) => ec2Client(region) } }, event),
);
