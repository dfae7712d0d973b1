/**
 * The demo's live lines: what each state's exit says about the run, from the history event's output. A line
 * only prints what the output holds — a state that failed into the failure path has `{Error, Cause}` as its
 * output, not its result, so it prints the error instead of a row of "undefined".
 */
import type { z } from 'zod';
import type { StatusChangeDelivery } from '../local/events/router';
import type { statusChangeCleanupResultSchema } from '../tasks/contracts';

/** Stage starts: the first state of each stage (the workflow names its states; see workflows/). */
export const STAGE_STARTS: Record<string, string> = {
  'Prepare Run': 'Prepare',
  'Launch Builder': 'Bake',
  'Launch Test Instance': 'Test',
  'Start Scan Gate': 'ScanGate',
  'Record Done': 'Done',
  'Reject Run Images': 'Failure',
};

type Output = Record<string, unknown>;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined);

/** The message of a caught error's Cause: a Lambda error's cause is the JSON {errorType, errorMessage, trace}. */
export function causeMessage(cause: unknown): string {
  if (typeof cause !== 'string') return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: the cause is the message.
  }
  return cause;
}

/** `{Error, Cause}` when the state's output is a caught error. */
function caughtError(output: Output): { error: string; message: string } | undefined {
  return typeof output.Error === 'string' ? { error: output.Error, message: causeMessage(output.Cause) } : undefined;
}

function prepareLine(output: Output): string | undefined {
  const base = (typeof output.baseImage === 'object' && output.baseImage !== null ? output.baseImage : {}) as Output;
  const parts = [
    text(output.version) && `version ${text(output.version)}`,
    text(output.imageName) && `image name ${text(output.imageName)}`,
    text(base.imageId) && `base ${text(base.imageId)}${text(base.name) ? ` (${text(base.name)})` : ''}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** The lines (without time stamp) a state's exit prints; none for states the demo does not narrate. */
export function stateExitLines(name: string, output: Output): string[] {
  const failed = caughtError(output);
  const narrated = [
    'Prepare Run',
    'Launch Builder',
    'Launch Test Instance',
    'Build: Step Finished',
    'Test: Step Finished',
    'Create Image',
    'Terminate Builder',
    'Terminate Test Instance',
    'Evaluate Scan Gate',
  ];
  if (!narrated.includes(name)) return [];
  if (failed) {
    const label = name === 'Evaluate Scan Gate' ? 'scan gate FAILED' : `${name.toLowerCase()} failed`;
    return [`${label}: ${failed.error}${failed.message ? ` — ${failed.message}` : ''}`];
  }
  switch (name) {
    case 'Prepare Run': {
      const line = prepareLine(output);
      return line ? [line] : [];
    }
    case 'Launch Builder':
    case 'Launch Test Instance':
      return text(output.instanceId) ? [`${name.toLowerCase()}: ${text(output.instanceId)}`] : [];
    case 'Build: Step Finished':
    case 'Test: Step Finished': {
      const step = [output.component, output.phase, output.step].map(text).filter(Boolean).join('/');
      return step ? [`${(text(output.status) ?? '?').padEnd(8)} ${step}`] : [];
    }
    case 'Create Image':
      return text(output.imageId) ? [`creating image ${text(output.imageId)}`] : [];
    case 'Terminate Builder':
    case 'Terminate Test Instance': {
      const terminated = Array.isArray(output.terminated) ? output.terminated.filter((id) => typeof id === 'string') : [];
      return [`terminated ${terminated.join(', ') || '(already gone)'}`];
    }
    case 'Evaluate Scan Gate': {
      if (typeof output.passed !== 'boolean') return [];
      const total = typeof output.totalFindings === 'number' ? `: ${output.totalFindings} active findings` : '';
      return [`scan gate ${output.passed ? 'PASSED' : 'FAILED'}${total}`];
    }
    default:
      return [];
  }
}

/** What the ABORTED/TIMED_OUT clean-up did (LocalRuntime.settled(); the cleanup task's result). */
type CleanupResult = z.output<typeof statusChangeCleanupResultSchema>;
export type { StatusChangeDelivery };

const ids = (list: unknown): string[] => (Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : []);

/** Lines saying what the clean-up of a stopped or timed-out run did, and what it could not clean. */
export function cleanupLines(executionArn: string, deliveries: readonly StatusChangeDelivery[]): string[] {
  // The history archive's rule (archiveExecution) receives the same status changes: not a clean-up.
  const mine = deliveries.filter((d) => d.executionArn === executionArn && !/archiveExecution/.test(d.target));
  if (mine.length === 0) return ['clean-up: none ran for this run (no status-change delivery reached it); check for running instances'];
  return mine.flatMap((delivery) => {
    if (delivery.error) return [`clean-up FAILED (${delivery.target}): ${delivery.error.error} — ${causeMessage(delivery.error.cause)}`];
    const result = (typeof delivery.result === 'object' && delivery.result !== null ? delivery.result : {}) as Partial<CleanupResult>;
    const terminated = ids(result.terminated);
    const rejected = ids(result.rejectedImageIds);
    const lines = [
      `clean-up after ${delivery.status}: terminated ${terminated.join(', ') || 'no instance (none was running)'}; ` +
        `rejected and deprecated ${rejected.join(', ') || 'no image (none was made)'}`,
    ];
    const not = result.notCleaned;
    if (not && (ids(not.instances).length > 0 || ids(not.images).length > 0 || not.record)) {
      const parts = [
        ids(not.instances).length > 0 && `instances ${ids(not.instances).join(', ')}`,
        ids(not.images).length > 0 && `images ${ids(not.images).join(', ')}`,
        not.record && `registry record ${not.record}`,
      ].filter(Boolean);
      lines.push(`NOT cleaned: ${parts.join('; ')} — clean these by hand`);
    }
    return lines;
  });
}
