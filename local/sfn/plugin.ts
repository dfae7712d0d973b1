/**
 * The client plugin that routes `@aws-sdk/client-sfn` commands to a LocalStepFunctions instance, through the
 * same seam as the simulated cloud (`registerClientPlugin` in tasks/clients.ts). It answers at step
 * `finalizeRequest` after the SDK's retry middleware (priority `high`), so retries behave as on AWS, and
 * throws the SDK's own exception classes, so one CLI works against AWS and local unchanged. It uses
 * priority `normal`, ahead of plugins at `low` such as the simulated cloud's, so SFN commands reach it
 * whichever plugin was registered first. Commands of other clients pass through untouched.
 */
import type { FinalizeHandler, FinalizeHandlerArguments, FinalizeHandlerOutput, HandlerExecutionContext } from '@smithy/types';
import { randomUUID } from 'node:crypto';
import { registerClientPlugin, type ClientPlugin } from '../../tasks/clients';
import type { LocalStepFunctions } from './service';

type Operation = (service: LocalStepFunctions, input: never) => object;

const OPERATIONS: Record<string, Operation> = {
  CreateStateMachineCommand: (s, i) => s.createStateMachine(i),
  DescribeStateMachineCommand: (s, i) => s.describeStateMachine(i),
  ListStateMachinesCommand: (s, i) => s.listStateMachines(i),
  StartExecutionCommand: (s, i) => s.startExecution(i),
  DescribeExecutionCommand: (s, i) => s.describeExecution(i),
  ListExecutionsCommand: (s, i) => s.listExecutions(i),
  GetExecutionHistoryCommand: (s, i) => s.getExecutionHistory(i),
  StopExecutionCommand: (s, i) => s.stopExecution(i),
  RedriveExecutionCommand: (s, i) => s.redriveExecution(i),
  SendTaskSuccessCommand: (s, i) => s.sendTaskSuccess(i),
  SendTaskFailureCommand: (s, i) => s.sendTaskFailure(i),
  SendTaskHeartbeatCommand: (s, i) => s.sendTaskHeartbeat(i),
};

/** Names of the SFN commands the local service answers. */
export const LOCAL_SFN_COMMANDS = Object.keys(OPERATIONS);

/** Thrown for an SFN command the local service does not implement (never silently forwarded to AWS). */
export class UnsupportedLocalOperation extends Error {
  constructor(command: string) {
    super(`${command} is not supported by the local Step Functions service (supported: ${LOCAL_SFN_COMMANDS.join(', ')})`);
    this.name = 'UnsupportedLocalOperation';
  }
}

export function localSfnPlugin(service: LocalStepFunctions, name = 'local-sfn'): ClientPlugin {
  return {
    name,
    pluggable: () => ({
      applyToStack: (stack) =>
        stack.add(
          (next: FinalizeHandler<object, object>, context: HandlerExecutionContext) =>
            async (args: FinalizeHandlerArguments<object>): Promise<FinalizeHandlerOutput<object>> => {
              if (context.clientName !== 'SFNClient') return next(args);
              const commandName = context.commandName ?? '';
              const operation = OPERATIONS[commandName];
              if (!operation) throw new UnsupportedLocalOperation(commandName);
              const output = operation(service, args.input as never);
              return {
                output: { ...output, $metadata: { httpStatusCode: 200, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 } },
                response: {},
              };
            },
          { step: 'finalizeRequest', priority: 'normal', name, tags: [name] },
        ),
    }),
  };
}

/** Register the plugin for every SFN client (built before or after); returns the unregister function. */
export function registerLocalSfn(service: LocalStepFunctions, name = 'local-sfn'): () => void {
  return registerClientPlugin(localSfnPlugin(service, name));
}
