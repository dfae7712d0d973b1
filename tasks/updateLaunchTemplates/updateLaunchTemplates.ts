/**
 * updateLaunchTemplates: give every configured launch template a new version with the run's image, make it the
 * default, and start an instance refresh on the listed Auto Scaling groups — each in its own account, through the
 * role GamiTargetAccountStack deploys there (sts:AssumeRole with the pipeline's ExternalId).
 *
 * Two passes, targets in configuration order: (1) per template, record the intent with its current default version
 * in the registry, CreateLaunchTemplateVersion from that version with the new ImageId (ClientToken: a retry gets the
 * same version), record the new version, ModifyLaunchTemplate to make it the default; (2) per group,
 * StartInstanceRefresh and record its id. A refusal anywhere throws LaunchTemplateUpdateFailed naming the target and
 * step; the state machine then runs rollbackLaunchTemplates, which reads the registry records and undoes all of it.
 * Throttling and server errors pass through unwrapped (retried by the state machine).
 */
import { DescribeLaunchTemplatesCommand, CreateLaunchTemplateVersionCommand, ModifyLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import type { LaunchTemplateTarget, RefreshRef, TemplateChange, updateLaunchTemplatesEventSchema, updateLaunchTemplatesResultSchema } from '../contracts';
import { LaunchTemplateUpdateFailed } from '../errors';
import { hasErrorName } from '../common/aws-errors';
import { onTarget } from '../common/target-errors';
import type { CrossAccountClients } from '../common/cross-account';
import { logger } from '../common/powertools';
import { recordIntent, templateLabel, updateChange, type TemplateChangeItem } from '../common/template-changes';
import { imageForTarget, refreshDeadline, refreshPreferences, versionClientToken, versionDescription } from './plan';

export type UpdateLaunchTemplatesEvent = z.output<typeof updateLaunchTemplatesEventSchema>;
export type UpdateLaunchTemplatesResult = z.output<typeof updateLaunchTemplatesResultSchema>;

export interface UpdateLaunchTemplatesClients {
  registry: DynamoDBDocumentClient;
  targets: CrossAccountClients;
}

interface Updated {
  target: LaunchTemplateTarget;
  item: TemplateChangeItem;
  change: TemplateChange;
}

async function updateTemplate(clients: UpdateLaunchTemplatesClients, event: UpdateLaunchTemplatesEvent, target: LaunchTemplateTarget): Promise<Updated> {
  const { run, registryTable, version } = event;
  let label = templateLabel(target);
  const image = imageForTarget(target, event.regionImages);
  const { ec2 } = clients.targets.for(target);
  const described = await onTarget(label, 'DescribeLaunchTemplates', () =>
    ec2.send(
      new DescribeLaunchTemplatesCommand(
        target.launchTemplateId ? { LaunchTemplateIds: [target.launchTemplateId] } : { LaunchTemplateNames: [target.launchTemplateName ?? ''] },
      ),
    ),
  );
  const template = described.LaunchTemplates?.[0];
  if (!template?.LaunchTemplateId || !template.LaunchTemplateName || template.DefaultVersionNumber === undefined) {
    throw new LaunchTemplateUpdateFailed(`${label}: the launch template was not found`);
  }
  const id = template.LaunchTemplateId;
  label = templateLabel({ ...target, launchTemplateName: template.LaunchTemplateName });
  let item = await recordIntent(clients.registry, registryTable, {
    executionArn: run.executionArn,
    pipeline: run.pipeline,
    version,
    account: target.account,
    region: target.region,
    roleName: target.roleName,
    externalId: target.externalId,
    launchTemplateId: id,
    launchTemplateName: template.LaunchTemplateName,
    previousDefaultVersion: template.DefaultVersionNumber,
    imageId: image.imageId,
    setDefault: target.setDefault,
    autoScalingGroups: target.autoScalingGroups,
    recordedAt: run.now,
  });
  const created = await onTarget(label, 'CreateLaunchTemplateVersion', () =>
    ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        // The default as it was before this run (= $Default on the first attempt, the same on a retry).
        SourceVersion: String(item.previousDefaultVersion),
        VersionDescription: versionDescription(run, version),
        LaunchTemplateData: { ImageId: image.imageId },
        ClientToken: versionClientToken(run, id),
      }),
    ),
  );
  const newVersion = created.LaunchTemplateVersion?.VersionNumber;
  if (newVersion === undefined) throw new LaunchTemplateUpdateFailed(`${label}: CreateLaunchTemplateVersion returned no version number`);
  if (item.newVersion !== newVersion) {
    await updateChange(clients.registry, registryTable, item, { newVersion });
    item = { ...item, newVersion };
  }
  if (target.setDefault) {
    await onTarget(label, 'ModifyLaunchTemplate (set the default version)', () =>
      ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: String(newVersion) })),
    );
  }
  if (item.state === 'changing') {
    await updateChange(clients.registry, registryTable, item, { state: 'changed' });
    item = { ...item, state: 'changed' };
  }
  logger.info('launch template updated', { template: label, previousDefaultVersion: item.previousDefaultVersion, newVersion, defaultSet: target.setDefault });
  return {
    target,
    item,
    change: {
      account: target.account,
      region: target.region,
      roleName: target.roleName,
      externalId: target.externalId,
      launchTemplateId: id,
      launchTemplateName: template.LaunchTemplateName,
      previousDefaultVersion: item.previousDefaultVersion,
      newVersion,
      imageId: image.imageId,
      defaultSet: target.setDefault,
    },
  };
}

async function startRefreshes(clients: UpdateLaunchTemplatesClients, event: UpdateLaunchTemplatesEvent, updated: Updated): Promise<RefreshRef[]> {
  const { target, change } = updated;
  let item = updated.item;
  const { autoScaling } = clients.targets.for(target);
  const refs: RefreshRef[] = [];
  for (const group of target.autoScalingGroups) {
    const known = item.refreshes.find((r) => r.autoScalingGroupName === group);
    if (known) {
      refs.push(known);
      continue;
    }
    const label = `${group} (${target.account}/${target.region})`;
    const started = await onTarget(label, 'StartInstanceRefresh', async () => {
      try {
        return await autoScaling.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: group, Strategy: 'Rolling', Preferences: refreshPreferences(target) }));
      } catch (error) {
        if (!hasErrorName(error, 'InstanceRefreshInProgress', 'InstanceRefreshInProgressFault')) throw error;
        // Ours, if it started after this task's state was entered (a retry or a duplicate invocation whose start was
        // not recorded yet): it rolls out the group's $Default, the version just set. Anyone else's is a refusal.
        const active = (await autoScaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: group, MaxRecords: 1 }))).InstanceRefreshes?.[0];
        if (active?.InstanceRefreshId && active.StartTime && active.StartTime.getTime() >= new Date(event.run.now).getTime()) return { InstanceRefreshId: active.InstanceRefreshId };
        throw error;
      }
    });
    if (!started.InstanceRefreshId) throw new LaunchTemplateUpdateFailed(`${label}: StartInstanceRefresh returned no id`);
    const ref: RefreshRef = {
      account: target.account,
      region: target.region,
      roleName: target.roleName,
      externalId: target.externalId,
      autoScalingGroupName: group,
      instanceRefreshId: started.InstanceRefreshId,
      launchTemplateId: change.launchTemplateId,
    };
    item = { ...item, refreshes: [...item.refreshes, ref] };
    await updateChange(clients.registry, event.registryTable, item, { refreshes: item.refreshes });
    refs.push(ref);
  }
  return refs;
}

export async function updateLaunchTemplates(clients: UpdateLaunchTemplatesClients, event: UpdateLaunchTemplatesEvent): Promise<UpdateLaunchTemplatesResult> {
  // Every target's image is known before anything changes: a missing region fails with nothing touched.
  for (const target of event.targets) imageForTarget(target, event.regionImages);
  const updated: Updated[] = [];
  for (const target of event.targets) updated.push(await updateTemplate(clients, event, target));
  const refreshes: RefreshRef[] = [];
  for (const u of updated) refreshes.push(...(await startRefreshes(clients, event, u)));
  return { templates: updated.map((u) => u.change), refreshes, refreshDeadline: refreshDeadline(event.run.now, event.targets) };
}
