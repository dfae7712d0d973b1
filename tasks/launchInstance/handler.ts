import { launchInstanceEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { launchInstance } from './launchInstance';

export const handler = taskHandler('launchInstance', launchInstanceEventSchema, (event) => launchInstance({ ec2: ec2Client() }, event));
