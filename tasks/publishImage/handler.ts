import { publishImageEventSchema } from '../contracts';
import { taskHandler } from '../common/handler';
import { publishClients } from './clients';
import { publishImage } from './publishImage';

export const handler = taskHandler('publishImage', publishImageEventSchema, (event) => publishImage(publishClients(), event));
