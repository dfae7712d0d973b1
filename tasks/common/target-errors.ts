/**
 * Errors of calls made in a consumer account, named for a person: a refusal (or any non-AWS error) becomes
 * LaunchTemplateUpdateFailed naming the target and the step; throttling and server faults pass through unwrapped so
 * the state machine's Retry matches them.
 */
import { LaunchTemplateUpdateFailed } from '../errors';
import { isAwsError, isPermanentAwsError } from './aws-errors';

/** Why a call failed: "AccessDenied: User … is not authorized …". */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Run `call` for `label` (a template or group in its account and region) at `step`. */
export async function onTarget<T>(label: string, step: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof LaunchTemplateUpdateFailed) throw error;
    if (isAwsError(error) && !isPermanentAwsError(error)) throw error;
    throw new LaunchTemplateUpdateFailed(`${label}: ${step} failed: ${describeError(error)}`);
  }
}
