import { checkStepEventSchema } from '../contracts';
import { taskHandler } from '../common/handler';
import { ssmClient } from '../common/ssm';
import { checkStep } from './checkStep';

export const handler = taskHandler('checkStep', checkStepEventSchema, (event) => checkStep({ ssm: ssmClient() }, event));
