import { VirtualClock } from '../../../local/clock';
import { Engine, type EngineOptions, type ExecutionRecord, type Json, type LambdaHandler } from '../../../local/engine';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/local-sfn`;
export const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

export interface Harness {
  clock: VirtualClock;
  engine: Engine;
  run(definition: unknown, input?: Json, name?: string): Promise<ExecutionRecord>;
}

/** An engine on a virtual clock with the given Lambda handlers registered by function name. */
export function harness(handlers: Record<string, LambdaHandler> = {}, options: Partial<EngineOptions> = {}): Harness {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const engine = new Engine({ clock, seed: 42, ...options });
  for (const [name, handler] of Object.entries(handlers)) engine.lambdas.registerHandler(fnArn(name), handler);
  let count = 0;
  return {
    clock,
    engine,
    run: async (definition, input = {}, name = `run-${++count}`) => {
      const execution = engine.start({
        executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:test:${name}`,
        stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:test`,
        name,
        definition: engine.validate(definition),
        input,
        roleArn: ROLE,
      });
      return execution.done;
    },
  };
}

/** A one-machine JSONata definition. */
export function machine(States: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { QueryLanguage: 'JSONata', StartAt: Object.keys(States)[0], States, ...extra };
}

export const output = (record: ExecutionRecord): unknown => (record.output === undefined ? undefined : JSON.parse(record.output));
export const types = (record: ExecutionRecord): string[] => record.events.map((e) => e.type);

/** Named error as our handlers throw them. */
export class NamedError extends Error {
  constructor(name: string, message = name) {
    super(message);
    this.name = name;
  }
}
