import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../tasks/prepare/handler';
import { parseExecutionInput } from '../../../tasks/prepare/prepare';
import { ec2ClientError, EXECUTION_ARN, run } from './fixtures';

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const ddb = mockClient(DynamoDBDocumentClient);

const AL2023 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
const baseImage = {
  ImageId: 'ami-0123456789abcdef0',
  Name: 'al2023-ami-2023.9.20261110.0-kernel-6.1-x86_64',
  OwnerId: '137112412989',
  CreationDate: '2026-11-10T20:15:00.000Z',
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
  },
});

beforeEach(() => {
  ec2.reset();
  ssm.reset();
  ddb.reset();
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(UpdateCommand).resolves({ Attributes: { lastVersion: 12 } });
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
    });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'gami-registry',
      Key: { pk: 'PIPELINE#web-base', sk: 'COUNTER' },
      UpdateExpression: expect.stringContaining('ADD #lastVersion :one'),
      ExpressionAttributeValues: expect.objectContaining({ ':one': 1, ':execution': EXECUTION_ARN }),
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
    ec2.on(DescribeImagesCommand).resolves({ Images: [baseImage] });

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
      .on(DescribeImagesCommand)
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
    expect(ec2).toHaveReceivedCommandTimes(DescribeImagesCommand, 2);
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

  it('gives the same version back when the same execution retries (counter condition fails)', async () => {
    // Prepare
    ec2.on(DescribeImagesCommand).resolves({ Images: [baseImage] });
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    ddb.on(GetCommand).resolves({ Item: { pk: 'PIPELINE#web-base', sk: 'COUNTER', lastVersion: 7, lastExecution: EXECUTION_ARN } });

    // Act
    const result = await handler(event({}, { amiId: baseImage.ImageId }));

    // Assess
    expect(result.version).toBe(7);
    expect(ddb).toReceiveCommandWith(GetCommand, { Key: { pk: 'PIPELINE#web-base', sk: 'COUNTER' }, ConsistentRead: true });
    expect(ddb).toReceiveCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'IMAGE#000007' }) });
  });

  it('keeps the version of an IMAGE record this execution already wrote, even after other runs took numbers', async () => {
    // Prepare
    ec2.on(DescribeImagesCommand).resolves({ Images: [baseImage] });
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
