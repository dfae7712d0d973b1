/**
 * CloudWatch, what the pipeline uses: PutMetricData (reportFreshness puts the newest approved image's age),
 * PutMetricAlarm (the runtime creates the stacks' alarms, as CloudFormation does), DescribeAlarms, and the
 * evaluation of metric alarms (`evaluateAlarms`, which the runtime's timers call every minute, as CloudWatch
 * evaluates them).
 *
 * As the service (CloudWatch User Guide, "Using Amazon CloudWatch alarms" and "Configuring how CloudWatch alarms
 * treat missing data"; API reference PutMetricData, PutMetricAlarm):
 *  - a new alarm is INSUFFICIENT_DATA ("Unchecked: Initial alarm creation") until its first evaluation;
 *  - an evaluation takes the statistic of each period (aligned to the period length) of its evaluation range
 *    (EvaluationPeriods + 2 periods, the current one included), uses the most recent EvaluationPeriods real
 *    datapoints, and goes to ALARM when at least DatapointsToAlarm (default EvaluationPeriods) of them breach the
 *    threshold; only when the range holds fewer real datapoints than that do missing ones count, as
 *    TreatMissingData says — `breaching`, `notBreaching`, `ignore` (the state stays) or `missing`
 *    (INSUFFICIENT_DATA when none is real, the default);
 *  - on a state change the alarm's actions for the new state are notified (SNS topics: the JSON message CloudWatch
 *    sends, subject `ALARM: "<name>" in <region>`), unless ActionsEnabled is false;
 *  - namespaces starting with `AWS/` are reserved (InvalidParameterValue); at most 1,000 datapoints a call.
 * Not simulated: extended statistics, metric math, anomaly detection, composite alarms, alarm history.
 */
import type {
  DescribeAlarmsCommandInput,
  DescribeAlarmsCommandOutput,
  MetricAlarm,
  PutMetricAlarmCommandInput,
  PutMetricAlarmCommandOutput,
  PutMetricDataCommandInput,
  PutMetricDataCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import { fail } from '../errors';
import type { Operation } from '../operations';
import type { World } from '../world';
import { deliverToTopic } from './sns';

const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
type Statistic = (typeof STATISTICS)[number];
const OPERATORS = ['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;
type Operator = (typeof OPERATORS)[number];
const MISSING = ['breaching', 'notBreaching', 'ignore', 'missing'] as const;
type Missing = (typeof MISSING)[number];
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

interface Datapoint {
  namespace: string;
  metricName: string;
  /** Sorted `name=value` pairs joined by `,`: a metric is its namespace, name and exact set of dimensions. */
  dimensions: string;
  timestamp: number;
  value: number;
}

export interface AlarmRecord {
  name: string;
  arn: string;
  description?: string;
  namespace: string;
  metricName: string;
  dimensions: { Name: string; Value: string }[];
  statistic: Statistic;
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  operator: Operator;
  treatMissingData: Missing;
  actionsEnabled: boolean;
  alarmActions: string[];
  okActions: string[];
  insufficientDataActions: string[];
  state: AlarmState;
  stateReason: string;
  stateUpdated: number;
  updated: number;
}

interface CloudWatchState {
  datapoints: Datapoint[];
  alarms: Record<string, AlarmRecord>;
}

const stateOf = (world: World, account: string, region: string) =>
  world.regionExtension<CloudWatchState>(account, region, 'cloudwatch', () => ({ datapoints: [], alarms: {} }));

const dimensionKey = (dimensions: readonly { Name?: string; Value?: string }[] | undefined) =>
  [...(dimensions ?? [])].map((d) => `${d.Name}=${d.Value}`).sort().join(',');

/** Datapoints are kept 15 days here (CloudWatch keeps hourly data 455 days; nothing local looks further back). */
const KEEP_MS = 15 * 86_400_000;

export const putMetricData: Operation<PutMetricDataCommandInput, PutMetricDataCommandOutput> = async (ctx, input) => {
  const namespace = input.Namespace ?? fail('MissingParameter', 'The parameter Namespace is required.', { httpStatusCode: 400 });
  if (namespace.length === 0 || namespace.length > 255) fail('InvalidParameterValue', 'The parameter Namespace must be 1 to 255 characters.', { httpStatusCode: 400 });
  if (namespace.startsWith('AWS/')) fail('InvalidParameterValue', 'The value AWS/ for parameter Namespace is invalid.', { httpStatusCode: 400 });
  const data = input.MetricData ?? [];
  if (data.length === 0) fail('MissingParameter', 'The parameter MetricData is required.', { httpStatusCode: 400 });
  if (data.length > 1000) fail('InvalidParameterValue', 'The collection MetricData must not have a size greater than 1000.', { httpStatusCode: 400 });
  const now = ctx.clock.now();
  const state = stateOf(ctx.world, ctx.account, ctx.region);
  for (const [i, datum] of data.entries()) {
    if (!datum.MetricName) fail('MissingParameter', `The parameter MetricData.member.${i + 1}.MetricName is required.`, { httpStatusCode: 400 });
    if ((datum.Dimensions ?? []).length > 30) fail('InvalidParameterValue', `The collection MetricData.member.${i + 1}.Dimensions must not have a size greater than 30.`, { httpStatusCode: 400 });
    const values = datum.Values ?? (datum.Value !== undefined ? [datum.Value] : []);
    if (values.length === 0 && !datum.StatisticValues) fail('MissingParameter', `The parameter MetricData.member.${i + 1}.Value is required.`, { httpStatusCode: 400 });
    for (const value of values) {
      if (!Number.isFinite(value)) fail('InvalidParameterValue', `The value ${value} for parameter MetricData.member.${i + 1}.Value is invalid.`, { httpStatusCode: 400 });
      state.datapoints.push({
        namespace,
        metricName: datum.MetricName,
        dimensions: dimensionKey(datum.Dimensions),
        timestamp: datum.Timestamp ? new Date(datum.Timestamp).getTime() : now,
        value,
      });
    }
  }
  state.datapoints = state.datapoints.filter((d) => d.timestamp > now - KEEP_MS);
  return {};
};

export const putMetricAlarm: Operation<PutMetricAlarmCommandInput, PutMetricAlarmCommandOutput> = async (ctx, input) => {
  const name = input.AlarmName ?? fail('MissingParameter', 'The parameter AlarmName is required.', { httpStatusCode: 400 });
  if (!input.Namespace || !input.MetricName) fail('ValidationError', 'Metric alarms need Namespace and MetricName (metric math is not simulated).', { httpStatusCode: 400 });
  const statistic = input.Statistic as Statistic | undefined;
  if (!statistic || !STATISTICS.includes(statistic)) fail('InvalidParameterValue', `The value ${input.Statistic} for parameter Statistic is invalid.`, { httpStatusCode: 400 });
  const period = input.Period ?? 0;
  if (!(period === 10 || period === 20 || period === 30 || (period >= 60 && period % 60 === 0))) {
    fail('InvalidParameterValue', `The value ${input.Period} for parameter Period is invalid: 10, 20, 30 or a multiple of 60.`, { httpStatusCode: 400 });
  }
  const evaluationPeriods = input.EvaluationPeriods ?? 0;
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) fail('InvalidParameterValue', 'The parameter EvaluationPeriods must be at least 1.', { httpStatusCode: 400 });
  if (period * evaluationPeriods > 7 * 86_400) fail('ValidationError', 'Metrics cannot be checked across more than a week (EvaluationPeriods * Period must be <= 604800).', { httpStatusCode: 400 });
  const datapointsToAlarm = input.DatapointsToAlarm ?? evaluationPeriods;
  if (datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods) fail('ValidationError', 'DatapointsToAlarm must be between 1 and EvaluationPeriods.', { httpStatusCode: 400 });
  const operator = input.ComparisonOperator as Operator | undefined;
  if (!operator || !OPERATORS.includes(operator)) fail('InvalidParameterValue', `The value ${input.ComparisonOperator} for parameter ComparisonOperator is invalid.`, { httpStatusCode: 400 });
  if (input.Threshold === undefined) fail('ValidationError', 'Threshold is required for a static threshold alarm.', { httpStatusCode: 400 });
  const treatMissingData = (input.TreatMissingData ?? 'missing') as Missing;
  if (!MISSING.includes(treatMissingData)) fail('InvalidParameterValue', `The value ${input.TreatMissingData} for parameter TreatMissingData is invalid.`, { httpStatusCode: 400 });
  const state = stateOf(ctx.world, ctx.account, ctx.region);
  const now = ctx.clock.now();
  const existing = state.alarms[name];
  state.alarms[name] = {
    name,
    arn: `arn:aws:cloudwatch:${ctx.region}:${ctx.account}:alarm:${name}`,
    description: input.AlarmDescription,
    namespace: input.Namespace,
    metricName: input.MetricName,
    dimensions: (input.Dimensions ?? []).map((d) => ({ Name: d.Name ?? '', Value: d.Value ?? '' })),
    statistic,
    period,
    evaluationPeriods,
    datapointsToAlarm,
    threshold: input.Threshold,
    operator,
    treatMissingData,
    actionsEnabled: input.ActionsEnabled ?? true,
    alarmActions: input.AlarmActions ?? [],
    okActions: input.OKActions ?? [],
    insufficientDataActions: input.InsufficientDataActions ?? [],
    // An updated alarm keeps its state until the next evaluation; a new one is unchecked.
    state: existing?.state ?? 'INSUFFICIENT_DATA',
    stateReason: existing?.stateReason ?? 'Unchecked: Initial alarm creation',
    stateUpdated: existing?.stateUpdated ?? now,
    updated: now,
  };
  return {};
};

function toMetricAlarm(alarm: AlarmRecord): MetricAlarm {
  return {
    AlarmName: alarm.name,
    AlarmArn: alarm.arn,
    AlarmDescription: alarm.description,
    AlarmConfigurationUpdatedTimestamp: new Date(alarm.updated),
    ActionsEnabled: alarm.actionsEnabled,
    OKActions: alarm.okActions,
    AlarmActions: alarm.alarmActions,
    InsufficientDataActions: alarm.insufficientDataActions,
    StateValue: alarm.state,
    StateReason: alarm.stateReason,
    StateUpdatedTimestamp: new Date(alarm.stateUpdated),
    MetricName: alarm.metricName,
    Namespace: alarm.namespace,
    Statistic: alarm.statistic,
    Dimensions: alarm.dimensions,
    Period: alarm.period,
    EvaluationPeriods: alarm.evaluationPeriods,
    DatapointsToAlarm: alarm.datapointsToAlarm,
    Threshold: alarm.threshold,
    ComparisonOperator: alarm.operator,
    TreatMissingData: alarm.treatMissingData,
  };
}

export const describeAlarms: Operation<DescribeAlarmsCommandInput, DescribeAlarmsCommandOutput> = async (ctx, input) => {
  const alarms = Object.values(stateOf(ctx.world, ctx.account, ctx.region).alarms)
    .filter((a) => !input.AlarmNames?.length || input.AlarmNames.includes(a.name))
    .filter((a) => !input.AlarmNamePrefix || a.name.startsWith(input.AlarmNamePrefix))
    .filter((a) => !input.StateValue || a.state === input.StateValue)
    .sort((a, b) => a.name.localeCompare(b.name));
  return { MetricAlarms: alarms.map(toMetricAlarm), CompositeAlarms: [] };
};

function statisticOf(values: number[], statistic: Statistic): number {
  switch (statistic) {
    case 'SampleCount':
      return values.length;
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
  }
}

function breaches(value: number, operator: Operator, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

const OPERATOR_WORDS: Record<Operator, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/**
 * Periods beyond EvaluationPeriods CloudWatch retrieves when it evaluates (the "evaluation range": 3 of 3 looks at
 * 5); the most recent real datapoints in it are used before any missing one is.
 */
export const EVALUATION_RANGE_EXTRA_PERIODS = 2;

/**
 * One alarm's new state at `now` and the reason CloudWatch would give, or undefined when it stays as it is.
 * Datapoints fall into periods aligned to the period length; the evaluation range is the EvaluationPeriods + 2
 * most recent periods (the current one included). With at least EvaluationPeriods real datapoints in it, the most
 * recent EvaluationPeriods of them decide and missing data does not matter; with fewer, the missing ones are
 * treated as TreatMissingData says.
 */
export function evaluateAlarm(alarm: AlarmRecord, datapoints: readonly Datapoint[], now: number): { state: AlarmState; reason: string } | undefined {
  const metric = datapoints.filter((d) => d.namespace === alarm.namespace && d.metricName === alarm.metricName && d.dimensions === dimensionKey(alarm.dimensions));
  const periodMs = alarm.period * 1000;
  const current = Math.floor(now / periodMs) * periodMs;
  const range = alarm.evaluationPeriods + EVALUATION_RANGE_EXTRA_PERIODS;
  const real: { start: number; value: number }[] = [];
  for (let i = 0; i < range; i++) {
    const start = current - i * periodMs;
    const values = metric.filter((d) => d.timestamp >= start && d.timestamp < start + periodMs && d.timestamp <= now).map((d) => d.value);
    if (values.length > 0) real.push({ start, value: statisticOf(values, alarm.statistic) });
  }
  const used = real.slice(0, alarm.evaluationPeriods);
  const missing = alarm.evaluationPeriods - used.length;
  if (used.length === 0 && alarm.treatMissingData === 'ignore') return undefined;
  if (used.length === 0 && alarm.treatMissingData === 'missing') {
    return { state: 'INSUFFICIENT_DATA', reason: `Insufficient Data: ${missing} datapoint${missing === 1 ? ' was' : 's were'} unknown.` };
  }
  const breaching = used.filter((d) => breaches(d.value, alarm.operator, alarm.threshold)).length + (alarm.treatMissingData === 'breaching' ? missing : 0);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const missingNote =
    missing > 0 && (alarm.treatMissingData === 'breaching' || alarm.treatMissingData === 'notBreaching')
      ? `${plural(missing, 'missing datapoint')} ${missing === 1 ? 'was' : 'were'} treated as [${alarm.treatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching'}]`
      : '';
  const values = `[${used.map((d) => `${formatValue(d.value)} (${formatTime(d.start)})`).join(', ')}]`;
  const words = OPERATOR_WORDS[alarm.operator];
  const noData = `Threshold Crossed: no datapoints were received for ${plural(missing, 'period')} and ${missingNote}.`;
  if (breaching >= alarm.datapointsToAlarm) {
    const reason =
      used.length === 0
        ? noData
        : `Threshold Crossed: ${breaching} out of the last ${alarm.evaluationPeriods} datapoints ${values} ${breaching === 1 ? 'was' : 'were'} ${words} the threshold (${formatValue(alarm.threshold)})${missingNote ? ` and ${missingNote}` : ''} (minimum ${plural(alarm.datapointsToAlarm, 'datapoint')} for OK -> ALARM transition).`;
    return { state: 'ALARM', reason };
  }
  const reason =
    used.length === 0
      ? noData
      : `Threshold Crossed: ${plural(used.length, 'datapoint')} ${values} ${used.length === 1 ? 'was' : 'were'} not ${words} the threshold (${formatValue(alarm.threshold)})${missingNote ? ` and ${missingNote}` : ''}.`;
  return { state: 'OK', reason };
}

/** As CloudWatch prints values in reasons: `0.0`, `31.5`. */
function formatValue(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** `22/11/26 10:00:00`, as CloudWatch's reasons give a datapoint's time (UTC). */
function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(2, 4)} ${iso.slice(11, 19)}`;
}

/** A state change of an alarm, as notified. */
export interface AlarmTransition {
  alarm: string;
  from: AlarmState;
  to: AlarmState;
  reason: string;
  at: number;
  notified: string[];
}

/**
 * Evaluate every alarm of `account` in `region` at `now`: state changes are recorded and their actions notified
 * (SNS topics of the account; the message is CloudWatch's JSON notification). Returns the changes.
 */
export function evaluateAlarms(world: World, account: string, region: string, now: number): AlarmTransition[] {
  const state = stateOf(world, account, region);
  const changes: AlarmTransition[] = [];
  for (const alarm of Object.values(state.alarms)) {
    const next = evaluateAlarm(alarm, state.datapoints, now);
    if (!next || next.state === alarm.state) continue;
    const from = alarm.state;
    Object.assign(alarm, { state: next.state, stateReason: next.reason, stateUpdated: now });
    const actions = !alarm.actionsEnabled ? [] : next.state === 'ALARM' ? alarm.alarmActions : next.state === 'OK' ? alarm.okActions : alarm.insufficientDataActions;
    const notified: string[] = [];
    for (const topicArn of actions.filter((a) => a.startsWith('arn:aws:sns:'))) {
      const message = {
        AlarmName: alarm.name,
        AlarmDescription: alarm.description ?? null,
        AWSAccountId: account,
        AlarmConfigurationUpdatedTimestamp: new Date(alarm.updated).toISOString(),
        NewStateValue: next.state,
        NewStateReason: next.reason,
        StateChangeTime: new Date(now).toISOString(),
        Region: region,
        AlarmArn: alarm.arn,
        OldStateValue: from,
        Trigger: {
          MetricName: alarm.metricName,
          Namespace: alarm.namespace,
          StatisticType: 'Statistic',
          Statistic: alarm.statistic.toUpperCase(),
          Unit: null,
          Dimensions: alarm.dimensions.map((d) => ({ value: d.Value, name: d.Name })),
          Period: alarm.period,
          EvaluationPeriods: alarm.evaluationPeriods,
          DatapointsToAlarm: alarm.datapointsToAlarm,
          ComparisonOperator: alarm.operator,
          Threshold: alarm.threshold,
          TreatMissingData: alarm.treatMissingData,
        },
      };
      if (deliverToTopic(world, topicArn, { subject: `${next.state}: "${alarm.name}" in ${region}`.slice(0, 100), message: JSON.stringify(message), timestamp: now })) notified.push(topicArn);
    }
    changes.push({ alarm: alarm.name, from, to: next.state, reason: next.reason, at: now, notified });
  }
  return changes;
}

export const cloudWatchOperations = { PutMetricData: putMetricData, PutMetricAlarm: putMetricAlarm, DescribeAlarms: describeAlarms };
