import { checkInstanceRefreshesEventSchema } from '../contracts';
import { CrossAccountClients } from '../common/cross-account';
import { taskHandler } from '../common/handler';
import { checkInstanceRefreshes } from './checkInstanceRefreshes';

export const handler = taskHandler('checkInstanceRefreshes', checkInstanceRefreshesEventSchema, (event) =>
  checkInstanceRefreshes({ targets: new CrossAccountClients(event.run) }, event),
);
