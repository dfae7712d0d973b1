import { recordInventoryEventSchema } from '../contracts';
import { taskHandler } from '../common/handler';
import { registryClient } from '../common/registry';
import { ssmClient } from '../common/ssm';
import { recordInventory } from './recordInventory';

export const handler = taskHandler('recordInventory', recordInventoryEventSchema, (event) => recordInventory({ ssm: ssmClient(), registry: registryClient() }, event));
