/**
 * In-process Lambda functions: handlers registered by function ARN, invoked with a Lambda-like context,
 * with Lambda's error shape (error = errorType = the thrown error's `name`; cause = the JSON document Lambda
 * returns: errorType, errorMessage, trace).
 */
import type { Context } from 'aws-lambda';
import type { Clock } from '../clock';
import type { Json } from './asl';
import { StatesError } from './errors';

export type LambdaHandler = (event: unknown, context: Context) => unknown;
/** Returns the handler (may import the module lazily, so a test pays only for what runs). */
export type HandlerLoader = () => LambdaHandler | Promise<LambdaHandler>;

interface Registered {
  arn: string;
  name: string;
  loader: HandlerLoader;
  handler?: Promise<LambdaHandler>;
}

export class LambdaRegistry {
  private readonly byArn = new Map<string, Registered>();
  private readonly byName = new Map<string, Registered>();

  /** Register `loader` for `functionArn` (arn:aws:lambda:<region>:<account>:function:<name>). */
  register(functionArn: string, loader: HandlerLoader): this {
    const name = functionName(functionArn);
    const entry: Registered = { arn: functionArn, name, loader };
    this.byArn.set(functionArn, entry);
    this.byName.set(name, entry);
    return this;
  }

  /** Register a handler function directly. */
  registerHandler(functionArn: string, handler: LambdaHandler): this {
    return this.register(functionArn, () => handler);
  }

  has(functionRef: string): boolean {
    return this.find(functionRef) !== undefined;
  }

  arns(): string[] {
    return [...this.byArn.keys()];
  }

  /**
   * Invoke a function by ARN, partial ARN or name (a `:$LATEST` or alias qualifier is ignored), as Lambda
   * would: the event is a fresh copy of `payload`, the result is copied back as JSON.
   */
  async invoke(functionRef: string, payload: Json, options: InvokeOptions): Promise<Json> {
    const entry = this.find(functionRef);
    if (!entry) {
      throw new StatesError(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${functionRef} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ${options.requestId}; Proxy: null)`,
      );
    }
    entry.handler ??= Promise.resolve(entry.loader());
    const handler = await options.clock.hold(entry.handler);
    const event: unknown = payload === undefined ? {} : JSON.parse(JSON.stringify(payload));
    const deadline = options.clock.now() + (options.timeoutSeconds ?? 900) * 1000;
    const context = lambdaContext(entry, options.requestId, () => deadline - options.clock.now());
    let result: unknown;
    try {
      result = await options.clock.hold(Promise.resolve().then(() => handler(event, context)));
    } catch (thrown) {
      throw lambdaError(thrown);
    }
    return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as Json);
  }

  private find(functionRef: string): Registered | undefined {
    const exact = this.byArn.get(functionRef);
    if (exact) return exact;
    const arn = /^(arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+)(:[^:]+)?$/.exec(functionRef);
    if (arn) return this.byArn.get(arn[1]) ?? this.byName.get(functionName(arn[1]));
    return this.byName.get(functionRef.split(':')[0]);
  }
}

export interface InvokeOptions {
  clock: Clock;
  requestId: string;
  timeoutSeconds?: number;
}

function functionName(arn: string): string {
  const parts = arn.split(':');
  return parts.length >= 7 ? parts[6] : arn;
}

function lambdaContext(entry: Registered, requestId: string, remaining: () => number): Context {
  const fail = () => {
    throw new Error('callback-style context methods are not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: entry.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: entry.arn,
    memoryLimitInMB: '128',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${entry.name}`,
    logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: remaining,
    done: fail,
    fail,
    succeed: fail,
  };
}

/** Lambda's function-error shape: errorType is the error's name (the constructor name for plain objects). */
function lambdaError(thrown: unknown): StatesError {
  let errorType = 'Error';
  let errorMessage = String(thrown);
  let trace: string[] = [];
  if (thrown instanceof Error) {
    errorType = thrown.name || 'Error';
    errorMessage = thrown.message;
    trace = (thrown.stack ?? '').split('\n');
  } else if (typeof thrown === 'string') {
    errorType = 'string';
  }
  return new StatesError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}
