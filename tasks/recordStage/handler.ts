import { recordStageEventSchema } from '../contracts';
import { taskHandler } from '../common/handler';
import { registryClient } from '../common/registry';
import { recordStage } from './recordStage';

export const handler = taskHandler('recordStage', recordStageEventSchema, (event) => recordStage({ registry: registryClient() }, event));
