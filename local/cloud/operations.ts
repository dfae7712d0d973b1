/**
 * The contract every simulated AWS operation follows.
 *
 * 1. A handler is an `Operation<XCommandInput, XCommandOutput>`: `(ctx, input) => Promise<output>`, where
 *    input/output are the SDK's own types (output without `$metadata`; the router adds it). A wrong field name
 *    fails to compile.
 * 2. `ctx` gives the world (`ctx.world`, plain JSON state + indexes), the calling account and region (from the
 *    client's credentials and region), the clock (`ctx.clock.now()`, never `Date.now()`), the caller ARN and
 *    the fault plan. `ctx.regionState` is the caller's account+region state. Cross-account lookups go through
 *    `ctx.world.region(otherAccount, region)`.
 * 3. Errors: throw `ServiceError(code, message, { httpStatusCode })` (or `fail(...)`, `ensure(...)`) with the
 *    AWS error code as documented in the service's API reference (`InvalidInstanceID.NotFound`,
 *    `InvalidParameterValue`, `ParameterNotFound`, …). The router rethrows it as the client's ServiceException.
 *    Anything else thrown is a simulator bug and surfaces as is.
 * 4. Before the handler runs, the router has already: settled due transitions (`world.settle()`), and checked
 *    the fault plan for error injection (`faults.check('ec2:DescribeImages', scope)`). Handlers that model a
 *    behaviour fault ask `ctx.faults.fires('ec2.imageFails', ctx.scope)` themselves.
 * 5. Slow things are transitions: `ctx.world.schedule(delayMs, kind, { accountId, region, resourceId }, data)`
 *    with `registerTransition(kind, apply)` at module load. Never set timers in a handler. Inside a transition,
 *    `world.now()` is the transition's due time (the world may settle late): use it for timestamps and for
 *    scheduling follow-up transitions (`world.schedule` already does).
 * 6. After a handler resolves, the router calls `world.notifyChanged()` (persistence). Handlers mutate the
 *    world synchronously; they may be async but must not await anything that is not `ctx.clock.hold(...)`.
 * 7. Pagination: `paginate(items, input, { defaultMax, maxLimit })` with opaque NextTokens; an invalid token
 *    fails with the service's code (`InvalidNextToken` by default; EC2 uses `InvalidParameterValue`).
 * 8. Registration: add the handler to the service table in `services/index.ts`, keyed by the SDK serviceId
 *    (`EC2`, `SSM`, `Inspector2`, …) and the command name without `Command` (`DescribeImages`).
 */
import type { Clock } from '../clock';
import type { FaultPlan, FaultScope } from './faults';
import type { AccessKeyRecord, RegionState, World } from './world';

export { ServiceError, fail, ensure, UnsupportedOperationError } from './errors';
import { ServiceError } from './errors';

export interface OperationContext {
  world: World;
  /** Calling account id (12 digits). */
  account: string;
  region: string;
  clock: Clock;
  /** ARN of the caller (IAM user, or assumed-role session). */
  callerArn: string;
  /** The access key the call was signed with. */
  credentials: AccessKeyRecord;
  faults: FaultPlan;
  /** `{ accountId: account, region }` for fault checks. */
  scope: FaultScope;
  /** The caller's account+region state (same as `world.region(account, region)`). */
  regionState: RegionState;
  /** `ec2:DescribeImages` — for messages. */
  operation: string;
}

/** The output type a handler returns: the SDK output without the response metadata. */
export type OperationOutput<O> = Omit<O, '$metadata'>;

/** A simulated operation, typed by the SDK's command input/output. */
export type Operation<I, O> = (ctx: OperationContext, input: I) => Promise<OperationOutput<O>>;

/** What the service table stores: any Operation (inputs are checked where each handler is declared). */
export type AnyOperation = (ctx: OperationContext, input: never) => Promise<object>;

// ---------------------------------------------------------------------------------------------------- pagination

export interface PageRequest {
  MaxResults?: number;
  NextToken?: string;
}

export interface PageOptions {
  /** Page size when MaxResults is absent. */
  defaultMax: number;
  /** Largest MaxResults the API accepts; above it is a validation error. */
  maxLimit?: number;
  /** Smallest MaxResults the API accepts (EC2 DescribeImages: 1; DescribeInstances: 5). */
  minLimit?: number;
  /** Error code for an invalid NextToken / MaxResults. */
  invalidTokenCode?: string;
  invalidParameterCode?: string;
  /** A string that changes when the query changes; a token from another query is refused. */
  queryFingerprint?: string;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

interface TokenBody {
  /** Offset into the result list. */
  o: number;
  /** Fingerprint of the query. */
  q: string;
  /** Id of the last item returned, when known (cursor pagination). */
  k?: string;
}

export function encodeToken(body: TokenBody): string {
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

export function decodeToken(token: string, options: PageOptions): TokenBody {
  try {
    const body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as TokenBody;
    if (typeof body.o !== 'number' || body.o < 0 || typeof body.q !== 'string') throw new Error('shape');
    if (options.queryFingerprint !== undefined && body.q !== options.queryFingerprint) throw new Error('query');
    return body;
  } catch {
    throw new ServiceError(options.invalidTokenCode ?? 'InvalidNextToken', 'The specified NextToken is not valid.');
  }
}

/** Validate MaxResults against the API's bounds; returns the page size. */
export function pageSize(maxResults: number | undefined, options: PageOptions): number {
  if (maxResults === undefined) return options.defaultMax;
  const min = options.minLimit ?? 1;
  if (!Number.isInteger(maxResults) || maxResults < min || (options.maxLimit !== undefined && maxResults > options.maxLimit)) {
    throw new ServiceError(
      options.invalidParameterCode ?? 'ValidationException',
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${options.maxLimit ?? 'unbounded'}.`,
    );
  }
  return maxResults;
}

/** One page of an already computed, stably ordered list. */
export function paginate<T>(items: readonly T[], request: PageRequest, options: PageOptions): Page<T> {
  const size = pageSize(request.MaxResults, options);
  const offset = request.NextToken ? decodeToken(request.NextToken, options).o : 0;
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return { items: page, nextToken: next < items.length ? encodeToken({ o: next, q: options.queryFingerprint ?? '' }) : undefined };
}
