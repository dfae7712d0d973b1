import { checkInstanceReadyEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { ssmClient } from '../common/ssm';
import { checkInstanceReady } from './checkInstanceReady';

export const handler = taskHandler('checkInstanceReady', checkInstanceReadyEventSchema, (event) =>
  checkInstanceReady({ ec2: ec2Client(), ssm: ssmClient() }, event),
);
