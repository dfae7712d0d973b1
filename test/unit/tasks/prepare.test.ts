import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../tasks/prepare/handler';
import { parseExecutionInput } from '../../../tasks/prepare/prepare';
import { ec2ClientError, EXECUTION_ARN, OTHER_EXECUTION_ARN, run } from './fixtures';

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const ddb = mockClient(DynamoDBDocumentClient);

const AL2023 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
const baseImage = {
  ImageId: 'ami-0123456789abcdef0',
  Name: 'al2023-ami-2023.9.20261110.0-kernel-6.1-x86_64',
  OwnerId: '137112412989',
  CreationDate: '2026-11-10T20:15:00.000Z',
  ImageOwnerAlias: 'amazon',
  State: 'available' as const,
  Architecture: 'x86_64' as const,
};

const event = (input: unknown = {}, baseImageConfig: Record<string, string> = { ssmParameter: AL2023 }) => ({
  run,
  input,
  config: {
    baseImage: baseImageConfig,
    architecture: 'x86_64',
    namingPattern: '{pipeline}-{version}-{yyyymmdd}',
    registryTable: 'gami-registry',
    components: ['os-update', 'ssh-hardening'],
    allowedOwners: ['amazon', 'self'],
    componentsDigest: 'c'.repeat(64),
  },
});

/** The search for the account's own images of the pipeline, the floor of version allocation. */
const OWN_IMAGES = { Owners: ['self'], Filters: [{ Name: 'tag:gami:pipeline', Values: ['web-base'] }] };
const COUNTER = { pk: 'PIPELINE#web-base', sk: 'COUNTER' };
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  ec2.reset();
  ssm.reset();
  ddb.reset();
  ec2.on(DescribeImagesCommand, OWN_IMAGES).resolves({ Images: [] });
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(GetCommand, { Key: COUNTER }).resolves({ Item: { ...COUNTER, lastVersion: 11, lastExecution: OTHER_EXECUTION_ARN } });
  ddb.on(UpdateCommand).resolves({});
  ddb.on(PutCommand).resolves({});
});

describe('prepare', () => {
  it('resolves the configured SSM parameter, allocates a version and writes the IMAGE record', async () => {
    // Prepare
    ssm.on(GetParameterCommand, { Name: AL2023 }).resolves({ Parameter: { Value: baseImage.ImageId } });
    ec2.on(DescribeImagesCommand, { ImageIds: [baseImage.ImageId] }).resolves({ Images: [baseImage] });

    // Act
    const result = await handler(event({ reason: 'CVE-2026-0001 patch', requestedBy: 'alice' }));

    // Assess
    expect(result).toEqual({
      version: 12,
      imageName: 'web-base-12-20261122',
      baseImage: {
        imageId: baseImage.ImageId,
        name: baseImage.Name,
        ownerId: baseImage.OwnerId,
        creationDate: baseImage.CreationDate,
        source: `ssm:${AL2023}`,
      },
      reason: 'CVE-2026-0001 patch',
      requestedBy: 'alice',
      skipped: null,
    });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'gami-registry',
      Key: COUNTER,
      UpdateExpression: 'SET #lastVersion = :next, #lastExecution = :execution, #updatedAt = :now',
      ConditionExpression: '#lastVersion = :last',
      ExpressionAttributeValues: { ':next': 12, ':last': 11, ':execution': EXECUTION_ARN, ':now': run.now },
    });
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: 'gami-registry',
      Item: expect.objectContaining({
        pk: 'PIPELINE#web-base',
        sk: 'IMAGE#000012',
        version: 12,
        imageName: 'web-base-12-20261122',
        status: 'building',
        executionArn: EXECUTION_ARN,
        components: ['os-update', 'ssh-hardening'],
        reason: 'CVE-2026-0001 patch',
      }),
    });
  });

  it('runs with console input {} using the configured base image and default reason', async () => {
    ec2.on(DescribeImagesCommand, { ImageIds: [baseImage.ImageId] }).resolves({ Images: [baseImage] });

    const result = await handler(event({}, { amiId: baseImage.ImageId }));

    expect(result.baseImage.source).toBe(baseImage.ImageId);
    expect(result.reason).toBe('no reason given');
    expect(result.requestedBy).toBe('schedule or console');
    expect(ec2).toReceiveCommandWith(DescribeImagesCommand, { ImageIds: [baseImage.ImageId], IncludeDeprecated: true });
    expect(ssm).not.toHaveReceivedAnyCommand();
  });

  it('lets the execution input override the base image with owner + name pattern, newest CreationDate wins', async () => {
    // Prepare: two pages, the newest image on the second
    ec2
      .on(DescribeImagesCommand, { Owners: ['amazon'] })
      .resolvesOnce({ Images: [{ ...baseImage, ImageId: 'ami-00000000000000001', CreationDate: '2026-10-01T00:00:00.000Z' }], NextToken: 'p2' })
      .resolvesOnce({
        Images: [
          { ...baseImage, ImageId: 'ami-00000000000000002', CreationDate: '2026-11-20T00:00:00.000Z' },
          { ...baseImage, ImageId: 'ami-00000000000000003', CreationDate: '2026-11-01T00:00:00.000Z' },
        ],
      });

    // Act
    const result = await handler(event({ baseImage: { owner: 'amazon', namePattern: 'al2023-ami-2023.*-x86_64' } }));

    // Assess
    expect(result.baseImage.imageId).toBe('ami-00000000000000002');
    expect(result.baseImage.source).toBe('owner:amazon name:al2023-ami-2023.*-x86_64');
    // two pages of the search, then the account's own images for the version
    expect(ec2).toHaveReceivedCommandTimes(DescribeImagesCommand, 3);
    expect(ec2).toHaveReceivedNthSpecificCommandWith(1, DescribeImagesCommand, {
      Owners: ['amazon'],
      Filters: [
        { Name: 'name', Values: ['al2023-ami-2023.*-x86_64'] },
        { Name: 'architecture', Values: ['x86_64'] },
        { Name: 'state', Values: ['available'] },
      ],
    });
    expect(ec2).toHaveReceivedNthSpecificCommandWith(2, DescribeImagesCommand, { NextToken: 'p2' });
  });

  it('gives the same version back when the same execution retries (the counter says it took the last number)', async () => {
    // Prepare: the first attempt updated the counter, then timed out before its IMAGE record
    ec2.on(DescribeImagesCommand, { ImageIds: [baseImage.ImageId] }).resolves({ Images: [baseImage] });
    ddb.on(GetCommand, { Key: COUNTER }).resolves({ Item: { ...COUNTER, lastVersion: 7, lastExecution: EXECUTION_ARN } });

    // Act
    const result = await handler(event({}, { amiId: baseImage.ImageId }));

    // Assess
    expect(result.version).toBe(7);
    expect(ddb).toReceiveCommandWith(GetCommand, { Key: COUNTER, ConsistentRead: true });
    expect(ddb).not.toReceiveCommand(UpdateCommand);
    expect(ddb).toReceiveCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'IMAGE#000007' }) });
  });

  it('keeps the version of an IMAGE record this execution already wrote, even after other runs took numbers', async () => {
    // Prepare
    ec2.on(DescribeImagesCommand, { ImageIds: [baseImage.ImageId] }).resolves({ Images: [baseImage] });
    ddb.on(QueryCommand).resolves({ Items: [{ version: 9 }] });

    // Act
    const result = await handler(event({}, { amiId: baseImage.ImageId }));

    // Assess
    expect(result.version).toBe(9);
    expect(result.imageName).toBe('web-base-9-20261122');
    expect(ddb).not.toReceiveCommand(UpdateCommand);
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      TableName: 'gami-registry',
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :image)',
      ExpressionAttributeValues: { ':pk': 'PIPELINE#web-base', ':image': 'IMAGE#', ':execution': EXECUTION_ARN },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
    expect(ddb).toReceiveCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'IMAGE#000009' }) });
  });

  describe('version allocation', () => {
    /** The account's own images of web-base v1–v4, as the example world holds them, and two without a usable tag. */
    const existingImages = [1, 2, 3, 4].map((version) => ({
      ImageId: `ami-00000000000000${version}0`,
      Tags: [
        { Key: 'gami:pipeline', Value: 'web-base' },
        { Key: 'gami:version', Value: String(version) },
      ],
    }));
    const untagged = [{ ImageId: 'ami-00000000000000990', Tags: [{ Key: 'gami:version', Value: 'v99' }] }, { ImageId: 'ami-00000000000000980' }];

    it('continues above the highest gami:version of the account\'s images when the registry is fresh', async () => {
      // Prepare: no COUNTER item yet
      ec2.on(DescribeImagesCommand, { ImageIds: [baseImage.ImageId] }).resolves({ Images: [baseImage] });
      ec2.on(DescribeImagesCommand, OWN_IMAGES).resolves({ Images: [...existingImages, ...untagged] });
      ddb.on(GetCommand, { Key: COUNTER }).resolves({});

      // Act
      const result = await handler(event({}, { amiId: baseImage.ImageId }));

      // Assess
      expect(result.version).toBe(5);
      expect(ec2).toReceiveCommandWith(DescribeImagesCommand, { ...OWN_IMAGES, IncludeDeprecated: true, IncludeDisabled: true });
      expect(ddb).toReceiveCommandWith(UpdateCommand, {
        TableName: 'gami-registry',
        Key: COUNTER,
        ConditionExpression: 'attribute_not_exists(pk)',
        ExpressionAttributeValues: { ':next': 5, ':execution': EXECUTION_ARN, ':now': run.now },
      });
      expect(ddb).toReceiveCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'IMAGE#000005', version: 5 }) });
    });

    it('returns the same number when the same execution retries after taking it, burning none', async () => {
      // Prepare: a counter that remembers the last update; the first attempt dies writing its IMAGE record
      let counter: Record<string, unknown> | undefined = { ...COUNTER, lastVersion: 4, lastExecution: OTHER_EXECUTION_ARN };
      ec2.on(DescribeImagesCommand, { ImageIds: [baseImage.ImageId] }).resolves({ Images: [baseImage] });
      ddb.on(GetCommand, { Key: COUNTER }).callsFake(() => ({ Item: counter }));
      ddb.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
        const values = input.ExpressionAttributeValues ?? {};
        counter = { ...COUNTER, lastVersion: values[':next'], lastExecution: values[':execution'] };
        return {};
      });
      ddb.on(PutCommand).rejectsOnce(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} })).resolves({});

      // Act
      await expect(handler(event({}, { amiId: baseImage.ImageId }))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
      const retried = await handler(event({}, { amiId: baseImage.ImageId }));

      // Assess
      expect(retried.version).toBe(5);
      expect(ddb).toReceiveCommandTimes(UpdateCommand, 1);
      expect(ddb).toHaveReceivedNthSpecificCommandWith(2, PutCommand, { Item: expect.objectContaining({ sk: 'IMAGE#000005' }) });
    });

    it('reads again and takes the next number when another run won the conditional update', async () => {
      // Prepare: between our read of 11 and our write, another run took 12
      ec2.on(DescribeImagesCommand, { ImageIds: [baseImage.ImageId] }).resolves({ Images: [baseImage] });
      ddb
        .on(GetCommand, { Key: COUNTER })
        .resolvesOnce({ Item: { ...COUNTER, lastVersion: 11, lastExecution: OTHER_EXECUTION_ARN } })
        .resolvesOnce({ Item: { ...COUNTER, lastVersion: 12, lastExecution: OTHER_EXECUTION_ARN } });
      ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});

      // Act
      const result = await handler(event({}, { amiId: baseImage.ImageId }));

      // Assess
      expect(result.version).toBe(13);
      expect(ddb).toReceiveCommandTimes(UpdateCommand, 2);
      expect(ddb).toHaveReceivedNthSpecificCommandWith(1, UpdateCommand, {
        ConditionExpression: '#lastVersion = :last',
        ExpressionAttributeValues: { ':next': 12, ':last': 11, ':execution': EXECUTION_ARN, ':now': run.now },
      });
      expect(ddb).toHaveReceivedNthSpecificCommandWith(2, UpdateCommand, {
        ConditionExpression: '#lastVersion = :last',
        ExpressionAttributeValues: { ':next': 13, ':last': 12, ':execution': EXECUTION_ARN, ':now': run.now },
      });
    });
  });

  describe('the IMAGE record', () => {
    const IMAGE_KEY = { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012' };

    it('is written once: a replayed prepare finds its own record and does not overwrite what later stages added', async () => {
      // Prepare: the run is at Test; its prepare is replayed
      ec2.on(DescribeImagesCommand, { ImageIds: [baseImage.ImageId] }).resolves({ Images: [baseImage] });
      ddb.on(QueryCommand).resolves({ Items: [{ version: 12 }] });
      ddb.on(PutCommand).rejects(conditionFailed());
      ddb.on(GetCommand, { Key: IMAGE_KEY }).resolves({
        Item: { ...IMAGE_KEY, executionArn: EXECUTION_ARN, stage: 'Test', stageOrder: 5, imageId: 'ami-0fedcba9876543210', snapshotIds: ['snap-1'] },
      });

      // Act
      const result = await handler(event({}, { amiId: baseImage.ImageId }));

      // Assess
      expect(result.version).toBe(12);
      expect(ddb).toReceiveCommandTimes(PutCommand, 1);
      expect(ddb).toReceiveCommandWith(PutCommand, {
        Item: expect.objectContaining({ ...IMAGE_KEY, stage: 'Prepare', stageOrder: 0 }),
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      expect(ddb).toReceiveCommandWith(GetCommand, { TableName: 'gami-registry', Key: IMAGE_KEY, ConsistentRead: true });
      expect(ddb).not.toReceiveCommand(UpdateCommand);
    });

    it('refuses to take over a record another execution holds', async () => {
      ec2.on(DescribeImagesCommand, { ImageIds: [baseImage.ImageId] }).resolves({ Images: [baseImage] });
      ddb.on(PutCommand).rejects(conditionFailed());
      ddb.on(GetCommand, { Key: IMAGE_KEY }).resolves({ Item: { ...IMAGE_KEY, executionArn: OTHER_EXECUTION_ARN } });

      await expect(handler(event({}, { amiId: baseImage.ImageId }))).rejects.toThrow(
        `the registry record of web-base version 12 belongs to another execution (${OTHER_EXECUTION_ARN})`,
      );
    });
  });

  describe('SSM parameters', () => {
    const CONFIGURED = '/platform/web-base/base-ami';

    it('refuses input naming a parameter that is neither public nor configured, and never reads it', async () => {
      await expect(handler(event({ baseImage: { ssmParameter: '/prod/db/password' } }))).rejects.toMatchObject({
        name: 'InvalidExecutionInput',
        message: `invalid execution input: baseImage.ssmParameter: /prod/db/password may not be read; a run may name only AWS public parameters (/aws/service/…) or the configured ${AL2023}`,
      });
      expect(ssm).not.toReceiveCommand(GetParameterCommand);
      expect(ddb).not.toHaveReceivedAnyCommand();
    });

    it('lets input name an AWS public parameter or the configured one', async () => {
      // Prepare
      const arm = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64';
      ssm.on(GetParameterCommand).resolves({ Parameter: { Value: baseImage.ImageId } });
      ec2.on(DescribeImagesCommand, { ImageIds: [baseImage.ImageId] }).resolves({ Images: [baseImage] });

      // Act
      await handler(event({ baseImage: { ssmParameter: arm } }));
      await handler(event({ baseImage: { ssmParameter: CONFIGURED } }, { ssmParameter: CONFIGURED }));

      // Assess
      expect(ssm).toHaveReceivedNthSpecificCommandWith(1, GetParameterCommand, { Name: arm });
      expect(ssm).toHaveReceivedNthSpecificCommandWith(2, GetParameterCommand, { Name: CONFIGURED });
    });

    it('never echoes the value of a parameter that does not hold an AMI id', async () => {
      // Prepare
      const secret = 'hunter2-Pr0d-S3cret';
      ssm.on(GetParameterCommand, { Name: CONFIGURED }).resolves({ Parameter: { Value: secret } });

      // Act
      const error = await handler(event({}, { ssmParameter: CONFIGURED })).catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ name: 'BaseImageNotFound', message: `SSM parameter ${CONFIGURED} does not hold an AMI id` });
      expect(String(error)).not.toContain(secret);
      expect(JSON.stringify(error)).not.toContain(secret);
      expect(ec2).not.toHaveReceivedAnyCommand();
    });
  });

  it('refuses a malformed AMI id in the input with InvalidExecutionInput naming the field', async () => {
    await expect(handler(event({ baseImage: { amiId: 'ami-xyz' } }))).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
      message: 'invalid execution input: baseImage.amiId: "ami-xyz" is not an AMI id',
    });
    expect(ddb).not.toHaveReceivedAnyCommand();
  });

  it.each([
    [{ reason: 42 }, 'reason: Invalid input: expected string, received number'],
    [{ reson: 'typo' }, 'reson: unknown field'],
    [{ baseImage: { amiId: 'ami-12345678', ssmParameter: '/x' } }, 'baseImage: does not match any accepted form'],
    ['start', '(input): Invalid input: expected object, received string'],
  ])('names the field of malformed input %j', (input, message) => {
    expect(() => parseExecutionInput(input)).toThrow(`invalid execution input: ${message}`);
  });

  it('throws BaseImageNotFound when the SSM parameter does not exist', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));

    await expect(handler(event())).rejects.toMatchObject({
      name: 'BaseImageNotFound',
      message: `SSM parameter ${AL2023} does not exist in this region`,
    });
  });

  it('throws BaseImageNotFound for an unknown AMI id and for an image of the wrong architecture', async () => {
    ec2.on(DescribeImagesCommand).rejectsOnce(ec2ClientError('InvalidAMIID.NotFound', "The image id '[ami-0123456789abcdef0]' does not exist"));
    await expect(handler(event({}, { amiId: baseImage.ImageId }))).rejects.toMatchObject({
      name: 'BaseImageNotFound',
      message: expect.stringContaining('ami-0123456789abcdef0 (ami-0123456789abcdef0) does not exist'),
    });

    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ...baseImage, Architecture: 'arm64' }] });
    await expect(handler(event({}, { amiId: baseImage.ImageId }))).rejects.toMatchObject({
      name: 'BaseImageNotFound',
      message: 'base image ami-0123456789abcdef0 (ami-0123456789abcdef0) is arm64, but the pipeline builds x86_64',
    });
  });

  it('throws BaseImageNotFound when no image matches the name pattern', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });

    await expect(handler(event({}, { owner: 'self', namePattern: 'nothing-*' }))).rejects.toMatchObject({
      name: 'BaseImageNotFound',
      message: 'no available x86_64 image of owner self matches the name pattern "nothing-*"',
    });
  });

  it('refuses an event that breaks the contract with InvalidTaskEvent naming the field', async () => {
    await expect(handler({ ...event(), run: { ...run, now: 'yesterday' } })).rejects.toMatchObject({
      name: 'InvalidTaskEvent',
      message: expect.stringContaining('prepare: invalid event: run.now:'),
    });
  });
});
