import { copyImageEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { copyImage } from './copyImage';

export const handler = taskHandler('copyImage', copyImageEventSchema, (event) => copyImage({ ec2: ec2Client(event.region) }, event));
