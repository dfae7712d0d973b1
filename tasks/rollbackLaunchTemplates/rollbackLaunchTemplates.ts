/**
 * rollbackLaunchTemplates: undo what this run did to launch templates and Auto Scaling groups, from the registry's
 * records alone (tasks/common/template-changes.ts), so it works whether the stage failed, crashed or was stopped:
 *
 *   1. every instance refresh the run started that is still running is cancelled (CancelInstanceRefresh) — recorded
 *      ones, and on a group the run refreshes, one that started after the record was written. Instances
 *      already replaced keep the new image until the next refresh: Auto Scaling cannot roll back a group that
 *      follows $Default, and the image stays available (it is rejected and deprecated, not deregistered);
 *   2. every template whose default is the version this run created gets its previous default back. A default
 *      someone else has moved since is left as it is and reported.
 *
 * Idempotent: a template already back, a refresh already ended, are fine. Records are marked rolled-back with what
 * was done. Whatever could not be undone is collected and thrown as LaunchTemplateRollbackIncomplete, naming each.
 * Used by the state machine (its stage rollback) and by cleanup after an ABORTED or TIMED_OUT execution.
 */
import { CancelInstanceRefreshCommand, DescribeInstanceRefreshesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplatesCommand, ModifyLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import type { RefreshRef, rollbackLaunchTemplatesEventSchema, rollbackLaunchTemplatesResultSchema, RunContext } from '../contracts';
import { LaunchTemplateRollbackIncomplete } from '../errors';
import { hasErrorName } from '../common/aws-errors';
import type { CrossAccountClients } from '../common/cross-account';
import { logger } from '../common/powertools';
import { runChanges, templateLabel, updateChange, type TemplateChangeItem } from '../common/template-changes';
import { describeError } from '../common/target-errors';

export type RollbackLaunchTemplatesEvent = z.output<typeof rollbackLaunchTemplatesEventSchema>;
export type RollbackLaunchTemplatesResult = z.output<typeof rollbackLaunchTemplatesResultSchema>;

export interface RollbackClients {
  registry: DynamoDBDocumentClient;
  targets: CrossAccountClients;
}

export interface RollbackOutcome extends RollbackLaunchTemplatesResult {
  /** What could not be undone, one line each. */
  failed: string[];
}

/** Statuses of a refresh that is still replacing instances (and can be cancelled). */
const RUNNING = new Set(['Pending', 'InProgress', 'Baking']);

/** What to do with a template's default: the pure decision of step 2. */
export function defaultDecision(item: Pick<TemplateChangeItem, 'previousDefaultVersion' | 'newVersion'>, currentDefault: number): 'restore' | 'already' | 'moved' {
  if (currentDefault === item.previousDefaultVersion) return 'already';
  if (item.newVersion !== undefined && currentDefault === item.newVersion) return 'restore';
  return 'moved';
}

/**
 * The refreshes to look at: every one recorded, and for a group the run refreshes without a recorded one, the group's
 * latest refresh if it started after the record was written (a start whose answer was lost in a crash).
 */
async function runRefreshes(clients: RollbackClients, item: TemplateChangeItem): Promise<RefreshRef[]> {
  const refs = [...item.refreshes];
  for (const group of item.autoScalingGroups ?? []) {
    if (refs.some((r) => r.autoScalingGroupName === group)) continue;
    const latest = (
      await clients.targets.for(item).autoScaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: group, MaxRecords: 1 }))
    ).InstanceRefreshes?.[0];
    if (latest?.InstanceRefreshId && latest.StartTime && latest.StartTime.getTime() >= new Date(item.recordedAt).getTime()) {
      refs.push({ ...pickRole(item), autoScalingGroupName: group, instanceRefreshId: latest.InstanceRefreshId, launchTemplateId: item.launchTemplateId });
    }
  }
  return refs;
}

const pickRole = (item: TemplateChangeItem) => ({ account: item.account, region: item.region, roleName: item.roleName, externalId: item.externalId });

async function cancelRefreshes(clients: RollbackClients, item: TemplateChangeItem, outcome: RollbackOutcome): Promise<boolean> {
  let ok = true;
  let refs: RefreshRef[];
  try {
    refs = await runRefreshes(clients, item);
  } catch (error) {
    outcome.failed.push(`${templateLabel(item)}: its groups' refreshes could not be listed: ${describeError(error)}`);
    return false;
  }
  for (const ref of refs) {
    const label = `${ref.autoScalingGroupName} (${ref.account}/${ref.region})`;
    try {
      const { autoScaling } = clients.targets.for(ref);
      const described = await autoScaling.send(
        new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: ref.autoScalingGroupName, InstanceRefreshIds: [ref.instanceRefreshId] }),
      );
      const status = described.InstanceRefreshes?.find((r) => r.InstanceRefreshId === ref.instanceRefreshId)?.Status;
      if (!status || !RUNNING.has(status)) continue;
      try {
        await autoScaling.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: ref.autoScalingGroupName }));
      } catch (error) {
        // Ended between the two calls: nothing left to cancel.
        if (!hasErrorName(error, 'ActiveInstanceRefreshNotFound', 'ActiveInstanceRefreshNotFoundFault')) throw error;
      }
      outcome.cancelledRefreshes.push(`${label}: refresh ${ref.instanceRefreshId} cancelled`);
    } catch (error) {
      ok = false;
      outcome.failed.push(`${label}: refresh ${ref.instanceRefreshId} not cancelled: ${describeError(error)}`);
    }
  }
  return ok;
}

async function restoreDefault(clients: RollbackClients, item: TemplateChangeItem, outcome: RollbackOutcome): Promise<string | undefined> {
  const label = templateLabel(item);
  try {
    const { ec2 } = clients.targets.for(item);
    const template = (await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [item.launchTemplateId] }))).LaunchTemplates?.[0];
    if (template?.DefaultVersionNumber === undefined) throw new Error('the launch template was not found');
    const decision = defaultDecision(item, template.DefaultVersionNumber);
    if (decision === 'restore') {
      await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: item.launchTemplateId, DefaultVersion: String(item.previousDefaultVersion) }));
      const line = `${label}: default back to ${item.previousDefaultVersion} (from ${item.newVersion})`;
      outcome.rolledBack.push(line);
      return line;
    }
    if (decision === 'already') {
      const line = `${label}: default is ${item.previousDefaultVersion}, as before the run`;
      outcome.rolledBack.push(line);
      return line;
    }
    const line = `${label}: default is now ${template.DefaultVersionNumber}, set by someone else since this run made it ${item.newVersion}; left as it is`;
    outcome.rolledBack.push(line);
    return line;
  } catch (error) {
    outcome.failed.push(`${label}: default not set back to ${item.previousDefaultVersion}: ${describeError(error)}`);
    return undefined;
  }
}

/** Roll back every template change of this run; never throws for one target (see `failed`). */
export async function rollBackRun(clients: RollbackClients, run: RunContext, table: string, version: number): Promise<RollbackOutcome> {
  const outcome: RollbackOutcome = { rolledBack: [], cancelledRefreshes: [], failed: [] };
  const items = await runChanges(clients.registry, table, run, version);
  for (const item of items) {
    if (item.state === 'rolled-back') {
      outcome.rolledBack.push(`${templateLabel(item)}: ${item.rollback ?? 'rolled back earlier'}`);
      continue;
    }
    // Refreshes first: a refresh still running would go on launching from the version about to stop being default.
    const cancelled = await cancelRefreshes(clients, item, outcome);
    const line = await restoreDefault(clients, item, outcome);
    if (cancelled && line) await updateChange(clients.registry, table, item, { state: 'rolled-back', rolledBackAt: run.now, rollback: line.slice(line.indexOf(': ') + 2) });
  }
  logger.info('launch templates rolled back', { ...outcome });
  return outcome;
}

export async function rollbackLaunchTemplates(clients: RollbackClients, event: RollbackLaunchTemplatesEvent): Promise<RollbackLaunchTemplatesResult> {
  const outcome = await rollBackRun(clients, event.run, event.registryTable, event.version);
  if (outcome.failed.length > 0) {
    throw new LaunchTemplateRollbackIncomplete(
      `rollback left ${outcome.failed.length} thing(s) not undone: ${outcome.failed.join('; ')}` +
        (outcome.rolledBack.length ? `. Rolled back: ${outcome.rolledBack.join('; ')}` : ''),
    );
  }
  return { rolledBack: outcome.rolledBack, cancelledRefreshes: outcome.cancelledRefreshes };
}
