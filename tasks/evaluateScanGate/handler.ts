import { evaluateScanGateEventSchema } from '../contracts';
import { taskHandler } from '../common/handler';
import { inspector2Client } from '../common/inspector2';
import { registryClient } from '../common/registry';
import { evaluateImageScan } from './evaluateScanGate';

export const handler = taskHandler('evaluateScanGate', evaluateScanGateEventSchema, (event) =>
  evaluateImageScan({ inspector2: inspector2Client(), registry: registryClient() }, event),
);
