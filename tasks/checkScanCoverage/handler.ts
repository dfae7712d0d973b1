import { checkScanCoverageEventSchema } from '../contracts';
import { taskHandler } from '../common/handler';
import { inspector2Client } from '../common/inspector2';
import { checkScanCoverage } from './checkScanCoverage';

export const handler = taskHandler('checkScanCoverage', checkScanCoverageEventSchema, (event) =>
  checkScanCoverage({ inspector2: inspector2Client() }, event),
);
