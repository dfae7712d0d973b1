import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  EnableImageDeprecationCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { deprecationTime } from '../../../tasks/cleanup/cleanup';
import { handler as cleanup } from '../../../tasks/cleanup/handler';
import { handler as recordStage } from '../../../tasks/recordStage/handler';
import { imageStatusAfter } from '../../../tasks/recordStage/recordStage';
import { ec2ClientError, EXECUTION_ARN, run } from './fixtures';

const ec2 = mockClient(EC2Client);
const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => {
  ec2.reset();
  ddb.reset();
  ddb.on(UpdateCommand).resolves({});
});

describe('recordStage', () => {
  it('updates the STAGE item (keeping startedAt) and the IMAGE record status, stage and artifacts', async () => {
    // Act
    const result = await recordStage({
      run,
      registryTable: 'gami-registry',
      version: 12,
      stage: 'Bake',
      status: 'succeeded',
      details: { imageId: 'ami-0fedcba9876543210', snapshotIds: ['snap-1'], builderInstanceId: 'i-1' },
    });

    // Assess
    expect(result).toEqual({ recorded: true, key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012#STAGE#Bake' } });
    expect(ddb).toHaveReceivedNthSpecificCommandWith(1, UpdateCommand, {
      TableName: 'gami-registry',
      Key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012#STAGE#Bake' },
      UpdateExpression: expect.stringContaining('#startedAt = if_not_exists(#startedAt, :startedAt)'),
      ExpressionAttributeValues: expect.objectContaining({
        ':status': 'succeeded',
        ':executionArn': EXECUTION_ARN,
        ':endedAt': run.now,
        ':details': { imageId: 'ami-0fedcba9876543210', snapshotIds: ['snap-1'], builderInstanceId: 'i-1' },
      }),
    });
    expect(ddb).toHaveReceivedNthSpecificCommandWith(2, UpdateCommand, {
      Key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012' },
      ExpressionAttributeValues: {
        ':stage': 'Bake',
        ':stageStatus': 'succeeded',
        ':updatedAt': run.now,
        ':status': 'testing',
        ':imageId': 'ami-0fedcba9876543210',
        ':snapshotIds': ['snap-1'],
      },
    });
  });

  it('does not set endedAt while a stage has only started', async () => {
    await recordStage({ run, registryTable: 'gami-registry', version: 12, stage: 'Test', status: 'started', details: {} });

    const stageWrite = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(stageWrite.UpdateExpression).not.toContain('#endedAt');
    expect(stageWrite.ExpressionAttributeValues).not.toHaveProperty(':endedAt');
  });

  it.each([
    ['Prepare', 'started', 'building'],
    ['Bake', 'started', 'building'],
    ['Bake', 'succeeded', 'testing'],
    ['ScanGate', 'succeeded', 'testing'],
    ['ScanGate', 'failed', 'rejected'],
    ['Failed', 'succeeded', 'rejected'],
    ['Done', 'succeeded', undefined],
  ] as const)('maps stage %s %s to image status %s', (stage, status, expected) => {
    expect(imageStatusAfter(stage, status)).toBe(expected);
  });

  it('refuses an unknown stage with InvalidTaskEvent', async () => {
    await expect(recordStage({ run, registryTable: 't', version: 1, stage: 'Approve', status: 'started', details: {} })).rejects.toMatchObject({
      name: 'InvalidTaskEvent',
      message: expect.stringContaining('recordStage: invalid event: stage:'),
    });
  });
});

describe('cleanup', () => {
  const failure = { error: 'ScanGateFailed', cause: 'scan gate failed for ami-0fedcba9876543210' };

  it('terminates every live instance of the execution and rejects and deprecates the image', async () => {
    // Prepare
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] }] });
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] });
    ec2.on(CreateTagsCommand).resolves({});
    ec2.on(EnableImageDeprecationCommand).resolves({ Return: true });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0fedcba9876543210' }] });

    // Act
    const result = await cleanup({ run, imageId: 'ami-0fedcba9876543210', ...failure });

    // Assess
    expect(result).toEqual({ terminated: ['i-1', 'i-2'], rejectedImageIds: ['ami-0fedcba9876543210'] });
    expect(ec2).toReceiveCommandWith(DescribeImagesCommand, {
      Owners: ['self'],
      Filters: [{ Name: 'tag:gami:execution', Values: [EXECUTION_ARN] }],
      IncludeDeprecated: true,
    });
    expect(ec2).toReceiveCommandTimes(CreateTagsCommand, 1);
    expect(ec2).toReceiveCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: 'tag:gami:execution', Values: [EXECUTION_ARN] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    });
    expect(ec2).toReceiveCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-1', 'i-2'] });
    expect(ec2).toReceiveCommandWith(CreateTagsCommand, { Resources: ['ami-0fedcba9876543210'], Tags: [{ Key: 'gami:status', Value: 'rejected' }] });
    // now is 10:15:30: the first whole minute at least a minute later is 10:17:00
    expect(ec2).toReceiveCommandWith(EnableImageDeprecationCommand, {
      ImageId: 'ami-0fedcba9876543210',
      DeprecateAt: new Date('2026-11-22T10:17:00.000Z'),
    });
  });

  it('rejects an image of the run the state machine never saw (created just before a failure)', async () => {
    // Prepare
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0aaaaaaaaaaaaaaaa' }] });
    ec2.on(CreateTagsCommand).resolves({});
    ec2.on(EnableImageDeprecationCommand).resolves({ Return: true });

    // Act
    const result = await cleanup({ run, ...failure });

    // Assess
    expect(result).toEqual({ terminated: [], rejectedImageIds: ['ami-0aaaaaaaaaaaaaaaa'] });
    expect(ec2).toReceiveCommandWith(CreateTagsCommand, { Resources: ['ami-0aaaaaaaaaaaaaaaa'], Tags: [{ Key: 'gami:status', Value: 'rejected' }] });
  });

  it('without an image and with nothing running, does nothing and says so', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });

    await expect(cleanup({ run, ...failure })).resolves.toEqual({ terminated: [], rejectedImageIds: [] });
    expect(ec2).not.toReceiveCommand(TerminateInstancesCommand);
    expect(ec2).not.toReceiveCommand(CreateTagsCommand);
  });

  it('ignores an image that is already gone', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2.on(CreateTagsCommand).rejects(ec2ClientError('InvalidAMIID.NotFound', "The image id '[ami-0fedcba9876543210]' does not exist"));

    await expect(cleanup({ run, imageId: 'ami-0fedcba9876543210', ...failure })).resolves.toEqual({ terminated: [], rejectedImageIds: [] });
    expect(ec2).not.toReceiveCommand(EnableImageDeprecationCommand);
  });

  it('lets a throttled call fail so the state machine retries it', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2ClientError('RequestLimitExceeded'));

    await expect(cleanup({ run, ...failure })).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });

  it.each([
    ['2026-11-22T10:15:30.000Z', '2026-11-22T10:17:00.000Z'],
    ['2026-11-22T10:15:00.000Z', '2026-11-22T10:16:00.000Z'],
    ['2026-11-22T23:59:59.999Z', '2026-11-23T00:01:00.000Z'],
  ])('deprecates an image rejected at %s at %s (in the future, whole minute)', (now, expected) => {
    expect(deprecationTime(new Date(now)).toISOString()).toBe(expected);
  });
});
