/**
 * `arn:aws:states:::aws-sdk:<service>:<action>` integrations: the AWS SDK v3 command of that name, sent
 * through a client built by `createClient` from `tasks/clients.ts`, so whatever client plugin is registered
 * (the simulated cloud) answers, exactly as the handlers' own clients do.
 *
 * Error names follow "Learning to use AWS service SDK integrations in Step Functions": the error is
 * `<ServiceName>.<ErrorName>`, both PascalCase, with an `Exception` suffix even where the service's own error
 * name has none (S3 BucketAlreadyExists → `S3.BucketAlreadyExistsException`). Amazon EC2 is the exception
 * to the rule: its API models no exception types, so Step Functions reports every EC2 error as
 * `Ec2.Ec2Exception` and the EC2 error code only appears in the cause.
 */
import { createClient, type SdkClient } from '../../tasks/clients';
import type { Json } from './asl';
import { StatesError } from './errors';

export interface SdkCall {
  service: string;
  action: string;
  params: Json;
  region: string;
  account: string;
}

/** Answers one aws-sdk integration call with the API's result (PascalCase, as the SDK returns it). */
export type SdkInvoker = (call: SdkCall) => Promise<Json>;

/** Client configuration for one service in one region/account (credentials, endpoint, ...). */
export type ClientConfigProvider = (service: string, where: { region: string; account: string }) => Record<string, unknown>;

/** Step Functions' service name → the SDK v3 package, where the two differ. */
const PACKAGES: Record<string, string> = {
  autoscaling: 'auto-scaling',
  cloudwatchlogs: 'cloudwatch-logs',
  eventbridge: 'eventbridge',
  apigateway: 'api-gateway',
  secretsmanager: 'secrets-manager',
  elasticloadbalancingv2: 'elastic-load-balancing-v2',
};

/** PascalCase service names used in error names, where simple capitalisation is wrong. */
const PASCAL: Record<string, string> = {
  acmpca: 'AcmPca',
  autoscaling: 'AutoScaling',
  cloudwatch: 'CloudWatch',
  cloudwatchlogs: 'CloudWatchLogs',
  dynamodb: 'DynamoDb',
  eventbridge: 'EventBridge',
  secretsmanager: 'SecretsManager',
};

/** Services whose errors arrive as one generic `<Service>.<Service>Exception`. */
const UNMODELED_ERRORS = new Set(['ec2']);

export function servicePascalName(service: string): string {
  return PASCAL[service] ?? service.charAt(0).toUpperCase() + service.slice(1);
}

/** The Step Functions error name for an SDK error `name` raised by `service`. */
export function sdkErrorName(service: string, errorName: string): string {
  const pascal = servicePascalName(service);
  if (UNMODELED_ERRORS.has(service)) return `${pascal}.${pascal}Exception`;
  return `${pascal}.${errorName.endsWith('Exception') ? errorName : `${errorName}Exception`}`;
}

interface SdkModule {
  [exportName: string]: unknown;
}

type ClientClass = new (config: Record<string, unknown>) => SdkClient & { send(command: unknown): Promise<unknown>; destroy(): void };
type CommandClass = new (input: unknown) => unknown;

/** The default invoker: real SDK v3 clients from `createClient`, one per service/region/account. */
export function createSdkInvoker(clientConfig: ClientConfigProvider = defaultClientConfig): SdkInvoker {
  const clients = new Map<string, InstanceType<ClientClass>>();
  return async (call) => {
    const pascal = servicePascalName(call.service);
    let sdk: SdkModule;
    try {
      sdk = (await import(`@aws-sdk/client-${PACKAGES[call.service] ?? call.service}`)) as SdkModule;
    } catch {
      throw new StatesError('States.Runtime', `The AWS SDK integration for service "${call.service}" is not installed locally (@aws-sdk/client-${PACKAGES[call.service] ?? call.service})`);
    }
    const commandName = `${call.action.charAt(0).toUpperCase()}${call.action.slice(1)}Command`;
    const Command = sdk[commandName] as CommandClass | undefined;
    const clientName = Object.keys(sdk).find((k) => k.endsWith('Client') && k !== '__Client');
    if (typeof Command !== 'function' || !clientName) {
      throw new StatesError('States.Runtime', `The API action "${call.action}" of service "${call.service}" does not exist in the AWS SDK`);
    }
    const key = `${call.service}|${call.region}|${call.account}`;
    let client = clients.get(key);
    if (!client) {
      client = createClient(sdk[clientName] as ClientClass, { region: call.region, ...clientConfig(call.service, call) });
      clients.set(key, client);
    }
    try {
      const output = (await client.send(new Command(call.params))) as Record<string, unknown>;
      const { $metadata: _metadata, ...result } = output;
      return JSON.parse(JSON.stringify(result)) as Json;
    } catch (thrown) {
      const error = thrown as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
      const code = error.name ?? 'UnknownError';
      const status = error.$metadata?.httpStatusCode ?? 400;
      const requestId = error.$metadata?.requestId ?? 'local';
      throw new StatesError(
        sdkErrorName(call.service, code),
        `${error.message ?? code} (Service: ${pascal}, Status Code: ${status}, Error Code: ${code}, Request ID: ${requestId})`,
      );
    }
  };
}

function defaultClientConfig(): Record<string, unknown> {
  return { credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' }, maxAttempts: 3 };
}
