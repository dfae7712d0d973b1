import { harness, machine, types } from './helpers';

describe('execution history', () => {
  it('a Pass state: entered/exited with input, output and assigned variables, ids chained', async () => {
    const { run } = harness();
    const record = await run(machine({ Hello: { Type: 'Pass', Assign: { greeted: true }, Output: { msg: 'hi' }, End: true } }), { who: 'me' });
    expect(record.events).toEqual([
      {
        id: 1,
        previousEventId: 0,
        timestamp: record.startDate,
        type: 'ExecutionStarted',
        executionStartedEventDetails: { input: '{"who":"me"}', inputDetails: { truncated: false }, roleArn: 'arn:aws:iam::123456789012:role/local-sfn' },
      },
      {
        id: 2,
        previousEventId: 0,
        timestamp: record.startDate,
        type: 'PassStateEntered',
        stateEnteredEventDetails: { name: 'Hello', input: '{"who":"me"}', inputDetails: { truncated: false } },
      },
      {
        id: 3,
        previousEventId: 2,
        timestamp: record.startDate,
        type: 'PassStateExited',
        stateExitedEventDetails: {
          name: 'Hello',
          output: '{"msg":"hi"}',
          outputDetails: { truncated: false },
          assignedVariables: { greeted: 'true' },
          assignedVariablesDetails: { truncated: false },
        },
      },
      {
        id: 4,
        previousEventId: 3,
        timestamp: record.startDate,
        type: 'ExecutionSucceeded',
        executionSucceededEventDetails: { output: '{"msg":"hi"}', outputDetails: { truncated: false } },
      },
    ]);
  });

  it('a Map: MapStateStarted, one MapIteration* pair per item around its states, MapStateSucceeded', async () => {
    const { run } = harness();
    const record = await run(
      machine({ Each: { Type: 'Map', MaxConcurrency: 1, ItemProcessor: machine({ P: { Type: 'Pass', End: true } }), End: true } }),
      ['a', 'b'],
    );
    expect(types(record)).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'PassStateEntered',
      'PassStateExited',
      'MapIterationSucceeded',
      'MapIterationStarted',
      'PassStateEntered',
      'PassStateExited',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ]);
    expect(record.events.filter((e) => e.type === 'MapIterationStarted').map((e) => e.mapIterationStartedEventDetails)).toEqual([
      { name: 'Each', index: 0 },
      { name: 'Each', index: 1 },
    ]);
    const ids = record.events.map((e) => e.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    expect(record.events.every((e) => e.previousEventId < e.id)).toBe(true);
  });

  it('a Parallel: ParallelStateStarted, the branches’ states, ParallelStateSucceeded', async () => {
    const { run } = harness();
    const record = await run(
      machine({
        Both: {
          Type: 'Parallel',
          Branches: [machine({ A: { Type: 'Pass', End: true } }), machine({ B: { Type: 'Wait', Seconds: 1, End: true } })],
          End: true,
        },
      }),
    );
    expect(types(record)).toEqual([
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'PassStateEntered',
      'PassStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'ParallelStateSucceeded',
      'ParallelStateExited',
      'ExecutionSucceeded',
    ]);
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });

  it('an execution that reaches 25,000 history events fails with States.Runtime, as on AWS', async () => {
    const { run } = harness();
    const record = await run(
      machine({
        Spin: { Type: 'Pass', Assign: { n: '{% ($exists($n) ? $n : 0) + 1 %}' }, Next: 'Pause' },
        Pause: { Type: 'Wait', Seconds: 1, Next: 'Spin' },
      }),
    );
    expect([record.status, record.error]).toEqual(['FAILED', 'States.Runtime']);
    expect(record.events).toHaveLength(25_000);
    expect(record.events[24_999].type).toBe('ExecutionFailed');
  });
});
