import { InvalidExecutionInput } from '@aws-sdk/client-sfn';
import { VirtualClock } from '../../../local/clock';
import { LocalStepFunctions } from '../../../local/sfn';
import { machine, ROLE } from './helpers';

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

function setup() {
  const sfn = new LocalStepFunctions({ clock: new VirtualClock(Date.UTC(2026, 0, 1)), region: 'eu-west-1' });
  const stateMachineArn = sfn.createStateMachine({
    name: 'echo',
    definition: JSON.stringify(machine({ Echo: { Type: 'Pass', Output: { depth: '{% $count($keys($states.input)) %}', input: '{% $states.input %}' }, End: true } })),
    roleArn: ROLE,
  }).stateMachineArn!;
  const start = (input: unknown, name?: string) => {
    try {
      return sfn.startExecution({ stateMachineArn, input: input as string, name });
    } catch (error) {
      return error;
    }
  };
  return { sfn, start };
}

describe('StartExecution input', () => {
  it.each([
    ['not JSON', '{not json', /^Invalid State Machine Execution Input: '.*JSON/],
    ['over 256 KiB', JSON.stringify({ blob: 'x'.repeat(262_144) }), /'the input is 262155 bytes; the maximum is 262144 bytes'/],
    ['5,000 nested objects', nested(5000), /'the input nests 5000 levels deep; the maximum is 1000'/],
    ['100,000 nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, /nests 100000 levels deep/],
    ['not a string', { a: 1 }, /the input must be a string of JSON text/],
  ])('%s: InvalidExecutionInput, never a raw error', (_label, input, message) => {
    const { start } = setup();
    const answer = start(input);
    expect(answer).toBeInstanceOf(InvalidExecutionInput);
    expect((answer as Error).message).toMatch(message);
  });

  it('accepts 1,000 levels and exactly 256 KiB; a state output growing past 256 KiB is States.DataLimitExceeded', async () => {
    const { sfn, start } = setup();
    const deep = start(nested(1000), 'deep') as { executionArn: string };
    const big = start(JSON.stringify({ b: 'x'.repeat(262_144 - 8) }), 'big') as { executionArn: string };
    expect((await sfn.waitForExecution(deep.executionArn)).status).toBe('SUCCEEDED');
    expect(await sfn.waitForExecution(big.executionArn)).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
  });

  it('keeps a "__proto__" key as data, as JSON does', async () => {
    const { sfn, start } = setup();
    const { executionArn } = start('{"__proto__":{"reason":"x"}}') as { executionArn: string };
    const described = await sfn.waitForExecution(executionArn);
    expect(described.status).toBe('SUCCEEDED');
    expect(described.input).toBe('{"__proto__":{"reason":"x"}}');
    expect(JSON.parse(described.output!)).toEqual(JSON.parse('{"depth":1,"input":{"__proto__":{"reason":"x"}}}'));
  });

  it('data nested too deeply inside a run fails the execution with States.Runtime instead of crashing', async () => {
    const sfn = new LocalStepFunctions({ clock: new VirtualClock(), region: 'eu-west-1' });
    const stateMachineArn = sfn.createStateMachine({
      name: 'deepen',
      definition: JSON.stringify(machine({ Deepen: { Type: 'Pass', Output: '{% $reduce([1..20000], function($acc, $v) { {"a": $acc} }, 0) %}', End: true } })),
      roleArn: ROLE,
    }).stateMachineArn!;
    const { executionArn } = sfn.startExecution({ stateMachineArn });
    const described = await sfn.waitForExecution(executionArn!);
    expect(described).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: "The execution's data is nested too deeply to be processed (Maximum call stack size exceeded).",
    });
  });
});
