import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_TAGS_PER_RESOURCE, MAX_USER_TAGS, PIPELINE_IMAGE_TAG_KEYS, PIPELINE_INSTANCE_TAG_KEYS } from '../../pipeline/limits';
import { lineageTags } from '../../tasks/createImage/createImage';
import { launchInstance } from '../../tasks/launchInstance/launchInstance';

const run = { pipeline: 'web-base', executionArn: 'arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:x', executionName: 'x', now: '2026-11-22T09:00:00.000Z' };
const launchEvent = {
  run,
  purpose: 'build' as const,
  imageId: 'ami-0123456789abcdef0',
  version: 1,
  instanceType: 't3.medium',
  subnetId: 'subnet-0a1b2c3d4e5f67890',
  securityGroupIds: ['sg-0123456789abcdef0'],
  instanceProfile: 'gami-web-base-builder',
};

describe('pipeline/limits', () => {
  it('counts every tag createImage puts on an image among the pipeline\'s own (so the user-tag limit stays true)', () => {
    // Act
    const keys = Object.keys(
      lineageTags({
        run,
        instanceId: 'i-0123456789abcdef0',
        imageName: 'web-base-1-20261122',
        description: 'd',
        version: 1,
        baseImageId: 'ami-0123456789abcdef0',
        components: ['os-update'],
        tags: {},
      }),
    );

    // Assess
    expect(PIPELINE_IMAGE_TAG_KEYS).toEqual(expect.arrayContaining(keys));
    expect(MAX_USER_TAGS + PIPELINE_IMAGE_TAG_KEYS.length).toBe(MAX_TAGS_PER_RESOURCE);
  });

  it('counts every tag launchInstance puts on an instance and its volume among the pipeline\'s own', async () => {
    // Prepare
    const ec2 = mockClient(EC2Client);
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1' }] });

    // Act: no user tags, so every tag sent is the pipeline's own.
    await launchInstance({ ec2: new EC2Client({ region: 'eu-west-1' }) }, { ...launchEvent, tags: {} });

    // Assess
    const input = ec2.commandCalls(RunInstancesCommand)[0].args[0].input;
    const keys = (input.TagSpecifications ?? []).flatMap((spec) => (spec.Tags ?? []).map((tag) => tag.Key));
    expect(keys.length).toBeGreaterThan(0);
    expect(PIPELINE_INSTANCE_TAG_KEYS).toEqual(expect.arrayContaining(keys));
    ec2.restore();
  });
});
