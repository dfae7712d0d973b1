/**
 * Auto Scaling: DescribeAutoScalingGroups, StartInstanceRefresh (one refresh at a time; every instance is replaced
 * by one launched from the group's — or the desired configuration's — launch template version, in batches the
 * minimum healthy percentage allows), DescribeInstanceRefreshes, CancelInstanceRefresh (replacements not yet made
 * are not made; the refresh is Cancelling, then Cancelled a little later, as on AWS).
 *
 * A refresh fails when a replacement cannot launch (no template version, image not available) or when the
 * behaviour fault `autoscaling.refreshFails` fires at a replacement (as when new instances fail their health
 * checks): status Failed with a reason, the instances replaced so far staying.
 */
import type {
  AutoScalingGroup,
  DescribeAutoScalingGroupsCommandInput,
  DescribeAutoScalingGroupsCommandOutput,
  DescribeInstanceRefreshesCommandInput,
  DescribeInstanceRefreshesCommandOutput,
  CancelInstanceRefreshCommandInput,
  CancelInstanceRefreshCommandOutput,
  StartInstanceRefreshCommandInput,
  StartInstanceRefreshCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import { fail } from '../errors';
import { paginate, type Operation } from '../operations';
import type { AutoScalingGroupRecord, InstanceRecord, World } from '../world';
import { registerTransition } from '../world';
import { globMatches, volumesFromImage } from './ec2/common';
import { launchTemplateImageId } from './ec2/images';
import { findLaunchTemplate, resolveTemplateVersion } from './ec2/instances';
import { bootSoftware } from '../packages/base-images';
import { AGENT_ONLINE_AFTER_RUNNING_MS, INSTANCE_REFRESH_PER_INSTANCE_MS } from './ec2/timings';

function groupOut(world: World, group: AutoScalingGroupRecord, accountId: string, region: string): AutoScalingGroup {
  const instances = world.region(accountId, region).instances;
  return {
    AutoScalingGroupName: group.name,
    AutoScalingGroupARN: group.arn,
    LaunchTemplate: {
      LaunchTemplateId: group.launchTemplate.launchTemplateId,
      LaunchTemplateName: group.launchTemplate.launchTemplateName,
      Version: group.launchTemplate.version,
    },
    MinSize: group.minSize,
    MaxSize: group.maxSize,
    DesiredCapacity: group.desiredCapacity,
    DefaultCooldown: 300,
    AvailabilityZones: group.availabilityZones,
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: 300,
    CreatedTime: new Date(group.createdTime),
    VPCZoneIdentifier: group.vpcZoneIdentifier,
    Instances: group.instanceIds
      .map((id) => instances[id])
      .filter((i): i is InstanceRecord => i !== undefined && i.state !== 'terminated')
      .map((i) => ({
        InstanceId: i.instanceId,
        InstanceType: i.instanceType,
        AvailabilityZone: `${region}a`,
        LifecycleState: i.state === 'running' ? 'InService' : 'Pending',
        HealthStatus: 'Healthy',
        LaunchTemplate: i.launchTemplate ? { LaunchTemplateId: i.launchTemplate.id, LaunchTemplateName: i.launchTemplate.name, Version: i.launchTemplate.version } : undefined,
        ProtectedFromScaleIn: false,
      })),
    Tags: Object.entries(group.tags).map(([Key, Value]) => ({ Key, Value, ResourceId: group.name, ResourceType: 'auto-scaling-group', PropagateAtLaunch: true })),
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: false,
    ServiceLinkedRoleARN: `arn:aws:iam::${accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
  };
}

export const describeAutoScalingGroups: Operation<DescribeAutoScalingGroupsCommandInput, DescribeAutoScalingGroupsCommandOutput> = async (ctx, input) => {
  let groups = Object.values(ctx.regionState.autoScalingGroups);
  if (input.AutoScalingGroupNames?.length) groups = groups.filter((g) => input.AutoScalingGroupNames?.includes(g.name));
  for (const filter of input.Filters ?? []) {
    const values = filter.Values ?? [];
    groups = groups.filter((g) => {
      if (filter.Name === 'tag-key') return values.some((v) => v in g.tags);
      if (filter.Name === 'tag-value') return Object.values(g.tags).some((t) => values.includes(t));
      if (filter.Name?.startsWith('tag:')) return values.some((v) => g.tags[filter.Name?.slice(4) ?? ''] !== undefined && globMatches(v, g.tags[filter.Name?.slice(4) ?? '']));
      return fail('ValidationError', `Filter name ${filter.Name} is not valid`);
    });
  }
  const page = paginate(groups, { MaxResults: input.MaxRecords, NextToken: input.NextToken }, {
    defaultMax: 50,
    maxLimit: 100,
    invalidTokenCode: 'InvalidNextToken',
    invalidParameterCode: 'ValidationError',
  });
  return { AutoScalingGroups: page.items.map((g) => groupOut(ctx.world, g, ctx.account, ctx.region)), NextToken: page.nextToken };
};

/**
 * One instance of a refresh is replaced: terminated, and a new one launched (already in service) from the
 * refresh's launch template version. Steps are scheduled when the refresh starts, one per instance.
 */
registerTransition('autoscaling.refreshStep', (world, t) => {
  const regionState = world.region(t.accountId, t.region);
  const group = regionState.autoScalingGroups[t.resourceId];
  const refresh = group?.instanceRefreshes.find((r) => r.instanceRefreshId === t.data?.refreshId);
  if (!group || !refresh || refresh.status !== 'InProgress') return;
  const index = Number(t.data?.index ?? 0);
  const total = Number(t.data?.total ?? 1);
  const spec = (t.data?.launchTemplate as { id: string; name: string; version: string } | undefined) ?? {
    id: group.launchTemplate.launchTemplateId,
    name: group.launchTemplate.launchTemplateName,
    version: group.launchTemplate.version,
  };
  const template = regionState.launchTemplates[spec.id];
  const versionNumber = template ? resolveTemplateVersion(template, spec.version) : undefined;
  const data = template && versionNumber !== undefined ? template.versions[String(versionNumber)].data : undefined;
  const imageId = launchTemplateImageId(world, t.accountId, t.region, data?.ImageId);
  const image = imageId ? Object.values(world.state.accounts).map((a) => a.regions[t.region]?.images[imageId]).find(Boolean) : undefined;
  if (!template || !image || image.state !== 'available') {
    refresh.status = 'Failed';
    refresh.statusReason = `Instance refresh failed: the launch template version ${spec.version} cannot launch (image ${data?.ImageId ?? 'none'} not available).`;
    refresh.endTime = world.now();
    return;
  }
  if (world.faults.fires('autoscaling.refreshFails', { accountId: t.accountId, region: t.region })) {
    refresh.status = 'Failed';
    refresh.statusReason = 'Instance refresh failed: new instances failed their health checks (simulated fault autoscaling.refreshFails).';
    refresh.endTime = world.now();
    return;
  }
  const oldId = group.instanceIds[index];
  const old: InstanceRecord | undefined = oldId ? regionState.instances[oldId] : undefined;
  if (old && old.state !== 'terminated') {
    old.state = 'terminated';
    old.agentOnlineAt = undefined;
    old.stateTransitionReason = `Instance refresh ${refresh.instanceRefreshId}`;
  }
  const instanceId = world.nextId('i');
  const software = structuredClone(image.software);
  bootSoftware(software, { instanceId, keyName: old?.keyName });
  regionState.instances[instanceId] = {
    instanceId,
    imageId: image.imageId,
    instanceType: String(data?.InstanceType ?? old?.instanceType ?? 't3.micro'),
    architecture: image.architecture,
    platform: image.platform,
    platformDetails: image.platformDetails,
    state: 'running',
    stateTransitionReason: '',
    launchTime: world.now(),
    subnetId: old?.subnetId,
    vpcId: old?.vpcId,
    securityGroupIds: old?.securityGroupIds ?? [],
    privateIpAddress: old?.privateIpAddress ?? '10.0.0.10',
    iamInstanceProfile: old?.iamInstanceProfile,
    keyName: old?.keyName,
    metadataOptions: old?.metadataOptions ?? { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 2 },
    launchTemplate: { id: template.launchTemplateId, name: template.launchTemplateName, version: String(versionNumber) },
    volumes: volumesFromImage(world, image),
    tags: { ...(old?.tags ?? {}), 'aws:autoscaling:groupName': group.name },
    // The agent of a replacement registers as on any launch, if the old instance's agent did.
    agentOnlineAt: old?.agentOnlineAt !== undefined && image.software.ssmAgent ? world.now() + AGENT_ONLINE_AFTER_RUNNING_MS : undefined,
    software,
  };
  if (index < group.instanceIds.length) group.instanceIds[index] = instanceId;
  else group.instanceIds.push(instanceId);
  refresh.percentageComplete = Math.round(((index + 1) / total) * 100);
  if (index + 1 >= total) {
    refresh.status = 'Successful';
    refresh.endTime = world.now();
  }
});

/** Instances a refresh replaces at once: what the minimum healthy percentage lets go out of service, at least one. */
export function refreshBatchSize(total: number, minHealthyPercentage: number): number {
  return Math.max(1, total - Math.ceil((total * minHealthyPercentage) / 100));
}

/** A cancelled refresh settles from Cancelling to Cancelled (an assumption: AWS gives no figure; a minute here). */
export const REFRESH_CANCEL_MS = 60_000;

registerTransition('autoscaling.refreshCancelled', (world, t) => {
  const group = world.region(t.accountId, t.region).autoScalingGroups[t.resourceId];
  const refresh = group?.instanceRefreshes.find((r) => r.instanceRefreshId === t.data?.refreshId);
  if (refresh?.status !== 'Cancelling') return;
  refresh.status = 'Cancelled';
  refresh.endTime = world.now();
});

export const cancelInstanceRefresh: Operation<CancelInstanceRefreshCommandInput, CancelInstanceRefreshCommandOutput> = async (ctx, input) => {
  const name = input.AutoScalingGroupName ?? fail('ValidationError', 'AutoScalingGroupName is required');
  const group = ctx.regionState.autoScalingGroups[name] ?? fail('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup ${name} not found`);
  const active = group.instanceRefreshes.find((r) => r.status === 'Pending' || r.status === 'InProgress');
  if (!active) fail('ActiveInstanceRefreshNotFound', `No in progress or pending Instance Refresh found for Auto Scaling group ${name}`);
  // Replacements still scheduled see a status other than InProgress and do nothing.
  active.status = 'Cancelling';
  active.statusReason = 'Instance refresh was cancelled by a user.';
  ctx.world.schedule(REFRESH_CANCEL_MS, 'autoscaling.refreshCancelled', { accountId: ctx.account, region: ctx.region, resourceId: name }, { refreshId: active.instanceRefreshId });
  return { InstanceRefreshId: active.instanceRefreshId };
};

export const startInstanceRefresh: Operation<StartInstanceRefreshCommandInput, StartInstanceRefreshCommandOutput> = async (ctx, input) => {
  const name = input.AutoScalingGroupName ?? fail('ValidationError', 'AutoScalingGroupName is required');
  const group = ctx.regionState.autoScalingGroups[name] ?? fail('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup ${name} not found`);
  if (group.instanceRefreshes.some((r) => r.status === 'Pending' || r.status === 'InProgress')) {
    fail('InstanceRefreshInProgress', `An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.`);
  }
  let launchTemplate: { id: string; name: string; version: string } | undefined;
  const desired = input.DesiredConfiguration?.LaunchTemplate;
  if (desired) {
    const template = findLaunchTemplate(ctx.world, ctx.account, ctx.region, desired.LaunchTemplateId, desired.LaunchTemplateName);
    resolveTemplateVersion(template, desired.Version);
    launchTemplate = { id: template.launchTemplateId, name: template.launchTemplateName, version: desired.Version ?? '$Default' };
  }
  const refreshId = ctx.world.nextUuid();
  group.instanceRefreshes.push({
    instanceRefreshId: refreshId,
    status: 'InProgress',
    startTime: ctx.clock.now(),
    percentageComplete: 0,
    preferences: input.Preferences ? (JSON.parse(JSON.stringify(input.Preferences)) as Record<string, unknown>) : undefined,
    desiredConfiguration: input.DesiredConfiguration ? (JSON.parse(JSON.stringify(input.DesiredConfiguration)) as Record<string, unknown>) : undefined,
  });
  const total = group.instanceIds.length;
  if (total === 0) {
    const refresh = group.instanceRefreshes[group.instanceRefreshes.length - 1];
    refresh.status = 'Successful';
    refresh.percentageComplete = 100;
    refresh.endTime = ctx.clock.now();
  }
  // Replacements in batches of what MinHealthyPercentage leaves out of service (at least one instance at a time;
  // 90 % on a group of 2 replaces one at a time), each batch taking the warm-up time.
  const minHealthy = input.Preferences?.MinHealthyPercentage ?? 90;
  if (!Number.isInteger(minHealthy) || minHealthy < 0 || minHealthy > 100) fail('ValidationError', `MinHealthyPercentage must be between 0 and 100`);
  const batch = refreshBatchSize(total, minHealthy);
  for (let index = 0; index < total; index++) {
    ctx.world.schedule(INSTANCE_REFRESH_PER_INSTANCE_MS * (Math.floor(index / batch) + 1), 'autoscaling.refreshStep', { accountId: ctx.account, region: ctx.region, resourceId: name }, {
      refreshId,
      launchTemplate,
      index,
      total,
    });
  }
  return { InstanceRefreshId: refreshId };
};

export const describeInstanceRefreshes: Operation<DescribeInstanceRefreshesCommandInput, DescribeInstanceRefreshesCommandOutput> = async (ctx, input) => {
  const name = input.AutoScalingGroupName ?? fail('ValidationError', 'AutoScalingGroupName is required');
  const group = ctx.regionState.autoScalingGroups[name];
  const refreshes = [...(group?.instanceRefreshes ?? [])]
    .reverse()
    .filter((r) => !input.InstanceRefreshIds?.length || input.InstanceRefreshIds.includes(r.instanceRefreshId));
  const page = paginate(refreshes, { MaxResults: input.MaxRecords, NextToken: input.NextToken }, { defaultMax: 50, maxLimit: 100, invalidParameterCode: 'ValidationError' });
  return {
    InstanceRefreshes: page.items.map((r) => ({
      InstanceRefreshId: r.instanceRefreshId,
      AutoScalingGroupName: name,
      Status: r.status,
      StartTime: new Date(r.startTime),
      EndTime: r.endTime !== undefined ? new Date(r.endTime) : undefined,
      PercentageComplete: r.percentageComplete,
      StatusReason: r.statusReason,
      Preferences: r.preferences,
    })),
    NextToken: page.nextToken,
  };
};

export const autoScalingOperations = {
  DescribeAutoScalingGroups: describeAutoScalingGroups,
  StartInstanceRefresh: startInstanceRefresh,
  DescribeInstanceRefreshes: describeInstanceRefreshes,
  CancelInstanceRefresh: cancelInstanceRefresh,
};
