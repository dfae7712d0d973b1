/**
 * The interpreter: runs a validated JSONata state machine definition, one `Execution` per run, writing an
 * AWS-shaped history as it goes. Semantics follow the States Language specification and the Step Functions
 * developer guide ("Transforming data with JSONata", "Passing data between states with variables",
 * "Handling errors", "Wait for a callback with the task token"):
 *
 * - Assign and Output of a state are evaluated with the same `$states` and the variables as they were when
 *   the state was entered; the new values are committed only after both (Assign before Output).
 * - Output defaults to `$states.result` (Task, Map, Parallel) or `$states.input` (Pass, Wait, Choice,
 *   Succeed); a Catcher's Output defaults to `$states.errorOutput`, and a Catcher's Assign/Output replace
 *   the state's own.
 * - Map iterations and Parallel branches get an inner variable scope that reads the outer one; assigning an
 *   outer variable from inside is refused when the definition is validated.
 * - Retry: IntervalSeconds × BackoffRate^n, capped by MaxDelaySeconds, FULL jitter from the engine's seeded
 *   random source; States.ALL matches every error but States.Runtime and States.DataLimitExceeded;
 *   States.TaskFailed matches every error but States.Timeout (and those two).
 * - Every timer goes through the engine's Clock.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import { jsonataExpression, type Catcher, type ChoiceState, type FailState, type Json, type MapState, type ParallelState, type Retrier, type State, type StateMachineDefinition, type TaskState, type WaitState } from './asl';
import { ExecutionInterrupted, StatesError, StatesErrors } from './errors';
import type { EngineEvent, ExecutionRecord } from './history';
import { LambdaRegistry } from './lambdas';
import { QueryEvaluator, returnedNothing, setOwn, statePrefix, toJson, unexpectedResultType, type EvaluationScope } from './query';
import { seededRandom, type RandomSource } from './random';
import { createSdkInvoker, type ClientConfigProvider, type SdkInvoker } from './sdk';
import { TaskTokens, type IssuedToken } from './tokens';
import { parseOffsetDateTime } from './timestamps';
import { parseResource, validateDefinition, type ResourceKind } from './validate';
import type { HistoryEventType } from '@aws-sdk/client-sfn';

export interface EngineOptions {
  clock: Clock;
  /** In-process Lambda functions by ARN. */
  lambdas?: LambdaRegistry;
  /** Answers aws-sdk integrations; default: SDK v3 clients built by `createClient` (client plugins apply). */
  sdk?: SdkInvoker;
  /** Client configuration for the default SDK invoker (credentials, endpoint per service/region/account). */
  clientConfig?: ClientConfigProvider;
  /** Seed of the random source behind FULL jitter, $random() without a seed, $uuid() and task tokens. */
  seed?: number | string;
  /** Called for every history event as it is written (live views, persistence). */
  onEvent?: (execution: ExecutionRecord, event: EngineEvent) => void;
  /** Called whenever an execution's status changes (RUNNING on start and redrive, then its terminal status). */
  onStatusChange?: StatusListener;
}

/** Receives an execution's record right after its status changed (its closing event is already written). */
export type StatusListener = (execution: ExecutionRecord) => void;

export interface StartParams {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  definition: StateMachineDefinition;
  input: Json;
  roleArn: string;
}

/** The ASL interpreter. One per local runtime; it owns the compiled-expression cache and the task tokens. */
export class Engine {
  readonly clock: Clock;
  readonly lambdas: LambdaRegistry;
  readonly query: QueryEvaluator;
  readonly tokens: TaskTokens;
  readonly random: RandomSource;
  readonly sdk: SdkInvoker;
  readonly onEvent?: EngineOptions['onEvent'];
  private readonly statusListeners = new Set<StatusListener>();

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.lambdas = options.lambdas ?? new LambdaRegistry();
    this.random = options.seed !== undefined ? seededRandom(options.seed) : Math.random;
    this.query = new QueryEvaluator(this.random, () => this.clock.now());
    this.tokens = new TaskTokens(this.random);
    this.sdk = options.sdk ?? createSdkInvoker(options.clientConfig);
    this.onEvent = options.onEvent;
    if (options.onStatusChange) this.statusListeners.add(options.onStatusChange);
  }

  /** Listen to every execution's status changes; returns the function that stops listening. */
  onStatusChange(listener: StatusListener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Tell the listeners (a listener that throws does not disturb the execution or the other listeners). */
  statusChanged(record: ExecutionRecord): void {
    for (const listener of [...this.statusListeners]) {
      try {
        listener(record);
      } catch {
        // Delivery is best effort, as EventBridge's is; the listener owns its errors.
      }
    }
  }

  /** Throw InvalidDefinition (naming state and feature) unless the engine can run `definition`. */
  validate(definition: unknown): StateMachineDefinition {
    validateDefinition(definition, this.query);
    return definition;
  }

  /** Start an execution; it runs asynchronously on the engine's clock. */
  start(params: StartParams): Execution {
    const execution = new Execution(this, params);
    execution.begin();
    return execution;
  }
}

/** Outcome of one state: where to go next and what it produced. */
interface StateOutcome {
  output: Json;
  next?: string;
}

/** The state being run: what `$states.context` and error causes are built from. */
interface StateRun {
  name: string;
  state: State;
  input: Json;
  scope: VariableScope;
  thread: Thread;
  signal: AbortSignal;
  enteredEventId: number;
  enteredTime: string;
  retryCount: number;
  token?: string;
}

/** Events of one branch of control chain on each other through previousEventId. */
interface Thread {
  last: number;
}

/** Workflow variables of one scope (the execution, one Map iteration, one Parallel branch). */
class VariableScope {
  private readonly own: Record<string, Json> = {};
  private flat?: Record<string, Json>;
  private version = 0;
  private parentVersion = -1;

  constructor(private readonly parent?: VariableScope) {}

  visible(): Readonly<Record<string, Json>> {
    if (!this.flat || (this.parent && this.parent.version !== this.parentVersion)) {
      this.flat = this.parent ? { ...this.parent.visible(), ...this.own } : { ...this.own };
      this.parentVersion = this.parent?.version ?? -1;
    }
    return this.flat;
  }

  assign(values: Record<string, Json>): void {
    for (const [key, value] of Object.entries(values)) setOwn(this.own, key, value);
    this.flat = undefined;
    this.version++;
  }
}

/** Raised into the other branches of a Map or Parallel when one of them fails. */
class BranchAborted extends Error {
  constructor() {
    super('aborted because another branch failed');
    this.name = 'BranchAborted';
  }
}

const MAX_PAYLOAD = 256 * 1024;
/** Step Functions Standard: an execution's history holds at most 25,000 events. */
const MAX_HISTORY_EVENTS = 25_000;

/** One run of a state machine. `record` is its JSON-serialisable state; `done` settles when it closes. */
export class Execution {
  readonly record: ExecutionRecord;
  private donePromise: Promise<ExecutionRecord>;
  private resolveDone!: (record: ExecutionRecord) => void;
  private controller = new AbortController();
  /** The top-level state running (or that was running when the execution closed): where a redrive resumes. */
  private resumePoint?: { name: string; input: Json; variables: Record<string, Json> };
  private rootScope = new VariableScope();
  private readonly definition: StateMachineDefinition;
  private readonly inputValue: Json;
  private readonly region: string;
  private readonly account: string;
  private cancelTimeout?: () => void;
  private readonly openTokens = new Set<IssuedToken>();
  private readonly reported = new WeakSet<StatesError>();

  constructor(
    private readonly engine: Engine,
    params: StartParams,
  ) {
    const arn = params.executionArn.split(':');
    this.region = arn[3] || 'us-east-1';
    this.account = params.roleArn.split(':')[4] || arn[4] || '123456789012';
    this.definition = params.definition;
    this.inputValue = params.input;
    this.record = {
      executionArn: params.executionArn,
      stateMachineArn: params.stateMachineArn,
      stateMachineName: params.stateMachineArn.split(':').pop() ?? '',
      name: params.name,
      status: 'RUNNING',
      startDate: engine.clock.now(),
      input: JSON.stringify(params.input),
      roleArn: params.roleArn,
      redriveCount: 0,
      events: [],
    };
    this.donePromise = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Settles when the execution closes (again, after a redrive). */
  get done(): Promise<ExecutionRecord> {
    return this.donePromise;
  }

  /** Whether RedriveExecution may restart this execution (closed unsuccessfully, with a state to resume). */
  get redrivable(): boolean {
    return ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(this.record.status ?? '') && this.resumePoint !== undefined;
  }

  /**
   * RedriveExecution: restart from the top-level state that did not succeed, with that state's input and the
   * variables as they were when it was entered; ExecutionRedriven is written and redriveCount increments.
   * A failed Map or Parallel is re-run whole (AWS re-runs only its unsuccessful iterations/branches).
   */
  redrive(): void {
    const point = this.resumePoint;
    if (!point || !this.redrivable) throw new Error('execution is not redrivable');
    this.record.status = 'RUNNING';
    delete this.record.stopDate;
    delete this.record.error;
    delete this.record.cause;
    this.record.redriveCount++;
    this.record.redriveDate = this.engine.clock.now();
    this.controller = new AbortController();
    this.donePromise = new Promise((resolve) => (this.resolveDone = resolve));
    this.rootScope = new VariableScope();
    this.rootScope.assign(point.variables);
    const thread: Thread = { last: this.lastEventId() };
    this.emit(thread, 'ExecutionRedriven', { executionRedrivenEventDetails: { redriveCount: this.record.redriveCount } });
    this.engine.statusChanged(this.record);
    this.armTimeout();
    void this.runTopLevel(thread, point.name, point.input);
  }

  /** Stop the execution (StopExecution): ABORTED, with an ExecutionAborted event. */
  stop(error?: string, cause?: string): void {
    if (this.record.status !== 'RUNNING') return;
    this.close('ABORTED', { error, cause });
    this.emit({ last: this.lastEventId() }, 'ExecutionAborted', {
      executionAbortedEventDetails: { ...(error !== undefined && { error }), ...(cause !== undefined && { cause }) },
    });
    this.controller.abort(new ExecutionInterrupted('aborted'));
    this.engine.statusChanged(this.record);
    this.resolveDone(this.record);
  }

  begin(): void {
    const thread: Thread = { last: 0 };
    this.emit(thread, 'ExecutionStarted', {
      executionStartedEventDetails: {
        input: this.record.input,
        inputDetails: { truncated: false },
        roleArn: this.record.roleArn,
      },
    });
    this.engine.statusChanged(this.record);
    this.armTimeout();
    // As AWS writes it, the first state's entry follows ExecutionStarted with previousEventId 0.
    thread.last = 0;
    void this.runTopLevel(thread, this.definition.StartAt, this.inputValue);
  }

  private armTimeout(): void {
    if (this.definition.TimeoutSeconds !== undefined) {
      this.cancelTimeout = this.engine.clock.setTimer(this.definition.TimeoutSeconds * 1000, () => this.timeOut());
    }
  }

  private async runTopLevel(thread: Thread, startAt: string, input: Json): Promise<void> {
    try {
      const output = await this.runMachine(this.definition, input, this.rootScope, thread, this.controller.signal, startAt, (name, value) => {
        this.resumePoint = { name, input: value, variables: { ...this.rootScope.visible() } };
      });
      if (this.record.status !== 'RUNNING') return;
      const text = JSON.stringify(output);
      this.close('SUCCEEDED', { output: text });
      this.emit(thread, 'ExecutionSucceeded', {
        executionSucceededEventDetails: { output: text, outputDetails: { truncated: false } },
      });
    } catch (thrown) {
      if (this.record.status !== 'RUNNING') return;
      const failure =
        thrown instanceof StatesError
          ? thrown
          : thrown instanceof RangeError && /call stack/i.test(thrown.message)
            ? new StatesError(StatesErrors.Runtime, `The execution's data is nested too deeply to be processed (${thrown.message}).`)
            : new StatesError(StatesErrors.Runtime, `Internal error in the local engine: ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}`);
      // A Fail state without Error/Cause leaves them out of the record and the event, as on AWS.
      const fields = { ...(failure.error && { error: failure.error }), ...(failure.cause && { cause: failure.cause }) };
      this.close('FAILED', fields);
      this.emit(thread, 'ExecutionFailed', { executionFailedEventDetails: fields });
    }
    this.engine.statusChanged(this.record);
    this.resolveDone(this.record);
  }

  /** Fail the execution from outside its control flow (history limit); running states are aborted. */
  private failNow(error: string, cause: string): void {
    this.close('FAILED', { error, cause });
    this.emit({ last: this.lastEventId() }, 'ExecutionFailed', { executionFailedEventDetails: { error, cause } });
    this.controller.abort(new ExecutionInterrupted('aborted'));
    this.engine.statusChanged(this.record);
    this.resolveDone(this.record);
  }

  /**
   * The definition's TimeoutSeconds expired: TIMED_OUT at exactly start + TimeoutSeconds. As AWS records it,
   * the execution itself has no error or cause (DescribeExecution omits both); States.Timeout is only in the
   * ExecutionTimedOut event, whose previousEventId is 0.
   */
  private timeOut(): void {
    if (this.record.status !== 'RUNNING') return;
    this.close('TIMED_OUT', {});
    this.emit({ last: 0 }, 'ExecutionTimedOut', { executionTimedOutEventDetails: { error: StatesErrors.Timeout } });
    this.controller.abort(new ExecutionInterrupted('timedOut'));
    this.engine.statusChanged(this.record);
    this.resolveDone(this.record);
  }

  private close(status: ExecutionRecord['status'], fields: { output?: string; error?: string; cause?: string }): void {
    this.record.status = status;
    this.record.stopDate = this.engine.clock.now();
    if (fields.output !== undefined) this.record.output = fields.output;
    if (fields.error !== undefined) this.record.error = fields.error;
    if (fields.cause !== undefined) this.record.cause = fields.cause;
    this.cancelTimeout?.();
    for (const token of this.openTokens) token.close(false);
    this.engine.tokens.closeExecution(this.record.executionArn);
  }

  private lastEventId(): number {
    return this.record.events.length;
  }

  /** Append an event (after the execution closed, only the closing event itself is written). */
  private emit(thread: Thread, type: HistoryEventType, details: Record<string, unknown> = {}): number {
    const closing = type.startsWith('Execution') && type !== 'ExecutionStarted';
    if (this.record.status !== 'RUNNING' && !closing) return this.lastEventId();
    if (!closing && this.record.events.length >= MAX_HISTORY_EVENTS - 1) {
      this.failNow(StatesErrors.Runtime, `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`);
      return this.lastEventId();
    }
    const event = {
      id: this.record.events.length + 1,
      previousEventId: thread.last,
      timestamp: this.engine.clock.now(),
      type,
      ...details,
    } as EngineEvent;
    this.record.events.push(event);
    thread.last = event.id;
    this.engine.onEvent?.(this.record, event);
    return event.id;
  }

  // ---------------------------------------------------------------- states

  private async runMachine(
    machine: StateMachineDefinition,
    input: Json,
    scope: VariableScope,
    thread: Thread,
    signal: AbortSignal,
    startAt = machine.StartAt,
    onEnter?: (name: string, input: Json) => void,
  ): Promise<Json> {
    let name: string | undefined = startAt;
    let value = input;
    while (name !== undefined) {
      if (signal.aborted) throw signal.reason;
      onEnter?.(name, value);
      const state: State = machine.States[name];
      const outcome = await this.runState(name, state, value, scope, thread, signal);
      value = outcome.output;
      name = outcome.next;
    }
    return value;
  }

  private async runState(name: string, state: State, input: Json, scope: VariableScope, thread: Thread, signal: AbortSignal): Promise<StateOutcome> {
    const enteredEventId = this.emit(thread, `${state.Type}StateEntered` as HistoryEventType, {
      stateEnteredEventDetails: { name, input: JSON.stringify(input), inputDetails: { truncated: false } },
    });
    const run: StateRun = {
      name,
      state,
      input,
      scope,
      thread,
      signal,
      enteredEventId,
      enteredTime: new Date(this.engine.clock.now()).toISOString(),
      retryCount: 0,
    };
    try {
      switch (state.Type) {
        case 'Pass':
          return await this.finish(run, undefined, input);
        case 'Succeed':
          return await this.finish(run, undefined, input);
        case 'Wait':
          return await this.runWait(run, state);
        case 'Choice':
          return await this.runChoice(run, state);
        case 'Fail':
          return await this.runFail(run, state);
        case 'Task':
        case 'Parallel':
        case 'Map':
          return await this.runWithErrorHandling(run, state);
      }
    } catch (thrown) {
      this.reportEvaluationFailure(run, thrown);
      throw thrown;
    }
  }

  /** Write EvaluationFailed once, in the innermost state where a JSONata evaluation failed. */
  private reportEvaluationFailure(run: StateRun, thrown: unknown): void {
    if (!(thrown instanceof StatesError) || thrown.error !== StatesErrors.QueryEvaluationError) return;
    if (this.reported.has(thrown)) return;
    this.reported.add(thrown);
    this.emit(run.thread, 'EvaluationFailed', {
      evaluationFailedEventDetails: {
        state: run.name,
        error: thrown.error,
        cause: thrown.cause,
        ...(thrown.location !== undefined && { location: thrown.location }),
      },
    });
  }

  /**
   * Evaluate Assign then Output (same `$states`, variables as at entry), commit the variables, write the
   * StateExited event. `override` lets Choice rules and Catchers supply their own Assign, Output and Next.
   */
  private async finish(
    run: StateRun,
    result: Json | undefined,
    defaultOutput: Json,
    override?: { assign?: Record<string, Json>; output?: Json; errorOutput?: Json; next?: string; label?: string },
  ): Promise<StateOutcome> {
    const states = { input: run.input, context: this.context(run), ...(result !== undefined && { result }), ...(override?.errorOutput !== undefined && { errorOutput: override.errorOutput }) };
    const scope = this.evaluationScope(run, states);
    const assignTemplate = override ? override.assign : run.state.Assign;
    const outputTemplate = override ? override.output : run.state.Output;
    const label = override?.label ?? '';
    let assigned: Record<string, Json> | undefined;
    if (assignTemplate !== undefined) {
      assigned = {};
      for (const [key, template] of Object.entries(assignTemplate)) {
        setOwn(assigned, key, await this.engine.query.resolve(template, scope, `${label}Assign/${key}`));
      }
      const size = Buffer.byteLength(JSON.stringify(assigned));
      if (size > MAX_PAYLOAD) {
        throw new StatesError(StatesErrors.DataLimitExceeded, `The variables assigned by state '${run.name}' are ${size} bytes; the limit is 262144 bytes`);
      }
    }
    const output = outputTemplate !== undefined ? await this.engine.query.resolve(outputTemplate, scope, `${label}Output`) : defaultOutput;
    const outputText = JSON.stringify(output);
    if (Buffer.byteLength(outputText) > MAX_PAYLOAD) {
      throw new StatesError(StatesErrors.DataLimitExceeded, `The state/task '${run.name}' returned a result with a size exceeding the maximum number of bytes service limit.`);
    }
    if (assigned) run.scope.assign(assigned);
    if (run.state.Type !== 'Fail') {
      this.emit(run.thread, `${run.state.Type}StateExited` as HistoryEventType, {
        stateExitedEventDetails: {
          name: run.name,
          output: outputText,
          outputDetails: { truncated: false },
          ...(assigned && {
            assignedVariables: Object.fromEntries(Object.entries(assigned).map(([k, v]) => [k, JSON.stringify(v)])),
            assignedVariablesDetails: { truncated: false },
          }),
        },
      });
    }
    const next = override?.next ?? ('Next' in run.state ? run.state.Next : undefined);
    return { output, next };
  }

  private context(run: StateRun, extra?: Record<string, unknown>): Record<string, unknown> {
    return {
      Execution: {
        Id: this.record.executionArn,
        Input: this.inputValue,
        Name: this.record.name,
        RoleArn: this.record.roleArn,
        StartTime: new Date(this.record.startDate).toISOString(),
        RedriveCount: this.record.redriveCount,
      },
      State: { EnteredTime: run.enteredTime, Name: run.name, RetryCount: run.retryCount },
      StateMachine: { Id: this.record.stateMachineArn, Name: this.record.stateMachineName },
      ...(run.token !== undefined && { Task: { Token: run.token } }),
      ...extra,
    };
  }

  private evaluationScope(run: StateRun, states: EvaluationScope['states']): EvaluationScope {
    return { states, variables: run.scope.visible(), stateName: run.name, enteredEventId: run.enteredEventId };
  }

  private basicScope(run: StateRun, contextExtra?: Record<string, unknown>): EvaluationScope {
    return this.evaluationScope(run, { input: run.input, context: this.context(run, contextExtra) });
  }

  /** A numeric field that may be a `{% %}` expression (Seconds, TimeoutSeconds, MaxConcurrency, ...). */
  private async numberField(run: StateRun, value: number | string | undefined, field: string): Promise<number | undefined> {
    if (value === undefined) return undefined;
    const scope = this.basicScope(run);
    const expression = jsonataExpression(value);
    if (expression === undefined) return typeof value === 'number' ? value : Number(value);
    const expected = field === 'ToleratedFailurePercentage' ? 'number' : 'integer';
    const resolved = await this.engine.query.evaluateRaw(expression, scope, field);
    if (resolved === undefined) throw returnedNothing(scope, expression, field);
    const wrongType = typeof resolved !== 'number' || !Number.isFinite(resolved) || (expected === 'integer' && !Number.isInteger(resolved));
    if (wrongType) throw unexpectedResultType(scope, expression, field, expected, resolved);
    if (resolved < 0) {
      throw new StatesError(
        StatesErrors.QueryEvaluationError,
        `${statePrefix(scope)}The JSONata expression '${expression.trim()}' specified for the field '${field}' returned a negative value: ${resolved}`,
        field,
      );
    }
    return resolved;
  }

  private async runWait(run: StateRun, state: WaitState): Promise<StateOutcome> {
    let delayMs: number;
    if (state.Seconds !== undefined) {
      delayMs = ((await this.numberField(run, state.Seconds, 'Seconds')) ?? 0) * 1000;
    } else {
      const timestamp = await this.engine.query.resolve(state.Timestamp ?? null, this.basicScope(run), 'Timestamp');
      const when = parseOffsetDateTime(timestamp);
      if (when === undefined) {
        throw new StatesError(
          StatesErrors.QueryEvaluationError,
          `${statePrefix(this.basicScope(run))}The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: ${typeof timestamp === 'string' ? timestamp : JSON.stringify(timestamp)}`,
          'Timestamp',
        );
      }
      delayMs = when - this.engine.clock.now();
    }
    if (delayMs > 0) await this.engine.clock.sleep(delayMs, run.signal);
    return this.finish(run, undefined, run.input);
  }

  private async runChoice(run: StateRun, state: ChoiceState): Promise<StateOutcome> {
    const scope = this.basicScope(run);
    for (const [i, rule] of state.Choices.entries()) {
      const field = `Choices[${i}]/Condition`;
      const matched = await this.engine.query.resolve(rule.Condition, scope, field);
      if (typeof matched !== 'boolean') {
        throw unexpectedResultType(scope, jsonataExpression(rule.Condition) ?? JSON.stringify(rule.Condition), field, 'boolean', matched);
      }
      if (matched) {
        // The state-level Assign applies whichever rule matches; the rule's own Assign is added to it.
        const assign = state.Assign || rule.Assign ? { ...state.Assign, ...rule.Assign } : undefined;
        return this.finish(run, undefined, run.input, { assign, output: rule.Output ?? state.Output, next: rule.Next, label: `Choices[${i}]/` });
      }
    }
    if (state.Default === undefined) {
      throw new StatesError(StatesErrors.NoChoiceMatched, `No Choice Rules matched the input in the Choice state '${run.name}'`);
    }
    return this.finish(run, undefined, run.input, { next: state.Default, assign: state.Assign, output: state.Output });
  }

  private async runFail(run: StateRun, state: FailState): Promise<never> {
    const scope = this.basicScope(run);
    const error = state.Error !== undefined ? await this.engine.query.resolve(state.Error, scope, 'Error') : undefined;
    const cause = state.Cause !== undefined ? await this.engine.query.resolve(state.Cause, scope, 'Cause') : undefined;
    throw new StatesError(typeof error === 'string' ? error : '', typeof cause === 'string' ? cause : '');
  }

  // ---------------------------------------------------------------- retry / catch

  private async runWithErrorHandling(run: StateRun, state: TaskState | MapState | ParallelState): Promise<StateOutcome> {
    const retriers = state.Retry ?? [];
    const attempts = retriers.map(() => 0);
    for (;;) {
      let failure: StatesError | undefined;
      let result: Json = null;
      try {
        result = await this.attempt(run, state);
      } catch (thrown) {
        if (!(thrown instanceof StatesError)) throw thrown;
        failure = thrown;
      }
      // Output/Assign failing after the work was done is catchable, but retrying it would redo the work.
      if (failure === undefined) {
        try {
          return await this.finish(run, result, result);
        } catch (thrown) {
          if (!(thrown instanceof StatesError)) throw thrown;
          this.reportEvaluationFailure(run, thrown);
          const catcher = (state.Catch ?? []).findIndex((c) => errorMatches(c.ErrorEquals, thrown.error));
          if (catcher < 0) throw thrown;
          return this.caught(run, state.Catch ?? [], catcher, thrown);
        }
      }
      this.reportEvaluationFailure(run, failure);
      const index = retriers.findIndex((r) => errorMatches(r.ErrorEquals, failure.error));
      const retrier = index >= 0 ? retriers[index] : undefined;
      if (retrier && attempts[index] < (retrier.MaxAttempts ?? 3)) {
        const delay = this.retryDelay(retrier, attempts[index]);
        attempts[index]++;
        run.retryCount++;
        await this.engine.clock.sleep(delay, run.signal);
        continue;
      }
      const catcher = (state.Catch ?? []).findIndex((c) => errorMatches(c.ErrorEquals, failure.error));
      if (catcher < 0) throw failure;
      return this.caught(run, state.Catch ?? [], catcher, failure);
    }
  }

  private caught(run: StateRun, catchers: Catcher[], index: number, failure: StatesError): Promise<StateOutcome> {
    const catcher = catchers[index];
    const errorOutput = errorOutputOf(failure);
    return this.finish(run, undefined, errorOutput, {
      assign: catcher.Assign,
      output: catcher.Output,
      errorOutput,
      next: catcher.Next,
      label: `Catch[${index}]/`,
    });
  }

  private retryDelay(retrier: Retrier, attempt: number): number {
    let seconds = (retrier.IntervalSeconds ?? 1) * Math.pow(retrier.BackoffRate ?? 2, attempt);
    if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
    if (retrier.JitterStrategy === 'FULL') seconds = seconds * this.engine.random();
    return Math.round(seconds * 1000);
  }

  private attempt(run: StateRun, state: TaskState | MapState | ParallelState): Promise<Json> {
    switch (state.Type) {
      case 'Task':
        return this.runTask(run, state);
      case 'Map':
        return this.runMap(run, state);
      case 'Parallel':
        return this.runParallel(run, state);
    }
  }

  // ---------------------------------------------------------------- tasks

  private async runTask(run: StateRun, state: TaskState): Promise<Json> {
    const resource = parseResource(state.Resource) as ResourceKind;
    const waits = resource.kind !== 'lambda:function' && resource.waitForTaskToken;
    const issued = waits ? this.engine.tokens.issue(this.record.executionArn) : undefined;
    if (issued) this.openTokens.add(issued);
    run.token = issued?.token;
    try {
      const scope = this.basicScope(run);
      const args = state.Arguments !== undefined ? await this.engine.query.resolve(state.Arguments, scope, 'Arguments') : run.input;
      // "after Parameters processing the input of a state is larger than payload size quota" (Step Functions
      // developer guide, error names: States.DataLimitExceeded); the message mirrors AWS's result-size text.
      if (Buffer.byteLength(JSON.stringify(args) ?? '') > MAX_PAYLOAD) {
        throw new StatesError(StatesErrors.DataLimitExceeded, `The state/task '${run.name}' has an input with a size exceeding the maximum number of bytes service limit.`);
      }
      const timeoutSeconds = await this.numberField(run, state.TimeoutSeconds, 'TimeoutSeconds');
      const heartbeatSeconds = await this.numberField(run, state.HeartbeatSeconds, 'HeartbeatSeconds');
      const events = taskEventNames(resource, state.Resource);
      const where = { resourceType: events.resourceType, resource: events.resource };
      if (resource.kind === 'lambda:function') {
        this.emit(run.thread, 'LambdaFunctionScheduled', {
          lambdaFunctionScheduledEventDetails: {
            resource: state.Resource,
            input: JSON.stringify(args),
            inputDetails: { truncated: false },
            ...(timeoutSeconds !== undefined && { timeoutInSeconds: timeoutSeconds }),
          },
        });
        this.emit(run.thread, 'LambdaFunctionStarted');
      } else {
        this.emit(run.thread, 'TaskScheduled', {
          taskScheduledEventDetails: {
            ...where,
            region: this.region,
            parameters: JSON.stringify(args),
            ...(timeoutSeconds !== undefined && { timeoutInSeconds: timeoutSeconds }),
            ...(heartbeatSeconds !== undefined && { heartbeatInSeconds: heartbeatSeconds }),
          },
        });
        this.emit(run.thread, 'TaskStarted', { taskStartedEventDetails: where });
      }
      const attempt = new AbortController();
      const abortAttempt = () => attempt.abort(run.signal.reason);
      run.signal.addEventListener('abort', abortAttempt, { once: true });
      const timers: Array<() => void> = [];
      // As AWS records them, Task and heartbeat timeouts carry an error and no cause.
      const timeOut = (error: string) => attempt.abort(new StatesError(error));
      if (timeoutSeconds !== undefined) timers.push(this.engine.clock.setTimer(timeoutSeconds * 1000, () => timeOut(StatesErrors.Timeout)));
      let cancelHeartbeat: (() => void) | undefined;
      const armHeartbeat = () => {
        cancelHeartbeat?.();
        if (heartbeatSeconds !== undefined) {
          cancelHeartbeat = this.engine.clock.setTimer(heartbeatSeconds * 1000, () => timeOut(StatesErrors.HeartbeatTimeout));
        }
      };
      try {
        const invoked = await untilAborted(this.invoke(resource, args), attempt.signal);
        if (!issued) {
          this.emitTaskSucceeded(run, resource, where, invoked);
          return invoked;
        }
        this.emit(run.thread, 'TaskSubmitted', {
          taskSubmittedEventDetails: { ...where, output: JSON.stringify(invoked), outputDetails: { truncated: false } },
        });
        armHeartbeat();
        const output = await untilAborted(issued.wait(armHeartbeat), attempt.signal);
        this.emitTaskSucceeded(run, resource, where, output);
        return output;
      } catch (thrown) {
        const reason: unknown = attempt.signal.aborted ? attempt.signal.reason : thrown;
        if (reason instanceof StatesError) {
          const timedOut = reason.error === StatesErrors.Timeout || reason.error === StatesErrors.HeartbeatTimeout;
          issued?.close(timedOut);
          const details = { error: reason.error, ...(reason.cause !== '' && { cause: reason.cause }) };
          if (resource.kind === 'lambda:function') {
            this.emit(run.thread, timedOut ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed', {
              [timedOut ? 'lambdaFunctionTimedOutEventDetails' : 'lambdaFunctionFailedEventDetails']: details,
            });
          } else {
            this.emit(run.thread, timedOut ? 'TaskTimedOut' : 'TaskFailed', {
              [timedOut ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails']: { ...where, ...details },
            });
          }
        }
        throw reason;
      } finally {
        run.signal.removeEventListener('abort', abortAttempt);
        for (const cancel of timers) cancel();
        cancelHeartbeat?.();
      }
    } finally {
      if (issued) {
        issued.close(false);
        this.openTokens.delete(issued);
      }
      run.token = undefined;
    }
  }

  private emitTaskSucceeded(run: StateRun, resource: ResourceKind, where: { resourceType: string; resource: string }, output: Json): void {
    const text = JSON.stringify(output);
    if (resource.kind === 'lambda:function') {
      this.emit(run.thread, 'LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output: text, outputDetails: { truncated: false } } });
    } else {
      this.emit(run.thread, 'TaskSucceeded', { taskSucceededEventDetails: { ...where, output: text, outputDetails: { truncated: false } } });
    }
  }

  private async invoke(resource: ResourceKind, args: Json): Promise<Json> {
    const requestId = uuidLike(this.engine.random);
    switch (resource.kind) {
      case 'lambda:function':
        return this.engine.lambdas.invoke(resource.functionArn, args, { clock: this.engine.clock, requestId });
      case 'lambda:invoke': {
        const params = (args ?? {}) as Record<string, Json>;
        if (typeof params.FunctionName !== 'string') {
          throw new StatesError(StatesErrors.Runtime, 'The lambda:invoke integration requires Arguments.FunctionName');
        }
        const payload = await this.engine.lambdas.invoke(params.FunctionName, params.Payload ?? {}, { clock: this.engine.clock, requestId });
        return lambdaInvokeResult(payload, requestId, this.engine.clock.now());
      }
      case 'aws-sdk':
        return this.engine.clock.hold(
          this.engine.sdk({ service: resource.service, action: resource.action, params: args, region: this.region, account: this.account }),
        );
    }
  }

  // ---------------------------------------------------------------- Map and Parallel

  private async runMap(run: StateRun, state: MapState): Promise<Json> {
    let items: Json[];
    let maxConcurrency: number;
    let toleratedCount: number | undefined;
    let toleratedPercentage: number | undefined;
    try {
      items = await this.mapItems(run, state);
      maxConcurrency = (await this.numberField(run, state.MaxConcurrency, 'MaxConcurrency')) ?? 0;
      toleratedCount = await this.numberField(run, state.ToleratedFailureCount, 'ToleratedFailureCount');
      toleratedPercentage = await this.numberField(run, state.ToleratedFailurePercentage, 'ToleratedFailurePercentage');
    } catch (thrown) {
      this.reportEvaluationFailure(run, thrown);
      this.emit(run.thread, 'MapStateFailed');
      throw thrown;
    }
    const tolerates = toleratedCount !== undefined || toleratedPercentage !== undefined;
    this.emit(run.thread, 'MapStateStarted', { mapStateStartedEventDetails: { length: items.length } });
    const results: Json[] = new Array<Json>(items.length);
    let failures = 0;
    let failure: StatesError | undefined;
    const branches = new AbortController();
    const abortBranches = () => branches.abort(run.signal.reason);
    run.signal.addEventListener('abort', abortBranches, { once: true });
    const exceeded = () =>
      (toleratedCount !== undefined && failures > toleratedCount) ||
      (toleratedPercentage !== undefined && (failures / items.length) * 100 > toleratedPercentage) ||
      (toleratedCount === undefined && toleratedPercentage === undefined && failures > 0);

    const iterate = async (index: number) => {
      const thread: Thread = { last: run.thread.last };
      const details = { name: run.name, index };
      this.emit(thread, 'MapIterationStarted', { mapIterationStartedEventDetails: details });
      try {
        let itemInput: Json = items[index];
        if (state.ItemSelector !== undefined) {
          const itemScope = this.basicScope(run, { Map: { Item: { Index: index, Value: items[index] } } });
          itemInput = await this.engine.query.resolve(state.ItemSelector, itemScope, 'ItemSelector');
        }
        results[index] = await this.runMachine(state.ItemProcessor, itemInput, new VariableScope(run.scope), thread, branches.signal);
        this.emit(thread, 'MapIterationSucceeded', { mapIterationSucceededEventDetails: details });
      } catch (thrown) {
        if (thrown instanceof BranchAborted) {
          this.emit(thread, 'MapIterationAborted', { mapIterationAbortedEventDetails: details });
          return;
        }
        if (!(thrown instanceof StatesError)) throw thrown;
        this.emit(thread, 'MapIterationFailed', { mapIterationFailedEventDetails: details });
        failures++;
        results[index] = errorOutputOf(thrown);
        if (!failure && exceeded()) {
          failure = tolerates
            ? new StatesError(StatesErrors.ExceedToleratedFailureThreshold, 'The specified tolerated failure threshold was exceeded')
            : thrown;
          branches.abort(new BranchAborted());
        }
      }
    };

    try {
      await runPool(items.length, maxConcurrency, iterate, () => branches.signal.aborted);
    } finally {
      run.signal.removeEventListener('abort', abortBranches);
    }
    if (run.signal.aborted) throw run.signal.reason;
    run.thread.last = this.lastEventId();
    if (failure) {
      this.emit(run.thread, 'MapStateFailed');
      throw failure;
    }
    this.emit(run.thread, 'MapStateSucceeded');
    return results;
  }

  /**
   * The items a Map iterates over: `Items` (a JSONata expression or a JSON array) or, without it, the state
   * input. Anything but an array fails with AWS's texts ("returned an unexpected result type. Expected
   * 'array', …", "Map state input must be an array but was: …").
   */
  private async mapItems(run: StateRun, state: MapState): Promise<Json[]> {
    const scope = this.basicScope(run);
    if (state.Items === undefined) {
      if (Array.isArray(run.input)) return run.input;
      throw new StatesError(StatesErrors.QueryEvaluationError, `${statePrefix(scope)}Map state input must be an array but was: ${JSON.stringify(run.input)}`, 'Items');
    }
    const expression = jsonataExpression(state.Items);
    if (expression === undefined) {
      const items = await this.engine.query.resolve(state.Items, scope, 'Items');
      if (Array.isArray(items)) return items;
      throw new StatesError(StatesErrors.QueryEvaluationError, `${statePrefix(scope)}The field 'Items' must be an array but was: ${JSON.stringify(items)}`, 'Items');
    }
    const raw = await this.engine.query.evaluateRaw(expression, scope, 'Items');
    if (raw === undefined) throw returnedNothing(scope, expression, 'Items');
    if (!Array.isArray(raw)) throw unexpectedResultType(scope, expression, 'Items', 'array', raw);
    return toJson(raw, () => unexpectedResultType(scope, expression, 'Items', 'array', raw)) as Json[];
  }

  private async runParallel(run: StateRun, state: ParallelState): Promise<Json> {
    let input: Json;
    try {
      input = state.Arguments !== undefined ? await this.engine.query.resolve(state.Arguments, this.basicScope(run), 'Arguments') : run.input;
    } catch (thrown) {
      this.reportEvaluationFailure(run, thrown);
      this.emit(run.thread, 'ParallelStateFailed');
      throw thrown;
    }
    this.emit(run.thread, 'ParallelStateStarted');
    const branches = new AbortController();
    const abortBranches = () => branches.abort(run.signal.reason);
    run.signal.addEventListener('abort', abortBranches, { once: true });
    let failure: StatesError | undefined;
    const results: Json[] = new Array<Json>(state.Branches.length);
    try {
      await Promise.all(
        state.Branches.map(async (branch, index) => {
          try {
            results[index] = await this.runMachine(branch, input, new VariableScope(run.scope), { last: run.thread.last }, branches.signal);
          } catch (thrown) {
            if (!(thrown instanceof StatesError)) {
              if (thrown instanceof BranchAborted) return;
              throw thrown;
            }
            if (!failure) {
              failure = thrown;
              branches.abort(new BranchAborted());
            }
          }
        }),
      );
    } finally {
      run.signal.removeEventListener('abort', abortBranches);
    }
    if (run.signal.aborted) throw run.signal.reason;
    run.thread.last = this.lastEventId();
    if (failure) {
      this.emit(run.thread, 'ParallelStateFailed');
      throw failure;
    }
    this.emit(run.thread, 'ParallelStateSucceeded');
    return results;
  }
}

// ---------------------------------------------------------------- helpers

/** `$states.errorOutput` (and a tolerated Map item's result): `{Error, Cause}`, without Cause when there is none. */
function errorOutputOf(failure: StatesError): Json {
  return failure.cause !== '' ? { Error: failure.error, Cause: failure.cause } : { Error: failure.error };
}

/** Whether a Retrier/Catcher's ErrorEquals matches `error`, with the States.ALL / States.TaskFailed wildcards. */
export function errorMatches(errorEquals: string[], error: string): boolean {
  const terminal = error === StatesErrors.Runtime || error === StatesErrors.DataLimitExceeded;
  for (const name of errorEquals) {
    if (name === error) return true;
    if (terminal) continue;
    if (name === StatesErrors.ALL) return true;
    if (name === StatesErrors.TaskFailed && error !== StatesErrors.Timeout) return true;
  }
  return false;
}

function taskEventNames(resource: ResourceKind, raw: string): { resourceType: string; resource: string } {
  switch (resource.kind) {
    case 'lambda:invoke':
      return { resourceType: 'lambda', resource: resource.waitForTaskToken ? 'invoke.waitForTaskToken' : 'invoke' };
    case 'aws-sdk':
      return { resourceType: `aws-sdk:${resource.service}`, resource: resource.waitForTaskToken ? `${resource.action}.waitForTaskToken` : resource.action };
    case 'lambda:function':
      return { resourceType: 'lambda', resource: raw };
  }
}

/** The result document of `arn:aws:states:::lambda:invoke` (request-response). */
function lambdaInvokeResult(payload: Json, requestId: string, now: number): Json {
  const length = String(Buffer.byteLength(JSON.stringify(payload)));
  const date = new Date(now).toUTCString();
  const headers: Record<string, string> = {
    Connection: 'keep-alive',
    'Content-Length': length,
    'Content-Type': 'application/json',
    Date: date,
    'X-Amz-Executed-Version': '$LATEST',
    'x-amzn-Remapped-Content-Length': '0',
    'x-amzn-RequestId': requestId,
    'X-Amzn-Trace-Id': `Root=1-${Math.floor(now / 1000).toString(16)}-${requestId.replace(/-/g, '').slice(0, 24)};Sampled=0`,
  };
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: {
      AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      HttpHeaders: headers,
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

function uuidLike(random: RandomSource): string {
  return random === Math.random ? randomUUID() : seededUuid(random);
}

function seededUuid(random: RandomSource): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** Reject as soon as `signal` aborts, with its reason; otherwise settle like `work`. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/** Run `task(0..count-1)` with at most `limit` in flight (0 = unlimited); stop starting new ones once `stop()`. */
async function runPool(count: number, limit: number, task: (index: number) => Promise<void>, stop: () => boolean): Promise<void> {
  const width = limit > 0 ? Math.min(limit, count) : count;
  let next = 0;
  const worker = async () => {
    while (next < count && !stop()) {
      const index = next++;
      await task(index);
    }
  };
  const workers = Array.from({ length: width }, worker);
  const settled = await Promise.allSettled(workers);
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
}

