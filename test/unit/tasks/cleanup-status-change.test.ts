/**
 * cleanup invoked by the stack's EventBridge rule with a "Step Functions Execution Status Change" event
 * (issue 8 §1): for ABORTED and TIMED_OUT executions no Catch ran, so it does every action itself (each
 * with STATUS_CHANGE_ATTEMPTS attempts), marks the record and sends one notification naming what is left.
 */
import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeTagsCommand,
  EC2Client,
  EnableImageDeprecationCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { STATUS_CHANGE_ATTEMPTS } from '../../../tasks/cleanup/cleanup';
import { handler as cleanup } from '../../../tasks/cleanup/handler';
import { ec2ClientError, EXECUTION_ARN, executionTagsOf, run } from './fixtures';

const ec2 = mockClient(EC2Client);
const ddb = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);

const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:gami-web-base-notifications';
const IMAGE = 'ami-0fedcba9876543210';
const IMAGE_KEY = { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012' };

const ENV = { GAMI_PIPELINE: 'web-base', GAMI_REGISTRY_TABLE: 'gami-registry', GAMI_TOPIC_ARN: TOPIC };
const saved = Object.fromEntries(Object.keys(ENV).map((name) => [name, process.env[name]]));
beforeAll(() => Object.assign(process.env, ENV));
afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** The event EventBridge delivers when the execution reaches `status`. */
const statusChange = (status: string) => ({
  version: '0',
  id: '315c1398-40ff-a850-213b-158f73e60175',
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  account: '111111111111',
  time: run.now.replace('.000Z', 'Z'),
  region: 'eu-west-1',
  resources: [EXECUTION_ARN],
  detail: {
    executionArn: EXECUTION_ARN,
    stateMachineArn: 'arn:aws:states:eu-west-1:111111111111:stateMachine:gami-web-base',
    name: 'run-1',
    status,
    startDate: Date.parse('2026-11-22T10:00:00.000Z'),
    stopDate: status === 'RUNNING' ? null : Date.parse(run.now),
    input: '{}',
    output: null,
    error: null,
    cause: null,
  },
});

/** A run that got as far as Bake: one image, two instances, IMAGE#000012 at stage Bake. */
function runStoppedInBake(): void {
  ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: IMAGE }] });
  ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ [IMAGE]: EXECUTION_ARN }));
  ec2.on(CreateTagsCommand).resolves({});
  ec2.on(EnableImageDeprecationCommand).resolves({ Return: true });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] }] });
  ddb.on(QueryCommand).resolves({ Items: [{ version: 12 }] });
  ddb.on(GetCommand, { Key: IMAGE_KEY }).resolves({ Item: { ...IMAGE_KEY, stage: 'Bake', stageStatus: 'started' } });
  ddb.on(UpdateCommand).resolves({});
}

beforeEach(() => {
  ec2.reset();
  ddb.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('cleanup after an execution status change', () => {
  it('ABORTED: does every action, marks the record ExecutionAborted and publishes once naming what could not be cleaned', async () => {
    // Prepare: the builder's termination is refused every time
    runStoppedInBake();
    ec2.on(TerminateInstancesCommand).rejects(ec2ClientError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

    // Act
    const result = await cleanup(statusChange('ABORTED'));

    // Assess
    expect(result).toEqual({
      executionArn: EXECUTION_ARN,
      status: 'ABORTED',
      terminated: [],
      rejectedImageIds: [IMAGE],
      recordedVersion: 12,
      notCleaned: { images: [], instances: ['i-1', 'i-2'] },
      notified: true,
    });
    // images: once is enough; instances: every attempt
    expect(ec2).toReceiveCommandTimes(CreateTagsCommand, 1);
    expect(ec2).toReceiveCommandWith(CreateTagsCommand, { Resources: [IMAGE], Tags: [{ Key: 'gami:status', Value: 'rejected' }] });
    expect(ec2).toReceiveCommandWith(EnableImageDeprecationCommand, { ImageId: IMAGE, DeprecateAt: new Date('2026-11-22T10:17:00.000Z') });
    expect(ec2).toReceiveCommandTimes(TerminateInstancesCommand, STATUS_CHANGE_ATTEMPTS);
    expect(ec2).toReceiveCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-1', 'i-2'] });
    // record: found by execution, marked Failed with the stage it was stopped in
    expect(ddb).toReceiveCommandWith(GetCommand, { TableName: 'gami-registry', Key: IMAGE_KEY });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'gami-registry',
      Key: IMAGE_KEY,
      ExpressionAttributeValues: expect.objectContaining({
        ':stage': 'Failed',
        ':stageStatus': 'failed',
        ':status': 'rejected',
        ':error': 'ExecutionAborted',
        ':cause': 'the execution was stopped',
      }),
    });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      Key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000012#STAGE#Failed' },
      ExpressionAttributeValues: expect.objectContaining({
        ':details': {
          stage: 'Bake',
          error: 'ExecutionAborted',
          cause: 'the execution was stopped',
          notCleaned: { images: [], instances: ['i-1', 'i-2'] },
        },
      }),
    });
    expect(sns).toReceiveCommandTimes(PublishCommand, 1);
    expect(sns).toReceiveCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: '[web-base] ExecutionAborted in Bake',
      Message: [
        'Pipeline web-base version 12 was stopped in stage Bake (ExecutionAborted).',
        '',
        'the execution was stopped',
        '',
        `Clean-up: terminated no instances; rejected and deprecated ${IMAGE}.`,
        'NOT CLEANED (act on these): instance i-1: UnauthorizedOperation: You are not authorized to perform this operation.; instance i-2: UnauthorizedOperation: You are not authorized to perform this operation.',
        '',
        `Execution: ${EXECUTION_ARN}`,
      ].join('\n'),
      MessageAttributes: {
        pipeline: { DataType: 'String', StringValue: 'web-base' },
        error: { DataType: 'String', StringValue: 'ExecutionAborted' },
      },
    });
  });

  it('TIMED_OUT: cleans everything up, records ExecutionTimedOut and says nothing was left behind', async () => {
    runStoppedInBake();
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] });

    await expect(cleanup(statusChange('TIMED_OUT'))).resolves.toMatchObject({
      terminated: ['i-1', 'i-2'],
      rejectedImageIds: [IMAGE],
      recordedVersion: 12,
      notCleaned: { images: [], instances: [] },
      notified: true,
    });
    expect(ec2).toReceiveCommandTimes(TerminateInstancesCommand, 1);
    expect(sns).toReceiveCommandWith(PublishCommand, {
      Subject: '[web-base] ExecutionTimedOut in Bake',
      Message: [
        'Pipeline web-base version 12 timed out in stage Bake (ExecutionTimedOut).',
        '',
        'the execution exceeded its time limit',
        '',
        `Clean-up: terminated i-1, i-2; rejected and deprecated ${IMAGE}.`,
        'Nothing was left behind.',
        '',
        `Execution: ${EXECUTION_ARN}`,
      ].join('\n'),
    });
  });

  it('names the registry record in the notification when it could not be marked', async () => {
    // Prepare
    runStoppedInBake();
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] });
    ddb.on(UpdateCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));

    // Act
    const result = await cleanup(statusChange('ABORTED'));

    // Assess
    expect(result).toMatchObject({
      recordedVersion: null,
      notCleaned: { images: [], instances: [], record: 'ProvisionedThroughputExceededException: Rate exceeded' },
      notified: true,
    });
    expect(sns).toReceiveCommandWith(PublishCommand, {
      Message: expect.stringContaining('NOT CLEANED (act on these): registry record: ProvisionedThroughputExceededException: Rate exceeded'),
    });
  });

  it('without a version (stopped in Prepare), cleans up and notifies without one', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ddb.on(QueryCommand).resolves({ Items: [] });

    await expect(cleanup(statusChange('ABORTED'))).resolves.toMatchObject({ recordedVersion: null, notified: true });
    expect(ddb).not.toReceiveCommand(UpdateCommand);
    expect(sns).toReceiveCommandWith(PublishCommand, {
      Subject: '[web-base] ExecutionAborted in unknown',
      Message: expect.stringMatching(/^Pipeline web-base was stopped in stage unknown \(ExecutionAborted\)\./),
    });
  });

  it.each(['RUNNING', 'SUCCEEDED', 'FAILED'])('%s: does nothing (the state machine\'s own path handles it)', async (status) => {
    await expect(cleanup(statusChange(status))).resolves.toEqual({
      executionArn: EXECUTION_ARN,
      status,
      terminated: [],
      rejectedImageIds: [],
      recordedVersion: null,
      notCleaned: { instances: [], images: [] },
      notified: false,
    });
    expect(ec2).not.toHaveReceivedAnyCommand();
    expect(ddb).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('throws when the notification cannot be published, after cleaning up, so the invocation is retried', async () => {
    // Prepare
    runStoppedInBake();
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] });
    sns.on(PublishCommand).rejects(new SNSServiceException({ name: 'InternalErrorException', message: 'Internal error', $fault: 'server', $metadata: {} }));

    // Act + Assess
    await expect(cleanup(statusChange('ABORTED'))).rejects.toMatchObject({ name: 'InternalErrorException' });
    expect(ec2).toReceiveCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-1', 'i-2'] });
    expect(ddb).toReceiveCommandWith(UpdateCommand, { Key: IMAGE_KEY });
  });

  it('refuses a status change without its settings, naming the variables', async () => {
    const { GAMI_TOPIC_ARN } = process.env;
    delete process.env.GAMI_TOPIC_ARN;
    try {
      await expect(cleanup(statusChange('ABORTED'))).rejects.toThrow(
        'cleanup needs GAMI_PIPELINE, GAMI_REGISTRY_TABLE and GAMI_TOPIC_ARN to clean up after an execution status change',
      );
      expect(ec2).not.toHaveReceivedAnyCommand();
    } finally {
      process.env.GAMI_TOPIC_ARN = GAMI_TOPIC_ARN;
    }
  });
});
