/**
 * In-process Lambda functions: handlers registered by function ARN, invoked with a Lambda-like context,
 * with Lambda's error shape (error = errorType = the thrown error's `name`; cause = the JSON document Lambda
 * returns: errorType, errorMessage, trace).
 *
 * Each function has its configured timeout (the template's `Timeout`, Lambda's default 3 s): an invocation
 * still running when it expires fails as Lambda reports a timed-out function — error `Sandbox.Timedout`,
 * cause `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: <id> Error: Task timed out after 3.00 seconds"}`
 * — and the handler is frozen (its pending clock sleeps never return), as a killed sandbox would be.
 * A fault plan (`setFaultPlan`, see lambda-faults.ts) injects crashes, timeouts, service errors and
 * duplicate deliveries reproducibly.
 *
 * Time: an invocation runs as held work (`Clock.runHeld`) and is charged MODELED_INVOCATION_MS of simulated
 * time on clocks that model it (ScaledClock), whatever the machine's speed.
 */
import type { Context } from 'aws-lambda';
import type { Clock } from '../clock';
import type { Json } from './asl';
import { StatesError } from './errors';
import { LambdaFaults, lambdaServiceError, type InjectedLambdaFault, type LambdaFaultPlan } from './lambda-faults';

export type LambdaHandler = (event: unknown, context: Context) => unknown;
/** Returns the handler (may import the module lazily, so a test pays only for what runs). */
export type HandlerLoader = () => LambdaHandler | Promise<LambdaHandler>;

/** Lambda's default function timeout (seconds), used when a function is registered without one. */
export const DEFAULT_LAMBDA_TIMEOUT_SECONDS = 3;

/**
 * Simulated duration of one invocation on a ScaledClock. Assumption (no published typical figure): a warm
 * Node.js function that makes a few AWS API calls of tens of milliseconds each; Lambda bills in 1 ms steps.
 * The simulated AWS calls the handler makes cost no simulated time themselves (the clock is stopped while
 * they run), so this figure stands for the whole invocation.
 */
export const MODELED_INVOCATION_MS = 200;

interface Registered {
  arn: string;
  name: string;
  label?: string;
  timeoutSeconds: number;
  loader: HandlerLoader;
  handler?: Promise<LambdaHandler>;
  invocations: number;
}

export interface RegisterOptions {
  /** The task's label (`tasks/<label>/handler.ts`): fault rules may name it instead of the function. */
  label?: string;
  /** The function's configured timeout (template `Timeout`); default 3 s, Lambda's default. */
  timeoutSeconds?: number;
}

export class LambdaRegistry {
  private readonly byArn = new Map<string, Registered>();
  private readonly byName = new Map<string, Registered>();
  private faults?: LambdaFaults;
  /** What was injected so far, in order. */
  readonly injectedFaults: InjectedLambdaFault[] = [];

  /** Register `loader` for `functionArn` (arn:aws:lambda:<region>:<account>:function:<name>). */
  register(functionArn: string, loader: HandlerLoader, options: RegisterOptions = {}): this {
    const name = functionName(functionArn);
    const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_LAMBDA_TIMEOUT_SECONDS;
    if (!(timeoutSeconds > 0)) throw new RangeError(`the timeout of ${name} must be > 0 seconds, got ${timeoutSeconds}`);
    const entry: Registered = { arn: functionArn, name, label: options.label, timeoutSeconds, loader, invocations: 0 };
    this.byArn.set(functionArn, entry);
    this.byName.set(name, entry);
    return this;
  }

  /** Register a handler function directly. */
  registerHandler(functionArn: string, handler: LambdaHandler, options: RegisterOptions = {}): this {
    return this.register(functionArn, () => handler, options);
  }

  /** Use `plan` for the invocations from now on (undefined: no faults). Counters start afresh. */
  setFaultPlan(plan: LambdaFaultPlan | undefined): void {
    this.faults = plan ? new LambdaFaults(plan) : undefined;
  }

  has(functionRef: string): boolean {
    return this.find(functionRef) !== undefined;
  }

  arns(): string[] {
    return [...this.byArn.keys()];
  }

  /** The configured timeout of a function, in seconds. */
  timeoutOf(functionRef: string): number | undefined {
    return this.find(functionRef)?.timeoutSeconds;
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
    const invocation = ++entry.invocations;
    const drawn = this.faults?.draw(entry);
    if (drawn) {
      this.injectedFaults.push({ function: entry.name, ...(entry.label !== undefined && { label: entry.label }), kind: drawn.kind, invocation, requestId: options.requestId });
    }
    switch (drawn?.kind) {
      case 'error': {
        const { error, cause } = lambdaServiceError(drawn.rule.error ?? 'Lambda.ServiceException', drawn.rule.message, options.requestId);
        throw new StatesError(error, cause);
      }
      case 'crash-before':
        throw runtimeExit(options.requestId);
      case 'crash-after':
        await this.run(entry, payload, options);
        throw runtimeExit(options.requestId);
      case 'timeout-after':
        await this.run(entry, payload, options);
        await options.clock.sleep(entry.timeoutSeconds * 1000);
        throw timedOut(options.requestId, entry.timeoutSeconds);
      case 'double-invoke': {
        const [first] = await Promise.allSettled([this.run(entry, payload, options), this.run(entry, payload, options)]);
        if (first.status === 'rejected') throw first.reason;
        return first.value;
      }
      default:
        return this.run(entry, payload, options);
    }
  }

  /** One run of the handler, bounded by the function's timeout. */
  private async run(entry: Registered, payload: Json, options: InvokeOptions): Promise<Json> {
    const { clock, requestId } = options;
    entry.handler ??= Promise.resolve(entry.loader());
    const handler = await clock.hold(entry.handler);
    const event: unknown = payload === undefined ? {} : JSON.parse(JSON.stringify(payload));
    const timeoutMs = entry.timeoutSeconds * 1000;
    const deadline = clock.now() + timeoutMs;
    const context = lambdaContext(entry, requestId, () => Math.max(0, deadline - clock.now()));
    const held = clock.runHeld(() => handler(event, context), { modeledMs: MODELED_INVOCATION_MS });
    let cancelTimeout: (() => void) | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      cancelTimeout = clock.setTimer(timeoutMs, () => {
        held.kill();
        reject(timedOut(requestId, entry.timeoutSeconds));
      });
    });
    let result: unknown;
    try {
      result = await Promise.race([held.result, expired]);
    } catch (thrown) {
      if (thrown instanceof StatesError) throw thrown;
      throw lambdaError(thrown);
    } finally {
      cancelTimeout?.();
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
}

/**
 * A function that ran past its timeout, as Step Functions reports it from current Lambda runtimes: error
 * `Sandbox.Timedout`, cause Lambda's JSON error with "RequestId: <id> Error: Task timed out after N.00 seconds".
 */
export function timedOut(requestId: string, timeoutSeconds: number): StatesError {
  const errorType = 'Sandbox.Timedout';
  return new StatesError(errorType, JSON.stringify({ errorType, errorMessage: `RequestId: ${requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds` }));
}

/** A runtime process that exited (crash, out of memory, process.exit): Lambda's `Runtime.ExitError`. */
export function runtimeExit(requestId: string): StatesError {
  const errorType = 'Runtime.ExitError';
  return new StatesError(errorType, JSON.stringify({ errorType, errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: exit status 1` }));
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
