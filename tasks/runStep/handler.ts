import { runStepEventSchema } from '../contracts';
import { taskHandler } from '../common/handler';
import { registryClient } from '../common/registry';
import { ssmClient } from '../common/ssm';
import { runStep } from './runStep';

export const handler = taskHandler('runStep', runStepEventSchema, (event) => runStep({ ssm: ssmClient(), registry: registryClient() }, event));
