/**
 * The Amazon States Language surface the local engine runs: JSONata states only (QueryLanguage "JSONata"
 * at the top or on every state). Field names and meanings follow the States Language specification and the
 * Step Functions developer guide; anything else is refused by `validateDefinition`.
 */

/** Any JSON value. Strings of the exact form `{% expr %}` are JSONata expressions. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
  Comment?: string;
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  Output?: Json;
  Assign?: Record<string, Json>;
  Comment?: string;
}

interface StateBase {
  Type: string;
  Comment?: string;
  QueryLanguage?: 'JSONata' | 'JSONPath';
  Next?: string;
  End?: boolean;
  Output?: Json;
  Assign?: Record<string, Json>;
}

export interface PassState extends StateBase {
  Type: 'Pass';
}

export interface TaskState extends StateBase {
  Type: 'Task';
  Resource: string;
  Arguments?: Json;
  TimeoutSeconds?: number | string;
  HeartbeatSeconds?: number | string;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Credentials?: Json;
}

export interface ChoiceRule {
  Condition: string | boolean;
  Next: string;
  Output?: Json;
  Assign?: Record<string, Json>;
  Comment?: string;
}

export interface ChoiceState extends StateBase {
  Type: 'Choice';
  Choices: ChoiceRule[];
  Default?: string;
}

export interface WaitState extends StateBase {
  Type: 'Wait';
  Seconds?: number | string;
  Timestamp?: string;
}

export interface SucceedState extends StateBase {
  Type: 'Succeed';
}

export interface FailState extends StateBase {
  Type: 'Fail';
  Error?: string;
  Cause?: string;
}

export interface ParallelState extends StateBase {
  Type: 'Parallel';
  Branches: StateMachineDefinition[];
  Arguments?: Json;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface MapState extends StateBase {
  Type: 'Map';
  Items?: Json;
  ItemSelector?: Json;
  ItemProcessor: StateMachineDefinition & { ProcessorConfig?: { Mode?: string; ExecutionType?: string } };
  MaxConcurrency?: number | string;
  ToleratedFailureCount?: number | string;
  ToleratedFailurePercentage?: number | string;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export type State =
  | PassState
  | TaskState
  | ChoiceState
  | WaitState
  | SucceedState
  | FailState
  | ParallelState
  | MapState;

export interface StateMachineDefinition {
  Comment?: string;
  QueryLanguage?: 'JSONata' | 'JSONPath';
  StartAt: string;
  States: Record<string, State>;
  TimeoutSeconds?: number;
  Version?: string;
}

const TEMPLATE = /^\{%([\s\S]*)%\}$/;

/** The JSONata expression inside `value` when `value` is exactly `{% ... %}`; otherwise undefined. */
export function jsonataExpression(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TEMPLATE.exec(value);
  return match ? match[1] : undefined;
}
