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
 *
 * Never a step back: a template whose default version already launches a newer image of this pipeline (a
 * concurrent run that was approved sooner) is left alone and reported as superseded — an older run finishing
 * later must not roll its older image out over the newer one. The image's version is read from its tags in the
 * tooling account, which owns every copy (a consumer account cannot see the tags of an image shared with it).
 */
import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  ModifyLaunchTemplateCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import type { LaunchTemplateTarget, RefreshRef, supersededTemplateSchema, TemplateChange, updateLaunchTemplatesEventSchema, updateLaunchTemplatesResultSchema } from '../contracts';
import { LaunchTemplateUpdateFailed } from '../errors';
import { hasErrorName } from '../common/aws-errors';
import { pipelineVersionOf } from '../common/images';
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
  /** The tooling account's EC2 client of a region: it owns the images, so it sees their tags. */
  images: (region: string) => EC2Client;
}

type Superseded = z.output<typeof supersededTemplateSchema>;

/** The `gami:version` of the pipeline's image the template's default launches, when newer than this run's. */
async function newerDefault(clients: UpdateLaunchTemplatesClients, event: UpdateLaunchTemplatesEvent, target: LaunchTemplateTarget, label: string, templateId: string, imageId: string) {
  const { ec2 } = clients.targets.for(target);
  const versions = await onTarget(label, 'DescribeLaunchTemplateVersions', () =>
    ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['$Default'] })),
  );
  const current = versions?.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.ImageId;
  if (!current || current === imageId || !current.startsWith('ami-')) return undefined;
  const version = await pipelineVersionOf(clients.images(target.region), current, event.run.pipeline);
  if (version === undefined || version <= event.version) return undefined;
  return { imageId: current, version };
}

interface Updated {
  target: LaunchTemplateTarget;
  item: TemplateChangeItem;
  change: TemplateChange;
}

async function updateTemplate(
  clients: UpdateLaunchTemplatesClients,
  event: UpdateLaunchTemplatesEvent,
  target: LaunchTemplateTarget,
): Promise<Updated | { superseded: Superseded }> {
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
  const newer = await newerDefault(clients, event, target, label, id, image.imageId);
  if (newer) {
    logger.info('launch template left alone: a newer version of the pipeline is its default', { template: label, byVersion: newer.version });
    return {
      superseded: {
        account: target.account,
        region: target.region,
        launchTemplateId: id,
        launchTemplateName: template.LaunchTemplateName,
        defaultImageId: newer.imageId,
        byVersion: newer.version,
      },
    };
  }
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
  const superseded: Superseded[] = [];
  for (const target of event.targets) {
    const outcome = await updateTemplate(clients, event, target);
    if ('superseded' in outcome) superseded.push(outcome.superseded);
    else updated.push(outcome);
  }
  const refreshes: RefreshRef[] = [];
  for (const u of updated) refreshes.push(...(await startRefreshes(clients, event, u)));
  return {
    templates: updated.map((u) => u.change),
    ...(superseded.length ? { superseded } : {}),
    refreshes,
    refreshDeadline: refreshDeadline(event.run.now, updated.map((u) => u.target)),
  };
}
