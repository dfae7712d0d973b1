/**
 * launchInstance: start one builder or test instance. Idempotent through RunInstances' ClientToken: a retry
 * of the same execution and purpose returns the instance of the first call instead of starting another.
 * With an image spec (the builder), the base image is described first: its root size, boot mode and NitroTPM
 * are checked against the spec (InstanceLaunchFailed naming the config field), and the volumes are mapped and
 * encrypted as the spec says.
 */
import { createHash } from 'node:crypto';
import { DescribeImagesCommand, RunInstancesCommand, type BlockDeviceMapping, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import { TAG } from '../../pipeline/tags';
import type { launchInstanceEventSchema, launchInstanceResultSchema } from '../contracts';
import { isPermanentAwsError } from '../common/aws-errors';
import { toEc2Tags } from '../common/tags';
import { InstanceLaunchFailed } from '../errors';
import { baseImageMismatch, launchMappings } from './image-spec';

export type LaunchInstanceEvent = z.output<typeof launchInstanceEventSchema>;
export type LaunchInstanceResult = z.output<typeof launchInstanceResultSchema>;

/** RunInstances ClientToken: at most 64 ASCII characters, so a SHA-256 hex digest (exactly 64). */
export function clientToken(executionArn: string, purpose: string): string {
  return createHash('sha256').update(`${executionArn}\n${purpose}`).digest('hex');
}

async function describeLaunchImage(ec2: EC2Client, imageId: string): Promise<Image & { RootDeviceName: string }> {
  let image: Image | undefined;
  try {
    image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true }))).Images?.[0];
  } catch (error) {
    // Named here, so the RunInstances refusal below never describes a DescribeImages one.
    if (isPermanentAwsError(error)) throw new InstanceLaunchFailed(`DescribeImages of ${imageId} (to map its volumes) was refused: ${error.name}: ${error.message}`);
    throw error;
  }
  if (!image?.RootDeviceName) throw new InstanceLaunchFailed(`image ${imageId} not found or has no root device: cannot map its volumes`);
  return image as Image & { RootDeviceName: string };
}

/** The block device mappings of the launch, and the root device they start from. */
async function blockDevicesFor(ec2: EC2Client, event: LaunchInstanceEvent): Promise<{ mappings?: BlockDeviceMapping[]; rootDeviceName?: string }> {
  if (event.image) {
    const base = await describeLaunchImage(ec2, event.imageId);
    const mismatch = baseImageMismatch(base, event.image);
    if (mismatch) throw new InstanceLaunchFailed(`cannot launch the ${event.purpose} instance of ${event.run.pipeline} v${event.version}: ${mismatch}`);
    return { mappings: launchMappings(base.RootDeviceName, event.image), rootDeviceName: base.RootDeviceName };
  }
  if (event.rootVolumeSizeGiB) {
    const image = await describeLaunchImage(ec2, event.imageId);
    return { mappings: [{ DeviceName: image.RootDeviceName, Ebs: { VolumeSize: event.rootVolumeSizeGiB, VolumeType: 'gp3', DeleteOnTermination: true } }] };
  }
  return {};
}

export async function launchInstance(clients: { ec2: EC2Client }, event: LaunchInstanceEvent): Promise<LaunchInstanceResult> {
  const { run, purpose, version } = event;
  const tags = toEc2Tags(event.tags, {
    Name: `${run.pipeline}-v${version}-${purpose}`,
    [TAG.pipeline]: run.pipeline,
    [TAG.execution]: run.executionArn,
    [TAG.purpose]: purpose,
    [TAG.version]: String(version),
  });
  const what = `the ${purpose} instance of ${run.pipeline} v${version}`;
  const blockDevices = await blockDevicesFor(clients.ec2, event);
  try {
    const result = await clients.ec2.send(
      new RunInstancesCommand({
        ImageId: event.imageId,
        InstanceType: event.instanceType as RunInstancesCommand['input']['InstanceType'],
        MinCount: 1,
        MaxCount: 1,
        ClientToken: clientToken(run.executionArn, purpose),
        SubnetId: event.subnetId,
        SecurityGroupIds: event.securityGroupIds,
        IamInstanceProfile: { Name: event.instanceProfile },
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
        BlockDeviceMappings: blockDevices.mappings,
        TagSpecifications: [
          { ResourceType: 'instance', Tags: tags },
          { ResourceType: 'volume', Tags: tags },
        ],
      }),
    );
    const instanceId = result.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new InstanceLaunchFailed(`RunInstances for ${what} returned no instance`);
    return blockDevices.rootDeviceName ? { instanceId, rootDeviceName: blockDevices.rootDeviceName } : { instanceId };
  } catch (error) {
    if (isPermanentAwsError(error)) {
      throw new InstanceLaunchFailed(`RunInstances for ${what} (image ${event.imageId}, ${event.instanceType}, subnet ${event.subnetId}) was refused: ${error.name}: ${error.message}`);
    }
    throw error;
  }
}
