/**
 * The routing table of the simulated cloud: SDK serviceId → command name (without `Command`) → handler.
 * The client plugin (`local/cloud/plugin.ts`) looks every command up here; a missing entry fails loudly.
 *
 * To add a service module: import its operations object and spread it into its service below — one
 * import line and one spread per module, nothing else.
 */
import type { AnyOperation } from '../operations';
import { ec2Operations } from './ec2/index';
import { autoScalingOperations } from './autoscaling';
import { cloudWatchOperations } from './cloudwatch';
import { kmsOperations } from './kms';
import { s3Operations } from './s3';
import { schedulerOperations } from './scheduler';
import { snsOperations } from './sns';
import { ssmParameterOperations } from './ssm-parameters';
import { secretsManagerOperations } from './secrets-manager';
import { stsOperations } from './sts';
import { ssmCommandOperations } from '../ssm/commands';
import { ssmInventoryOperations } from '../ssm/inventory';
import { inspectorOperations } from '../inspector/service';

/** SDK `config.serviceId` of each simulated client → IAM action prefix (used in fault rules and messages). */
export const SERVICE_PREFIXES = {
  EC2: 'ec2',
  SSM: 'ssm',
  Inspector2: 'inspector2',
  SNS: 'sns',
  STS: 'sts',
  KMS: 'kms',
  'Auto Scaling': 'autoscaling',
  'Secrets Manager': 'secretsmanager',
  S3: 's3',
  Scheduler: 'scheduler',
  CloudWatch: 'cloudwatch',
} as const;

export type SimulatedServiceId = keyof typeof SERVICE_PREFIXES;

export type OperationTable = Record<string, AnyOperation>;

export const services: Record<SimulatedServiceId, OperationTable> = {
  EC2: { ...ec2Operations },
  SSM: { ...ssmParameterOperations, ...ssmCommandOperations, ...ssmInventoryOperations },
  Inspector2: { ...inspectorOperations },
  SNS: { ...snsOperations },
  STS: { ...stsOperations },
  KMS: { ...kmsOperations },
  'Auto Scaling': { ...autoScalingOperations },
  'Secrets Manager': { ...secretsManagerOperations },
  S3: { ...s3Operations },
  Scheduler: { ...schedulerOperations },
  CloudWatch: { ...cloudWatchOperations },
};

/** The handler for `service`/`operation`, if simulated. */
export function findOperation(service: string, operation: string): AnyOperation | undefined {
  const table = (services as Record<string, OperationTable | undefined>)[service];
  return table && Object.prototype.hasOwnProperty.call(table, operation) ? table[operation] : undefined;
}
