/**
 * schedule.onlyWhenChanged on the real definition and handlers, virtual clock: a run asked to build only when
 * something changed skips — recorded in the registry, no version taken, nothing launched — when the base image
 * and the components are those of the last approved image; schedule.disableAfterFailures disables the
 * schedule (simulated EventBridge Scheduler) after consecutive failures and notifies once.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createClient } from '../../tasks/clients';
import { exampleVariant, type PipelineVariant } from '../fixtures/pipeline-variant';
import { startRuntime } from './runtime-fixture';

type Env = Awaited<ReturnType<typeof startRuntime>>;

describe('schedule.onlyWhenChanged', () => {
  let env: Env;
  let registry: DynamoDBDocumentClient;

  beforeAll(async () => {
    env = await startRuntime();
    registry = DynamoDBDocumentClient.from(
      createClient(DynamoDBClient, { region: 'eu-west-1', endpoint: env.runtime.cloud.dynamodbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    );
  });
  afterAll(async () => {
    registry.destroy();
    await env.stop();
  });

  const items = async (prefix: string) =>
    (await registry.send(new QueryCommand({ TableName: 'gami-registry-web-base', KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': 'PIPELINE#web-base', ':p': prefix } }))).Items ?? [];

  it('builds when there is no approved image yet, skips (recorded) when nothing changed since the approved one; without onlyWhenChanged it always builds', async () => {
    // Without an approved image every run builds.
    const first = await env.run({ onlyWhenChanged: true, requestedBy: 'EventBridge Scheduler gami-web-base' });
    expect(first.description.status).toBe('SUCCEEDED');
    expect(first.output.version).toBe(5);

    // The approval and distribution stages mark an image approved; here the registry says so directly.
    await registry.send(
      new UpdateCommand({ TableName: 'gami-registry-web-base', Key: { pk: 'PIPELINE#web-base', sk: 'IMAGE#000005' }, UpdateExpression: 'SET #s = :a', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':a': 'approved' } }),
    );
    const instancesBefore = Object.keys(env.runtime.cloud.world.region('111111111111', 'eu-west-1').instances).length;

    // Act: the same base image, the same components.
    const skipped = await env.run({ onlyWhenChanged: true, reason: 'weekly', requestedBy: 'EventBridge Scheduler gami-web-base' }, 'skipped-run');

    // Assess: succeeded without building, the skip recorded with what it compared with, no version taken.
    expect(skipped.description.status).toBe('SUCCEEDED');
    expect(skipped.output).toMatchObject({
      pipeline: 'web-base',
      skipped: { reason: `nothing changed since v5: the same base image ${first.output.baseImage.imageId} and the same components`, lastApproved: { version: 5, imageId: first.output.imageId } },
      requestedBy: 'EventBridge Scheduler gami-web-base',
    });
    expect(skipped.events.filter((e) => e.stateEnteredEventDetails?.name).map((e) => e.stateEnteredEventDetails!.name)).toEqual(['Start Run', 'Prepare Run', 'Run Needed?', 'Skipped']);
    expect(Object.keys(env.runtime.cloud.world.region('111111111111', 'eu-west-1').instances)).toHaveLength(instancesBefore);
    const skips = await items('SKIP#');
    expect(skips).toEqual([expect.objectContaining({ executionName: 'skipped-run', requestReason: 'weekly', lastApproved: { version: 5, imageId: first.output.imageId } })]);
    expect((await items('COUNTER')).at(0)?.lastVersion).toBe(5);

    // A run without onlyWhenChanged (the console, gami start) always builds.
    const forced = await env.run({ reason: 'forced' });
    expect(forced.output.version).toBe(6);
  }, 120_000);
});

describe('schedule.disableAfterFailures', () => {
  let failing: Env;
  let variant: PipelineVariant;
  beforeAll(async () => {
    // The example without its OS update fails the scan gate every time; the schedule gives up after 2.
    variant = exampleVariant((yaml) => yaml.replace('  - path: components/os-update.yaml\n', '').replace('disableAfterFailures: 3', 'disableAfterFailures: 2'), 'failing.yaml');
    failing = await startRuntime({ pipelineFile: variant.file });
  });
  afterAll(async () => {
    await failing.stop();
    variant.remove();
  });

  const schedule = () =>
    (failing.runtime.cloud.world.region('111111111111', 'eu-west-1').extensions.scheduler as Record<string, { state: string; scheduleExpression: string; target: { Input: string } }>)['default/gami-web-base'];
  const disabledNotices = () => failing.runtime.cloud.mailbox().filter((m) => m.messageAttributes?.event?.StringValue === 'schedule-disabled');

  it('disables the schedule after 2 consecutive failures, notifies once naming the runs, and leaves it at that', async () => {
    // Deployed as configured.
    expect(schedule()).toMatchObject({ state: 'ENABLED', scheduleExpression: 'cron(0 3 ? * MON *)' });
    expect(JSON.parse(schedule().target.Input)).toMatchObject({ onlyWhenChanged: true });

    const first = await failing.run({}, 'fail-1');
    await failing.runtime.settled();
    expect(first.description.error).toBe('ScanGateFailed');
    expect(schedule().state).toBe('ENABLED');

    await failing.run({}, 'fail-2');
    await failing.runtime.settled();
    expect(schedule().state).toBe('DISABLED');
    expect(schedule().scheduleExpression).toBe('cron(0 3 ? * MON *)'); // only the state changed
    expect(disabledNotices()).toHaveLength(1);
    expect(disabledNotices()[0].message).toContain('the last 2 runs did not succeed');
    expect(disabledNotices()[0].message).toContain('gami-web-base:fail-2');
    expect(disabledNotices()[0].message).toContain('gami-web-base:fail-1');

    await failing.run({}, 'fail-3');
    await failing.runtime.settled();
    expect(disabledNotices()).toHaveLength(1);
  }, 120_000);
});
