/**
 * What fires on its own in an AWS account, on the runtime's clock: EventBridge rules with a schedule expression
 * (the hourly freshness report), EventBridge Scheduler schedules (the pipeline's own schedule, the retention
 * sweep), and CloudWatch's evaluation of metric alarms (the freshness alarm). Opt-in (LocalRuntime `timers`): a
 * runtime that only runs one execution and stops needs none of it, and a virtual clock with timers always has a
 * next thing to jump to.
 *
 * One tick a minute, on the minute (CloudWatch evaluates alarms about every minute; EventBridge and Scheduler
 * fire at minute granularity). Each tick fires what fell due since the last one:
 *  - a rule `rate(N unit)` fires every N units from when the timers started (EventBridge starts a rate rule's
 *    period when the rule is created); `cron(…)` at its times in UTC. Its Lambda targets are invoked
 *    asynchronously with EventBridge's "Scheduled Event" (through the EventRouter: Lambda's retries);
 *  - an ENABLED schedule: `rate(…)` every period from its creation, `cron(…)` at its times in its time zone,
 *    `at(…)` once. The target's Arn is a state machine (StartExecution with the target's Input) or a function
 *    (invoked with the Input). A schedule disabled meanwhile (watchSchedule's UpdateSchedule) no longer fires;
 *    FlexibleTimeWindow is taken as OFF (the window's start), so runs are reproducible;
 *  - every alarm of the account's region is evaluated (local/cloud/services/cloudwatch.ts); its notifications
 *    go to the mailbox.
 */
import { randomUUID } from 'node:crypto';
import { nextRun } from '../../pipeline/cron';
import type { CancelTimer, Clock } from '../clock';
import type { LocalScheduledRule } from '../cdk';
import { evaluateAlarms } from '../cloud/services/cloudwatch';
import type { World } from '../cloud/world';
import type { Json } from '../engine/asl';

const MINUTE_MS = 60_000;
const UNIT_MS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

/** One thing the timers did. */
export interface TimerFiring {
  kind: 'rule' | 'schedule' | 'alarm';
  /** Rule logical id, schedule name, or alarm name. */
  name: string;
  at: number;
  /** What happened: the target invoked, the execution started, the alarm's new state. */
  detail: string;
}

export interface TimersDeps {
  clock: Clock;
  world: World;
  account: string;
  region: string;
  rules: readonly LocalScheduledRule[];
  /** Invoke a function asynchronously (EventBridge, Scheduler): Lambda's async retries. */
  invoke(functionArn: string, event: Json): void;
  /** Whether a function of that ARN runs locally. */
  hasFunction(functionArn: string): boolean;
  /** StartExecution of a state machine; returns the execution ARN. */
  startExecution(stateMachineArn: string, input: string): string;
}

/** `rate(N unit)` in milliseconds, or undefined for another expression. */
export function rateMs(expression: string): number | undefined {
  const match = /^rate\((\d+)\s+(minutes?|hours?|days?)\)$/.exec(expression.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]] : undefined;
}

/** The times in (from, to] an expression fires: rate from `origin`, cron in `timeZone`, at() once. */
export function firingsBetween(expression: string, from: number, to: number, origin: number, timeZone = 'UTC'): number[] {
  const rate = rateMs(expression);
  if (rate !== undefined) {
    const out: number[] = [];
    for (let k = Math.max(1, Math.floor((from - origin) / rate) + 1); origin + k * rate <= to; k++) out.push(origin + k * rate);
    return out;
  }
  const at = /^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$/.exec(expression.trim());
  if (at) {
    const time = zonedTime(at[1], timeZone);
    return time > from && time <= to ? [time] : [];
  }
  const out: number[] = [];
  let cursor = new Date(from);
  for (;;) {
    const next = nextRun(expression, timeZone, cursor);
    if (!next || next.getTime() > to) return out;
    if (next.getTime() > from) out.push(next.getTime());
    cursor = next;
  }
}

/** `2026-11-30T03:00:00` in `timeZone` as epoch milliseconds. */
function zonedTime(local: string, timeZone: string): number {
  const asUtc = Date.parse(`${local}Z`);
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(new Date(asUtc))
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  const shown = Date.parse(`${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}Z`);
  return asUtc - (shown - asUtc);
}

interface ScheduleRecord {
  name: string;
  groupName: string;
  arn: string;
  scheduleExpression: string;
  scheduleExpressionTimezone?: string;
  state: 'ENABLED' | 'DISABLED';
  target: { Arn?: string; Input?: string };
  creationDate: number;
}

export class LocalTimers {
  readonly fired: TimerFiring[] = [];
  private readonly started: number;
  private last: number;
  private cancel?: CancelTimer;
  private stopped = false;

  constructor(private readonly deps: TimersDeps) {
    this.started = deps.clock.now();
    this.last = this.started;
  }

  /**
   * Start ticking. A test on a virtual clock starts them when it is ready: a running timer is always the next
   * thing a virtual clock can jump to, so the clock would run on through any gap the test leaves idle.
   */
  start(): this {
    if (this.cancel || this.stopped) return this;
    this.last = Math.max(this.last, this.deps.clock.now());
    this.arm();
    return this;
  }

  private arm(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const next = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    this.cancel = this.deps.clock.setTimer(next - now, () => {
      this.tick(this.deps.clock.now());
      this.arm();
    });
  }

  /** Fire what fell due in (last tick, now]. */
  tick(now: number): void {
    const { world, account, region } = this.deps;
    const from = this.last;
    this.last = now;
    const firedBefore = this.fired.length;
    for (const rule of this.deps.rules) {
      for (const at of firingsBetween(rule.scheduleExpression, from, now, this.started)) {
        const event = {
          version: '0',
          id: randomUUID(),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account,
          time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region,
          resources: [`arn:aws:events:${region}:${account}:rule/${rule.stackName}-${rule.logicalId}`],
          detail: {},
        };
        for (const target of rule.targetArns.filter((t) => this.deps.hasFunction(t))) {
          this.deps.invoke(target, event as unknown as Json);
          this.fired.push({ kind: 'rule', name: rule.logicalId, at, detail: `invoked ${target}` });
        }
      }
    }
    const schedules = world.regionExtension<Record<string, ScheduleRecord>>(account, region, 'scheduler', () => ({}));
    for (const schedule of Object.values(schedules)) {
      if (schedule.state !== 'ENABLED') continue;
      const times = firingsBetween(schedule.scheduleExpression, Math.max(from, schedule.creationDate), now, schedule.creationDate, schedule.scheduleExpressionTimezone ?? 'UTC');
      for (const at of times) this.fireSchedule(schedule, at);
    }
    for (const change of evaluateAlarms(world, account, region, now)) {
      this.fired.push({ kind: 'alarm', name: change.alarm, at: now, detail: `${change.from} → ${change.to}: ${change.reason}${change.notified.length ? ` (notified ${change.notified.join(', ')})` : ''}` });
    }
    // Persist only what changed the account (an alarm's state, a datapoint or execution a firing led to).
    if (this.fired.length > firedBefore) world.notifyChanged();
  }

  private fireSchedule(schedule: ScheduleRecord, at: number): void {
    const arn = schedule.target.Arn ?? '';
    const input = schedule.target.Input ?? '{}';
    if (/^arn:aws:states:[^:]+:\d{12}:stateMachine:/.test(arn)) {
      try {
        const executionArn = this.deps.startExecution(arn, input);
        this.fired.push({ kind: 'schedule', name: schedule.name, at, detail: `started ${executionArn}` });
      } catch (error) {
        // Scheduler retries and then drops (no dead-letter queue configured here): recorded, not thrown.
        this.fired.push({ kind: 'schedule', name: schedule.name, at, detail: `StartExecution failed: ${(error as Error).name}: ${(error as Error).message}` });
      }
    } else if (this.deps.hasFunction(arn)) {
      this.deps.invoke(arn, JSON.parse(input) as Json);
      this.fired.push({ kind: 'schedule', name: schedule.name, at, detail: `invoked ${arn}` });
    } else {
      this.fired.push({ kind: 'schedule', name: schedule.name, at, detail: `target ${arn} is not run locally` });
    }
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }
}
