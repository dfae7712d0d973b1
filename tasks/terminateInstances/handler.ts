import { terminateInstancesEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { terminateInstances } from './terminateInstances';

export const handler = taskHandler('terminateInstances', terminateInstancesEventSchema, (event) =>
  terminateInstances({ ec2: ec2Client() }, event),
);
