/**
 * What fires on its own in the account, on the virtual clock (LocalRuntime `timers`): the hourly freshness report
 * (a scheduled EventBridge rule), the freshness alarm (CloudWatch's evaluation, notifying the topic) and the
 * pipeline's schedule (EventBridge Scheduler: cron in its time zone, the schedule's input).
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { AlarmRecord } from '../../local/cloud/services/cloudwatch';
import { exampleVariant, type PipelineVariant } from '../fixtures/pipeline-variant';
import { startRuntime } from './runtime-fixture';

type Env = Awaited<ReturnType<typeof startRuntime>>;
const TOOLING = '111111111111';
const REGION = 'eu-west-1';
const HOUR = 3_600_000;

describe('timers: the freshness report and alarm, and the schedule', () => {
  let env: Env;
  let variant: PipelineVariant;
  beforeAll(async () => {
    // The example with a one-day freshness limit, so the alarm's return is a day away rather than a month.
    variant = exampleVariant((yaml) => `${yaml}\nfreshness:\n  maxAgeDays: 1\n`);
    env = await startRuntime({ pipelineFile: variant.file, timers: true });
  });
  afterAll(async () => {
    await env.stop();
    variant.remove();
  });

  const alarm = () => (env.runtime.cloud.world.region(TOOLING, REGION).extensions.cloudwatch as { alarms: Record<string, AlarmRecord> }).alarms['gami-web-base-image-age'];
  const alarmMails = () => env.runtime.cloud.mailbox().filter((m) => m.subject?.endsWith('"gami-web-base-image-age" in eu-west-1'));
  const notified = () => alarmMails().map((m) => JSON.parse(m.message) as { NewStateValue: string; OldStateValue: string; NewStateReason: string; Trigger: Record<string, unknown> });

  it('ALARM while there is no approved image (missing data breaches), OK once the hourly report puts the new image\'s age, ALARM again past maxAgeDays — each change to the topic', async () => {
    // Deployed as CloudFormation would: unchecked until CloudWatch first evaluates it.
    expect(alarm()).toMatchObject({ state: 'INSUFFICIENT_DATA', threshold: 1, operator: 'GreaterThanThreshold', treatMissingData: 'breaching', period: 3600 });

    env.runtime.timers!.start();
    await env.clock.sleep(2 * 60_000);
    expect(alarm().state).toBe('ALARM');
    expect(alarmMails()[0].subject).toBe('ALARM: "gami-web-base-image-age" in eu-west-1');
    expect(notified()[0]).toMatchObject({ NewStateValue: 'ALARM', OldStateValue: 'INSUFFICIENT_DATA', Trigger: { MetricName: 'ApprovedImageAgeDays', Namespace: 'GoldenAmiPipeline', Threshold: 1 } });
    expect(notified()[0].NewStateReason).toBe('Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].');

    const run = await env.run({});
    expect(run.description.status).toBe('SUCCEEDED');
    // The next hourly report after the approval puts v5's age (0 days); the next evaluation sees it.
    await env.clock.sleep(HOUR + 2 * 60_000);
    await env.runtime.settled();
    expect(alarm().state).toBe('OK');
    expect(notified()[1]).toMatchObject({ NewStateValue: 'OK', OldStateValue: 'ALARM' });
    expect(notified()[1].NewStateReason).toMatch(/^Threshold Crossed: 1 datapoint \[0\.\d \(\d\d\/\d\d\/26 \d\d:\d\d:00\)\] was not greater than the threshold \(1\.0\)\.$/);

    // A day later the image is older than the limit: ALARM again, with the age that broke it.
    await env.clock.sleep(25 * HOUR);
    await env.runtime.settled();
    expect(alarm().state).toBe('ALARM');
    expect(notified().map((n) => n.NewStateValue)).toEqual(['ALARM', 'OK', 'ALARM']);
    expect(notified()[2].NewStateReason).toMatch(
      /^Threshold Crossed: 1 out of the last 1 datapoints \[1\.\d \(.*\)\] was greater than the threshold \(1\.0\) \(minimum 1 datapoint for OK -> ALARM transition\)\.$/,
    );
    const reports = env.runtime.timers!.fired.filter((f) => f.kind === 'rule');
    expect(reports.length).toBeGreaterThanOrEqual(27);
    expect(new Set(reports.map((r) => r.at % HOUR))).toEqual(new Set([0])); // hourly, from the start on the hour
  }, 120_000);

  it('started the pipeline on Monday at 03:00 Europe/Dublin with the schedule\'s input: nothing had changed, so the run skipped (recorded)', async () => {
    const scheduled = env.runtime.timers!.fired.filter((f) => f.kind === 'schedule' && f.name === 'gami-web-base');
    expect(scheduled.map((f) => new Date(f.at).toISOString())).toEqual(['2026-11-23T03:00:00.000Z']);
    const executionArn = /started (\S+)/.exec(scheduled[0].detail)![1];
    const sfn = env.runtime.sfnClient();
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    sfn.destroy();
    expect(JSON.parse(execution.input!)).toMatchObject({ onlyWhenChanged: true, requestedBy: 'EventBridge Scheduler gami-web-base' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toMatchObject({ skipped: { lastApproved: { version: 5 } } });
  });
});
