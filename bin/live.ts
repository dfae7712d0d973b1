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
  'Record Approval Requested': 'Approval',
  'Approval Not Required': 'Approval (not required)',
  'Start Copies Before Approval': 'Distribute (speculative copies, before approval)',
  'Copy To Regions': 'Distribute',
  'Share In Regions': 'Share',
  'Publish Latest Image': 'Publish',
  'Record LaunchTemplates Started': 'LaunchTemplates',
  'Plan Retention': 'Retention',
  'Record Done': 'Done',
  'Reject Run Images': 'Failure',
};

type Output = Record<string, unknown>;

const ids = (list: unknown): string[] => (Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : []);

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
    'Request Approval',
    'Mark Image Distributing',
    'Start Copy Before Approval',
    'Region Copied',
    'Region Copy Failed',
    'Share Image In Region',
    'Publish Latest Image',
    'Update Launch Templates',
    'Roll Back Launch Templates',
    'Mark Approved',
    'Plan Retention',
    'Report Retention',
    'Record Retention Failed',
  ];
  if (!narrated.includes(name)) return [];
  if (failed) {
    const label = name === 'Evaluate Scan Gate' ? 'scan gate FAILED' : name === 'Request Approval' ? 'approval did not pass' : `${name.toLowerCase()} failed`;
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
    case 'Start Copy Before Approval':
      return text(output.imageId) ? [`copying to ${text(output.region) ?? '?'} before approval: ${text(output.imageId)} (pending-approval)`] : [];
    case 'Region Copied':
      return text(output.imageId) ? [`copy available in ${text(output.region) ?? '?'}: ${text(output.imageId)}`] : [];
    case 'Region Copy Failed':
      return [`copy FAILED in ${text(output.region) ?? '?'}: ${text(output.reason) ?? 'no reason given'}`];
    case 'Share Image In Region': {
      const p = (typeof output.launchPermissions === 'object' && output.launchPermissions !== null ? output.launchPermissions : {}) as Output;
      const principals = [...ids(p.accounts), ...ids(p.organizationArns), ...ids(p.organizationalUnitArns)];
      const grants = Array.isArray(output.kmsGrants) ? output.kmsGrants.length : 0;
      return text(output.imageId)
        ? [`shared ${text(output.imageId)} in ${text(output.region) ?? '?'} with ${principals.join(', ') || 'nobody'}; ${grants} KMS grant(s); not public`]
        : [];
    }
    case 'Publish Latest Image': {
      const parameters = Array.isArray(output.parameters) ? (output.parameters as Output[]) : [];
      return parameters.map((p) => `published ${text(p.name) ?? '?'} = ${text(p.imageId) ?? '?'} in ${text(p.account) ?? '?'}/${text(p.region) ?? '?'} (version ${text(p.version) ?? '?'})`);
    }
    case 'Evaluate Scan Gate': {
      if (typeof output.passed !== 'boolean') return [];
      const total = typeof output.totalFindings === 'number' ? `: ${output.totalFindings} active findings` : '';
      return [`scan gate ${output.passed ? 'PASSED' : 'FAILED'}${total}`];
    }
    case 'Request Approval': {
      const approvers = Array.isArray(output.approvers) ? output.approvers.map((a) => text((a as Output).approver)).filter(Boolean) : [];
      return output.decision === 'approved' ? [`approved by ${approvers.join(', ')} (evidence sha256 ${String(output.evidenceSha256).slice(0, 12)}…)`] : [];
    }
    case 'Mark Image Distributing':
      return ['image tagged gami:status=distributing'];
    case 'Update Launch Templates': {
      const templates = Array.isArray(output.templates) ? (output.templates as Output[]) : [];
      const refreshes = Array.isArray(output.refreshes) ? (output.refreshes as Output[]) : [];
      return [
        ...templates.map(
          (t) =>
            `launch template ${text(t.launchTemplateName)} (${text(t.account)}/${text(t.region)}): version ${text(t.newVersion)} ` +
            `${t.defaultSet === true ? `is the default (was ${text(t.previousDefaultVersion)})` : 'created'}`,
        ),
        ...refreshes.map((r) => `instance refresh of ${text(r.autoScalingGroupName)} (${text(r.account)}/${text(r.region)}) started`),
      ];
    }
    case 'Roll Back Launch Templates': {
      const lines = [...(Array.isArray(output.rolledBack) ? output.rolledBack : []), ...(Array.isArray(output.cancelledRefreshes) ? output.cancelledRefreshes : [])];
      return lines.filter((l): l is string => typeof l === 'string').map((l) => `rolled back ${l}`);
    }
    case 'Mark Approved': {
      const approved = Array.isArray(output.approved) ? (output.approved as Output[]) : [];
      return approved.map((a) => `approved ${text(a.imageId)} in ${text(a.region)}: watermark ${text(a.watermarkKey)}, protected from deregistration`);
    }
    case 'Plan Retention': {
      const planned = (typeof output.planned === 'object' && output.planned !== null ? output.planned : undefined) as Output | undefined;
      if (!planned) return [];
      return [
        `retention ${output.dryRun === true ? 'dry run' : 'plan'}: ${text(output.images) ?? '?'} images — keep ${text(planned.kept)}, deprecate ${text(planned.deprecated)}, ` +
          `deregister ${text(planned.deregistered)} (${text(planned.freedGiB) ?? 0} GiB)${text(output.batches) && output.batches !== 0 ? ` in ${text(output.batches)} batch(es)` : ''}`,
      ];
    }
    case 'Report Retention':
      return Array.isArray(output.lines) ? output.lines.filter((l): l is string => typeof l === 'string').map((l) => `  ${l}`) : [];
    case 'Record Retention Failed':
      return ['retention FAILED (recorded and notified; the release stands)'];
    default:
      return [];
  }
}

/** What the ABORTED/TIMED_OUT clean-up did (LocalRuntime.settled(); the cleanup task's result). */
type CleanupResult = z.output<typeof statusChangeCleanupResultSchema>;
export type { StatusChangeDelivery };


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
    if (not && (ids(not.instances).length > 0 || ids(not.images).length > 0 || not.record || ids(not.launchTemplates).length > 0)) {
      const parts = [
        ids(not.launchTemplates).length > 0 && `launch templates ${ids(not.launchTemplates).join('; ')}`,
        ids(not.instances).length > 0 && `instances ${ids(not.instances).join(', ')}`,
        ids(not.images).length > 0 && `images ${ids(not.images).join(', ')}`,
        not.record && `registry record ${not.record}`,
      ].filter(Boolean);
      lines.push(`NOT cleaned: ${parts.join('; ')} — clean these by hand`);
    }
    return lines;
  });
}

/** A state's input or output as an object ({} when it is not JSON or not an object). */
export function jsonObject(text: string | undefined): Record<string, unknown> {
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
