/**
 * SSM Run Command for `AWS-RunShellScript`: SendCommand, GetCommandInvocation, ListCommands, ListCommandInvocations, plus
 * DescribeInstanceInformation (which instances are managed nodes).
 *
 * Life of an invocation on the world's clock (AWS-FACTS: ~5 s send-to-result overhead for one command):
 *   SendCommand ─ Pending ─(+2 s, 'ssm.invocationStart')→ InProgress: the script runs against the instance's
 *   SoftwareState (shell.ts; the interpreter is asynchronous, so the run is the transition's preparation, on a
 *   copy the transition then puts on the instance), its simulated duration decides when
 *   ─(+duration +3 s, 'ssm.invocationEnd')→
 *   Success / Failed / TimedOut (executionTimeout) with the outputs. An instance that is no longer running when
 *   delivery is due stays Pending and times out after TimeoutSeconds ('Delivery Timed Out').
 * The effects on the software happen at the start transition (all at once); a CreateImage taken while the
 * command is InProgress therefore already sees them — the simulator's one simplification here.
 *
 * AWS behaviour kept: only managed nodes (agent online) accept commands, else InvalidInstanceId; Windows
 * instances refuse AWS-RunShellScript (UnsupportedPlatformType); GetCommandInvocation answers
 * InvocationDoesNotExist until the invocation is registered (~1 s after SendCommand, as AWS's eventual
 * consistency makes immediate polls fail); stdout/stderr are cut to the first 24,000 / 8,000 characters;
 * ResponseCode is -1 until the script ran, 137 (SIGKILL, the agent's "stopped preemptively" code) on timeout.
 */
import type {
  Command,
  CommandInvocation,
  CommandInvocationStatus,
  DescribeInstanceInformationCommandInput,
  DescribeInstanceInformationCommandOutput,
  GetCommandInvocationCommandInput,
  GetCommandInvocationCommandOutput,
  InstanceInformation,
  ListCommandInvocationsCommandInput,
  ListCommandInvocationsCommandOutput,
  ListCommandsCommandInput,
  ListCommandsCommandOutput,
  SendCommandCommandInput,
  SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import { fail } from '../errors';
import { paginate, type Operation, type OperationContext } from '../operations';
import { registerPreparedTransition, registerTransition, type InstanceRecord, type ScheduledTransition, type World } from '../world';
import { scanInstanceIfDue } from '../inspector/service';
import { cloneSoftware } from '../packages/inventory';
import type { SoftwareState } from '../packages/types';
import { runShellScript, type ShellResult } from './shell';

/** SendCommand → agent picks the command up and starts it. */
export const INVOCATION_START_DELAY_MS = 2_000;
/** Script finished → result reported to the service (together with the start delay: AWS's ~5 s overhead). */
export const INVOCATION_REPORT_DELAY_MS = 3_000;
/** GetCommandInvocation sees a new invocation only this long after SendCommand (InvocationDoesNotExist before). */
export const INVOCATION_VISIBLE_AFTER_MS = 1_000;
/** AWS-RunShellScript's executionTimeout default (seconds). */
export const DEFAULT_EXECUTION_TIMEOUT_S = 3_600;
/** SendCommand TimeoutSeconds default (seconds until an undelivered command times out). */
export const DEFAULT_DELIVERY_TIMEOUT_S = 3_600;
/** Exit code the SSM agent reports for a script it killed (timeout, cancel): 128 + SIGKILL. */
export const KILLED_EXIT_CODE = 137;

const STDOUT_LIMIT = 24_000;
const STDERR_LIMIT = 8_000;
const PLUGIN_OUTPUT_LIMIT = 2_500;
const SUPPORTED_DOCUMENT = 'AWS-RunShellScript';
const PLUGIN_NAME = 'aws:runShellScript';

export interface StoredInvocation {
  instanceId: string;
  instanceName: string;
  status: CommandInvocationStatus;
  statusDetails: string;
  responseCode: number;
  startedAt?: number;
  endedAt?: number;
  stdout: string;
  stderr: string;
  /** Result of the run, kept hidden until the end transition reports it. */
  result?: { exitCode: number; stdout: string; stderr: string; timedOut: boolean; durationMs: number };
}

export interface StoredCommand {
  commandId: string;
  documentName: string;
  comment?: string;
  parameters: Record<string, string[]>;
  requestedAt: number;
  deliveryTimeoutSeconds: number;
  executionTimeoutSeconds: number;
  targets?: { Key: string; Values: string[] }[];
  instanceIds: string[];
  invocations: Record<string, StoredInvocation>;
}

interface SsmCommandState {
  commands: Record<string, StoredCommand>;
  /** Command ids, newest last. */
  order: string[];
}

const STATE_KEY = 'ssm.commands';

function commandState(world: World, accountId: string, region: string): SsmCommandState {
  return world.regionExtension<SsmCommandState>(accountId, region, STATE_KEY, () => ({ commands: {}, order: [] }));
}

/** Whether the instance is a managed node right now (agent installed, registered, instance running). */
export function isManaged(instance: InstanceRecord, now: number): boolean {
  return instance.state === 'running' && instance.agentOnlineAt !== undefined && instance.agentOnlineAt <= now;
}

function isWindows(instance: InstanceRecord): boolean {
  return instance.software.os.platform.startsWith('WINDOWS');
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}

/** `PT1M5.5S`-style elapsed time as GetCommandInvocation reports it. */
function elapsed(startedAt: number | undefined, endedAt: number | undefined): string {
  if (startedAt === undefined || endedAt === undefined) return '';
  const seconds = (endedAt - startedAt) / 1000;
  const minutes = Math.floor(seconds / 60);
  const rest = (seconds - minutes * 60).toFixed(3).replace(/\.?0+$/, '');
  return `PT${minutes ? `${minutes}M` : ''}${rest}S`;
}

function terminal(status: CommandInvocationStatus): boolean {
  return status === 'Success' || status === 'Failed' || status === 'TimedOut' || status === 'Cancelled';
}

// ---------------------------------------------------------------------------------------------------- transitions

/** A script run for an invocation that is due to start: the software it leaves and what it printed. */
interface PreparedRun {
  software: SoftwareState;
  run: ShellResult;
}

function dueInvocation(world: World, t: ScheduledTransition): { command: StoredCommand; invocation: StoredInvocation } | undefined {
  const command = commandState(world, t.accountId, t.region).commands[String(t.data?.commandId)];
  const invocation = command?.invocations[t.resourceId];
  return command && invocation && invocation.status === 'Pending' ? { command, invocation } : undefined;
}

registerPreparedTransition<PreparedRun | undefined>(
  'ssm.invocationStart',
  async (world, t) => {
    const due = dueInvocation(world, t);
    const instance = world.region(t.accountId, t.region).instances[t.resourceId];
    if (!due || !instance || !isManaged(instance, t.at)) return undefined;
    const { command } = due;
    const commands = command.parameters.commands ?? [];
    const workingDirectory = command.parameters.workingDirectory?.[0];
    const software = cloneSoftware(instance.software);
    const run = await runShellScript(workingDirectory ? [`cd ${workingDirectory}`, ...commands] : commands, software, {
      now: t.at,
      instanceId: instance.instanceId,
      timeoutMs: command.executionTimeoutSeconds * 1000,
      scriptPath: `/var/lib/amazon/ssm/${instance.instanceId}/document/orchestration/${command.commandId}/awsrunShellScript/0.awsrunShellScript/_script.sh`,
    });
    return { software, run };
  },
  (world, t, prepared) => {
    const due = dueInvocation(world, t);
    if (!due) return;
    const { command, invocation } = due;
    const instance = world.region(t.accountId, t.region).instances[t.resourceId];
    const now = world.now();
    if (!instance || !isManaged(instance, now)) {
      // The agent cannot be reached: the command waits for delivery until TimeoutSeconds passes.
      const remaining = command.requestedAt + command.deliveryTimeoutSeconds * 1000 - now;
      world.schedule(Math.max(0, remaining), 'ssm.deliveryTimeout', { accountId: t.accountId, region: t.region, resourceId: t.resourceId }, { commandId: command.commandId });
      return;
    }
    if (!prepared) {
      // The instance became reachable while the start was prepared: start again with it.
      world.schedule(0, 'ssm.invocationStart', { accountId: t.accountId, region: t.region, resourceId: t.resourceId }, { commandId: command.commandId });
      return;
    }
    // A scan that fell due before this command must see the software as it was (Inspector evaluates lazily).
    scanInstanceIfDue(world, t.accountId, t.region, instance);
    invocation.status = 'InProgress';
    invocation.statusDetails = 'InProgress';
    invocation.startedAt = now;
    let result: StoredInvocation['result'];
    if (world.faults.fires('ssm.commandFails', { accountId: t.accountId, region: t.region })) {
      result = { exitCode: 1, stdout: '', stderr: 'failed to run commands: exit status 1 (injected fault ssm.commandFails)\n', timedOut: false, durationMs: 1_000 };
    } else {
      const { run, software } = prepared;
      instance.software = software;
      result = { exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr, timedOut: run.timedOut, durationMs: run.durationMs };
    }
    invocation.result = result;
    world.schedule(result.durationMs + INVOCATION_REPORT_DELAY_MS, 'ssm.invocationEnd', { accountId: t.accountId, region: t.region, resourceId: t.resourceId }, { commandId: command.commandId });
  },
);

registerTransition('ssm.invocationEnd', (world, t) => {
  const command = commandState(world, t.accountId, t.region).commands[String(t.data?.commandId)];
  const invocation = command?.invocations[t.resourceId];
  const result = invocation?.result;
  if (!invocation || !result || invocation.status !== 'InProgress') return;
  invocation.endedAt = (invocation.startedAt ?? world.now()) + result.durationMs;
  invocation.stdout = result.stdout;
  invocation.stderr = result.stderr;
  if (result.timedOut) {
    invocation.status = 'TimedOut';
    invocation.statusDetails = 'ExecutionTimedOut';
    invocation.responseCode = KILLED_EXIT_CODE;
    invocation.stderr += 'failed to run commands: command timed out\n';
  } else {
    invocation.status = result.exitCode === 0 ? 'Success' : 'Failed';
    invocation.statusDetails = invocation.status;
    invocation.responseCode = result.exitCode;
    if (result.exitCode !== 0) invocation.stderr += `failed to run commands: exit status ${result.exitCode}\n`;
  }
  invocation.result = undefined;
});

registerTransition('ssm.deliveryTimeout', (world, t) => {
  const command = commandState(world, t.accountId, t.region).commands[String(t.data?.commandId)];
  const invocation = command?.invocations[t.resourceId];
  if (!invocation || invocation.status !== 'Pending') return;
  invocation.status = 'TimedOut';
  invocation.statusDetails = 'DeliveryTimedOut';
  invocation.responseCode = -1;
});

// ---------------------------------------------------------------------------------------------------- SendCommand

function resolveTargets(ctx: OperationContext, input: SendCommandCommandInput): string[] {
  if (input.InstanceIds && input.InstanceIds.length > 0) {
    if (input.Targets && input.Targets.length > 0) fail('ValidationException', 'InstanceIds and Targets cannot both be specified.');
    return [...new Set(input.InstanceIds)];
  }
  if (!input.Targets || input.Targets.length === 0) fail('ValidationException', 'Either InstanceIds or Targets must be specified.');
  const now = ctx.clock.now();
  let candidates = Object.values(ctx.regionState.instances).filter((i) => isManaged(i, now));
  for (const target of input.Targets) {
    const values = target.Values ?? [];
    const key = target.Key ?? '';
    if (key === 'InstanceIds') candidates = candidates.filter((i) => values.includes(i.instanceId));
    else if (key.startsWith('tag:')) candidates = candidates.filter((i) => values.includes(i.tags[key.slice(4)] ?? '\u0000'));
    else if (key === 'tag-key') candidates = candidates.filter((i) => values.some((v) => v in i.tags));
    else fail('ValidationException', `Target key ${key} is not supported by the simulated SSM (InstanceIds, tag:<key>, tag-key are).`);
  }
  return candidates.map((i) => i.instanceId);
}

export const sendCommand: Operation<SendCommandCommandInput, SendCommandCommandOutput> = async (ctx, input) => {
  const { world, account, region, regionState } = ctx;
  const now = ctx.clock.now();
  if (input.DocumentName !== SUPPORTED_DOCUMENT) {
    fail('InvalidDocument', `Document ${input.DocumentName ?? ''} is not simulated: the simulated SSM runs ${SUPPORTED_DOCUMENT} only.`);
  }
  const parameters = input.Parameters ?? {};
  const commands = parameters.commands;
  if (!commands || commands.length === 0) fail('InvalidParameters', 'Parameter "commands" is required.');
  const allowed = new Set(['commands', 'workingDirectory', 'executionTimeout']);
  for (const name of Object.keys(parameters)) {
    if (!allowed.has(name)) fail('InvalidParameters', `Parameter "${name}" is not defined for document ${SUPPORTED_DOCUMENT}.`);
  }
  const executionTimeoutText = parameters.executionTimeout?.[0] ?? String(DEFAULT_EXECUTION_TIMEOUT_S);
  const executionTimeoutSeconds = Number(executionTimeoutText);
  if (!Number.isInteger(executionTimeoutSeconds) || executionTimeoutSeconds < 1 || executionTimeoutSeconds > 172_800) {
    fail('InvalidParameters', `Parameter "executionTimeout" must be an integer between 1 and 172800, got "${executionTimeoutText}".`);
  }
  const deliveryTimeoutSeconds = input.TimeoutSeconds ?? DEFAULT_DELIVERY_TIMEOUT_S;
  if (!Number.isInteger(deliveryTimeoutSeconds) || deliveryTimeoutSeconds < 30 || deliveryTimeoutSeconds > 2_592_000) {
    fail('ValidationException', `1 validation error detected: Value '${deliveryTimeoutSeconds}' at 'timeoutSeconds' failed to satisfy constraint: Member must have value between 30 and 2592000`);
  }
  const instanceIds = resolveTargets(ctx, input);
  if (instanceIds.length > 50) fail('ValidationException', "1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50");
  const invalid = instanceIds.filter((id) => {
    const instance = regionState.instances[id];
    return !instance || !isManaged(instance, now);
  });
  if (invalid.length > 0) fail('InvalidInstanceId', `Instances [[${invalid.join(', ')}]] not in a valid state for account ${account}`);
  const windows = instanceIds.filter((id) => isWindows(regionState.instances[id]));
  if (windows.length > 0) fail('UnsupportedPlatformType', `The document ${SUPPORTED_DOCUMENT} doesn't support the platform type of instances [[${windows.join(', ')}]]: Windows`);

  const commandId = world.nextUuid();
  const stored: StoredCommand = {
    commandId,
    documentName: SUPPORTED_DOCUMENT,
    comment: input.Comment,
    parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, [...v]])),
    requestedAt: now,
    deliveryTimeoutSeconds,
    executionTimeoutSeconds,
    targets: input.Targets?.map((t) => ({ Key: t.Key ?? '', Values: [...(t.Values ?? [])] })),
    instanceIds,
    invocations: Object.fromEntries(
      instanceIds.map((id) => [
        id,
        {
          instanceId: id,
          instanceName: regionState.instances[id].tags.Name ?? '',
          status: 'Pending' as const,
          statusDetails: 'Pending',
          responseCode: -1,
          stdout: '',
          stderr: '',
        },
      ]),
    ),
  };
  const state = commandState(world, account, region);
  state.commands[commandId] = stored;
  state.order.push(commandId);
  for (const id of instanceIds) {
    world.schedule(INVOCATION_START_DELAY_MS, 'ssm.invocationStart', { accountId: account, region, resourceId: id }, { commandId });
  }
  return { Command: commandOut(stored, now) };
};

function commandStatus(command: StoredCommand): { status: Command['Status']; completed: number; errors: number; deliveryTimedOut: number } {
  const invocations = Object.values(command.invocations);
  const completed = invocations.filter((i) => terminal(i.status)).length;
  const errors = invocations.filter((i) => i.status === 'Failed' || (i.status === 'TimedOut' && i.statusDetails !== 'DeliveryTimedOut')).length;
  const deliveryTimedOut = invocations.filter((i) => i.statusDetails === 'DeliveryTimedOut').length;
  let status: Command['Status'] = 'Success';
  if (invocations.some((i) => i.status === 'InProgress') || (completed > 0 && completed < invocations.length)) status = 'InProgress';
  else if (completed === 0) status = 'Pending';
  else if (invocations.some((i) => i.status === 'TimedOut')) status = 'TimedOut';
  else if (invocations.some((i) => i.status === 'Failed')) status = 'Failed';
  return { status, completed, errors, deliveryTimedOut };
}

function commandOut(command: StoredCommand, now: number): Command {
  const { status, completed, errors, deliveryTimedOut } = commandStatus(command);
  return {
    CommandId: command.commandId,
    DocumentName: command.documentName,
    DocumentVersion: '$DEFAULT',
    Comment: command.comment ?? '',
    ExpiresAfter: new Date(Math.max(now, command.requestedAt) + (command.deliveryTimeoutSeconds + command.executionTimeoutSeconds) * 1000),
    Parameters: command.parameters,
    InstanceIds: command.instanceIds,
    Targets: command.targets ?? [],
    RequestedDateTime: new Date(command.requestedAt),
    Status: status,
    StatusDetails: status,
    OutputS3Region: undefined,
    OutputS3BucketName: '',
    OutputS3KeyPrefix: '',
    MaxConcurrency: '50',
    MaxErrors: '0',
    TargetCount: command.instanceIds.length,
    CompletedCount: completed,
    ErrorCount: errors,
    DeliveryTimedOutCount: deliveryTimedOut,
    ServiceRole: '',
    TimeoutSeconds: command.deliveryTimeoutSeconds,
  };
}

// ---------------------------------------------------------------------------------------------------- GetCommandInvocation

function validateCommandId(commandId: string | undefined): string {
  if (!commandId || commandId.length !== 36) {
    fail('ValidationException', `1 validation error detected: Value '${commandId ?? ''}' at 'commandId' failed to satisfy constraint: Member must have length equal to 36`);
  }
  return commandId;
}

export const getCommandInvocation: Operation<GetCommandInvocationCommandInput, GetCommandInvocationCommandOutput> = async (ctx, input) => {
  const commandId = validateCommandId(input.CommandId);
  if (input.PluginName !== undefined && input.PluginName !== PLUGIN_NAME) {
    fail('InvalidPluginName', `The plugin name ${input.PluginName} is not valid.`);
  }
  const command = commandState(ctx.world, ctx.account, ctx.region).commands[commandId];
  const invocation = command?.invocations[input.InstanceId ?? ''];
  if (!command || !invocation || ctx.clock.now() < command.requestedAt + INVOCATION_VISIBLE_AFTER_MS) {
    fail('InvocationDoesNotExist', 'An error occurred (InvocationDoesNotExist) when calling the GetCommandInvocation operation');
  }
  const done = terminal(invocation.status);
  return {
    CommandId: commandId,
    InstanceId: invocation.instanceId,
    Comment: command.comment ?? '',
    DocumentName: command.documentName,
    DocumentVersion: '$DEFAULT',
    PluginName: PLUGIN_NAME,
    ResponseCode: invocation.responseCode,
    ExecutionStartDateTime: iso(invocation.startedAt),
    ExecutionElapsedTime: elapsed(invocation.startedAt, invocation.endedAt),
    ExecutionEndDateTime: iso(invocation.endedAt),
    Status: invocation.status,
    StatusDetails: invocation.statusDetails,
    StandardOutputContent: done ? invocation.stdout.slice(0, STDOUT_LIMIT) : '',
    StandardOutputUrl: '',
    StandardErrorContent: done ? invocation.stderr.slice(0, STDERR_LIMIT) : '',
    StandardErrorUrl: '',
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
  };
};

// ---------------------------------------------------------------------------------------------------- ListCommandInvocations

function invocationOut(command: StoredCommand, invocation: StoredInvocation, details: boolean): CommandInvocation {
  const done = terminal(invocation.status);
  return {
    CommandId: command.commandId,
    InstanceId: invocation.instanceId,
    InstanceName: invocation.instanceName,
    Comment: command.comment ?? '',
    DocumentName: command.documentName,
    DocumentVersion: '$DEFAULT',
    RequestedDateTime: new Date(command.requestedAt),
    Status: invocation.status,
    StatusDetails: invocation.statusDetails,
    TraceOutput: '',
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    CommandPlugins: details
      ? [
          {
            Name: PLUGIN_NAME,
            Status: invocation.status === 'Pending' ? 'Pending' : invocation.status === 'InProgress' ? 'InProgress' : invocation.status === 'Success' ? 'Success' : invocation.status === 'TimedOut' ? 'TimedOut' : 'Failed',
            StatusDetails: invocation.statusDetails,
            ResponseCode: invocation.responseCode,
            ResponseStartDateTime: invocation.startedAt === undefined ? undefined : new Date(invocation.startedAt),
            ResponseFinishDateTime: invocation.endedAt === undefined ? undefined : new Date(invocation.endedAt),
            Output: done ? `${invocation.stdout}${invocation.stderr ? `\n----------ERROR-------\n${invocation.stderr}` : ''}`.slice(0, PLUGIN_OUTPUT_LIMIT) : '',
            StandardOutputUrl: '',
            StandardErrorUrl: '',
            OutputS3BucketName: '',
            OutputS3KeyPrefix: '',
          },
        ]
      : [],
    ServiceRole: '',
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
  };
}

export const listCommandInvocations: Operation<ListCommandInvocationsCommandInput, ListCommandInvocationsCommandOutput> = async (ctx, input) => {
  if (input.CommandId !== undefined) validateCommandId(input.CommandId);
  const state = commandState(ctx.world, ctx.account, ctx.region);
  const now = ctx.clock.now();
  const rows: { command: StoredCommand; invocation: StoredInvocation }[] = [];
  for (const commandId of [...state.order].reverse()) {
    if (input.CommandId !== undefined && commandId !== input.CommandId) continue;
    const command = state.commands[commandId];
    if (now < command.requestedAt + INVOCATION_VISIBLE_AFTER_MS) continue;
    for (const invocation of Object.values(command.invocations)) {
      if (input.InstanceId !== undefined && invocation.instanceId !== input.InstanceId) continue;
      if (!matchesCommandFilters(command, invocation, input.Filters ?? [])) continue;
      rows.push({ command, invocation });
    }
  }
  const page = paginate(rows, input, { defaultMax: 50, maxLimit: 50, invalidTokenCode: 'InvalidNextToken', queryFingerprint: `${input.CommandId ?? ''}/${input.InstanceId ?? ''}` });
  return {
    CommandInvocations: page.items.map(({ command, invocation }) => invocationOut(command, invocation, input.Details === true)),
    NextToken: page.nextToken,
  };
};

function matchesCommandFilters(command: StoredCommand, invocation: StoredInvocation, filters: NonNullable<ListCommandInvocationsCommandInput['Filters']>): boolean {
  for (const filter of filters) {
    const value = filter.value ?? '';
    switch (filter.key) {
      case 'Status':
        if (invocation.status !== value) return false;
        break;
      case 'DocumentName':
        if (command.documentName !== value) return false;
        break;
      case 'InvokedAfter':
        if (command.requestedAt < Date.parse(value)) return false;
        break;
      case 'InvokedBefore':
        if (command.requestedAt > Date.parse(value)) return false;
        break;
      case 'ExecutionStage':
        if ((value === 'Executing') !== (invocation.status === 'InProgress' || invocation.status === 'Pending')) return false;
        break;
      default:
        fail('InvalidFilterKey', `The filter key ${filter.key ?? ''} is not valid.`);
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------- ListCommands

export const listCommands: Operation<ListCommandsCommandInput, ListCommandsCommandOutput> = async (ctx, input) => {
  if (input.CommandId !== undefined) validateCommandId(input.CommandId);
  const state = commandState(ctx.world, ctx.account, ctx.region);
  const now = ctx.clock.now();
  const rows: StoredCommand[] = [];
  for (const commandId of [...state.order].reverse()) {
    if (input.CommandId !== undefined && commandId !== input.CommandId) continue;
    const command = state.commands[commandId];
    if (input.InstanceId !== undefined && !command.instanceIds.includes(input.InstanceId)) continue;
    const summary = commandStatus(command);
    const asInvocation: StoredInvocation = { instanceId: '', instanceName: '', status: summary.status as CommandInvocationStatus, statusDetails: '', responseCode: -1, stdout: '', stderr: '' };
    if (!matchesCommandFilters(command, asInvocation, input.Filters ?? [])) continue;
    rows.push(command);
  }
  const page = paginate(rows, input, { defaultMax: 50, maxLimit: 50, invalidTokenCode: 'InvalidNextToken', queryFingerprint: `${input.CommandId ?? ''}/${input.InstanceId ?? ''}` });
  return { Commands: page.items.map((command) => commandOut(command, now)), NextToken: page.nextToken };
};

// ---------------------------------------------------------------------------------------------------- DescribeInstanceInformation

function platformOf(instance: InstanceRecord): Pick<InstanceInformation, 'PlatformType' | 'PlatformName' | 'PlatformVersion'> {
  const platform = instance.software.os.platform;
  if (platform.startsWith('WINDOWS')) return { PlatformType: 'Windows', PlatformName: instance.software.os.name, PlatformVersion: '10.0.20348' };
  if (platform === 'UBUNTU_22_04') return { PlatformType: 'Linux', PlatformName: 'Ubuntu', PlatformVersion: '22.04' };
  return { PlatformType: 'Linux', PlatformName: 'Amazon Linux', PlatformVersion: '2023' };
}

function agentVersion(instance: InstanceRecord): string {
  return instance.software.packages['amazon-ssm-agent']?.version ?? '3.2.2222.0';
}

export const describeInstanceInformation: Operation<DescribeInstanceInformationCommandInput, DescribeInstanceInformationCommandOutput> = async (ctx, input) => {
  const now = ctx.clock.now();
  const nodes = Object.values(ctx.regionState.instances).filter(
    (i) => i.agentOnlineAt !== undefined && i.agentOnlineAt <= now && (i.state === 'running' || i.state === 'stopping' || i.state === 'stopped'),
  );
  const filters: { key: string; values: string[] }[] = [
    ...(input.InstanceInformationFilterList ?? []).map((f) => ({ key: f.key ?? '', values: f.valueSet ?? [] })),
    ...(input.Filters ?? []).map((f) => ({ key: f.Key ?? '', values: f.Values ?? [] })),
  ];
  const rows = nodes
    .map((instance) => ({ instance, ping: instance.state === 'running' ? 'Online' : 'ConnectionLost' }))
    .filter(({ instance, ping }) =>
      filters.every(({ key, values }) => {
        if (key === 'InstanceIds') return values.includes(instance.instanceId);
        if (key === 'PingStatus') return values.includes(ping);
        if (key === 'PlatformTypes' || key === 'PlatformType') return values.includes(platformOf(instance).PlatformType ?? '');
        if (key === 'ResourceType') return values.includes('EC2Instance');
        if (key === 'AgentVersion') return values.includes(agentVersion(instance));
        if (key === 'IamRole') return values.some((v) => instance.iamInstanceProfile?.name === v || instance.iamInstanceProfile?.arn === v);
        if (key.startsWith('tag:')) return values.includes(instance.tags[key.slice(4)] ?? '\u0000');
        if (key === 'tag-key') return values.some((v) => v in instance.tags);
        return fail('InvalidInstanceInformationFilterValue', `The filter key ${key} is not valid.`);
      }),
    )
    .sort((a, b) => a.instance.instanceId.localeCompare(b.instance.instanceId));
  const page = paginate(rows, { MaxResults: input.MaxResults, NextToken: input.NextToken }, { defaultMax: 50, minLimit: 5, maxLimit: 50, queryFingerprint: JSON.stringify(filters) });
  return {
    InstanceInformationList: page.items.map(({ instance, ping }) => ({
      InstanceId: instance.instanceId,
      PingStatus: ping as InstanceInformation['PingStatus'],
      LastPingDateTime: new Date(ping === 'Online' ? now : (instance.agentOnlineAt ?? now)),
      AgentVersion: agentVersion(instance),
      IsLatestVersion: false,
      ...platformOf(instance),
      ResourceType: 'EC2Instance',
      IPAddress: instance.privateIpAddress,
      ComputerName: `ip-${instance.privateIpAddress.replace(/\./g, '-')}.${ctx.region}.compute.internal`,
      AssociationStatus: 'Success',
      LastAssociationExecutionDate: new Date(instance.agentOnlineAt ?? now),
      LastSuccessfulAssociationExecutionDate: new Date(instance.agentOnlineAt ?? now),
      SourceId: instance.instanceId,
      SourceType: 'AWS::EC2::Instance',
    })),
    NextToken: page.nextToken,
  };
};

export const ssmCommandOperations = {
  SendCommand: sendCommand,
  GetCommandInvocation: getCommandInvocation,
  ListCommands: listCommands,
  ListCommandInvocations: listCommandInvocations,
  DescribeInstanceInformation: describeInstanceInformation,
};
