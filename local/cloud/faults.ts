/**
 * Fault plan: reproducible failures injected into the simulated cloud.
 *
 * Two kinds of rule:
 * - error rules (`error`): an operation call fails with an AWS error before its handler runs — throttling
 *   (RequestLimitExceeded / ThrottlingException), InternalError, ServiceUnavailable/Unavailable — so the
 *   SDK's own retry logic is exercised exactly as on AWS;
 * - behaviour rules (`behaviour`): a handler asks `faults.fires(name, scope)` at the point where the
 *   behaviour would diverge (an image going to `failed`, a copy failing in one region, a scan that never
 *   completes).
 *
 * A rule fires by probability (from a seeded PRNG; the PRNG state lives in the plan, so a persisted world
 * continues the same sequence) and/or by count (`skip` matching calls, then fire `count` times). The same
 * seed and the same sequence of calls give the same faults.
 */
import { ServiceError } from './errors';

/** Behaviours a handler can be told to exhibit. Extend the union when a service adds one. */
export type BehaviourFault =
  | 'ec2.imageFails'
  | 'ec2.copyFails'
  | 'ec2.instanceFailsToStart'
  | 'inspector.scanNeverCompletes'
  | 'ssm.agentNeverOnline'
  | 'ssm.commandFails'
  | 'autoscaling.refreshFails';

export interface FaultScope {
  accountId?: string;
  region?: string;
}

export interface FaultRule {
  /** Human label in error messages and `describe()`. */
  name?: string;
  /** IAM-style operation pattern for error rules: `ec2:DescribeImages`, `ec2:*`, `*`. */
  operation?: string;
  /** AWS error code to throw, e.g. `RequestLimitExceeded`, `InternalError`, `ServiceUnavailable`. */
  error?: string;
  /** HTTP status of the injected error; default from the code (throttling 503 on EC2, 400 elsewhere, …). */
  httpStatusCode?: number;
  behaviour?: BehaviourFault;
  /** Limit to an account and/or region. */
  accountId?: string;
  region?: string;
  /** 0..1; combined with count: the rule fires while it has count left AND the dice say so. */
  probability?: number;
  /** Fire at most this many times. */
  count?: number;
  /** Let this many matching calls pass before the rule can fire. */
  skip?: number;
}

export interface FaultRuleState extends FaultRule {
  /** Matching calls seen. */
  matched?: number;
  /** Times it fired. */
  fired?: number;
}

/** JSON form kept in the world state. */
export interface FaultPlanSpec {
  seed: number;
  /** Current PRNG state (set from the seed on first use). */
  rngState?: number;
  rules: FaultRuleState[];
}

/** Default HTTP status for an injected error code (from the services' error references). */
function defaultStatus(code: string, service: string): number {
  if (code === 'RequestLimitExceeded') return 503;
  if (code === 'ServiceUnavailable' || code === 'Unavailable' || code === 'ServiceUnavailableException') return 503;
  if (code === 'InternalError' || code === 'InternalFailure' || code === 'InternalServerError' || code === 'InternalServerException') return 500;
  if (code === 'ThrottlingException' || code === 'Throttling' || code === 'TooManyRequestsException') return service === 'inspector2' ? 429 : 400;
  return 400;
}

function matchesOperation(pattern: string | undefined, operation: string): boolean {
  if (!pattern || pattern === '*') return true;
  if (pattern.endsWith(':*')) return operation.startsWith(pattern.slice(0, -1));
  return pattern.toLowerCase() === operation.toLowerCase();
}

function inScope(rule: FaultRule, scope: FaultScope): boolean {
  return (!rule.accountId || rule.accountId === scope.accountId) && (!rule.region || rule.region === scope.region);
}

export class FaultPlan {
  private spec: FaultPlanSpec;

  constructor(spec: FaultPlanSpec) {
    this.spec = spec;
  }

  /** Swap in another plan (loading a world). */
  reset(spec: FaultPlanSpec): void {
    this.spec = spec;
  }

  /** Add a rule; returns it (its counters show how often it matched and fired). */
  add(rule: FaultRule): FaultRuleState {
    if (!rule.error === !rule.behaviour) throw new Error('a fault rule needs exactly one of "error" or "behaviour"');
    const state: FaultRuleState = { ...rule, matched: 0, fired: 0 };
    this.spec.rules.push(state);
    return state;
  }

  /** Remove every rule and reseed. */
  clear(seed = this.spec.seed): void {
    this.spec.rules.length = 0;
    this.spec.seed = seed;
    this.spec.rngState = undefined;
  }

  get rules(): readonly FaultRuleState[] {
    return this.spec.rules;
  }

  /**
   * Throw the injected error if an error rule fires for `operation` (`ec2:DescribeImages`) in `scope`.
   * The router calls this before every handler; handlers need not.
   */
  check(operation: string, scope: FaultScope): void {
    for (const rule of this.spec.rules) {
      if (!rule.error || !matchesOperation(rule.operation, operation) || !inScope(rule, scope)) continue;
      if (this.roll(rule)) {
        const service = operation.split(':')[0];
        throw new ServiceError(rule.error, `Injected fault${rule.name ? ` "${rule.name}"` : ''}: ${rule.error} on ${operation}`, {
          httpStatusCode: rule.httpStatusCode ?? defaultStatus(rule.error, service),
        });
      }
    }
  }

  /** Whether a behaviour rule fires now for `behaviour` in `scope` (each call counts as one matching call). */
  fires(behaviour: BehaviourFault, scope: FaultScope): boolean {
    let fired = false;
    for (const rule of this.spec.rules) {
      if (rule.behaviour !== behaviour || !inScope(rule, scope)) continue;
      if (this.roll(rule)) fired = true;
    }
    return fired;
  }

  private roll(rule: FaultRuleState): boolean {
    rule.matched = (rule.matched ?? 0) + 1;
    if (rule.matched <= (rule.skip ?? 0)) return false;
    if (rule.count !== undefined && (rule.fired ?? 0) >= rule.count) return false;
    if (rule.probability !== undefined && this.random() >= rule.probability) return false;
    rule.fired = (rule.fired ?? 0) + 1;
    return true;
  }

  /** mulberry32: small, fast, good enough to spread faults; state kept in the spec for persistence. */
  private random(): number {
    let state = (this.spec.rngState ?? this.spec.seed) | 0;
    state = (state + 0x6d2b79f5) | 0;
    this.spec.rngState = state;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
