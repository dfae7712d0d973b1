/**
 * watchSchedule: `schedule.disableAfterFailures` (Image Builder allows up to 10). On every execution that ends
 * FAILED, TIMED_OUT or ABORTED (the stack's EventBridge rule) it counts the pipeline's consecutive unsuccessful
 * executions, newest first (ListExecutions; running ones are passed over, a SUCCEEDED one ends the count).
 * At the limit it disables the schedule — UpdateSchedule with the schedule as it is and State DISABLED — and
 * notifies the topic once, naming the failed executions. A schedule already disabled is left alone (no
 * second notification), so a late or repeated event changes nothing.
 */
import { GetScheduleCommand, UpdateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ExecutionStatusChange } from '../contracts';

const UNSUCCESSFUL = ['FAILED', 'TIMED_OUT', 'ABORTED'];

export interface WatchSettings {
  pipeline: string;
  scheduleName: string;
  disableAfterFailures: number;
  topicArn: string;
}

export interface WatchResult {
  consecutiveFailures: number;
  disabled: boolean;
  /** The schedule was disabled before this event (nothing done). */
  alreadyDisabled?: boolean;
}

/** Consecutive unsuccessful executions, newest first, up to `limit`. */
export async function consecutiveFailures(sfn: SFNClient, stateMachineArn: string, limit: number): Promise<string[]> {
  const failed: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 100, nextToken }));
    for (const execution of page.executions ?? []) {
      if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') continue;
      if (!UNSUCCESSFUL.includes(execution.status ?? '')) return failed;
      failed.push(execution.executionArn!);
      if (failed.length >= limit) return failed;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return failed;
}

export async function watchSchedule(
  clients: { sfn: SFNClient; scheduler: SchedulerClient; sns: SNSClient },
  change: ExecutionStatusChange,
  settings: WatchSettings,
): Promise<WatchResult> {
  if (!UNSUCCESSFUL.includes(change.detail.status)) return { consecutiveFailures: 0, disabled: false };
  const failed = await consecutiveFailures(clients.sfn, change.detail.stateMachineArn, settings.disableAfterFailures);
  if (failed.length < settings.disableAfterFailures) return { consecutiveFailures: failed.length, disabled: false };
  const schedule = await clients.scheduler.send(new GetScheduleCommand({ Name: settings.scheduleName }));
  if (schedule.State === 'DISABLED') return { consecutiveFailures: failed.length, disabled: false, alreadyDisabled: true };
  await clients.scheduler.send(
    new UpdateScheduleCommand({
      Name: schedule.Name,
      GroupName: schedule.GroupName,
      Description: schedule.Description,
      ScheduleExpression: schedule.ScheduleExpression,
      ScheduleExpressionTimezone: schedule.ScheduleExpressionTimezone,
      StartDate: schedule.StartDate,
      EndDate: schedule.EndDate,
      FlexibleTimeWindow: schedule.FlexibleTimeWindow,
      Target: schedule.Target,
      KmsKeyArn: schedule.KmsKeyArn,
      ActionAfterCompletion: schedule.ActionAfterCompletion,
      State: 'DISABLED',
    }),
  );
  await clients.sns.send(
    new PublishCommand({
      TopicArn: settings.topicArn,
      Subject: `[gami] ${settings.pipeline}: schedule disabled after ${failed.length} failed runs`,
      Message: [
        `The schedule ${settings.scheduleName} of pipeline ${settings.pipeline} was disabled: the last ${failed.length} runs did not succeed ` +
          `(schedule.disableAfterFailures: ${settings.disableAfterFailures}).`,
        '',
        ...failed.map((arn) => `  ${arn}`),
        '',
        `Find the cause with gami status <execution> or gami audit <execution>, fix it, then enable the schedule again ` +
          `(aws scheduler update-schedule … --state ENABLED, or redeploy the stack).`,
      ].join('\n'),
      MessageAttributes: { pipeline: { DataType: 'String', StringValue: settings.pipeline }, event: { DataType: 'String', StringValue: 'schedule-disabled' } },
    }),
  );
  return { consecutiveFailures: failed.length, disabled: true };
}
