/**
 * The client plugin that plugs AWS SDK v3 clients built by `createClient` into the simulated cloud.
 *
 * Per command: service = `client.config.serviceId`, operation = command name minus `Command`, region =
 * `await client.config.region()`, account = the account the credentials' access key belongs to (AssumeRole
 * hands out keys bound to the target account). The routing middleware sits at `finalizeRequest`, priority
 * `low` — after the SDK's retry middleware — so injected throttling and server errors are retried by the SDK
 * exactly as on AWS. DynamoDB is not simulated here: its requests go over loopback HTTP to dynalite (the
 * request's host is rewritten), held on the clock so a virtual clock does not jump during the call.
 *
 * Retries keep the SDK's policy (same attempts, same errors) but not its wall-clock back-off: the SDK waits
 * with a setTimeout no local clock controls, and a run on a virtual clock must not sleep. The wait a retry
 * would take on AWS (well under a second to a few seconds) is small beside the simulated durations around it.
 */
import type {
  FinalizeHandler,
  FinalizeHandlerArguments,
  FinalizeHandlerOutput,
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  Pluggable,
} from '@smithy/types';
import { registerClientPlugin, type ClientPlugin, type SdkClient } from '../../tasks/clients';
import { ServiceError, UnknownRegionError, UnsupportedOperationError } from './errors';
import { takeEc2Token } from './rate-limits';
import type { OperationContext } from './operations';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { findOperation, SERVICE_PREFIXES, type SimulatedServiceId } from './services/index';
import type { AccessKeyRecord, World } from './world';

export const CLOUD_PLUGIN_NAME = 'gami-simulated-cloud';

/**
 * Each client package, to rethrow errors as the package's own exception classes. Loaded when a service first
 * fails a call: a process that never uses a client (the CLI's quick commands) never pays for loading it.
 */
const CLIENT_PACKAGES: Record<SimulatedServiceId, string> = {
  EC2: '@aws-sdk/client-ec2',
  SSM: '@aws-sdk/client-ssm',
  Inspector2: '@aws-sdk/client-inspector2',
  SNS: '@aws-sdk/client-sns',
  STS: '@aws-sdk/client-sts',
  KMS: '@aws-sdk/client-kms',
  'Auto Scaling': '@aws-sdk/client-auto-scaling',
  'Secrets Manager': '@aws-sdk/client-secrets-manager',
  S3: '@aws-sdk/client-s3',
  Scheduler: '@aws-sdk/client-scheduler',
  CloudWatch: '@aws-sdk/client-cloudwatch',
};
const clientModules = new Map<SimulatedServiceId, Record<string, unknown>>();
function clientModule(service: SimulatedServiceId): Record<string, unknown> {
  let module = clientModules.get(service);
  if (!module) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see CLIENT_PACKAGES
    module = require(CLIENT_PACKAGES[service]) as Record<string, unknown>;
    clientModules.set(service, module);
  }
  return module;
}
const BASE_EXCEPTIONS: Record<SimulatedServiceId, string> = {
  EC2: 'EC2ServiceException',
  SSM: 'SSMServiceException',
  Inspector2: 'Inspector2ServiceException',
  SNS: 'SNSServiceException',
  STS: 'STSServiceException',
  KMS: 'KMSServiceException',
  'Auto Scaling': 'AutoScalingServiceException',
  'Secrets Manager': 'SecretsManagerServiceException',
  S3: 'S3ServiceException',
  Scheduler: 'SchedulerServiceException',
  CloudWatch: 'CloudWatchServiceException',
};

export interface CloudPluginOptions {
  /** `http://127.0.0.1:<port>` of dynalite; DynamoDB requests are sent there. */
  dynamodbEndpoint?: string;
}

type ExceptionClass = new (options: { name?: string; message: string; $fault?: string; $metadata: object }) => Error;

function isServiceId(value: string): value is SimulatedServiceId {
  return value in SERVICE_PREFIXES;
}

const queryCodeCache = new Map<SimulatedServiceId, Map<string, string>>();

/**
 * Wire error code → modeled exception name, from the client package's error schemas (`Xxx$` exports whose
 * traits carry `awsQueryError: [code, status]`, as query-protocol services such as SNS and Auto Scaling have).
 */
function queryErrorCodes(service: SimulatedServiceId): Map<string, string> {
  let codes = queryCodeCache.get(service);
  if (!codes) {
    codes = new Map();
    for (const [name, value] of Object.entries(clientModule(service))) {
      if (!name.endsWith('$') || !Array.isArray(value)) continue;
      const traits: unknown = value[3];
      const queryError = (traits as { awsQueryError?: unknown } | undefined)?.awsQueryError;
      if (Array.isArray(queryError) && typeof queryError[0] === 'string') codes.set(queryError[0], name.slice(0, -1));
    }
    queryCodeCache.set(service, codes);
  }
  return codes;
}

/** Rethrow a simulator error as the client's modeled exception (e.g. SSM `ParameterNotFound`) or its base class. */
function toSdkException(service: SimulatedServiceId, error: ServiceError, requestId: string): Error {
  const module = clientModule(service);
  const base = module[BASE_EXCEPTIONS[service]] as ExceptionClass;
  // Handlers throw the wire error code (as in the API reference); the SDK surfaces it as the modeled shape
  // whose code it is: SNS `ParameterValueInvalid` → InvalidParameterValueException, SSM `ParameterNotFound`.
  const modeledName = queryErrorCodes(service).get(error.name) ?? error.name;
  const modeled = [modeledName, `${error.name}Exception`, `${error.name}Fault`]
    .map((name) => module[name])
    .find((candidate) => typeof candidate === 'function' && candidate.prototype instanceof base);
  const $metadata = { ...error.$metadata, requestId };
  let exception: Error;
  if (modeled !== undefined) {
    exception = new (modeled as ExceptionClass)({ message: error.message, $metadata });
  } else {
    exception = new base({ name: error.name, message: error.message, $fault: error.$fault, $metadata });
  }
  // Modeled exceptions expose Message; EC2 errors a Code. Keep the service's extra fields too.
  Object.assign(exception, { Message: error.message, ...error.fields });
  if (service === 'EC2') Object.assign(exception, { Code: error.name });
  return exception;
}

/** The access key of the client's credentials (the SDK has already resolved them by this step). */
async function resolveAccessKey(client: SdkClient): Promise<string | undefined> {
  const provider = (client.config as { credentials?: unknown }).credentials;
  const credentials: unknown = typeof provider === 'function' ? await (provider as () => Promise<unknown>)() : provider;
  const accessKeyId = (credentials as { accessKeyId?: unknown } | undefined)?.accessKeyId;
  return typeof accessKeyId === 'string' ? accessKeyId : undefined;
}

async function resolveRegion(client: SdkClient): Promise<string> {
  const region = (client.config as { region?: unknown }).region;
  const value: unknown = typeof region === 'function' ? await (region as () => Promise<unknown>)() : region;
  if (typeof value !== 'string' || !value) throw new Error('simulated cloud: the client has no region');
  return value;
}

function authenticate(world: World, accessKeyId: string | undefined, service: string): AccessKeyRecord {
  const record = accessKeyId ? world.state.accessKeys[accessKeyId] : undefined;
  if (!record) {
    if (service === 'EC2') throw new ServiceError('AuthFailure', 'AWS was not able to validate the provided access credentials', { httpStatusCode: 401 });
    throw new ServiceError(service === 'STS' || service === 'SNS' || service === 'Auto Scaling' ? 'InvalidClientTokenId' : 'UnrecognizedClientException',
      'The security token included in the request is invalid.', { httpStatusCode: 403 });
  }
  if (record.expiresAt !== undefined && record.expiresAt <= world.clock.now()) {
    throw new ServiceError('ExpiredToken', 'The security token included in the request is expired', { httpStatusCode: 400 });
  }
  return record;
}

/** Run one command against the world (exported for the bench and for direct use without a client). */
export async function invokeOperation(
  world: World,
  service: string,
  operation: string,
  input: object,
  caller: { accessKeyId: string | undefined; region: string },
): Promise<object> {
  if (!isServiceId(service)) throw new UnsupportedOperationError(service, operation);
  const handler = findOperation(service, operation);
  if (!handler) throw new UnsupportedOperationError(service, operation);
  const prefixed = `${SERVICE_PREFIXES[service]}:${operation}`;
  if (!world.state.regions.includes(caller.region)) throw new UnknownRegionError(caller.region, world.state.regions);
  const credentials = authenticate(world, caller.accessKeyId, service);
  const scope = { accountId: credentials.accountId, region: caller.region };
  await world.settle();
  world.faults.check(prefixed, scope);
  if (service === 'EC2') takeEc2Token(world, credentials.accountId, caller.region, operation);
  // EC2's DryRun: permissions are not simulated, so a dry run always "would have succeeded".
  if (service === 'EC2' && (input as { DryRun?: boolean }).DryRun === true) {
    throw new ServiceError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', { httpStatusCode: 412 });
  }
  const ctx: OperationContext = {
    world,
    account: credentials.accountId,
    region: caller.region,
    clock: world.clock,
    callerArn: credentials.arn,
    credentials,
    faults: world.faults,
    scope,
    regionState: world.region(credentials.accountId, caller.region),
    operation: prefixed,
  };
  try {
    return await (handler as (ctx: OperationContext, input: object) => Promise<object>)(ctx, input);
  } finally {
    world.notifyChanged();
  }
}

function rewriteToEndpoint(args: FinalizeHandlerArguments<object>, endpoint: string): void {
  const request = args.request as { hostname?: string; port?: number; protocol?: string; path?: string; headers?: Record<string, string> };
  const url = new URL(endpoint);
  request.hostname = url.hostname;
  request.port = Number(url.port);
  request.protocol = url.protocol;
  if (request.headers) request.headers.host = url.host;
}

/** Keep the client's retry attempts, drop the wait between them (see the header). */
function makeRetriesImmediate(client: SdkClient): void {
  const config = client.config as { retryStrategy?: unknown; maxAttempts?: () => Promise<number> };
  const maxAttempts = config.maxAttempts;
  // The retry middleware reads config.retryStrategy at every request.
  if (typeof maxAttempts === 'function') config.retryStrategy = async () => new ConfiguredRetryStrategy(maxAttempts, 0);
}

/** The plugin for `registerClientPlugin`. */
export function cloudPlugin(world: World, options: CloudPluginOptions = {}): ClientPlugin {
  let requestCounter = 0;
  return {
    name: CLOUD_PLUGIN_NAME,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- every client's stack types differ
    pluggable(client: SdkClient): Pluggable<any, any> {
      const service = String((client.config as { serviceId?: unknown }).serviceId ?? '');
      makeRetriesImmediate(client);
      return {
        applyToStack: (stack) => {
          // Hold the whole call (retries and their back-off included) so a virtual clock does not jump mid-call.
          stack.add(
            (next: InitializeHandler<object, object>) => (args: InitializeHandlerArguments<object>) => world.clock.hold(next(args)),
            { step: 'initialize', priority: 'high', name: `${CLOUD_PLUGIN_NAME}-hold`, tags: [CLOUD_PLUGIN_NAME] },
          );
          stack.add(
            (next: FinalizeHandler<object, object>, context: HandlerExecutionContext) =>
              async (args: FinalizeHandlerArguments<object>): Promise<FinalizeHandlerOutput<object>> => {
                if (service === 'DynamoDB') {
                  if (!options.dynamodbEndpoint) throw new Error('simulated cloud: no DynamoDB endpoint (start dynalite first)');
                  rewriteToEndpoint(args, options.dynamodbEndpoint);
                  return next(args);
                }
                const operation = (context.commandName ?? '').replace(/Command$/, '');
                const requestId = `local-${(++requestCounter).toString(16).padStart(8, '0')}`;
                const [accessKeyId, region] = await Promise.all([resolveAccessKey(client), resolveRegion(client)]);
                try {
                  const output = await invokeOperation(world, service, operation, args.input, { accessKeyId, region });
                  return { output: { ...output, $metadata: { httpStatusCode: 200, requestId } }, response: {} };
                } catch (error) {
                  if (error instanceof ServiceError && isServiceId(service)) throw toSdkException(service, error, requestId);
                  throw error;
                }
              },
            { step: 'finalizeRequest', priority: 'low', name: CLOUD_PLUGIN_NAME, tags: [CLOUD_PLUGIN_NAME] },
          );
        },
      };
    },
  };
}

/** Register the plugin for every client `createClient` builds; returns the unregister function. */
export function installCloudPlugin(world: World, options: CloudPluginOptions = {}): () => void {
  return registerClientPlugin(cloudPlugin(world, options));
}
