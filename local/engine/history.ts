/**
 * Execution records and history events. Events have exactly the fields of the Step Functions
 * `GetExecutionHistory` HistoryEvent (ids from 1, `previousEventId`, `<type>EventDetails`), except that the
 * timestamp is kept as epoch milliseconds so a record is plain JSON and can be persisted as is;
 * `toHistoryEvent` gives the API shape (timestamp as a Date).
 */
import type { ExecutionStatus, HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';

export type EngineEvent = Omit<HistoryEvent, 'timestamp' | 'type' | 'id'> & {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: HistoryEventType;
};

/** Everything known about one execution; JSON-serialisable. */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  roleArn: string;
  redriveCount: number;
  /** When the execution was last redriven (epoch ms). */
  redriveDate?: number;
  events: EngineEvent[];
}

export function toHistoryEvent(event: EngineEvent): HistoryEvent {
  return { ...event, timestamp: new Date(event.timestamp) } as HistoryEvent;
}

/** The `*EventDetails` field of each event type that carries details. */
export const DETAILS_FIELD: Partial<Record<HistoryEventType, keyof HistoryEvent>> = {
  ExecutionStarted: 'executionStartedEventDetails',
  ExecutionSucceeded: 'executionSucceededEventDetails',
  ExecutionFailed: 'executionFailedEventDetails',
  ExecutionAborted: 'executionAbortedEventDetails',
  ExecutionTimedOut: 'executionTimedOutEventDetails',
  ExecutionRedriven: 'executionRedrivenEventDetails',
  TaskScheduled: 'taskScheduledEventDetails',
  TaskStarted: 'taskStartedEventDetails',
  TaskSubmitted: 'taskSubmittedEventDetails',
  TaskSucceeded: 'taskSucceededEventDetails',
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  LambdaFunctionScheduled: 'lambdaFunctionScheduledEventDetails',
  LambdaFunctionSucceeded: 'lambdaFunctionSucceededEventDetails',
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  MapStateStarted: 'mapStateStartedEventDetails',
  MapIterationStarted: 'mapIterationStartedEventDetails',
  MapIterationSucceeded: 'mapIterationSucceededEventDetails',
  MapIterationFailed: 'mapIterationFailedEventDetails',
  MapIterationAborted: 'mapIterationAbortedEventDetails',
  EvaluationFailed: 'evaluationFailedEventDetails',
};

/** Events that belong to a state's entry and exit carry stateEnteredEventDetails / stateExitedEventDetails. */
export function isStateEntered(type: string): boolean {
  return type.endsWith('StateEntered');
}
export function isStateExited(type: string): boolean {
  return type.endsWith('StateExited');
}
