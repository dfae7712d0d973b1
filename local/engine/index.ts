/** The local Step Functions engine: an ASL + JSONata interpreter with AWS-shaped history. */
export type * from './asl';
export { jsonataExpression } from './asl';
export { Engine, Execution, errorMatches, type EngineOptions, type StartParams } from './engine';
export { ExecutionInterrupted, InvalidDefinition, StatesError, StatesErrors } from './errors';
export { toHistoryEvent, type EngineEvent, type ExecutionRecord } from './history';
export { LambdaRegistry, type HandlerLoader, type LambdaHandler } from './lambdas';
export { QueryEvaluator } from './query';
export { seededRandom } from './random';
export { createSdkInvoker, sdkErrorName, servicePascalName, type ClientConfigProvider, type SdkCall, type SdkInvoker } from './sdk';
export { InvalidOutput, InvalidToken, TaskDoesNotExist, TaskTimedOut, TaskTokens } from './tokens';
export { parseResource, validateDefinition } from './validate';
