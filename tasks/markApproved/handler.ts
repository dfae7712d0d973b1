import { markApprovedEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { markApproved } from './markApproved';

export const handler = taskHandler('markApproved', markApprovedEventSchema, (event) => markApproved({ ec2: ec2Client }, event));
