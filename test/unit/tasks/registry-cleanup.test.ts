import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeTagsCommand,
  EC2Client,
  EnableImageDeprecationCommand,
  TerminateInstancesCommand,
  type EnableImageDeprecationCommandInput,
} from '@aws-sdk/client-ec2';
import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { deprecationTime } from '../../../tasks/cleanup/cleanup';
import { handler as cleanup } from '../../../tasks/cleanup/handler';
import { handler as recordStage } from '../../../tasks/recordStage/handler';
import { imageStatusAfter, stageOrder } from '../../../tasks/recordStage/recordStage';
import { ec2ClientError, EXECUTION_ARN, executionTagsOf, OTHER_EXECUTION_ARN, run } from './fixtures';

const ec2 = mockClient(EC2Client);
const ddb = mockClient(DynamoDBDocumentClient);
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
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
      ConditionExpression: 'attribute_not_exists(#stageOrder) OR #stageOrder <= :stageOrder',
      ExpressionAttributeValues: {
        ':stage': 'Bake',
        ':stageStatus': 'succeeded',
        ':updatedAt': run.now,
        // Bake succeeded comes after Prepare started (0), Prepare succeeded (1) and Bake started (2)
        ':stageOrder': 3,
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

  it('writes a replayed earlier stage on condition of stage order, and swallows the ConditionalCheckFailed of a later record', async () => {
    // Prepare: the record is at Test succeeded; a retried Record Baked arrives late
    ddb.on(UpdateCommand, { Key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012' } }).rejects(conditionFailed());

    // Act
    const result = await recordStage({
      run,
      registryTable: 'gami-registry',
      version: 12,
      stage: 'Bake',
      status: 'succeeded',
      details: { imageId: 'ami-0fedcba9876543210', snapshotIds: ['snap-1'] },
    });

    // Assess
    expect(result).toEqual({ recorded: true, key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012#STAGE#Bake' } });
    expect(ddb).toReceiveCommandTimes(UpdateCommand, 2);
    expect(ddb).toHaveReceivedNthSpecificCommandWith(2, UpdateCommand, {
      Key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012' },
      ConditionExpression: 'attribute_not_exists(#stageOrder) OR #stageOrder <= :stageOrder',
      ExpressionAttributeNames: expect.objectContaining({ '#stageOrder': 'stageOrder' }),
      ExpressionAttributeValues: expect.objectContaining({ ':stageOrder': stageOrder('Bake', 'succeeded') }),
    });
    expect(stageOrder('Bake', 'succeeded')).toBeLessThan(stageOrder('Test', 'succeeded'));
    // the IMAGE write really was refused, and the refusal swallowed
    await expect(ddb.commandCalls(UpdateCommand)[1].returnValue).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('writes a stage\'s start only while the stage has not ended, and swallows the ConditionalCheckFailed of a replay', async () => {
    // Prepare: Bake has succeeded; a duplicated Record Bake Started arrives late
    ddb.on(UpdateCommand).rejects(conditionFailed());

    // Act + Assess
    await expect(
      recordStage({ run, registryTable: 'gami-registry', version: 12, stage: 'Bake', status: 'started', details: {} }),
    ).resolves.toEqual({ recorded: true, key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012#STAGE#Bake' } });
    expect(ddb).toHaveReceivedNthSpecificCommandWith(1, UpdateCommand, {
      Key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012#STAGE#Bake' },
      ConditionExpression: 'attribute_not_exists(#status) OR #status = :status',
      ExpressionAttributeNames: expect.objectContaining({ '#status': 'status' }),
      ExpressionAttributeValues: expect.objectContaining({ ':status': 'started' }),
    });
    expect(ddb).toHaveReceivedNthSpecificCommandWith(2, UpdateCommand, {
      Key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012' },
      ExpressionAttributeValues: expect.objectContaining({ ':stageOrder': 2 }),
    });
  });

  it('lets any other registry error through, so the state machine retries it', async () => {
    ddb.on(UpdateCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));

    await expect(
      recordStage({ run, registryTable: 'gami-registry', version: 12, stage: 'Test', status: 'succeeded', details: {} }),
    ).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  });

  it('orders the stage events of a run: every start before its end, Failed last', () => {
    const events = [
      ['Prepare', 'started'],
      ['Prepare', 'succeeded'],
      ['Bake', 'started'],
      ['Bake', 'succeeded'],
      ['Test', 'started'],
      ['Test', 'succeeded'],
      ['ScanGate', 'started'],
      ['ScanGate', 'succeeded'],
      ['Done', 'succeeded'],
      ['Failed', 'failed'],
    ] as const;
    const orders = events.map(([stage, status]) => stageOrder(stage, status));
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
    expect(new Set(orders).size).toBe(orders.length);
    // prepare writes the IMAGE record at 0
    expect(stageOrder('Prepare', 'started')).toBe(0);
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
  const IMAGE = 'ami-0fedcba9876543210';
  const event = (action: 'images' | 'instances' | 'record', overrides: Record<string, unknown> = {}) => ({
    run,
    action,
    registryTable: 'gami-registry',
    stage: 'ScanGate',
    error: 'ScanGateFailed',
    cause: `scan gate failed for ${IMAGE}`,
    ...overrides,
  });
  const rejectedTag = (imageId: string) => ({ Resources: [imageId], Tags: [{ Key: 'gami:status', Value: 'rejected' }] });

  it('rejects and deprecates the image (images action) and terminates every live instance of the execution (instances action)', async () => {
    // Prepare
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ [IMAGE]: EXECUTION_ARN }));
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] }] });
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] });
    ec2.on(CreateTagsCommand).resolves({});
    ec2.on(EnableImageDeprecationCommand).resolves({ Return: true });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: IMAGE }] });

    // Act
    const images = await cleanup(event('images', { imageId: IMAGE }));
    const instances = await cleanup(event('instances'));

    // Assess
    expect(images).toEqual({ action: 'images', terminated: [], rejectedImageIds: [IMAGE] });
    expect(instances).toEqual({ action: 'instances', terminated: ['i-1', 'i-2'], rejectedImageIds: [] });
    expect(ec2).toReceiveCommandWith(DescribeTagsCommand, {
      Filters: [
        { Name: 'resource-id', Values: [IMAGE] },
        { Name: 'key', Values: ['gami:execution'] },
      ],
    });
    expect(ec2).toReceiveCommandWith(DescribeImagesCommand, {
      Owners: ['self'],
      Filters: [{ Name: 'tag:gami:execution', Values: [EXECUTION_ARN] }],
      IncludeDeprecated: true,
      IncludeDisabled: true,
    });
    expect(ec2).toReceiveCommandTimes(CreateTagsCommand, 1);
    expect(ec2).toReceiveCommandWith(CreateTagsCommand, rejectedTag(IMAGE));
    // now is 10:15:30: the first whole minute at least a minute later is 10:17:00
    expect(ec2).toReceiveCommandWith(EnableImageDeprecationCommand, { ImageId: IMAGE, DeprecateAt: new Date('2026-11-22T10:17:00.000Z') });
    expect(ec2).toReceiveCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: 'tag:gami:execution', Values: [EXECUTION_ARN] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    });
    expect(ec2).toReceiveCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-1', 'i-2'] });
  });

  it('rejects an image of the run the state machine never saw (created just before a failure)', async () => {
    // Prepare
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0aaaaaaaaaaaaaaaa' }] });
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ 'ami-0aaaaaaaaaaaaaaaa': EXECUTION_ARN }));
    ec2.on(CreateTagsCommand).resolves({});
    ec2.on(EnableImageDeprecationCommand).resolves({ Return: true });

    // Act
    const result = await cleanup(event('images'));

    // Assess
    expect(result).toEqual({ action: 'images', terminated: [], rejectedImageIds: ['ami-0aaaaaaaaaaaaaaaa'] });
    expect(ec2).toReceiveCommandWith(CreateTagsCommand, rejectedTag('ami-0aaaaaaaaaaaaaaaa'));
  });

  it('without an image and with nothing running, does nothing and says so', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });

    await expect(cleanup(event('images'))).resolves.toEqual({ action: 'images', terminated: [], rejectedImageIds: [] });
    await expect(cleanup(event('instances'))).resolves.toEqual({ action: 'instances', terminated: [], rejectedImageIds: [] });
    expect(ec2).not.toReceiveCommand(TerminateInstancesCommand);
    expect(ec2).not.toReceiveCommand(CreateTagsCommand);
    expect(ec2).not.toReceiveCommand(DescribeTagsCommand);
  });

  it('ignores an image that is already gone', async () => {
    // Prepare: still tagged when checked, deregistered before CreateTags
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ [IMAGE]: EXECUTION_ARN }));
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2.on(CreateTagsCommand).rejects(ec2ClientError('InvalidAMIID.NotFound', `The image id '[${IMAGE}]' does not exist`));

    await expect(cleanup(event('images', { imageId: IMAGE }))).resolves.toEqual({ action: 'images', terminated: [], rejectedImageIds: [] });
    expect(ec2).toReceiveCommandWith(CreateTagsCommand, rejectedTag(IMAGE));
    expect(ec2).not.toReceiveCommand(EnableImageDeprecationCommand);
  });

  it('turns a throttled call into CleanupIncomplete naming what was not cleaned, so the state machine retries the action', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2ClientError('RequestLimitExceeded'));

    await expect(cleanup(event('instances'))).rejects.toMatchObject({
      name: 'CleanupIncomplete',
      message:
        'clean-up action instances left 1 thing(s) not cleaned: instances tagged gami:execution=run-1: could not be listed: ' +
        'RequestLimitExceeded: RequestLimitExceeded (simulated)',
    });
  });

  it('keeps each action independent: TerminateInstances failing forever does not stop the images from being rejected', async () => {
    // Prepare
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] }] });
    ec2.on(TerminateInstancesCommand).rejects(ec2ClientError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ [IMAGE]: EXECUTION_ARN }));
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: IMAGE }] });
    ec2.on(CreateTagsCommand).resolves({});
    ec2.on(EnableImageDeprecationCommand).resolves({ Return: true });

    // Act: instances first, as the failure path runs them, then images
    const instances = cleanup(event('instances'));
    await expect(instances).rejects.toMatchObject({
      name: 'CleanupIncomplete',
      message:
        'clean-up action instances left 2 thing(s) not cleaned: ' +
        'i-1: UnauthorizedOperation: You are not authorized to perform this operation.; ' +
        'i-2: UnauthorizedOperation: You are not authorized to perform this operation.',
    });
    const images = await cleanup(event('images', { imageId: IMAGE }));

    // Assess
    expect(images).toEqual({ action: 'images', terminated: [], rejectedImageIds: [IMAGE] });
    expect(ec2).toReceiveCommandWith(CreateTagsCommand, rejectedTag(IMAGE));
    expect(ec2).toReceiveCommandWith(EnableImageDeprecationCommand, { ImageId: IMAGE, DeprecateAt: new Date('2026-11-22T10:17:00.000Z') });
  });

  it('rejects the known image even when DescribeImages keeps failing, and names the search it could not do', async () => {
    // Prepare
    ec2.on(DescribeImagesCommand).rejects(ec2ClientError('RequestLimitExceeded', 'Request limit exceeded.'));
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ [IMAGE]: EXECUTION_ARN }));
    ec2.on(CreateTagsCommand).resolves({});
    ec2.on(EnableImageDeprecationCommand).resolves({ Return: true });

    // Act + Assess: the action is retried for the search, but the known image is already rejected
    await expect(cleanup(event('images', { imageId: IMAGE }))).rejects.toMatchObject({
      name: 'CleanupIncomplete',
      message:
        'clean-up action images left 1 thing(s) not cleaned: images tagged gami:execution=run-1: could not be listed: ' +
        'RequestLimitExceeded: Request limit exceeded.',
    });
    expect(ec2).toReceiveCommandWith(CreateTagsCommand, rejectedTag(IMAGE));
    expect(ec2).toReceiveCommandWith(EnableImageDeprecationCommand, { ImageId: IMAGE, DeprecateAt: new Date('2026-11-22T10:17:00.000Z') });
  });

  it('never touches an image not tagged with this execution, named or found', async () => {
    // Prepare: the state machine names another run's image; the search returns one whose tag moved on
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0bbbbbbbbbbbbbbbb' }] });
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ [IMAGE]: OTHER_EXECUTION_ARN, 'ami-0bbbbbbbbbbbbbbbb': OTHER_EXECUTION_ARN }));

    // Act
    const result = await cleanup(event('images', { imageId: IMAGE }));

    // Assess
    expect(result).toEqual({ action: 'images', terminated: [], rejectedImageIds: [] });
    expect(ec2).toReceiveCommandTimes(DescribeTagsCommand, 2);
    expect(ec2).not.toReceiveCommand(CreateTagsCommand);
    expect(ec2).not.toReceiveCommand(EnableImageDeprecationCommand);
  });

  it('terminates only the instances EC2 finds by this execution tag', async () => {
    // Prepare: EC2 answers the tag filter with this run's instance only
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1' }] }] });
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-1' }] });

    // Act
    const result = await cleanup(event('instances'));

    // Assess
    expect(result).toEqual({ action: 'instances', terminated: ['i-1'], rejectedImageIds: [] });
    expect(ec2).toReceiveCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: 'tag:gami:execution', Values: [EXECUTION_ARN] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    });
    expect(ec2).toReceiveCommandTimes(TerminateInstancesCommand, 1);
    expect(ec2).toReceiveCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-1'] });
  });

  it('still deprecates the image when the action is retried minutes after its state was entered', async () => {
    // Prepare: Step Functions keeps State.EnteredTime across retries, so a retry after the first attempt's
    // 120 s function time-out still passes run.now; EC2 refuses a DeprecateAt before its own clock.
    const ec2Clock = Date.parse(run.now) + 3 * 60_000;
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ [IMAGE]: EXECUTION_ARN }));
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: IMAGE }] });
    ec2.on(CreateTagsCommand).resolves({});
    ec2.on(EnableImageDeprecationCommand).callsFake((input: EnableImageDeprecationCommandInput) => {
      if ((input.DeprecateAt?.getTime() ?? 0) < ec2Clock) throw ec2ClientError('InvalidParameterValue', 'DeprecateAt must be in the future.');
      return { Return: true };
    });

    // Act + Assess
    await expect(cleanup(event('images', { imageId: IMAGE }))).resolves.toEqual({ action: 'images', terminated: [], rejectedImageIds: [IMAGE] });
    expect(ec2).toReceiveCommandWith(EnableImageDeprecationCommand, { ImageId: IMAGE });
  });

  it('names an image it could not reject once, though both the known id and the search lead to it', async () => {
    // Prepare
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ [IMAGE]: EXECUTION_ARN }));
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: IMAGE }] });
    ec2.on(CreateTagsCommand).rejects(ec2ClientError('RequestLimitExceeded', 'Request limit exceeded.'));

    // Act + Assess
    await expect(cleanup(event('images', { imageId: IMAGE }))).rejects.toMatchObject({
      name: 'CleanupIncomplete',
      message: `clean-up action images left 1 thing(s) not cleaned: ${IMAGE}: RequestLimitExceeded: Request limit exceeded.`,
    });
  });

  it('record: marks the given version failed with what could not be cleaned', async () => {
    // Act
    const result = await cleanup(event('record', { version: 12, notCleaned: { instances: ['i-1'], images: [] } }));

    // Assess
    expect(result).toEqual({ action: 'record', terminated: [], rejectedImageIds: [], recordedVersion: 12 });
    expect(ddb).not.toReceiveCommand(QueryCommand);
    expect(ddb).toHaveReceivedNthSpecificCommandWith(2, UpdateCommand, {
      Key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012' },
      ExpressionAttributeValues: expect.objectContaining({
        ':stage': 'Failed',
        ':stageStatus': 'failed',
        ':status': 'rejected',
        ':error': 'ScanGateFailed',
        ':cause': `scan gate failed for ${IMAGE}`,
      }),
    });
    expect(ddb).toHaveReceivedNthSpecificCommandWith(1, UpdateCommand, {
      Key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012#STAGE#Failed' },
      ExpressionAttributeValues: expect.objectContaining({
        ':details': { stage: 'ScanGate', error: 'ScanGateFailed', cause: `scan gate failed for ${IMAGE}`, notCleaned: { instances: ['i-1'], images: [] } },
      }),
    });
  });

  it('record: finds the version by execution when Prepare returned none', async () => {
    // Prepare: Prepare wrote IMAGE#000012, then timed out
    ddb.on(QueryCommand).resolves({ Items: [{ version: 12 }] });

    // Act
    const result = await cleanup(event('record', { version: null }));

    // Assess
    expect(result).toEqual({ action: 'record', terminated: [], rejectedImageIds: [], recordedVersion: 12 });
    expect(ddb).toReceiveCommandWith(QueryCommand, {
      TableName: 'gami-registry',
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :image)',
      FilterExpression: '#executionArn = :execution AND attribute_exists(#imageName)',
      ExpressionAttributeValues: { ':pk': 'PIPELINE#web-base', ':image': 'IMAGE#', ':execution': EXECUTION_ARN },
      ConsistentRead: true,
    });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      Key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012' },
      ExpressionAttributeValues: expect.objectContaining({ ':stage': 'Failed', ':status': 'rejected' }),
    });
  });

  it('record: returns null and writes nothing when the run never got a version', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });

    await expect(cleanup(event('record'))).resolves.toEqual({ action: 'record', terminated: [], rejectedImageIds: [], recordedVersion: null });
    expect(ddb).toReceiveCommandTimes(QueryCommand, 1);
    expect(ddb).not.toReceiveCommand(UpdateCommand);
  });

  it.each([
    ['2026-11-22T10:15:30.000Z', '2026-11-22T10:17:00.000Z'],
    ['2026-11-22T10:15:00.000Z', '2026-11-22T10:16:00.000Z'],
    ['2026-11-22T23:59:59.999Z', '2026-11-23T00:01:00.000Z'],
  ])('deprecates an image rejected at %s at %s (in the future, whole minute)', (now, expected) => {
    expect(deprecationTime(new Date(now)).toISOString()).toBe(expected);
  });
});
