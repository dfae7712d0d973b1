/**
 * Instances: RunInstances (ClientToken idempotency, tags, IMDSv2 options, launch templates, launch permission
 * and KMS checks for shared images), DescribeInstances, StartInstances, StopInstances, TerminateInstances.
 */
import type {
  BlockDeviceMapping,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  Instance,
  InstanceStateChange,
  RequestLaunchTemplateData,
  Reservation,
  RunInstancesCommandInput,
  RunInstancesCommandOutput,
  StartInstancesCommandInput,
  StartInstancesCommandOutput,
  StopInstancesCommandInput,
  StopInstancesCommandOutput,
  TerminateInstancesCommandInput,
  TerminateInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import { fail } from '../../errors';
import { paginate, type Operation, type OperationContext } from '../../operations';
import type { InstanceRecord, InstanceStateName, LaunchTemplateRecord, World } from '../../world';
import { registerTransition } from '../../world';
import { bootSoftware } from '../../packages/base-images';
import { canUseKey, findKey } from '../kms';
import { checkLaunchAllowed } from './allowed-images';
import { anyMatches, checkIdFormat, iso, parseFilters, STATE_CODES, tagFilterMatches, tagsFor, tagsOut, visibleImage } from './common';
import { launchBootMode, launchVolumes } from './volumes';
import { launchTemplateImageId } from './images';
import { checkTagCount } from './limits';
import {
  AGENT_ONLINE_AFTER_RUNNING_MS,
  FAILED_LAUNCH_MS,
  INSTANCE_PENDING_MS,
  INSTANCE_SHUTTING_DOWN_MS,
  INSTANCE_STOPPING_MS,
  TERMINATED_VISIBLE_MS,
} from './timings';

// ---------------------------------------------------------------------------------------------------- transitions

registerTransition('ec2.instanceState', (world, t) => {
  const instance = world.region(t.accountId, t.region).instances[t.resourceId];
  if (!instance) return;
  const to = t.data?.to as InstanceStateName;
  instance.state = to;
  if (to === 'terminated' || to === 'stopped') {
    instance.stateTransitionReason = `User initiated (${iso(world.now())})`;
    instance.stateReason = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
  }
  if (to === 'terminated') world.schedule(TERMINATED_VISIBLE_MS, 'ec2.instanceGone', t);
});

registerTransition('ec2.instanceFailedLaunch', (world, t) => {
  const instance = world.region(t.accountId, t.region).instances[t.resourceId];
  if (!instance) return;
  instance.state = 'terminated';
  instance.agentOnlineAt = undefined;
  instance.stateTransitionReason = 'Server.InternalError';
  const code = typeof t.data?.reasonCode === 'string' ? t.data.reasonCode : 'Client.InternalError';
  const message = typeof t.data?.reasonMessage === 'string' ? t.data.reasonMessage : 'Client.InternalError: Client error on launch';
  instance.stateReason = { code, message };
  world.schedule(TERMINATED_VISIBLE_MS, 'ec2.instanceGone', t);
});

registerTransition('ec2.instanceGone', (world, t) => {
  delete world.region(t.accountId, t.region).instances[t.resourceId];
});

// ---------------------------------------------------------------------------------------------------- output

export function instanceOut(instance: InstanceRecord, region: string): Instance {
  return {
    InstanceId: instance.instanceId,
    ImageId: instance.imageId,
    InstanceType: instance.instanceType as Instance['InstanceType'],
    Architecture: instance.architecture as Instance['Architecture'],
    Platform: instance.platform ? 'Windows' : undefined,
    PlatformDetails: instance.platformDetails,
    State: { Code: STATE_CODES[instance.state], Name: instance.state },
    StateTransitionReason: instance.stateTransitionReason,
    StateReason: instance.stateReason ? { Code: instance.stateReason.code, Message: instance.stateReason.message } : undefined,
    LaunchTime: new Date(instance.launchTime),
    Placement: { AvailabilityZone: `${region}a`, Tenancy: 'default' },
    SubnetId: instance.state === 'terminated' ? undefined : instance.subnetId,
    VpcId: instance.state === 'terminated' ? undefined : instance.vpcId,
    PrivateIpAddress: instance.state === 'terminated' ? undefined : instance.privateIpAddress,
    SecurityGroups: instance.securityGroupIds.map((GroupId) => ({ GroupId })),
    IamInstanceProfile: instance.iamInstanceProfile ? { Arn: instance.iamInstanceProfile.arn, Id: instance.iamInstanceProfile.name } : undefined,
    KeyName: instance.keyName,
    MetadataOptions: {
      State: instance.state === 'pending' ? 'pending' : 'applied',
      HttpTokens: instance.metadataOptions.httpTokens,
      HttpEndpoint: instance.metadataOptions.httpEndpoint,
      HttpPutResponseHopLimit: instance.metadataOptions.httpPutResponseHopLimit,
    },
    ClientToken: instance.clientToken,
    RootDeviceName: instance.volumes[0]?.deviceName,
    RootDeviceType: 'ebs',
    BlockDeviceMappings: instance.volumes.map((v) => ({
      DeviceName: v.deviceName,
      Ebs: { VolumeId: v.volumeId, Status: 'attached', DeleteOnTermination: v.deleteOnTermination ?? true, AttachTime: new Date(instance.launchTime) },
    })),
    CurrentInstanceBootMode: instance.bootMode,
    TpmSupport: instance.tpmSupport,
    Tags: tagsOut(instance.tags),
  };
}

// ---------------------------------------------------------------------------------------------------- RunInstances

/** The launch template version RunInstances and Auto Scaling resolve (`$Default`, `$Latest` or a number). */
export function resolveTemplateVersion(template: LaunchTemplateRecord, version: string | undefined): number {
  if (version === undefined || version === '$Default') return template.defaultVersion;
  if (version === '$Latest') return template.latestVersion;
  const n = Number(version);
  if (!Number.isInteger(n) || !template.versions[String(n)]) {
    fail('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${version} for launch template ${template.launchTemplateId}`);
  }
  return n;
}

export function findLaunchTemplate(world: World, accountId: string, region: string, id: string | undefined, name: string | undefined): LaunchTemplateRecord {
  const templates = world.region(accountId, region).launchTemplates;
  if (id) {
    checkIdFormat(id, 'lt', 'InvalidLaunchTemplateId.Malformed');
    return templates[id] ?? fail('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
  }
  if (name) {
    return (
      Object.values(templates).find((t) => t.launchTemplateName === name) ??
      fail('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${name}, does not exist.`)
    );
  }
  return fail('MissingParameter', 'The request must contain the parameter LaunchTemplateName or LaunchTemplateId');
}

function hashInput(input: RunInstancesCommandInput): string {
  const { ClientToken: _token, ...rest } = input;
  return JSON.stringify(rest);
}

function instanceProfile(ctx: OperationContext, spec: { Arn?: string; Name?: string } | undefined): InstanceRecord['iamInstanceProfile'] {
  if (!spec || (!spec.Arn && !spec.Name)) return undefined;
  const name = spec.Name ?? spec.Arn?.split('/').pop() ?? '';
  const profile = ctx.world.account(ctx.account).instanceProfiles[name];
  if (!profile || (spec.Arn && spec.Arn !== profile.arn)) {
    fail('InvalidParameterValue', `Value (${spec.Arn ?? spec.Name}) for parameter iamInstanceProfile.${spec.Arn ? 'arn' : 'name'} is invalid. Invalid IAM Instance Profile ${spec.Arn ? 'ARN' : 'name'}`);
  }
  return { arn: profile.arn, name: profile.name };
}

/** The instance profile's role carries the SSM managed policy (needed for the agent to register). */
function profileAllowsSsm(ctx: OperationContext, profileName: string | undefined): boolean {
  if (!profileName) return false;
  const account = ctx.world.account(ctx.account);
  const role = account.roles[account.instanceProfiles[profileName]?.roleName ?? ''];
  return role?.managedPolicies.some((p) => p.endsWith('AmazonSSMManagedInstanceCore')) ?? false;
}

export const runInstances: Operation<RunInstancesCommandInput, RunInstancesCommandOutput> = async (ctx, input) => {
  const { world, account, region, regionState } = ctx;
  const tokenKey = input.ClientToken ? `RunInstances:${input.ClientToken}` : undefined;
  const fingerprint = hashInput(input);
  if (tokenKey) {
    const earlier = regionState.clientTokens[tokenKey];
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) fail('IdempotentParameterMismatch', `Client token ${input.ClientToken} was used with different parameters`);
      const ids = earlier.id.split(',');
      return {
        ReservationId: ids[0],
        OwnerId: account,
        Groups: [],
        Instances: ids.slice(1).map((id) => regionState.instances[id]).filter(Boolean).map((i) => instanceOut(i, region)),
      };
    }
  }
  // Launch template data first, then explicit parameters override it (RunInstances semantics).
  let templateData: RequestLaunchTemplateData = {};
  let templateRef: InstanceRecord['launchTemplate'];
  if (input.LaunchTemplate) {
    const template = findLaunchTemplate(world, account, region, input.LaunchTemplate.LaunchTemplateId, input.LaunchTemplate.LaunchTemplateName);
    const version = resolveTemplateVersion(template, input.LaunchTemplate.Version);
    templateData = template.versions[String(version)].data as RequestLaunchTemplateData;
    templateRef = { id: template.launchTemplateId, name: template.launchTemplateName, version: String(version) };
  }
  // ImageId may be `resolve:ssm:<parameter>` in RunInstances as in launch templates.
  const imageRef = launchTemplateImageId(world, account, region, input.ImageId ?? templateData.ImageId);
  if (!imageRef) fail('MissingParameter', 'The request must contain the parameter ImageId');
  const { image, ownerId } = visibleImage(world, region, account, imageRef);
  if (image.state !== 'available') fail('InvalidAMIID.Unavailable', `The image '${imageRef}' is not available (state: ${image.state})`);
  // Allowed AMIs: refused when enabled, flagged in audit mode.
  const imageAllowed = checkLaunchAllowed(world, account, region, image);
  const min = input.MinCount ?? 1;
  const max = input.MaxCount ?? min;
  if (min < 1 || max < min) fail('InvalidParameterValue', 'MinCount and MaxCount must be at least 1 and MinCount <= MaxCount');
  if (max > 20) fail('InstanceLimitExceeded', 'You have requested more instances (' + max + ') than your current instance limit of 20 allows for the specified instance type.');
  const instanceType = input.InstanceType ?? templateData.InstanceType ?? 'm1.small';
  // Architecture and boot mode of the image against the instance type; volumes from the image and the request.
  const bootMode = launchBootMode(image, instanceType);
  const launch = launchVolumes(ctx, image, ownerId, input.BlockDeviceMappings ?? (templateData.BlockDeviceMappings as BlockDeviceMapping[] | undefined));
  const profile = instanceProfile(ctx, input.IamInstanceProfile ?? templateData.IamInstanceProfile);
  const metadata = { ...(templateData.MetadataOptions ?? {}), ...(input.MetadataOptions ?? {}) };
  const httpTokens = metadata.HttpTokens ?? (image.imdsSupport === 'v2.0' ? 'required' : 'optional');
  const tags = { ...tagsFor(templateData.TagSpecifications, 'instance'), ...tagsFor(input.TagSpecifications, 'instance') };
  // The launch template's tags and the request's are merged: together at most 50 user tags.
  checkTagCount({}, Object.keys(tags));
  // Launching from a shared image encrypted with another account's key needs access to that key.
  const kmsBlocked = image.blockDeviceMappings.some((device) => {
    if (!device.encrypted || !device.kmsKeyId) return false;
    const key = findKey(world, ownerId, region, device.kmsKeyId);
    return !key || !canUseKey(key, account);
  });
  const reservationId = world.nextId('r');
  const now = ctx.clock.now();
  const subnetId = input.SubnetId ?? templateData.NetworkInterfaces?.[0]?.SubnetId;
  const securityGroupIds = input.SecurityGroupIds ?? templateData.SecurityGroupIds ?? templateData.NetworkInterfaces?.[0]?.Groups ?? [];
  const failsToStart = ctx.faults.fires('ec2.instanceFailsToStart', ctx.scope);
  const instances: InstanceRecord[] = [];
  for (let n = 0; n < max; n++) {
    const instanceId = world.nextId('i');
    const sequence = world.state.sequence;
    const instance: InstanceRecord = {
      instanceId,
      imageId: image.imageId,
      ...(imageAllowed ? {} : { imageAllowed: false }),
      instanceType,
      architecture: image.architecture,
      platform: image.platform,
      platformDetails: image.platformDetails,
      state: 'pending',
      launchTime: now,
      stateTransitionReason: '',
      subnetId,
      vpcId: subnetId ? 'vpc-0a1b2c3d4e5f60000' : undefined,
      securityGroupIds,
      privateIpAddress: `10.0.${(sequence >> 8) & 255}.${sequence & 255}`,
      iamInstanceProfile: profile,
      keyName: input.KeyName ?? templateData.KeyName,
      metadataOptions: {
        httpTokens,
        httpEndpoint: metadata.HttpEndpoint ?? 'enabled',
        httpPutResponseHopLimit: metadata.HttpPutResponseHopLimit ?? (httpTokens === 'required' ? 2 : 1),
      },
      launchTemplate: templateRef,
      clientToken: input.ClientToken,
      volumes: n === 0 ? launch.volumes : launch.volumes.map((v) => ({ ...v, volumeId: world.nextId('vol') })),
      bootMode,
      tpmSupport: image.tpmSupport,
      tags: { ...tags },
      software: structuredClone(image.software),
    };
    if (templateRef) {
      instance.tags['aws:ec2launchtemplate:id'] = templateRef.id;
      instance.tags['aws:ec2launchtemplate:version'] = templateRef.version;
    }
    // First boot adds host keys, the key pair's public key and cloud-init logs to the instance's disk.
    bootSoftware(instance.software, { instanceId, keyName: instance.keyName });
    regionState.instances[instanceId] = instance;
    const target = { accountId: account, region, resourceId: instanceId };
    if (launch.kmsKeyUnusable) {
      // EC2 accepts the launch; the instance terminates when EBS cannot use the key (see volumes.ts for sources).
      world.schedule(FAILED_LAUNCH_MS, 'ec2.instanceFailedLaunch', target, {
        reasonCode: 'Client.InvalidKMSKey.InvalidState',
        reasonMessage: 'Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state',
      });
    } else if (kmsBlocked || failsToStart) {
      world.schedule(FAILED_LAUNCH_MS, 'ec2.instanceFailedLaunch', target);
    } else {
      world.schedule(INSTANCE_PENDING_MS, 'ec2.instanceState', target, { to: 'running' });
      if (instance.software.ssmAgent && profileAllowsSsm(ctx, profile?.name) && !ctx.faults.fires('ssm.agentNeverOnline', ctx.scope)) {
        instance.agentOnlineAt = now + INSTANCE_PENDING_MS + AGENT_ONLINE_AFTER_RUNNING_MS;
      }
    }
    instances.push(instance);
  }
  // EC2 records when an image was last used to launch (the owner sees it; retention policies read it).
  image.lastLaunchedTime = now;
  if (tokenKey) regionState.clientTokens[tokenKey] = { id: [reservationId, ...instances.map((i) => i.instanceId)].join(','), fingerprint };
  return { ReservationId: reservationId, OwnerId: account, Groups: [], Instances: instances.map((i) => instanceOut(i, region)) };
};

// ---------------------------------------------------------------------------------------------------- DescribeInstances

const INSTANCE_FILTERS = [
  'instance-id', 'image-id', 'instance-state-name', 'instance-state-code', 'instance-type', 'subnet-id', 'vpc-id',
  'iam-instance-profile.arn', 'private-ip-address', 'architecture', 'platform', 'tag-key', 'tag-value', 'client-token',
];

export const describeInstances: Operation<DescribeInstancesCommandInput, DescribeInstancesCommandOutput> = async (ctx, input) => {
  const { regionState, region } = ctx;
  const filters = parseFilters(input.Filters, INSTANCE_FILTERS);
  let candidates: InstanceRecord[];
  if (input.InstanceIds && input.InstanceIds.length > 0) {
    if (input.MaxResults !== undefined) fail('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    const missing: string[] = [];
    candidates = [];
    for (const id of input.InstanceIds) {
      checkIdFormat(id, 'i', 'InvalidInstanceID.Malformed');
      const instance = regionState.instances[id];
      if (instance) candidates.push(instance);
      else missing.push(id);
    }
    if (missing.length > 0) fail('InvalidInstanceID.NotFound', `The instance ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' do${missing.length > 1 ? '' : 'es'} not exist`);
  } else {
    candidates = Object.values(regionState.instances);
  }
  const matching = candidates.filter((instance) =>
    filters.every((f) => {
      const tag = tagFilterMatches(f, instance.tags);
      if (tag !== undefined) return tag;
      switch (f.name) {
        case 'instance-id': return anyMatches(f.values, instance.instanceId);
        case 'image-id': return anyMatches(f.values, instance.imageId);
        case 'instance-state-name': return anyMatches(f.values, instance.state);
        case 'instance-state-code': return anyMatches(f.values, String(STATE_CODES[instance.state]));
        case 'instance-type': return anyMatches(f.values, instance.instanceType);
        case 'subnet-id': return anyMatches(f.values, instance.subnetId);
        case 'vpc-id': return anyMatches(f.values, instance.vpcId);
        case 'iam-instance-profile.arn': return anyMatches(f.values, instance.iamInstanceProfile?.arn);
        case 'private-ip-address': return anyMatches(f.values, instance.privateIpAddress);
        case 'architecture': return anyMatches(f.values, instance.architecture);
        case 'platform': return anyMatches(f.values, instance.platform);
        case 'client-token': return anyMatches(f.values, instance.clientToken);
        default: return false;
      }
    }),
  );
  const page = paginate(matching, input, {
    defaultMax: 1000,
    minLimit: 5,
    maxLimit: 1000,
    invalidTokenCode: 'InvalidParameterValue',
    invalidParameterCode: 'InvalidParameterValue',
    queryFingerprint: JSON.stringify(input.Filters ?? []),
  });
  // One reservation per instance is enough: callers read Instances from every reservation.
  const reservations: Reservation[] = page.items.map((instance) => ({
    ReservationId: `r-${instance.instanceId.slice(2)}`,
    OwnerId: ctx.account,
    Groups: [],
    Instances: [instanceOut(instance, region)],
  }));
  return { Reservations: reservations, NextToken: page.nextToken };
};

// ---------------------------------------------------------------------------------------------------- Stop / Terminate

function existingInstances(ctx: OperationContext, ids: string[] | undefined): InstanceRecord[] {
  if (!ids || ids.length === 0) fail('MissingParameter', 'The request must contain the parameter InstanceId');
  const missing = ids.filter((id) => {
    checkIdFormat(id, 'i', 'InvalidInstanceID.Malformed');
    return !ctx.regionState.instances[id];
  });
  if (missing.length > 0) fail('InvalidInstanceID.NotFound', `The instance ID '${missing.join(', ')}' does not exist`);
  return ids.map((id) => ctx.regionState.instances[id]);
}

function change(instance: InstanceRecord, previous: InstanceStateName): InstanceStateChange {
  return {
    InstanceId: instance.instanceId,
    PreviousState: { Code: STATE_CODES[previous], Name: previous },
    CurrentState: { Code: STATE_CODES[instance.state], Name: instance.state },
  };
}

export const stopInstances: Operation<StopInstancesCommandInput, StopInstancesCommandOutput> = async (ctx, input) => {
  const instances = existingInstances(ctx, input.InstanceIds);
  for (const instance of instances) {
    if (instance.state === 'terminated' || instance.state === 'shutting-down') {
      fail('IncorrectInstanceState', `This instance '${instance.instanceId}' is not in a state from which it can be stopped.`);
    }
  }
  return {
    StoppingInstances: instances.map((instance) => {
      const previous = instance.state;
      if (previous === 'pending' || previous === 'running') {
        ctx.world.cancelTransitions(instance.instanceId, 'ec2.instanceState');
        instance.state = 'stopping';
        instance.agentOnlineAt = undefined;
        ctx.world.schedule(INSTANCE_STOPPING_MS, 'ec2.instanceState', { accountId: ctx.account, region: ctx.region, resourceId: instance.instanceId }, { to: 'stopped' });
      }
      return change(instance, previous);
    }),
  };
};

export const startInstances: Operation<StartInstancesCommandInput, StartInstancesCommandOutput> = async (ctx, input) => {
  const instances = existingInstances(ctx, input.InstanceIds);
  for (const instance of instances) {
    if (instance.state !== 'stopped' && instance.state !== 'pending' && instance.state !== 'running') {
      fail('IncorrectInstanceState', `The instance '${instance.instanceId}' is not in a state from which it can be started.`);
    }
  }
  return {
    StartingInstances: instances.map((instance) => {
      const previous = instance.state;
      if (previous === 'stopped') {
        instance.state = 'pending';
        instance.stateReason = undefined;
        instance.stateTransitionReason = '';
        const target = { accountId: ctx.account, region: ctx.region, resourceId: instance.instanceId };
        ctx.world.schedule(INSTANCE_PENDING_MS, 'ec2.instanceState', target, { to: 'running' });
        if (instance.software.ssmAgent && profileAllowsSsm(ctx, instance.iamInstanceProfile?.name)) {
          instance.agentOnlineAt = ctx.clock.now() + INSTANCE_PENDING_MS + AGENT_ONLINE_AFTER_RUNNING_MS;
        }
      }
      return change(instance, previous);
    }),
  };
};

export const terminateInstances: Operation<TerminateInstancesCommandInput, TerminateInstancesCommandOutput> = async (ctx, input) => {
  const instances = existingInstances(ctx, input.InstanceIds);
  return {
    TerminatingInstances: instances.map((instance) => {
      const previous = instance.state;
      if (previous !== 'terminated' && previous !== 'shutting-down') {
        ctx.world.cancelTransitions(instance.instanceId, 'ec2.instanceState');
        instance.state = 'shutting-down';
        instance.agentOnlineAt = undefined;
        ctx.world.schedule(INSTANCE_SHUTTING_DOWN_MS, 'ec2.instanceState', { accountId: ctx.account, region: ctx.region, resourceId: instance.instanceId }, { to: 'terminated' });
      }
      return change(instance, previous);
    }),
  };
};
