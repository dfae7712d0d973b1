/**
 * Lambda fault plan: reproducible failures injected into the engine's Lambda registry, beside the simulated
 * cloud's fault plan (`local/cloud/faults.ts`). Each kind reproduces what Step Functions sees on AWS:
 *
 * - `crash-before`: the runtime exits before the handler runs (`Runtime.ExitError`);
 * - `crash-after`: the handler runs to completion (its side effects happen), then the runtime exits and the
 *   result is lost (`Runtime.ExitError`);
 * - `timeout-after`: the handler runs to completion, then the invocation is charged the function's whole
 *   timeout and fails as timed out (`Sandbox.Timedout`);
 * - `error`: the Lambda service refuses the invocation before the handler runs (`Lambda.ServiceException`,
 *   `Lambda.TooManyRequestsException`, ...);
 * - `double-invoke`: at-least-once delivery — the handler runs twice concurrently with the same event; the
 *   first result is returned.
 *
 * A rule matches a function by name or by label (the task directory, `tasks/<label>/handler.ts`). It counts
 * its matching invocations; those from `from` (1-based) for `count` invocations are candidates, and each
 * candidate is faulted with `probability`, drawn from the plan's seeded random source. The first rule (in
 * order) that fires decides the fault. The same seed and the same sequence of invocations give the same faults.
 */
import { seededRandom, type RandomSource } from './random';

export type LambdaFaultKind = 'crash-before' | 'crash-after' | 'timeout-after' | 'error' | 'double-invoke';

export interface LambdaFaultRule {
  /** Matches a function by its name, or by its label (the task name: `tasks/<label>/handler.ts`), exactly. */
  function: string;
  kind: LambdaFaultKind;
  /** For 'error': the error name the invocation fails with (default 'Lambda.ServiceException'), and message. */
  error?: string;
  message?: string;
  /** Only the Nth matching invocation onwards (1-based, default 1) ... */
  from?: number;
  /** ... for this many invocations (default: unlimited). */
  count?: number;
  /** Each candidate invocation is faulted with this probability (default 1), drawn from the plan's seeded random source. */
  probability?: number;
}

export interface LambdaFaultPlan {
  seed?: number | string;
  rules: LambdaFaultRule[];
}

export interface InjectedLambdaFault {
  function: string;
  label?: string;
  kind: LambdaFaultKind;
  /** The function's invocation number through this registry (1-based) that was faulted. */
  invocation: number;
  requestId: string;
}

/** The fault one invocation gets. */
export interface DrawnFault {
  rule: LambdaFaultRule;
  kind: LambdaFaultKind;
}

/** A plan in use: per-rule counters and the seeded random source. */
export class LambdaFaults {
  private readonly matched: number[];
  private readonly random: RandomSource;

  constructor(readonly plan: LambdaFaultPlan) {
    for (const rule of plan.rules) validateRule(rule);
    this.matched = plan.rules.map(() => 0);
    this.random = seededRandom(plan.seed ?? 0);
  }

  /** Count this invocation against every rule matching the function; return the fault to inject, if any. */
  draw(fn: { name: string; label?: string }): DrawnFault | undefined {
    let drawn: DrawnFault | undefined;
    for (const [i, rule] of this.plan.rules.entries()) {
      if (rule.function !== fn.name && rule.function !== fn.label) continue;
      const n = ++this.matched[i];
      if (drawn) continue;
      const from = rule.from ?? 1;
      if (n < from || (rule.count !== undefined && n >= from + rule.count)) continue;
      const probability = rule.probability ?? 1;
      if (probability < 1 && this.random() >= probability) continue;
      drawn = { rule, kind: rule.kind };
    }
    return drawn;
  }
}

const KINDS: readonly LambdaFaultKind[] = ['crash-before', 'crash-after', 'timeout-after', 'error', 'double-invoke'];

function validateRule(rule: LambdaFaultRule): void {
  if (typeof rule.function !== 'string' || rule.function === '') throw new RangeError('a Lambda fault rule needs a function name or label');
  if (!KINDS.includes(rule.kind)) throw new RangeError(`unknown Lambda fault kind "${String(rule.kind)}" (one of ${KINDS.join(', ')})`);
  if (rule.from !== undefined && !(Number.isInteger(rule.from) && rule.from >= 1)) throw new RangeError(`"from" must be an integer >= 1, got ${rule.from}`);
  if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count >= 0)) throw new RangeError(`"count" must be an integer >= 0, got ${rule.count}`);
  if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) throw new RangeError(`"probability" must be within 0..1, got ${rule.probability}`);
}

/** Lambda service errors as Step Functions reports them: status code and message of each. */
const SERVICE_ERRORS: Record<string, { status: number; message: string }> = {
  // Recorded: "Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; ...; Proxy: null)".
  TooManyRequestsException: { status: 429, message: 'Rate Exceeded.' },
  // Assumption (no public recording of the message): Lambda's 500 ServiceException.
  ServiceException: { status: 500, message: 'Lambda encountered an internal error.' },
  AWSLambdaException: { status: 500, message: 'Lambda encountered an internal error.' },
  ResourceNotReadyException: { status: 502, message: 'The function is not ready.' },
  EC2ThrottledException: { status: 502, message: 'Lambda was throttled by Amazon EC2 during Lambda function initialization.' },
};

/**
 * The error and cause of an injected Lambda service error, in the shape Step Functions writes for the Lambda
 * client's exceptions: `<message> (Service: AWSLambda; Status Code: <n>; Error Code: <code>; Request ID: <id>; Proxy: null)`.
 * `Lambda.SdkClientException` and `Lambda.ClientExecutionTimeoutException` are raised by the client itself and
 * carry only the message.
 */
export function lambdaServiceError(errorName: string, message: string | undefined, requestId: string): { error: string; cause: string } {
  const error = errorName.includes('.') ? errorName : `Lambda.${errorName}`;
  const code = error.slice(error.indexOf('.') + 1);
  if (code === 'SdkClientException') return { error, cause: message ?? 'Unable to execute HTTP request: Connection reset' };
  if (code === 'ClientExecutionTimeoutException') {
    return { error, cause: message ?? 'Client execution did not complete before the specified timeout configuration: 60000 millis' };
  }
  const known = SERVICE_ERRORS[code] ?? { status: 400, message: code };
  return {
    error,
    cause: `${message ?? known.message} (Service: AWSLambda; Status Code: ${known.status}; Error Code: ${code}; Request ID: ${requestId}; Proxy: null)`,
  };
}
