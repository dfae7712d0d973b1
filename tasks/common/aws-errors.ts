/** Classifying AWS SDK errors: which are the caller's mistake (wrap in a named error), which are transient. */
import { THROTTLING_ERRORS } from '../contracts';

export interface AwsErrorShape {
  name: string;
  message: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

export function isAwsError(error: unknown): error is Error & AwsErrorShape {
  return error instanceof Error && typeof error.name === 'string';
}

/** Error names AWS uses for throttling; the state machine retries these with backoff, never wrap them. */
const THROTTLING = new Set<string>(THROTTLING_ERRORS);

/**
 * True for a refusal that will not go away by retrying (bad parameter, missing resource, not permitted):
 * worth a named error with context. Throttling and server faults stay as they are so Retry matches them.
 */
export function isPermanentAwsError(error: unknown): error is Error & AwsErrorShape {
  return isAwsError(error) && error.$fault === 'client' && !THROTTLING.has(error.name);
}

/** True when `error` is the AWS error `name` (or, with a trailing `.`, any error in that family). */
export function hasErrorName(error: unknown, ...names: string[]): boolean {
  if (!isAwsError(error)) return false;
  return names.some((name) => (name.endsWith('.') ? error.name.startsWith(name) : error.name === name));
}

/**
 * Run `call`; a permanent refusal becomes `Failure` naming where and what ("eu-west-1: ModifyImageAttribute … was
 * refused: AccessDenied: …"), while throttling and server faults pass through for the state machine's Retry.
 */
export async function refusedAs<T>(Failure: new (message: string) => Error, where: string, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isPermanentAwsError(error)) throw new Failure(`${where}: ${what} was refused: ${error.name}: ${error.message}`);
    throw error;
  }
}
