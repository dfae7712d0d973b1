import { shareImageEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { kmsClient } from '../common/kms';
import { shareImage } from './shareImage';

export const handler = taskHandler('shareImage', shareImageEventSchema, (event) =>
  shareImage({ ec2: ec2Client(event.image.region), kms: kmsClient(event.image.region) }, event),
);
