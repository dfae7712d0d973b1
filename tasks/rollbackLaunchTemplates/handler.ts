import { rollbackLaunchTemplatesEventSchema } from '../contracts';
import { CrossAccountClients } from '../common/cross-account';
import { taskHandler } from '../common/handler';
import { registryClient } from '../common/registry';
import { rollbackLaunchTemplates } from './rollbackLaunchTemplates';

export const handler = taskHandler('rollbackLaunchTemplates', rollbackLaunchTemplatesEventSchema, (event) =>
  rollbackLaunchTemplates({ registry: registryClient(), targets: new CrossAccountClients(event.run) }, event),
);
