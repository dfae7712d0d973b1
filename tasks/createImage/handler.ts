import { createImageEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { createImage } from './createImage';

export const handler = taskHandler('createImage', createImageEventSchema, (event) => createImage({ ec2: ec2Client() }, event));
