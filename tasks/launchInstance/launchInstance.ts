/**
 * launchInstance: start one builder or test instance. Idempotent through RunInstances' ClientToken: a retry
 * of the same execution and purpose returns the instance of the first call instead of starting another.
 */
import { createHash } from 'node:crypto';
import { DescribeImagesCommand, RunInstancesCommand, type BlockDeviceMapping, type EC2Client } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import { TAG } from '../../pipeline/tags';
import type { launchInstanceEventSchema, launchInstanceResultSchema } from '../contracts';
import { isPermanentAwsError } from '../common/aws-errors';
import { toEc2Tags } from '../common/tags';
import { InstanceLaunchFailed } from '../errors';

export type LaunchInstanceEvent = z.output<typeof launchInstanceEventSchema>;
export type LaunchInstanceResult = z.output<typeof launchInstanceResultSchema>;

/** RunInstances ClientToken: at most 64 ASCII characters, so a SHA-256 hex digest (exactly 64). */
export function clientToken(executionArn: string, purpose: string): string {
  return createHash('sha256').update(`${executionArn}\n${purpose}`).digest('hex');
}

/** The root volume resized to `sizeGiB`, on the image's own root device name. */
async function rootVolume(ec2: EC2Client, imageId: string, sizeGiB: number): Promise<BlockDeviceMapping[]> {
  const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true }))).Images?.[0];
  if (!image?.RootDeviceName) throw new InstanceLaunchFailed(`image ${imageId} not found or has no root device: cannot size its root volume`);
  return [{ DeviceName: image.RootDeviceName, Ebs: { VolumeSize: sizeGiB, VolumeType: 'gp3', DeleteOnTermination: true } }];
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
  try {
    const blockDevices = event.rootVolumeSizeGiB ? await rootVolume(clients.ec2, event.imageId, event.rootVolumeSizeGiB) : undefined;
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
        BlockDeviceMappings: blockDevices,
        TagSpecifications: [
          { ResourceType: 'instance', Tags: tags },
          { ResourceType: 'volume', Tags: tags },
        ],
      }),
    );
    const instanceId = result.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new InstanceLaunchFailed(`RunInstances for ${what} returned no instance`);
    return { instanceId };
  } catch (error) {
    if (isPermanentAwsError(error)) {
      throw new InstanceLaunchFailed(`RunInstances for ${what} (image ${event.imageId}, ${event.instanceType}, subnet ${event.subnetId}) was refused: ${error.name}: ${error.message}`);
    }
    throw error;
  }
}
