import { checkCopyEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { checkCopy } from './checkCopy';

export const handler = taskHandler('checkCopy', checkCopyEventSchema, (event) => checkCopy({ ec2: ec2Client(event.region) }, event));
