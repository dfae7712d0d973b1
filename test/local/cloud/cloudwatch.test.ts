/**
 * The simulated CloudWatch (PutMetricData, PutMetricAlarm, DescribeAlarms, alarm evaluation) and the schedule
 * arithmetic of the runtime's timers (rate from an origin, cron in a time zone, at() once).
 */
import { CloudWatchClient, DescribeAlarmsCommand, InvalidParameterValueException, PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { evaluateAlarm, evaluateAlarms, type AlarmRecord } from '../../../local/cloud/services/cloudwatch';
import { firingsBetween } from '../../../local/events/timers';
import { createClient } from '../../../tasks/clients';
import { clients, credentialsOf, START, startExampleCloud, TOOLING, type ExampleCloud } from './cloud-fixture';

const HOUR = 3_600_000;
let env: ExampleCloud;
beforeEach(async () => {
  env = await startExampleCloud();
});
afterEach(async () => {
  await env.cloud.stop();
});
const cloudWatch = () => createClient(CloudWatchClient, { region: 'eu-west-1', credentials: credentialsOf(TOOLING) });

const ALARM = {
  AlarmName: 'age',
  Namespace: 'GoldenAmiPipeline',
  MetricName: 'ApprovedImageAgeDays',
  Dimensions: [{ Name: 'Pipeline', Value: 'web-base' }],
  Statistic: 'Maximum' as const,
  Period: 3600,
  EvaluationPeriods: 1,
  Threshold: 30,
  ComparisonOperator: 'GreaterThanThreshold' as const,
  TreatMissingData: 'breaching',
};

describe('CloudWatch', () => {
  it('creates an alarm unchecked, evaluates it on datapoints, and notifies the topic of each change', async () => {
    const sns = clients.sns('eu-west-1');
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'ops' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.com' }));
    const cw = cloudWatch();
    await cw.send(new PutMetricAlarmCommand({ ...ALARM, AlarmActions: [TopicArn!], OKActions: [TopicArn!] }));
    expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['age'] }))).MetricAlarms?.[0]).toMatchObject({ StateValue: 'INSUFFICIENT_DATA', StateReason: 'Unchecked: Initial alarm creation' });

    // No datapoint: missing is breaching. Then a datapoint under the threshold, then one over it.
    const world = env.cloud.world;
    expect(evaluateAlarms(world, TOOLING, 'eu-west-1', START).map((c) => c.to)).toEqual(['ALARM']);
    await cw.send(new PutMetricDataCommand({ Namespace: 'GoldenAmiPipeline', MetricData: [{ MetricName: 'ApprovedImageAgeDays', Dimensions: [{ Name: 'Pipeline', Value: 'web-base' }], Value: 2, Timestamp: new Date(START) }] }));
    expect(evaluateAlarms(world, TOOLING, 'eu-west-1', START + 60_000).map((c) => c.to)).toEqual(['OK']);
    expect(evaluateAlarms(world, TOOLING, 'eu-west-1', START + 120_000)).toEqual([]); // no change, no notification
    await cw.send(new PutMetricDataCommand({ Namespace: 'GoldenAmiPipeline', MetricData: [{ MetricName: 'ApprovedImageAgeDays', Dimensions: [{ Name: 'Pipeline', Value: 'web-base' }], Value: 31, Timestamp: new Date(START + HOUR) }] }));
    const [alarm] = evaluateAlarms(world, TOOLING, 'eu-west-1', START + HOUR + 60_000);

    expect(alarm).toMatchObject({ from: 'OK', to: 'ALARM', notified: [TopicArn] });
    expect(alarm.reason).toBe('Threshold Crossed: 1 out of the last 1 datapoints [31.0 (22/11/26 13:00:00)] was greater than the threshold (30.0) (minimum 1 datapoint for OK -> ALARM transition).');
    const mails = env.cloud.mailbox().filter((m) => m.topicArn === TopicArn);
    expect(mails.map((m) => m.subject)).toEqual(['ALARM: "age" in eu-west-1', 'OK: "age" in eu-west-1', 'ALARM: "age" in eu-west-1']);
    expect(mails.every((m) => m.deliveredTo?.[0] === 'ops@example.com')).toBe(true);
    expect(JSON.parse(mails[2].message)).toMatchObject({ AlarmName: 'age', NewStateValue: 'ALARM', OldStateValue: 'OK', AWSAccountId: TOOLING, Trigger: { Threshold: 30, Period: 3600 } });
  });

  it('refuses what CloudWatch refuses: a reserved namespace, a bad period, an unknown statistic', async () => {
    const cw = cloudWatch();
    await expect(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/EC2', MetricData: [{ MetricName: 'x', Value: 1 }] }))).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(cw.send(new PutMetricAlarmCommand({ ...ALARM, Period: 90 }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(cw.send(new PutMetricAlarmCommand({ ...ALARM, Statistic: 'Median' as never }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });
});

describe('alarm evaluation', () => {
  const alarm = (over: Partial<AlarmRecord> = {}): AlarmRecord => ({
    name: 'a', arn: 'arn', namespace: 'N', metricName: 'M', dimensions: [], statistic: 'Maximum', period: 3600, evaluationPeriods: 1, datapointsToAlarm: 1,
    threshold: 30, operator: 'GreaterThanThreshold', treatMissingData: 'breaching', actionsEnabled: true, alarmActions: [], okActions: [], insufficientDataActions: [],
    state: 'OK', stateReason: '', stateUpdated: 0, updated: 0, ...over,
  });
  const point = (hoursAgo: number, value: number) => ({ namespace: 'N', metricName: 'M', dimensions: '', timestamp: START - hoursAgo * HOUR, value });

  it('uses the latest real datapoints of its evaluation range before treating any period as missing', () => {
    // The current hour has no datapoint yet (the hourly report is due): the previous hour's decides, not "missing".
    expect(evaluateAlarm(alarm(), [point(1, 5)], START)?.state).toBe('OK');
    // Older than the evaluation range (1 + 2 periods): missing, and missing breaches.
    expect(evaluateAlarm(alarm(), [point(4, 5)], START)?.state).toBe('ALARM');
    expect(evaluateAlarm(alarm({ treatMissingData: 'notBreaching' }), [], START)?.state).toBe('OK');
    expect(evaluateAlarm(alarm({ treatMissingData: 'missing' }), [], START)?.state).toBe('INSUFFICIENT_DATA');
    expect(evaluateAlarm(alarm({ treatMissingData: 'ignore' }), [], START)).toBeUndefined();
  });

  it('M of N: two of three breaching datapoints alarm, one does not', () => {
    const twoOfThree = alarm({ evaluationPeriods: 3, datapointsToAlarm: 2 });
    expect(evaluateAlarm(twoOfThree, [point(0, 40), point(1, 10), point(2, 40)], START + 1)?.state).toBe('ALARM');
    expect(evaluateAlarm(twoOfThree, [point(0, 40), point(1, 10), point(2, 10)], START + 1)?.state).toBe('OK');
  });
});

describe('timers: when an expression fires', () => {
  const t = (iso: string) => Date.parse(iso);

  it('rate(N unit) every N from its origin', () => {
    expect(firingsBetween('rate(1 hour)', t('2026-11-22T09:00:00Z'), t('2026-11-22T12:00:00Z'), t('2026-11-22T09:00:00Z')).map((x) => new Date(x).toISOString())).toEqual([
      '2026-11-22T10:00:00.000Z',
      '2026-11-22T11:00:00.000Z',
      '2026-11-22T12:00:00.000Z',
    ]);
    expect(firingsBetween('rate(30 minutes)', t('2026-11-22T09:10:00Z'), t('2026-11-22T09:40:00Z'), t('2026-11-22T09:00:00Z'))).toEqual([t('2026-11-22T09:30:00Z')]);
  });

  it('cron in the schedule\'s time zone, summer time included; at() once', () => {
    // Mondays 03:00 in Dublin: 03:00 UTC in winter, 02:00 UTC in summer (IST).
    expect(firingsBetween('cron(0 3 ? * MON *)', t('2026-11-22T00:00:00Z'), t('2026-12-01T00:00:00Z'), 0, 'Europe/Dublin')).toEqual([t('2026-11-23T03:00:00Z'), t('2026-11-30T03:00:00Z')]);
    expect(firingsBetween('cron(0 3 ? * MON *)', t('2026-07-01T00:00:00Z'), t('2026-07-08T00:00:00Z'), 0, 'Europe/Dublin')).toEqual([t('2026-07-06T02:00:00Z')]);
    expect(firingsBetween('at(2026-07-06T03:00:00)', t('2026-07-01T00:00:00Z'), t('2026-07-08T00:00:00Z'), 0, 'Europe/Dublin')).toEqual([t('2026-07-06T02:00:00Z')]);
    expect(firingsBetween('at(2026-07-06T03:00:00)', t('2026-07-07T00:00:00Z'), t('2026-07-08T00:00:00Z'), 0, 'UTC')).toEqual([]);
  });
});
