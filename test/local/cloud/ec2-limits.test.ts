/**
 * The EC2 limits a pipeline runs into (local/cloud/services/ec2/limits.ts), through the real EC2 client: tags per
 * resource, tag keys and values, AMI sharing entities, public AMIs, AMI copies in flight.
 */
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DisableImageBlockPublicAccessCommand,
  ModifyImageAttributeCommand,
  RunInstancesCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { baseImageId, clients, elapse, startExampleCloud, TOOLING, type ExampleCloud } from './cloud-fixture';

const REGION = 'eu-west-1';
let env: ExampleCloud;

beforeEach(async () => {
  env = await startExampleCloud();
});
afterEach(async () => {
  await env.cloud.stop();
});

const tags = (n: number, prefix = 'k'): Tag[] => Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: `v${i}` }));

async function launch(extra: Partial<ConstructorParameters<typeof RunInstancesCommand>[0]> = {}): Promise<string> {
  const run = await clients.ec2(REGION).send(
    new RunInstancesCommand({ ImageId: await baseImageId(), InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, IamInstanceProfile: { Name: 'GamiBuilderInstanceProfile' }, ...extra }),
  );
  await elapse(env.clock, 60_000);
  return run.Instances?.[0].InstanceId ?? '';
}

async function image(name: string, imageTags: Tag[] = []): Promise<string> {
  const instanceId = await launch();
  const created = await clients.ec2(REGION).send(
    new CreateImageCommand({ InstanceId: instanceId, Name: name, TagSpecifications: imageTags.length ? [{ ResourceType: 'image', Tags: imageTags }] : undefined }),
  );
  await elapse(env.clock, 10 * 60_000);
  return created.ImageId ?? '';
}

async function userTags(imageId: string): Promise<Tag[]> {
  return (await clients.ec2(REGION).send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0].Tags ?? [];
}

const TAG_LIMIT = { name: 'TagLimitExceeded', message: "You've reached the limit on the number of tags that you can assign to the specified resource." };

describe('tags per resource (50)', () => {
  it('lets CreateTags reach 50 and overwrite at 50, refuses the 51st, and tags no resource of a refused call', async () => {
    // Prepare
    const ec2 = clients.ec2(REGION);
    const full = await image('limits-full', tags(49));
    const other = await image('limits-other');
    // Act
    await ec2.send(new CreateTagsCommand({ Resources: [full], Tags: [{ Key: 'k49', Value: 'v49' }] }));
    await ec2.send(new CreateTagsCommand({ Resources: [full], Tags: [{ Key: 'k0', Value: 'changed' }] }));
    const refused = await ec2.send(new CreateTagsCommand({ Resources: [other, full], Tags: [{ Key: 'one-more', Value: 'x' }] })).catch((e: unknown) => e);
    // Assess
    expect(refused).toMatchObject(TAG_LIMIT);
    expect(await userTags(full)).toHaveLength(50);
    expect((await userTags(full)).find((t) => t.Key === 'k0')?.Value).toBe('changed');
    expect(await userTags(other)).toEqual([]);
  });

  it('refuses more than 50 tags in TagSpecifications at RunInstances and CreateImage, and on a CopyImage with CopyImageTags', async () => {
    // Prepare
    const ec2 = clients.ec2(REGION);
    const source = await image('limits-source', tags(30, 'src'));
    const instanceId = await launch();
    // Act
    const run = await ec2
      .send(new RunInstancesCommand({ ImageId: await baseImageId(), MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: tags(51) }] }))
      .catch((e: unknown) => e);
    const create = await ec2
      .send(new CreateImageCommand({ InstanceId: instanceId, Name: 'limits-51', TagSpecifications: [{ ResourceType: 'image', Tags: tags(51) }] }))
      .catch((e: unknown) => e);
    const copy = await ec2
      .send(new CopyImageCommand({ SourceImageId: source, SourceRegion: REGION, Name: 'limits-copy', CopyImageTags: true, TagSpecifications: [{ ResourceType: 'image', Tags: tags(21, 'new') }] }))
      .catch((e: unknown) => e);
    const copyAt50 = await ec2.send(
      new CopyImageCommand({ SourceImageId: source, SourceRegion: REGION, Name: 'limits-copy-50', CopyImageTags: true, TagSpecifications: [{ ResourceType: 'image', Tags: tags(20, 'new') }] }),
    );
    // Assess
    expect(run).toMatchObject(TAG_LIMIT);
    expect(create).toMatchObject(TAG_LIMIT);
    expect(copy).toMatchObject(TAG_LIMIT);
    expect(await userTags(copyAt50.ImageId ?? '')).toHaveLength(50);
    const images = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['limits-51', 'limits-copy'] }] }));
    expect(images.Images).toEqual([]);
  });

  it('does not count AWS’s own aws: tags, and keeps them on a DeleteTags without Tags', async () => {
    // Prepare: a launch template puts aws:ec2launchtemplate:* tags on the instance
    const ec2 = clients.ec2(REGION);
    const { CreateLaunchTemplateCommand } = await import('@aws-sdk/client-ec2');
    await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'limits-lt', LaunchTemplateData: { ImageId: await baseImageId(), InstanceType: 't3.small' } }));
    const run = await ec2.send(new RunInstancesCommand({ LaunchTemplate: { LaunchTemplateName: 'limits-lt' }, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: tags(50) }] }));
    const instanceId = run.Instances?.[0].InstanceId ?? '';
    // Act
    await ec2.send(new DeleteTagsCommand({ Resources: [instanceId] }));
    const after = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    // Assess
    expect(run.Instances?.[0].Tags).toHaveLength(52);
    expect(after.Reservations?.[0].Instances?.[0].Tags?.map((t) => t.Key).sort()).toEqual(['aws:ec2launchtemplate:id', 'aws:ec2launchtemplate:version']);
  });
});

describe('tag keys and values', () => {
  it('refuses aws: keys, empty keys, keys over 128 and values over 256 characters with InvalidParameterValue', async () => {
    // Prepare
    const ec2 = clients.ec2(REGION);
    const instanceId = await launch();
    const attempt = (tag: Tag) => ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [tag] })).catch((e: unknown) => e);
    // Act
    const reserved = await attempt({ Key: 'aws:owner', Value: 'me' });
    const reservedDelete = await ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'aws:ec2launchtemplate:id' }] })).catch((e: unknown) => e);
    const empty = await attempt({ Key: '', Value: 'x' });
    const longKey = await attempt({ Key: 'k'.repeat(129), Value: 'x' });
    const longValue = await attempt({ Key: 'k', Value: 'v'.repeat(257) });
    const atLimits = await attempt({ Key: 'k'.repeat(128), Value: 'v'.repeat(256) });
    const inSpec = await ec2
      .send(new RunInstancesCommand({ ImageId: await baseImageId(), MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'AWS:x', Value: '1' }] }] }))
      .catch((e: unknown) => e);
    const twice = await ec2
      .send(
        new RunInstancesCommand({
          ImageId: await baseImageId(),
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [
            { ResourceType: 'instance', Tags: [{ Key: 'a', Value: '1' }] },
            { ResourceType: 'instance', Tags: [{ Key: 'b', Value: '2' }] },
          ],
        }),
      )
      .catch((e: unknown) => e);
    // Assess
    expect(reserved).toMatchObject({ name: 'InvalidParameterValue', message: "Value ( aws:owner ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use" });
    expect(reservedDelete).toMatchObject({ name: 'InvalidParameterValue' });
    expect(empty).toMatchObject({ name: 'InvalidParameterValue' });
    expect(longKey).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('128') });
    expect(longValue).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('256') });
    expect(atLimits).toEqual({ $metadata: expect.anything() });
    expect(inSpec).toMatchObject({ name: 'InvalidParameterValue' });
    expect(twice).toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('AMI quotas', () => {
  const accounts = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ UserId: String(400000000000 + from + i) }));
  const org = 'arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5';
  const ou = 'arn:aws:organizations::111111111111:ou/o-a1b2c3d4e5/ou-a1b2-workload1';

  it('shares an image with at most 1,000 entities — accounts, organizations and OUs together', async () => {
    // Prepare
    const ec2 = clients.ec2(REGION);
    const copy = await ec2.send(new CopyImageCommand({ SourceImageId: await image('limits-share'), SourceRegion: REGION, Name: 'limits-share-cmk', Encrypted: true, KmsKeyId: 'alias/gami-ami' }));
    await elapse(env.clock, 10 * 60_000);
    const imageId = copy.ImageId ?? '';
    const share = (Add: object[], Remove: object[] = []) =>
      ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add, Remove } })).catch((e: unknown) => e);
    // Act
    await share(accounts(0, 998));
    await share([{ OrganizationArn: org }]);
    const overWithOu = await share([{ OrganizationalUnitArn: ou }, ...accounts(998, 1)]);
    const atLimit = await share([{ OrganizationalUnitArn: ou }]);
    const over = await share(accounts(998, 1));
    const swap = await share(accounts(998, 1), accounts(0, 1));
    // Assess
    expect(overWithOu).toMatchObject({ name: 'ResourceLimitExceeded' });
    expect(atLimit).toEqual({ $metadata: expect.anything() });
    expect(over).toMatchObject({ name: 'ResourceLimitExceeded' });
    expect(swap).toEqual({ $metadata: expect.anything() });
  });

  it('allows 5 public AMIs per Region', async () => {
    // Prepare
    const ec2 = clients.ec2(REGION);
    await ec2.send(new DisableImageBlockPublicAccessCommand({}));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await image(`limits-public-${i}`));
    // Act
    const results: unknown[] = [];
    for (const id of ids) results.push(await ec2.send(new ModifyImageAttributeCommand({ ImageId: id, LaunchPermission: { Add: [{ Group: 'all' }] } })).catch((e: unknown) => e));
    // Assess
    expect(results.slice(0, 5).every((r) => (r as { name?: string }).name === undefined)).toBe(true);
    expect(results[5]).toMatchObject({ name: 'ResourceLimitExceeded' });
  });

  it('refuses the 301st AMI copy in flight to a Region and a description over 255 characters', async () => {
    // Prepare
    const ec2 = clients.ec2(REGION);
    const source = await image('limits-copies');
    const world = env.cloud.world;
    const region = world.region(TOOLING, REGION);
    // 300 copies in flight, as seeded state (300 real calls would only repeat the same code path)
    const template = region.images[source];
    for (let i = 0; i < 300; i++) {
      world.putImage(TOOLING, REGION, { ...structuredClone(template), imageId: `ami-${(0xc0000000 + i).toString(16)}`, name: `inflight-${i}`, state: 'pending', sourceImageId: source, registeredSeq: undefined, tags: {} });
    }
    // Act
    const copy = await ec2.send(new CopyImageCommand({ SourceImageId: source, SourceRegion: REGION, Name: 'limits-copy-301' })).catch((e: unknown) => e);
    const long = await ec2.send(new CopyImageCommand({ SourceImageId: source, SourceRegion: 'eu-west-1', Name: 'x-long', Description: 'd'.repeat(256) })).catch((e: unknown) => e);
    // Assess
    expect(copy).toMatchObject({ name: 'ResourceLimitExceeded' });
    expect(long).toMatchObject({ name: 'InvalidParameterValue' });
  });
});
