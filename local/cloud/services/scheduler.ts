/**
 * EventBridge Scheduler, what the pipeline uses: CreateSchedule (the runtime creates the stacks' schedules),
 * GetSchedule and UpdateSchedule (watchSchedule disables a schedule after consecutive failures). As the
 * service: names are unique per group (`default` when none is given), UpdateSchedule replaces the whole
 * schedule (every required field again), ResourceNotFoundException / ConflictException / ValidationException.
 * Schedules fire through the runtime's timers (local/events/timers.ts), when it runs them.
 */
import type {
  CreateScheduleCommandInput,
  CreateScheduleCommandOutput,
  GetScheduleCommandInput,
  GetScheduleCommandOutput,
  UpdateScheduleCommandInput,
  UpdateScheduleCommandOutput,
} from '@aws-sdk/client-scheduler';
import { fail } from '../errors';
import type { Operation, OperationContext } from '../operations';

interface ScheduleRecord {
  name: string;
  groupName: string;
  arn: string;
  description?: string;
  scheduleExpression: string;
  scheduleExpressionTimezone?: string;
  state: 'ENABLED' | 'DISABLED';
  flexibleTimeWindow: { Mode: string; MaximumWindowInMinutes?: number };
  target: Record<string, unknown>;
  creationDate: number;
  lastModificationDate: number;
}

const schedulesOf = (ctx: OperationContext) => ctx.world.regionExtension<Record<string, ScheduleRecord>>(ctx.account, ctx.region, 'scheduler', () => ({}));
const keyOf = (group: string | undefined, name: string) => `${group ?? 'default'}/${name}`;
const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;

function validated(input: CreateScheduleCommandInput | UpdateScheduleCommandInput): void {
  if (!input.Name || !NAME.test(input.Name)) fail('ValidationException', `1 validation error detected: Value '${input.Name}' at 'name' failed to satisfy constraint`);
  if (!input.ScheduleExpression || !/^(cron|rate|at)\(.+\)$/.test(input.ScheduleExpression)) fail('ValidationException', `Invalid Schedule Expression ${input.ScheduleExpression}.`);
  if (!input.FlexibleTimeWindow?.Mode) fail('ValidationException', "1 validation error detected: Value null at 'flexibleTimeWindow' failed to satisfy constraint: Member must not be null");
  if (!input.Target?.Arn || !input.Target.RoleArn) fail('ValidationException', "1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null");
  if (input.State !== undefined && input.State !== 'ENABLED' && input.State !== 'DISABLED') fail('ValidationException', `Invalid State ${input.State}`);
}

function record(ctx: OperationContext, input: CreateScheduleCommandInput | UpdateScheduleCommandInput, created: number): ScheduleRecord {
  const groupName = input.GroupName ?? 'default';
  return {
    name: input.Name!,
    groupName,
    arn: `arn:aws:scheduler:${ctx.region}:${ctx.account}:schedule/${groupName}/${input.Name}`,
    description: input.Description,
    scheduleExpression: input.ScheduleExpression!,
    scheduleExpressionTimezone: input.ScheduleExpressionTimezone,
    state: (input.State as 'ENABLED' | 'DISABLED' | undefined) ?? 'ENABLED',
    flexibleTimeWindow: { Mode: input.FlexibleTimeWindow!.Mode!, MaximumWindowInMinutes: input.FlexibleTimeWindow!.MaximumWindowInMinutes },
    target: JSON.parse(JSON.stringify(input.Target)) as Record<string, unknown>,
    creationDate: created,
    lastModificationDate: ctx.clock.now(),
  };
}

export const createSchedule: Operation<CreateScheduleCommandInput, CreateScheduleCommandOutput> = async (ctx, input) => {
  validated(input);
  const schedules = schedulesOf(ctx);
  const key = keyOf(input.GroupName, input.Name!);
  if (schedules[key]) fail('ConflictException', `Schedule ${input.Name} already exists.`, { httpStatusCode: 409 });
  schedules[key] = record(ctx, input, ctx.clock.now());
  return { ScheduleArn: schedules[key].arn };
};

export const getSchedule: Operation<GetScheduleCommandInput, GetScheduleCommandOutput> = async (ctx, input) => {
  const found = schedulesOf(ctx)[keyOf(input.GroupName, input.Name ?? '')];
  if (!found) fail('ResourceNotFoundException', `Schedule ${input.Name} does not exist.`, { httpStatusCode: 404 });
  return {
    Arn: found.arn,
    Name: found.name,
    GroupName: found.groupName,
    Description: found.description,
    ScheduleExpression: found.scheduleExpression,
    ScheduleExpressionTimezone: found.scheduleExpressionTimezone,
    State: found.state,
    FlexibleTimeWindow: found.flexibleTimeWindow as GetScheduleCommandOutput['FlexibleTimeWindow'],
    Target: found.target as unknown as GetScheduleCommandOutput['Target'],
    CreationDate: new Date(found.creationDate),
    LastModificationDate: new Date(found.lastModificationDate),
  };
};

export const updateSchedule: Operation<UpdateScheduleCommandInput, UpdateScheduleCommandOutput> = async (ctx, input) => {
  const schedules = schedulesOf(ctx);
  const key = keyOf(input.GroupName, input.Name ?? '');
  const existing = schedules[key];
  if (!existing) fail('ResourceNotFoundException', `Schedule ${input.Name} does not exist.`, { httpStatusCode: 404 });
  validated(input);
  schedules[key] = record(ctx, input, existing.creationDate);
  return { ScheduleArn: schedules[key].arn };
};

export const schedulerOperations = { CreateSchedule: createSchedule, GetSchedule: getSchedule, UpdateSchedule: updateSchedule };
