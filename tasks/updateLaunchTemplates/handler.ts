import { updateLaunchTemplatesEventSchema } from '../contracts';
import { CrossAccountClients } from '../common/cross-account';
import { taskHandler } from '../common/handler';
import { registryClient } from '../common/registry';
import { ec2Client } from '../common/ec2';
import { updateLaunchTemplates } from './updateLaunchTemplates';

export const handler = taskHandler('updateLaunchTemplates', updateLaunchTemplatesEventSchema, (event) =>
  updateLaunchTemplates({ registry: registryClient(), targets: new CrossAccountClients(event.run), images: (region) => ec2Client(region) }, event),
);
