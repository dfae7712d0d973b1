import { checkImageEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { checkImage } from './checkImage';

export const handler = taskHandler('checkImage', checkImageEventSchema, (event) => checkImage({ ec2: ec2Client() }, event));
