/** The local Step Functions engine: an ASL + JSONata interpreter with AWS-shaped history. */
export type * from './asl';
export { jsonataExpression } from './asl';
export { Engine, Execution, errorMatches, type EngineOptions, type StartParams, type StatusListener } from './engine';
export { parseOffsetDateTime } from './timestamps';
export { ExecutionInterrupted, InvalidDefinition, StatesError, StatesErrors } from './errors';
export { toHistoryEvent, type EngineEvent, type ExecutionRecord } from './history';
export { DEFAULT_LAMBDA_TIMEOUT_SECONDS, LambdaRegistry, MODELED_INVOCATION_MS, runtimeExit, timedOut, type HandlerLoader, type LambdaHandler, type RegisterOptions } from './lambdas';
export { lambdaServiceError, type InjectedLambdaFault, type LambdaFaultKind, type LambdaFaultPlan, type LambdaFaultRule } from './lambda-faults';
export { QueryEvaluator } from './query';
export { seededRandom } from './random';
export { createSdkInvoker, sdkErrorName, servicePascalName, type ClientConfigProvider, type SdkCall, type SdkInvoker } from './sdk';
export { InvalidOutput, InvalidToken, TaskDoesNotExist, TaskTimedOut, TaskTokens } from './tokens';
export { parseResource, validateDefinition } from './validate';
