/**
 * Issue 9: error paths exactly as AWS Step Functions writes them — one describe per class of difference, each
 * asserting the full event sequence, the EvaluationFailed `location` and exact `cause`, and the execution's
 * error and cause. The texts come from AWS executions recorded in public issue threads (see
 * docs/local-engine.md, "Where the error texts come from").
 */
import type { Context } from 'aws-lambda';
import type { ExecutionRecord } from '../../../local/engine';
import { fnArn, harness, machine, output, types } from './helpers';

const prefix = (state: string, id = 2) => `An error occurred while executing the state '${state}' (entered at the event id #${id}). `;

function evaluationFailed(record: ExecutionRecord): Record<string, unknown> | undefined {
  return record.events.find((e) => e.type === 'EvaluationFailed')?.evaluationFailedEventDetails as Record<string, unknown> | undefined;
}

const pass = machine({ P: { Type: 'Pass', End: true } });

describe('class 1: a Map whose items are not an array', () => {
  const mapOver = (items: unknown) => machine({ M: { Type: 'Map', Items: items, ItemProcessor: pass, End: true } });

  it.each([
    ['a number', '{% 1 %}', "The JSONata expression '1' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'number' for value: 1"],
    ['a string', "{% 'abc' %}", "The JSONata expression ''abc'' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'string' for value: \"abc\""],
    ['an object', '{% {"a": 1} %}', 'The JSONata expression \'{"a": 1}\' specified for the field \'Items\' returned an unexpected result type. Expected \'array\', but was \'object\' for value: {"a":1}'],
    ['null', '{% null %}', "The JSONata expression 'null' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'null' for value: null"],
    ['a function', '{% $sum %}', "The JSONata expression '$sum' for the field 'Items' returned an unsupported result type."],
    ['a boolean', '{% true %}', "The JSONata expression 'true' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'boolean' for value: true"],
  ])('Items evaluating to %s: EvaluationFailed (location Items), MapStateFailed, ExecutionFailed', async (_label, items, text) => {
    const { run } = harness();
    const record = await run(mapOver(items));
    expect(types(record)).toEqual(['ExecutionStarted', 'MapStateEntered', 'EvaluationFailed', 'MapStateFailed', 'ExecutionFailed']);
    expect(evaluationFailed(record)).toEqual({ state: 'M', location: 'Items', error: 'States.QueryEvaluationError', cause: prefix('M') + text });
    expect(record.error).toBe('States.QueryEvaluationError');
    expect(record.cause).toBe(prefix('M') + text);
  });

  it('without Items, a state input that is not an array: "Map state input must be an array but was: …"', async () => {
    const { run } = harness();
    const record = await run(machine({ M: { Type: 'Map', ItemProcessor: pass, End: true } }), 1 as never);
    expect(types(record)).toEqual(['ExecutionStarted', 'MapStateEntered', 'EvaluationFailed', 'MapStateFailed', 'ExecutionFailed']);
    expect(record.cause).toBe(`${prefix('M')}Map state input must be an array but was: 1`);
    expect(evaluationFailed(record)).toMatchObject({ state: 'M', location: 'Items' });
  });

  it('a MaxConcurrency expression of the wrong type fails the Map the same way', async () => {
    const { run } = harness();
    const record = await run(machine({ M: { Type: 'Map', Items: [1], MaxConcurrency: "{% 'x' %}", ItemProcessor: pass, End: true } }));
    expect(types(record)).toEqual(['ExecutionStarted', 'MapStateEntered', 'EvaluationFailed', 'MapStateFailed', 'ExecutionFailed']);
    expect(record.cause).toBe(
      `${prefix('M')}The JSONata expression ''x'' specified for the field 'MaxConcurrency' returned an unexpected result type. Expected 'integer', but was 'string' for value: "x"`,
    );
  });

  it('Parallel Arguments that fail: EvaluationFailed (location Arguments/…), ParallelStateFailed, ExecutionFailed', async () => {
    const { run } = harness();
    const record = await run(machine({ Par: { Type: 'Parallel', Arguments: { x: '{% $nothing %}' }, Branches: [pass], End: true } }));
    const cause = `${prefix('Par')}The JSONata expression '$nothing' specified for the field 'Arguments/x' returned nothing (undefined).`;
    expect(types(record)).toEqual(['ExecutionStarted', 'ParallelStateEntered', 'EvaluationFailed', 'ParallelStateFailed', 'ExecutionFailed']);
    expect(evaluationFailed(record)).toEqual({ state: 'Par', location: 'Arguments/x', error: 'States.QueryEvaluationError', cause });
    expect(record.cause).toBe(cause);
  });
});

describe('class 2: EvaluationFailed names the field, with / separators', () => {
  it.each([
    ['Output/result', { P: { Type: 'Pass', Output: { result: '{% $missing %}' }, End: true } }, 'P'],
    ['Assign/total', { P: { Type: 'Pass', Assign: { total: '{% $missing %}' }, End: true } }, 'P'],
    ['Arguments/Payload/ids[1]', { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'f', Payload: { ids: ['a', '{% $missing %}'] } }, End: true } }, 'T'],
    ['Choices[0]/Condition', { C: { Type: 'Choice', Choices: [{ Condition: '{% $missing %}', Next: 'E' }], Default: 'E' }, E: { Type: 'Succeed' } }, 'C'],
    ['Choices[0]/Output/v', { C: { Type: 'Choice', Choices: [{ Condition: '{% true %}', Output: { v: '{% $missing %}' }, Next: 'E' }] }, E: { Type: 'Succeed' } }, 'C'],
  ])('%s', async (location, states, state) => {
    const { run } = harness({ f: async () => ({}) });
    const record = await run(machine(states));
    const cause = `${prefix(state)}The JSONata expression '$missing' specified for the field '${location}' returned nothing (undefined).`;
    expect(types(record)).toEqual(['ExecutionStarted', `${(states as Record<string, { Type: string }>)[state].Type}StateEntered`, 'EvaluationFailed', 'ExecutionFailed']);
    expect(evaluationFailed(record)).toEqual({ state, location, error: 'States.QueryEvaluationError', cause });
    expect(record.cause).toBe(cause);
  });

  it('a Catcher’s own Output is located under its index: Catch[1]/Output/why', async () => {
    const { run } = harness({ f: async () => Promise.reject(new Error('no')) });
    const record = await run(
      machine({
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'f' },
          Catch: [
            { ErrorEquals: ['Other'], Next: 'E' },
            { ErrorEquals: ['States.ALL'], Output: { why: '{% $missing %}' }, Next: 'E' },
          ],
          End: true,
        },
        E: { Type: 'Succeed' },
      }),
    );
    expect(evaluationFailed(record)).toMatchObject({ state: 'T', location: 'Catch[1]/Output/why' });
    expect(types(record).slice(-3)).toEqual(['TaskFailed', 'EvaluationFailed', 'ExecutionFailed']);
  });
});

describe('class 3: JSONata error causes as AWS writes them', () => {
  it('the expression is quoted trimmed and a JSONata runtime error reads ". <code>: <message>"', async () => {
    const { run } = harness();
    const record = await run(machine({ P: { Type: 'Pass', Output: { r: '{%   $states.input.n()   %}' }, End: true } }), { n: 1 });
    const cause = `${prefix('P')}The JSONata expression '$states.input.n()' specified for the field 'Output/r' threw an error during evaluation. T1006: Attempted to invoke a non-function`;
    expect(types(record)).toEqual(['ExecutionStarted', 'PassStateEntered', 'EvaluationFailed', 'ExecutionFailed']);
    expect(evaluationFailed(record)).toEqual({ state: 'P', location: 'Output/r', error: 'States.QueryEvaluationError', cause });
    expect(record.error).toBe('States.QueryEvaluationError');
    expect(record.cause).toBe(cause);
  });

  it('a type error carries JSONata’s own code and message (as AWS recorded it: T0412 … "numbers")', async () => {
    const { run } = harness();
    const record = await run(machine({ P: { Type: 'Pass', Output: '{% $sum("a") %}', End: true } }));
    expect(record.cause).toBe(
      `${prefix('P')}The JSONata expression '$sum("a")' specified for the field 'Output' threw an error during evaluation. T0412: Argument 1 of function "sum" must be an array of "numbers"`,
    );
  });
});

describe('class 4: Wait Timestamp must be an ISO-8601 extended offset date-time', () => {
  it.each([
    ['without an offset', '2016-12-05T21:29:29'],
    ['not a timestamp', 'tomorrow'],
    ['out of range', '2016-02-30T00:00:00Z'],
  ])('%s: States.QueryEvaluationError, location Timestamp', async (_label, timestamp) => {
    const { run } = harness();
    const record = await run(machine({ W: { Type: 'Wait', Timestamp: `{% '${timestamp}' %}`, End: true } }));
    const cause = `${prefix('W')}The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: ${timestamp}`;
    expect(types(record)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'EvaluationFailed', 'ExecutionFailed']);
    expect(evaluationFailed(record)).toEqual({ state: 'W', location: 'Timestamp', error: 'States.QueryEvaluationError', cause });
    expect(record.error).toBe('States.QueryEvaluationError');
    expect(record.cause).toBe(cause);
  });

  it('accepts Z, numeric offsets and fractions, and waits until that instant', async () => {
    const { run } = harness();
    const record = await run(
      machine({
        A: { Type: 'Wait', Timestamp: '2026-01-01T01:00:00+01:00', Next: 'B' },
        B: { Type: 'Wait', Timestamp: '2026-01-01T00:00:10.5Z', End: true },
      }),
    );
    expect(record.status).toBe('SUCCEEDED');
    expect(record.stopDate! - record.startDate).toBe(10_500);
  });
});

describe('class 5: AWS’s JSONata functions follow JSONata sequence semantics', () => {
  it('$range and $partition collapse a one-item result to the item and keep arrays with []', async () => {
    const { run } = harness();
    const record = await run(
      machine({
        P: {
          Type: 'Pass',
          Output: {
            one: '{% $range(1, 9, 9) %}',
            kept: '{% $range(1, 9, 9)[] %}',
            many: '{% $range(1, 9, 4) %}',
            chunk: '{% $partition([1, 2], 5) %}',
            chunks: '{% $partition([1, 2, 3], 2) %}',
          },
          End: true,
        },
      }),
    );
    expect(output(record)).toEqual({ one: 1, kept: [1], many: [1, 5, 9], chunk: [1, 2], chunks: [[1, 2], [3]] });
  });

  it('an empty $range is nothing (undefined), which fails the field', async () => {
    const { run } = harness();
    const record = await run(machine({ P: { Type: 'Pass', Output: { r: '{% $range(5, 1, 1) %}' }, End: true } }));
    expect(record.cause).toBe(`${prefix('P')}The JSONata expression '$range(5, 1, 1)' specified for the field 'Output/r' returned nothing (undefined).`);
  });

  it('argument errors are evaluation errors with the function’s message', async () => {
    const { run } = harness();
    const record = await run(machine({ P: { Type: 'Pass', Output: "{% $hash('x', 'CRC32') %}", End: true } }));
    expect(record.error).toBe('States.QueryEvaluationError');
    expect(record.cause).toBe(
      `${prefix('P')}The JSONata expression '$hash('x', 'CRC32')' specified for the field 'Output' threw an error during evaluation: $hash: algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512`,
    );
  });
});

describe('class 6: definitions that mix query languages', () => {
  it('runs language-neutral JSONPath states (Pass, constant Assign, Fail) beside JSONata ones', async () => {
    const { run } = harness();
    const record = await run({
      StartAt: 'Start',
      States: {
        Start: { Type: 'Pass', Assign: { stage: 'bake' }, Next: 'Compute' },
        Compute: { Type: 'Pass', QueryLanguage: 'JSONata', Output: { stage: '{% $stage %}', n: '{% $states.input.n + 1 %}' }, Next: 'Hold' },
        Hold: { Type: 'Wait', Seconds: 5, Next: 'Stop' },
        Stop: { Type: 'Fail', Error: 'Stopped', Cause: 'constant cause' },
      },
    }, { n: 1 });
    expect(types(record)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'PassStateEntered',
      'PassStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    expect(record.events[6].stateExitedEventDetails?.output).toBe(JSON.stringify({ stage: 'bake', n: 2 }));
    expect(record.error).toBe('Stopped');
    expect(record.cause).toBe('constant cause');
  });
});

describe('class 7: a function that runs past its configured timeout', () => {
  it('fails the Task with Sandbox.Timedout and Lambda’s cause; the handler is frozen', async () => {
    // Prepare
    let requestId = '';
    let woke = false;
    const { run, engine, clock } = harness();
    engine.lambdas.registerHandler(
      fnArn('slow'),
      async (_event, context: Context) => {
        requestId = context.awsRequestId;
        await clock.sleep(10_000);
        woke = true;
        return {};
      },
      { timeoutSeconds: 3 },
    );

    // Act
    const record = await run(
      machine({ Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'slow' }, TimeoutSeconds: 60, End: true } }),
    );

    // Assess
    const cause = JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: Task timed out after 3.00 seconds` });
    expect(types(record)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskFailed', 'ExecutionFailed']);
    expect(record.events[4].taskFailedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke', error: 'Sandbox.Timedout', cause });
    expect(record.error).toBe('Sandbox.Timedout');
    expect(record.cause).toBe(cause);
    expect(record.events[4].timestamp - record.startDate).toBe(3000);
    expect(woke).toBe(false);
  });

  it('a bare function ARN writes LambdaFunctionFailed; the default timeout is Lambda’s 3 s', async () => {
    const { run, engine, clock } = harness();
    engine.lambdas.registerHandler(fnArn('slow'), async () => clock.sleep(5000));
    const record = await run(machine({ Call: { Type: 'Task', Resource: fnArn('slow'), End: true } }));
    expect(types(record)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionFailed', 'ExecutionFailed']);
    expect(record.error).toBe('Sandbox.Timedout');
    expect(JSON.parse(record.cause!)).toEqual({ errorType: 'Sandbox.Timedout', errorMessage: expect.stringMatching(/^RequestId: [0-9a-f-]{36} Error: Task timed out after 3\.00 seconds$/) });
  });

  it('a Task timeout shorter than the function’s stays States.Timeout; a handler within its timeout succeeds', async () => {
    const { run, engine, clock } = harness();
    engine.lambdas.registerHandler(fnArn('slow'), async () => (await clock.sleep(20_000), { ok: true }), { timeoutSeconds: 30 });
    const short = await run(machine({ Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'slow' }, TimeoutSeconds: 10, End: true } }));
    const long = await run(
      machine({ Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'slow' }, Output: '{% $states.result.Payload %}', End: true } }),
    );
    expect(short.error).toBe('States.Timeout');
    expect(types(short)).toContain('TaskTimedOut');
    expect(output(long)).toEqual({ ok: true });
    expect(long.stopDate! - long.startDate).toBe(20_000);
  });

  it('Retry matches Sandbox.Timedout by name', async () => {
    let calls = 0;
    const { run, engine, clock } = harness();
    engine.lambdas.registerHandler(fnArn('flaky'), async () => {
      calls++;
      if (calls === 1) await clock.sleep(60_000);
      return { calls };
    });
    const record = await run(
      machine({
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'flaky' },
          Retry: [{ ErrorEquals: ['Sandbox.Timedout'], IntervalSeconds: 1, MaxAttempts: 1 }],
          Output: '{% $states.result.Payload %}',
          End: true,
        },
      }),
    );
    expect(output(record)).toEqual({ calls: 2 });
    expect(record.stopDate! - record.startDate).toBe(3000 + 1000);
  });
});

describe('Task timeouts as AWS records them (LocalStack’s AWS-validated snapshots, test_timeouts)', () => {
  it('TaskTimedOut and ExecutionFailed carry States.Timeout and no cause; the first state follows event 0', async () => {
    const { run, engine, clock } = harness();
    engine.lambdas.registerHandler(fnArn('slow'), async () => clock.sleep(10_000), { timeoutSeconds: 30 });
    const record = await run(machine({ Start: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'slow' }, TimeoutSeconds: 5, End: true } }));
    expect(record.events.map(({ id, previousEventId, type }) => [id, previousEventId, type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'TaskStateEntered'],
      [3, 2, 'TaskScheduled'],
      [4, 3, 'TaskStarted'],
      [5, 4, 'TaskTimedOut'],
      [6, 5, 'ExecutionFailed'],
    ]);
    expect(record.events[4].taskTimedOutEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke', error: 'States.Timeout' });
    expect(record.events[5].executionFailedEventDetails).toEqual({ error: 'States.Timeout' });
    expect([record.error, record.cause]).toEqual(['States.Timeout', undefined]);
  });

  it('a bare function ARN writes LambdaFunctionTimedOut; a Catcher’s errorOutput has no Cause', async () => {
    const { run, engine, clock } = harness();
    engine.lambdas.registerHandler(fnArn('slow'), async () => clock.sleep(10_000), { timeoutSeconds: 30 });
    const record = await run(
      machine({
        Start: { Type: 'Task', Resource: fnArn('slow'), TimeoutSeconds: 5, Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Caught' }], End: true },
        Caught: { Type: 'Pass', End: true },
      }),
    );
    expect(record.events.find((e) => e.type === 'LambdaFunctionTimedOut')?.lambdaFunctionTimedOutEventDetails).toEqual({ error: 'States.Timeout' });
    expect(output(record)).toEqual({ Error: 'States.Timeout' });
  });
});
