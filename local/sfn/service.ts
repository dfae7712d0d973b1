/**
 * LocalStepFunctions: the Step Functions API operations our tools use, with the API's input/output shapes
 * (types from @aws-sdk/client-sfn) and its exceptions (the SDK's own classes, so callers catch them as on
 * AWS), running definitions on the local engine.
 *
 * AWS behaviour reproduced: CreateStateMachine validates the definition first (InvalidDefinition) and is
 * idempotent for an identical request; StartExecution with the name of a running execution and the same
 * input returns that execution, otherwise ExecutionAlreadyExists; GetExecutionHistory pages (default 100,
 * at most 1000) in either order; SendTask* answer TaskDoesNotExist / InvalidToken / TaskTimedOut /
 * InvalidOutput like the service. Records are plain JSON (`snapshot()`), ready to persist.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  InvalidArn,
  InvalidDefinition as InvalidDefinitionException,
  InvalidExecutionInput,
  InvalidName,
  InvalidOutput as InvalidOutputException,
  InvalidToken as InvalidTokenException,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  StateMachineTypeNotSupported,
  TaskDoesNotExist as TaskDoesNotExistException,
  TaskTimedOut as TaskTimedOutException,
  ValidationException,
  type CreateStateMachineInput,
  type CreateStateMachineOutput,
  type DescribeExecutionInput,
  type DescribeExecutionOutput,
  type DescribeStateMachineInput,
  type DescribeStateMachineOutput,
  type ExecutionListItem,
  type GetExecutionHistoryInput,
  type GetExecutionHistoryOutput,
  type ListExecutionsInput,
  type ListExecutionsOutput,
  type ListStateMachinesInput,
  type ListStateMachinesOutput,
  type RedriveExecutionInput,
  type RedriveExecutionOutput,
  type SendTaskFailureInput,
  type SendTaskHeartbeatInput,
  type SendTaskSuccessInput,
  type StartExecutionInput,
  type StartExecutionOutput,
  type StopExecutionInput,
  type StopExecutionOutput,
  type ExecutionRedriveStatus,
  type ExecutionStatus,
} from '@aws-sdk/client-sfn';
import type { Clock } from '../clock';
import { Engine, type EngineOptions, type Execution } from '../engine/engine';
import type { Json, StateMachineDefinition } from '../engine/asl';
import { InvalidDefinition } from '../engine/errors';
import { toHistoryEvent, type ExecutionRecord } from '../engine/history';
import { InvalidOutput, InvalidToken, TaskDoesNotExist, TaskTimedOut } from '../engine/tokens';

export interface LocalStepFunctionsOptions extends Omit<EngineOptions, 'clock'> {
  clock: Clock;
  /** Region and account of state machines created without an explicit ARN context. */
  region?: string;
  account?: string;
  /** Use this engine instead of building one (shares its Lambda registry, tokens and caches). */
  engine?: Engine;
}

/** Everything a LocalStepFunctions holds, as plain JSON (see `snapshot` / `restore`). */
export interface LocalStepFunctionsSnapshot {
  stateMachines: StateMachineRecord[];
  executions: ExecutionRecord[];
}

/** A state machine as stored: JSON-serialisable. */
export interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD';
  creationDate: number;
}

/**
 * The `detail` of a "Step Functions Execution Status Change" event, field for field as the Step Functions
 * developer guide documents it ("Automating Step Functions event delivery with EventBridge"): dates are epoch
 * milliseconds, absent values are null.
 */
export interface ExecutionStatusChangeDetail {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate: number | null;
  input: string | null;
  inputDetails: { included: boolean } | null;
  output: string | null;
  outputDetails: { included: boolean } | null;
  error: string | null;
  cause: string | null;
  redriveCount: number;
  redriveDate: number | null;
  redriveStatus: ExecutionRedriveStatus;
  redriveStatusReason: string | null;
  stateMachineVersionArn: string | null;
  stateMachineAliasArn: string | null;
}

/** The EventBridge envelope AWS delivers on the default bus (source `aws.states`). */
export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  /** ISO-8601, to the second, as EventBridge writes it (`2019-02-26T19:42:21Z`). */
  time: string;
  region: string;
  resources: string[];
  detail: ExecutionStatusChangeDetail;
}

export type ExecutionStatusChangeListener = (event: ExecutionStatusChangeEvent) => void;

const metadata = { $metadata: {} };
const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export class LocalStepFunctions {
  readonly engine: Engine;
  readonly region: string;
  readonly account: string;
  private readonly machines = new Map<string, StateMachineRecord & { parsed: StateMachineDefinition }>();
  private readonly executions = new Map<string, ExecutionRecord>();
  /** Every execution started here, running or closed (closed ones may be redriven). */
  private readonly running = new Map<string, Execution>();
  private readonly statusListeners = new Set<ExecutionStatusChangeListener>();

  constructor(options: LocalStepFunctionsOptions) {
    this.engine = options.engine ?? new Engine(options);
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '123456789012';
    this.engine.onStatusChange((record) => {
      if (this.statusListeners.size === 0 || !this.machines.has(record.stateMachineArn)) return;
      const event = this.statusChangeEvent(record);
      for (const listener of [...this.statusListeners]) {
        try {
          listener(event);
        } catch {
          // Best-effort delivery, as EventBridge's: a failing target does not disturb the execution.
        }
      }
    });
  }

  /**
   * Receive a "Step Functions Execution Status Change" event (the EventBridge envelope AWS delivers) whenever
   * an execution of this service starts (RUNNING), is redriven (RUNNING) or closes (SUCCEEDED, FAILED,
   * TIMED_OUT, ABORTED). The event is delivered synchronously, after the closing history event is written.
   * Returns the function that stops listening.
   */
  onStatusChange(listener: ExecutionStatusChangeListener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private statusChangeEvent(record: ExecutionRecord): ExecutionStatusChangeEvent {
    const [, , , region, account] = record.executionArn.split(':');
    const { redriveStatus, redriveStatusReason } = this.redriveStatus(record);
    const closedAt = record.status === 'RUNNING' ? (record.redriveDate ?? record.startDate) : (record.stopDate ?? this.clock.now());
    const id = createHash('sha256').update(`${record.executionArn}|${record.status}|${record.redriveCount}`).digest('hex');
    return {
      version: '0',
      id: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account,
      time: new Date(closedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [record.executionArn],
      detail: {
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: record.startDate,
        stopDate: record.stopDate ?? null,
        input: record.input,
        inputDetails: { included: true },
        output: record.output ?? null,
        outputDetails: record.output !== undefined ? { included: true } : null,
        error: record.error ?? null,
        cause: record.cause ?? null,
        redriveCount: record.redriveCount,
        redriveDate: record.redriveDate ?? null,
        redriveStatus: redriveStatus ?? 'NOT_REDRIVABLE',
        redriveStatusReason: redriveStatusReason ?? null,
        stateMachineVersionArn: null,
        stateMachineAliasArn: null,
      },
    };
  }

  get clock(): Clock {
    return this.engine.clock;
  }

  createStateMachine(input: CreateStateMachineInput): CreateStateMachineOutput {
    const name = required(input.name, 'name');
    if (!NAME.test(name)) throw new InvalidName({ message: `Invalid Name: '${name}'`, ...metadata });
    if (input.type !== undefined && input.type !== 'STANDARD') {
      throw new StateMachineTypeNotSupported({ message: `The local engine runs STANDARD state machines only, not ${input.type}`, ...metadata });
    }
    const definitionText = required(input.definition, 'definition');
    let parsed: unknown;
    try {
      parsed = JSON.parse(definitionText);
    } catch (error) {
      throw new InvalidDefinitionException({ message: `Invalid State Machine Definition: '${(error as Error).message}'`, ...metadata });
    }
    let definition: StateMachineDefinition;
    try {
      definition = this.engine.validate(parsed);
    } catch (error) {
      if (error instanceof InvalidDefinition) throw new InvalidDefinitionException({ message: error.message, ...metadata });
      throw error;
    }
    const roleArn = required(input.roleArn, 'roleArn');
    const account = roleArn.split(':')[4] || this.account;
    const stateMachineArn = `arn:aws:states:${this.region}:${account}:stateMachine:${name}`;
    const existing = this.machines.get(stateMachineArn);
    if (existing) {
      if (existing.definition === definitionText && existing.roleArn === roleArn) {
        return { stateMachineArn, creationDate: new Date(existing.creationDate) };
      }
      throw new StateMachineAlreadyExists({ message: `State Machine Already Exists: '${stateMachineArn}'`, ...metadata });
    }
    const record = { stateMachineArn, name, definition: definitionText, roleArn, type: 'STANDARD' as const, creationDate: this.clock.now(), parsed: definition };
    this.machines.set(stateMachineArn, record);
    return { stateMachineArn, creationDate: new Date(record.creationDate) };
  }

  /** Replace a state machine's definition (local convenience; running executions keep theirs). */
  updateDefinition(stateMachineArn: string, definition: string): void {
    const machine = this.machine(stateMachineArn);
    const parsed = this.validate(definition);
    Object.assign(machine, { definition, parsed });
  }

  describeStateMachine(input: DescribeStateMachineInput): DescribeStateMachineOutput {
    const machine = this.machine(required(input.stateMachineArn, 'stateMachineArn'));
    return {
      stateMachineArn: machine.stateMachineArn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definition,
      roleArn: machine.roleArn,
      type: machine.type,
      creationDate: new Date(machine.creationDate),
    };
  }

  listStateMachines(input: ListStateMachinesInput = {}): ListStateMachinesOutput {
    const all = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const { page, nextToken } = paginate(all, input.maxResults, input.nextToken);
    return {
      stateMachines: page.map((m) => ({ stateMachineArn: m.stateMachineArn, name: m.name, type: m.type, creationDate: new Date(m.creationDate) })),
      ...(nextToken && { nextToken }),
    };
  }

  startExecution(input: StartExecutionInput): StartExecutionOutput {
    const machine = this.machine(required(input.stateMachineArn, 'stateMachineArn'));
    const name = input.name ?? randomUUID();
    if (!NAME.test(name)) throw new InvalidName({ message: `Invalid Name: '${name}'`, ...metadata });
    const inputValue = parseExecutionInput(input.input);
    const [, , , region, account] = machine.stateMachineArn.split(':');
    const executionArn = `arn:aws:states:${region}:${account}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Same name and input while still running: AWS treats the call as a retry and returns the original.
      if (existing.status === 'RUNNING' && existing.input === JSON.stringify(inputValue)) {
        return { executionArn, startDate: new Date(existing.startDate) };
      }
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${executionArn}'`, ...metadata });
    }
    const execution = this.engine.start({
      executionArn,
      stateMachineArn: machine.stateMachineArn,
      name,
      definition: machine.parsed,
      input: inputValue,
      roleArn: machine.roleArn,
    });
    this.executions.set(executionArn, execution.record);
    this.running.set(executionArn, execution);
    return { executionArn, startDate: new Date(execution.record.startDate) };
  }

  describeExecution(input: DescribeExecutionInput): DescribeExecutionOutput {
    const record = this.record(required(input.executionArn, 'executionArn'));
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: new Date(record.startDate),
      ...(record.stopDate !== undefined && { stopDate: new Date(record.stopDate) }),
      input: record.input,
      inputDetails: { included: true },
      ...(record.output !== undefined && { output: record.output, outputDetails: { included: true } }),
      ...(record.error !== undefined && { error: record.error }),
      ...(record.cause !== undefined && { cause: record.cause }),
      redriveCount: record.redriveCount,
      ...this.redriveStatus(record),
    };
  }

  listExecutions(input: ListExecutionsInput): ListExecutionsOutput {
    const stateMachineArn = required(input.stateMachineArn, 'stateMachineArn');
    this.machine(stateMachineArn);
    const all = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === stateMachineArn && (!input.statusFilter || e.status === input.statusFilter))
      .sort((a, b) => b.startDate - a.startDate);
    const { page, nextToken } = paginate(all, input.maxResults, input.nextToken);
    return {
      executions: page.map(
        (e): ExecutionListItem => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: new Date(e.startDate),
          ...(e.stopDate !== undefined && { stopDate: new Date(e.stopDate) }),
          redriveCount: e.redriveCount,
        }),
      ),
      ...(nextToken && { nextToken }),
    };
  }

  getExecutionHistory(input: GetExecutionHistoryInput): GetExecutionHistoryOutput {
    const record = this.record(required(input.executionArn, 'executionArn'));
    const ordered = input.reverseOrder ? [...record.events].reverse() : record.events;
    const { page, nextToken } = paginate(ordered, input.maxResults, input.nextToken);
    const events = page.map(toHistoryEvent);
    if (input.includeExecutionData === false) for (const event of events) stripExecutionData(event as unknown as Record<string, unknown>);
    return { events, ...(nextToken && { nextToken }) };
  }

  stopExecution(input: StopExecutionInput): StopExecutionOutput {
    const executionArn = required(input.executionArn, 'executionArn');
    const record = this.record(executionArn);
    this.running.get(executionArn)?.stop(input.error, input.cause);
    return { stopDate: new Date(record.stopDate ?? this.clock.now()) };
  }

  /**
   * RedriveExecution: restart a FAILED, TIMED_OUT or ABORTED execution from its unsuccessful top-level state
   * (same ARN, redriveCount + 1, ExecutionRedriven in its history). Deviation from AWS: a failed Map or
   * Parallel state is re-run whole rather than only its unsuccessful iterations or branches.
   */
  redriveExecution(input: RedriveExecutionInput): RedriveExecutionOutput {
    const executionArn = required(input.executionArn, 'executionArn');
    const record = this.record(executionArn);
    const execution = this.running.get(executionArn);
    if (!execution?.redrivable) {
      throw new ExecutionNotRedrivable({ message: `Execution '${executionArn}' is ${record.status} and cannot be redriven`, ...metadata });
    }
    execution.redrive();
    return { redriveDate: new Date(this.clock.now()) };
  }

  sendTaskSuccess(input: SendTaskSuccessInput): Record<string, never> {
    this.tokenCall(() => this.engine.tokens.succeed(required(input.taskToken, 'taskToken'), required(input.output, 'output')));
    return {};
  }

  sendTaskFailure(input: SendTaskFailureInput): Record<string, never> {
    this.tokenCall(() => this.engine.tokens.fail(required(input.taskToken, 'taskToken'), input.error, input.cause));
    return {};
  }

  sendTaskHeartbeat(input: SendTaskHeartbeatInput): Record<string, never> {
    this.tokenCall(() => this.engine.tokens.heartbeat(required(input.taskToken, 'taskToken')));
    return {};
  }

  /** Resolves when the execution closes (the local runtime's and the tests' way to await a run). */
  async waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    const execution = this.running.get(executionArn);
    if (execution) await execution.done;
    return this.describeExecution({ executionArn });
  }

  private redriveStatus(record: ExecutionRecord): Pick<DescribeExecutionOutput, 'redriveStatus' | 'redriveStatusReason'> {
    if (record.status === 'RUNNING') return { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution is RUNNING and cannot be redriven' };
    if (record.status === 'SUCCEEDED') return { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven' };
    return this.running.get(record.executionArn)?.redrivable ? { redriveStatus: 'REDRIVABLE' } : { redriveStatus: 'NOT_REDRIVABLE' };
  }

  /** The raw record of an execution (events with epoch-millisecond timestamps). */
  executionRecord(executionArn: string): ExecutionRecord {
    return this.record(executionArn);
  }

  /** The state machines, as stored (plain JSON). */
  stateMachineRecords(): StateMachineRecord[] {
    return [...this.machines.values()].map(({ parsed: _parsed, ...machine }) => machine);
  }

  /** Everything stored, as plain JSON. */
  snapshot(): LocalStepFunctionsSnapshot {
    return {
      stateMachines: this.stateMachineRecords(),
      executions: [...this.executions.values()].map((e) => JSON.parse(JSON.stringify(e)) as ExecutionRecord),
    };
  }

  /**
   * Load a snapshot (a previous local run): state machines and closed executions come back as they were, so
   * history stays readable. An execution that was still running cannot resume — its in-flight state was not
   * saved — so it is closed ABORTED with an ExecutionAborted event that says why; the aborted records are
   * returned (to be saved). With `readOnly` (a reader of a store another process may still be writing, e.g.
   * `gami status --local` while `npm start` runs) running executions are shown as they were saved.
   */
  restore(snapshot: LocalStepFunctionsSnapshot, options: { readOnly?: boolean } = {}): ExecutionRecord[] {
    const aborted: ExecutionRecord[] = [];
    for (const machine of snapshot.stateMachines) {
      this.machines.set(machine.stateMachineArn, { ...machine, parsed: this.validate(machine.definition) });
    }
    for (const saved of snapshot.executions) {
      const record = JSON.parse(JSON.stringify(saved)) as ExecutionRecord;
      if (record.status === 'RUNNING' && !options.readOnly) {
        aborted.push(record);
        const cause = 'The local runtime stopped while this execution was running; it cannot be resumed';
        record.status = 'ABORTED';
        record.stopDate = this.clock.now();
        record.cause = cause;
        const last = record.events[record.events.length - 1];
        record.events.push({
          id: record.events.length + 1,
          previousEventId: last?.id ?? 0,
          timestamp: record.stopDate,
          type: 'ExecutionAborted',
          executionAbortedEventDetails: { cause },
        });
      }
      this.executions.set(record.executionArn, record);
    }
    return aborted;
  }

  private validate(definition: string): StateMachineDefinition {
    try {
      return this.engine.validate(JSON.parse(definition));
    } catch (error) {
      throw new InvalidDefinitionException({ message: (error as Error).message, ...metadata });
    }
  }

  private tokenCall(call: () => void): void {
    try {
      call();
    } catch (error) {
      if (error instanceof InvalidToken) throw new InvalidTokenException({ message: error.message, ...metadata });
      if (error instanceof TaskDoesNotExist) throw new TaskDoesNotExistException({ message: error.message, ...metadata });
      if (error instanceof TaskTimedOut) throw new TaskTimedOutException({ message: error.message, ...metadata });
      if (error instanceof InvalidOutput) throw new InvalidOutputException({ message: error.message, ...metadata });
      throw error;
    }
  }

  private machine(arn: string): StateMachineRecord & { parsed: StateMachineDefinition } {
    if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:stateMachine:[^:]+$/.test(arn)) throw new InvalidArn({ message: `Invalid Arn: '${arn}'`, ...metadata });
    const machine = this.machines.get(arn);
    if (!machine) throw new StateMachineDoesNotExist({ message: `State Machine Does Not Exist: '${arn}'`, ...metadata });
    return machine;
  }

  private record(arn: string): ExecutionRecord {
    if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) throw new InvalidArn({ message: `Invalid Arn: '${arn}'`, ...metadata });
    const record = this.executions.get(arn);
    if (!record) throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${arn}'`, ...metadata });
    return record;
  }
}

/** StartExecution's `input` limit: 256 KiB of UTF-8. */
export const MAX_EXECUTION_INPUT_BYTES = 262_144;
/**
 * Deepest JSON nesting accepted in execution input. Assumption: AWS documents no figure; 1,000 is the default
 * nesting limit of Jackson (StreamReadConstraints), the JSON parser of the AWS Java stack, and keeps every
 * copy and serialisation in the engine far from the JavaScript stack limit.
 */
export const MAX_EXECUTION_INPUT_DEPTH = 1000;

/**
 * Validate StartExecution's `input` as the API does: a string of JSON text (default `{}`), at most 256 KiB;
 * anything else is InvalidExecutionInput, never a raw error.
 */
function parseExecutionInput(text: unknown): Json {
  const invalid = (why: string) => new InvalidExecutionInput({ message: `Invalid State Machine Execution Input: '${why}'`, ...metadata });
  if (text === undefined || text === null) return {};
  if (typeof text !== 'string') throw invalid('the input must be a string of JSON text');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_EXECUTION_INPUT_BYTES) throw invalid(`the input is ${bytes} bytes; the maximum is ${MAX_EXECUTION_INPUT_BYTES} bytes`);
  const depth = nestingDepth(text);
  if (depth > MAX_EXECUTION_INPUT_DEPTH) throw invalid(`the input nests ${depth} levels deep; the maximum is ${MAX_EXECUTION_INPUT_DEPTH}`);
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
}

/** Deepest array/object nesting of JSON text, scanned without recursion (strings skipped). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined || value === null) {
    throw new ValidationException({ message: `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`, ...metadata });
  }
  return value;
}

/** AWS paging: maxResults 0/absent = 100, at most 1000; nextToken is opaque (here: the offset). */
function paginate<T>(items: readonly T[], maxResults: number | undefined, nextToken: string | undefined): { page: T[]; nextToken?: string } {
  const size = maxResults && maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  let start = 0;
  if (nextToken) {
    const decoded = Number(Buffer.from(nextToken, 'base64url').toString('utf8').replace(/^offset:/, ''));
    if (!Number.isInteger(decoded) || decoded < 0) throw new ValidationException({ message: 'Invalid pagination token', ...metadata });
    start = decoded;
  }
  const page = items.slice(start, start + size);
  const end = start + page.length;
  return { page, ...(end < items.length && { nextToken: Buffer.from(`offset:${end}`).toString('base64url') }) };
}

function stripExecutionData(event: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
    const details = { ...(value as Record<string, unknown>) };
    for (const field of ['input', 'output', 'parameters']) delete details[field];
    event[key] = details;
  }
}
