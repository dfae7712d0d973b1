import { prepareEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { registryClient } from '../common/registry';
import { ssmClient } from '../common/ssm';
import { prepare } from './prepare';

export const handler = taskHandler('prepare', prepareEventSchema, (event) =>
  prepare({ ec2: ec2Client(), ssm: ssmClient(), registry: registryClient() }, event),
);
