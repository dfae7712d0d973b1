import { cleanupEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { cleanup } from './cleanup';

export const handler = taskHandler('cleanup', cleanupEventSchema, (event) => cleanup({ ec2: ec2Client() }, event));
