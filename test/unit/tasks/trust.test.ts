/**
 * The base image trust policy checked in prepare (issue 8 §5): owners outside baseImageTrust.allowedOwners,
 * deprecated, disabled, rejected/expired and Windows images are refused with BaseImageNotTrusted and the
 * reason; nothing is allocated or written for a refused run.
 */
import { DescribeImagesCommand, EC2Client, PlatformValues, type DescribeImagesCommandInput, type Image } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../tasks/prepare/handler';
import { untrustedReason, type TrustPolicy } from '../../../tasks/prepare/prepare';
import { run } from './fixtures';

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const ddb = mockClient(DynamoDBDocumentClient);

/** The account of the fixtures' execution ARN: `self`. */
const ACCOUNT = '111111111111';
const AL2023 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

const amazonImage: Image = {
  ImageId: 'ami-0123456789abcdef0',
  Name: 'al2023-ami-2023.9.20261110.0-kernel-6.1-x86_64',
  OwnerId: '137112412989',
  ImageOwnerAlias: 'amazon',
  CreationDate: '2026-11-10T20:15:00.000Z',
  State: 'available',
  Architecture: 'x86_64',
};
const ownImage = (ImageId: string, version: number, CreationDate: string, status: string): Image => ({
  ImageId,
  Name: `web-base-${version}-x86_64`,
  OwnerId: ACCOUNT,
  CreationDate,
  State: 'available',
  Architecture: 'x86_64',
  Tags: [
    { Key: 'gami:pipeline', Value: 'web-base' },
    { Key: 'gami:version', Value: String(version) },
    { Key: 'gami:status', Value: status },
  ],
});

const event = (input: unknown, allowedOwners = ['amazon', 'self']) => ({
  run,
  input,
  config: {
    baseImage: { ssmParameter: AL2023 },
    architecture: 'x86_64',
    namingPattern: '{pipeline}-{version}-{yyyymmdd}',
    registryTable: 'gami-registry',
    components: ['os-update'],
    allowedOwners,
    componentsDigest: 'c'.repeat(64),
  },
});

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
const ownedBy = (image: Image, owner: string) =>
  owner === 'self' ? image.OwnerId === ACCOUNT : owner === image.ImageOwnerAlias || owner === image.OwnerId;

/**
 * DescribeImages as EC2 answers it for `images`: by id (disabled images only with IncludeDisabled), by owner
 * and filters (name glob, architecture, state), and the search by pipeline tag that version allocation makes.
 */
function account(images: Image[]): void {
  ec2.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => {
    const visible = images.filter((image) => image.State !== 'disabled' || input.IncludeDisabled === true);
    const matching = visible.filter(
      (image) =>
        (input.ImageIds === undefined || input.ImageIds.includes(image.ImageId ?? '')) &&
        (input.Owners === undefined || input.Owners.some((owner) => ownedBy(image, owner))) &&
        (input.Filters ?? []).every((filter) => {
          const values = filter.Values ?? [];
          if (filter.Name === 'name') return values.some((pattern) => glob(pattern).test(image.Name ?? ''));
          if (filter.Name === 'architecture') return values.includes(image.Architecture ?? '');
          if (filter.Name === 'state') return values.includes(image.State ?? '');
          if (filter.Name?.startsWith('tag:')) return image.Tags?.some((tag) => `tag:${tag.Key}` === filter.Name && values.includes(tag.Value ?? ''));
          throw new Error(`the simulated account does not filter by ${filter.Name}`);
        }),
    );
    return { Images: matching };
  });
}

beforeEach(() => {
  ec2.reset();
  ssm.reset();
  ddb.reset();
  ssm.on(GetParameterCommand, { Name: AL2023 }).resolves({ Parameter: { Value: amazonImage.ImageId } });
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(GetCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ddb.on(PutCommand).resolves({});
});

/** Refused with BaseImageNotTrusted and exactly `message`; no version allocated, no record written. */
async function expectNotTrusted(input: unknown, message: string, allowedOwners?: string[]): Promise<void> {
  await expect(handler(event(input, allowedOwners))).rejects.toMatchObject({ name: 'BaseImageNotTrusted', message });
  expect(ddb).not.toHaveReceivedAnyCommand();
}

describe('base image trust policy', () => {
  const V3 = 'ami-0333333333333333a';
  const V4 = 'ami-0444444444444444a';

  it('builds on the configured Amazon image', async () => {
    account([amazonImage]);

    await expect(handler(event({}))).resolves.toMatchObject({ baseImage: { imageId: amazonImage.ImageId, ownerId: '137112412989' } });
  });

  it('refuses an own image this pipeline rejected, pinned by id', async () => {
    account([amazonImage, ownImage(V4, 4, '2026-11-20T00:00:00.000Z', 'rejected')]);

    await expectNotTrusted({ baseImage: { amiId: V4 } }, `base image ${V4} (${V4}) is not trusted: it is tagged gami:status=rejected by pipeline web-base`);
  });

  it('with owner self and a name pattern, skips a rejected newer image for the trusted older one', async () => {
    // Prepare
    account([ownImage(V3, 3, '2026-11-10T00:00:00.000Z', 'published'), ownImage(V4, 4, '2026-11-20T00:00:00.000Z', 'rejected')]);

    // Act
    const result = await handler(event({ baseImage: { owner: 'self', namePattern: 'web-base-*' } }));

    // Assess
    expect(result.baseImage).toEqual({
      imageId: V3,
      name: 'web-base-3-x86_64',
      ownerId: ACCOUNT,
      creationDate: '2026-11-10T00:00:00.000Z',
      source: 'owner:self name:web-base-*',
    });
    expect(ec2).toReceiveCommandWith(DescribeImagesCommand, {
      Owners: ['self'],
      Filters: [
        { Name: 'name', Values: ['web-base-*'] },
        { Name: 'architecture', Values: ['x86_64'] },
        { Name: 'state', Values: ['available'] },
      ],
    });
  });

  it('with owner self and a name pattern, refuses when every match is rejected or expired, giving the newest one\'s reason', async () => {
    account([ownImage(V3, 3, '2026-11-10T00:00:00.000Z', 'expired'), ownImage(V4, 4, '2026-11-20T00:00:00.000Z', 'rejected')]);

    await expectNotTrusted(
      { baseImage: { owner: 'self', namePattern: 'web-base-*' } },
      `base image ${V4} (owner:self name:web-base-*) is not trusted: it is tagged gami:status=rejected by pipeline web-base`,
    );
  });

  it('refuses a deprecated image, and accepts one whose deprecation is still to come', async () => {
    // Prepare: run.now is 2026-11-22T10:15:30Z
    account([{ ...amazonImage, DeprecationTime: '2026-11-22T10:15:00.000Z' }]);

    // Act + Assess
    await expectNotTrusted(
      { baseImage: { amiId: amazonImage.ImageId } },
      `base image ${amazonImage.ImageId} (${amazonImage.ImageId}) is not trusted: it was deprecated at 2026-11-22T10:15:00.000Z`,
    );
    expect(ec2).toReceiveCommandWith(DescribeImagesCommand, { ImageIds: [amazonImage.ImageId], IncludeDeprecated: true });

    account([{ ...amazonImage, DeprecationTime: '2027-11-22T00:00:00.000Z' }]);
    await expect(handler(event({ baseImage: { amiId: amazonImage.ImageId } }))).resolves.toMatchObject({ baseImage: { imageId: amazonImage.ImageId } });
  });

  it('refuses a disabled image with BaseImageNotTrusted, saying it is disabled', async () => {
    account([{ ...ownImage(V3, 3, '2026-11-10T00:00:00.000Z', 'published'), State: 'disabled' }]);

    await expectNotTrusted({ baseImage: { amiId: V3 } }, `base image ${V3} (${V3}) is not trusted: it is disabled`);
  });

  it('refuses a Windows image before a build fails late on it', async () => {
    account([{ ...amazonImage, Platform: PlatformValues.Windows, PlatformDetails: 'Windows' }]);

    await expectNotTrusted(
      { baseImage: { amiId: amazonImage.ImageId } },
      `base image ${amazonImage.ImageId} (${amazonImage.ImageId}) is not trusted: it is a Windows image, and components run their steps with bash (AWS-RunShellScript)`,
    );
  });

  it('refuses an image of an owner not in allowedOwners, pinned or found through the public parameter', async () => {
    const foreign: Image = { ...amazonImage, ImageId: 'ami-0999999999999999a', OwnerId: '999999999999', ImageOwnerAlias: undefined };
    account([foreign]);
    ssm.on(GetParameterCommand, { Name: AL2023 }).resolves({ Parameter: { Value: foreign.ImageId } });

    await expectNotTrusted(
      { baseImage: { amiId: foreign.ImageId } },
      `base image ${foreign.ImageId} (${foreign.ImageId}) is not trusted: it is owned by 999999999999, and baseImageTrust.allowedOwners allows only amazon, self`,
    );
    await expectNotTrusted(
      {},
      `base image ${foreign.ImageId} (ssm:${AL2023}) is not trusted: it is owned by 999999999999, and baseImageTrust.allowedOwners allows only amazon, self`,
    );
  });

  it('refuses an owner + pattern of an owner not in allowedOwners without searching', async () => {
    account([]);

    await expectNotTrusted(
      { baseImage: { owner: '999999999999', namePattern: 'cheap-linux-*' } },
      'base image owner 999999999999 is not trusted: baseImageTrust.allowedOwners allows only amazon, self',
    );
    expect(ec2).not.toHaveReceivedAnyCommand();
  });

  it('trusts an owner named by account id in allowedOwners', async () => {
    const partner: Image = { ...amazonImage, ImageId: 'ami-0999999999999999a', OwnerId: '999999999999', ImageOwnerAlias: undefined };
    account([partner]);

    await expect(handler(event({ baseImage: { amiId: partner.ImageId } }, ['amazon', '999999999999']))).resolves.toMatchObject({
      baseImage: { imageId: partner.ImageId, ownerId: '999999999999' },
    });
  });
});

describe('untrustedReason', () => {
  const policy: TrustPolicy = { allowedOwners: ['amazon', 'self'], account: ACCOUNT, now: new Date(run.now) };

  it.each<[string, Image, string | undefined]>([
    ['a trusted Amazon image', amazonImage, undefined],
    ['an own published image', ownImage('ami-1', 1, '2026-11-01T00:00:00.000Z', 'published'), undefined],
    ['a disabled image', { ...amazonImage, State: 'disabled' }, 'it is disabled'],
    ['an expired own image', ownImage('ami-1', 1, '2026-11-01T00:00:00.000Z', 'expired'), 'it is tagged gami:status=expired by pipeline web-base'],
    ['a Windows image by PlatformDetails', { ...amazonImage, PlatformDetails: 'Windows with SQL Server Standard' }, 'it is a Windows image, and components run their steps with bash (AWS-RunShellScript)'],
    ['an aws-marketplace image', { ...amazonImage, ImageOwnerAlias: 'aws-marketplace', OwnerId: '679593333241' }, 'it is owned by aws-marketplace (679593333241), and baseImageTrust.allowedOwners allows only amazon, self'],
  ])('%s', (_name, image, reason) => {
    expect(untrustedReason(image, policy)).toBe(reason);
  });
});
