/** reportFreshness: the newest approved image's age as a CloudWatch metric, at the scheduled event's time. */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../tasks/reportFreshness/handler';
import { newestApproved } from '../../../tasks/reportFreshness/freshness';

const cloudwatch = mockClient(CloudWatchClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const image = (version: number, status: string, createdAt: string) => ({ pk: 'PIPELINE#web-base', sk: `IMAGE#${String(version).padStart(6, '0')}`, version, status, createdAt, imageId: `ami-0${version}` });
const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2026-11-22T12:00:00Z' };

beforeEach(() => {
  cloudwatch.reset();
  dynamo.reset();
  process.env.AWS_REGION = 'eu-west-1';
  process.env.GAMI_PIPELINE = 'web-base';
  process.env.GAMI_REGISTRY_TABLE = 'gami-registry-web-base';
});
afterEach(() => {
  delete process.env.GAMI_PIPELINE;
  delete process.env.GAMI_REGISTRY_TABLE;
});

it('puts the age in days of the newest approved (or published) image, ignoring newer unapproved ones', async () => {
  // Prepare
  dynamo.on(QueryCommand).resolves({
    Items: [
      image(3, 'published', '2026-10-01T12:00:00Z'),
      image(4, 'approved', '2026-11-01T00:00:00Z'),
      image(5, 'rejected', '2026-11-20T00:00:00Z'),
      { pk: 'PIPELINE#web-base', sk: 'IMAGE#000004#STAGE#Bake', status: 'succeeded', createdAt: '2026-11-21T00:00:00Z' },
    ],
  });

  // Act
  const result = await handler(scheduled);

  // Assess
  expect(result).toEqual({ pipeline: 'web-base', published: true, newest: { version: 4, imageId: 'ami-04', status: 'approved', createdAt: '2026-11-01T00:00:00Z', ageDays: 21.5 } });
  expect(cloudwatch).toHaveReceivedCommandWith(PutMetricDataCommand, {
    Namespace: 'GoldenAmiPipeline',
    MetricData: [{ MetricName: 'ApprovedImageAgeDays', Dimensions: [{ Name: 'Pipeline', Value: 'web-base' }], Timestamp: new Date('2026-11-22T12:00:00Z'), Value: 21.5, Unit: 'None' }],
  });
  expect(dynamo).toHaveReceivedCommandWith(QueryCommand, { TableName: 'gami-registry-web-base', ExpressionAttributeValues: { ':pk': 'PIPELINE#web-base', ':prefix': 'IMAGE#' } });
});

it('puts nothing when no image was ever approved: the alarm treats missing data as breaching', async () => {
  dynamo.on(QueryCommand).resolves({ Items: [image(1, 'testing', '2026-11-01T00:00:00Z')] });
  expect(await handler(scheduled)).toEqual({ pipeline: 'web-base', published: false });
  expect(cloudwatch).not.toHaveReceivedCommand(PutMetricDataCommand);
});

it('refuses an event that is not a scheduled event', async () => {
  await expect(handler({ source: 'aws.states', time: 'x' })).rejects.toMatchObject({ name: 'InvalidTaskEvent' });
});

it('orders by version, not by the order the registry returned', () => {
  expect(newestApproved([image(9, 'approved', '2026-11-02T00:00:00Z'), image(10, 'approved', '2026-11-03T00:00:00Z')], new Date('2026-11-04T00:00:00Z'))?.version).toBe(10);
});
