import { harness, machine, output, types } from './helpers';

describe('JSONata fields', () => {
  it('evaluates only whole-string {% %} templates, anywhere inside objects and arrays', async () => {
    const { run } = harness();
    const record = await run(
      machine({
        Shape: {
          Type: 'Pass',
          Output: {
            nested: { list: ['{% $states.input.a %}', 'literal', '{% $states.input.a + 1 %}'] },
            notATemplate: 'prefix {% $states.input.a %}',
            withSpace: ' {% 1 %}',
            number: 3,
          },
          End: true,
        },
      }),
      { a: 1 },
    );
    expect(output(record)).toEqual({
      nested: { list: [1, 'literal', 2] },
      notATemplate: 'prefix {% $states.input.a %}',
      withSpace: ' {% 1 %}',
      number: 3,
    });
  });

  it('exposes $states.context: Execution, State and StateMachine', async () => {
    const { run } = harness();
    const record = await run(machine({ Ctx: { Type: 'Pass', Output: '{% $states.context %}', End: true } }), { k: 'v' }, 'ctx-run');
    expect(output(record)).toEqual({
      Execution: {
        Id: 'arn:aws:states:eu-west-1:123456789012:execution:test:ctx-run',
        Input: { k: 'v' },
        Name: 'ctx-run',
        RoleArn: 'arn:aws:iam::123456789012:role/local-sfn',
        StartTime: '2026-01-01T00:00:00.000Z',
        RedriveCount: 0,
      },
      State: { EnteredTime: '2026-01-01T00:00:00.000Z', Name: 'Ctx', RetryCount: 0 },
      StateMachine: { Id: 'arn:aws:states:eu-west-1:123456789012:stateMachine:test', Name: 'test' },
    });
  });

  it('an undefined result, a type error or top-level $ is States.QueryEvaluationError naming state and field', async () => {
    const { run } = harness();
    const missing = await run(machine({ P: { Type: 'Pass', Output: { a: '{% $states.input.missing %}' }, End: true } }), {});
    const typeError = await run(machine({ P: { Type: 'Pass', Output: '{% $states.input.s + 1 %}', End: true } }), { s: 'text' });
    const topLevel = await run(machine({ P: { Type: 'Pass', Output: '{% s %}', End: true } }), { s: 'x' });
    for (const record of [missing, typeError, topLevel]) expect(record.error).toBe('States.QueryEvaluationError');
    expect(missing.cause).toContain("state 'P'");
    expect(missing.cause).toContain("field 'Output/a'");
    expect(types(missing)).toEqual(['ExecutionStarted', 'PassStateEntered', 'EvaluationFailed', 'ExecutionFailed']);
  });

  it('provides the functions Step Functions adds, with the documentation’s examples', async () => {
    const { run } = harness();
    const record = await run(
      machine({
        Fns: {
          Type: 'Pass',
          Output: {
            partition: '{% $partition([1,2,3,4,5,6,7,8,9], 3) %}',
            range: '{% $range(0, 10, 2) %}',
            hash: "{% $hash('input data', 'SHA-1') %}",
            seeded: '{% $random(256) = $random(256) %}',
            unseeded: '{% $random() >= 0 and $random() < 1 %}',
            uuid: '{% $uuid() %}',
            parsed: '{% $parse($states.input.text) %}',
          },
          End: true,
        },
      }),
      { text: '{"a":[1,{"b":true}]}' },
    );
    const out = output(record) as Record<string, unknown>;
    expect(out).toMatchObject({
      partition: [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      range: [0, 2, 4, 6, 8, 10],
      hash: 'aaff4a450a104cd177d28d18d74485e8cae074b7',
      seeded: true,
      unseeded: true,
      parsed: { a: [1, { b: true }] },
    });
    expect(out.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('$now() and $millis() tell the engine clock’s time (virtual in tests)', async () => {
    const { run } = harness();
    const record = await run(
      machine({
        Later: { Type: 'Wait', Seconds: 90, Next: 'Tell' },
        Tell: { Type: 'Pass', Output: { now: '{% $now() %}', millis: '{% $millis() %}', day: "{% $now('[Y0001]-[M01]-[D01]') %}" }, End: true },
      }),
    );
    expect(output(record)).toEqual({ now: '2026-01-01T00:01:30.000Z', millis: Date.UTC(2026, 0, 1, 0, 1, 30), day: '2026-01-01' });
  });

  it('$eval is not available and a bad $parse argument is a States.QueryEvaluationError', async () => {
    const { run } = harness();
    const evalRecord = await run(machine({ P: { Type: 'Pass', Output: "{% $eval('1+1') %}", End: true } }));
    const parseRecord = await run(machine({ P: { Type: 'Pass', Output: "{% $parse('{not json') %}", End: true } }));
    expect(evalRecord.error).toBe('States.QueryEvaluationError');
    expect(evalRecord.cause).toContain('use $parse');
    expect(parseRecord.error).toBe('States.QueryEvaluationError');
  });
});

describe('variables', () => {
  it('Assign sees the variables as they were on entry: a swap works, and Output reads the old values', async () => {
    const { run } = harness();
    const record = await run(
      machine({
        Init: { Type: 'Pass', Assign: { x: 1, y: 2 }, Next: 'Swap' },
        Swap: { Type: 'Pass', Assign: { x: '{% $y %}', y: '{% $x %}' }, Output: { xDuringSwap: '{% $x %}' }, Next: 'Read' },
        Read: { Type: 'Pass', Output: { x: '{% $x %}', y: '{% $y %}', before: '{% $states.input.xDuringSwap %}' }, End: true },
      }),
    );
    expect(output(record)).toEqual({ x: 2, y: 1, before: 1 });
    const swapExit = record.events.find((e) => e.type === 'PassStateExited' && e.stateExitedEventDetails?.name === 'Swap');
    expect(swapExit?.stateExitedEventDetails?.assignedVariables).toEqual({ x: '2', y: '1' });
  });

  it('Assign and Output of a Task see $states.result; a Catcher sees $states.errorOutput', async () => {
    const { run } = harness({
      ok: async () => ({ imageId: 'ami-123' }),
      broken: async () => {
        throw Object.assign(new Error('scan found 3 critical findings'), { name: 'ScanGateFailed' });
      },
    });
    const record = await run(
      machine({
        Bake: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'ok', Payload: {} },
          Assign: { imageId: '{% $states.result.Payload.imageId %}' },
          Output: '{% $states.result.Payload %}',
          Next: 'Scan',
        },
        Scan: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'broken', Payload: { image: '{% $imageId %}' } },
          Catch: [{ ErrorEquals: ['ScanGateFailed'], Assign: { failedImage: '{% $imageId %}', reason: '{% $states.errorOutput.Error %}' }, Next: 'Report' }],
          End: true,
        },
        Report: { Type: 'Pass', Output: { image: '{% $failedImage %}', reason: '{% $reason %}', input: '{% $states.input %}' }, End: true },
      }),
    );
    const out = output(record) as { image: string; reason: string; input: { Error: string; Cause: string } };
    expect(out.image).toBe('ami-123');
    expect(out.reason).toBe('ScanGateFailed');
    expect(out.input.Error).toBe('ScanGateFailed');
    expect(JSON.parse(out.input.Cause)).toMatchObject({ errorType: 'ScanGateFailed', errorMessage: 'scan found 3 critical findings' });
  });

  it('inner Map/Parallel scopes read outer variables; their own variables do not leak out', async () => {
    const { run } = harness();
    const record = await run(
      machine({
        Init: { Type: 'Pass', Assign: { prefix: 'img' }, Next: 'Each' },
        Each: {
          Type: 'Map',
          Items: '{% [1, 2] %}',
          ItemProcessor: {
            StartAt: 'Name',
            States: {
              Name: { Type: 'Pass', Assign: { inner: "{% $prefix & '-' & $states.input %}" }, Next: 'Use' },
              Use: { Type: 'Pass', Output: '{% $inner %}', End: true },
            },
          },
          Next: 'After',
        },
        After: { Type: 'Pass', Output: { results: '{% $states.input %}', leaked: '{% $exists($inner) %}' }, End: true },
      }),
    );
    expect(output(record)).toEqual({ results: ['img-1', 'img-2'], leaked: false });
  });

  it('assigning an outer variable inside a Map is refused at validation', () => {
    const { engine } = harness();
    const definition = machine({
      Init: { Type: 'Pass', Assign: { total: 0 }, Next: 'Each' },
      Each: { Type: 'Map', ItemProcessor: machine({ Add: { Type: 'Pass', Assign: { total: 1 }, End: true } }), End: true },
    });
    expect(() => engine.validate(definition)).toThrow(/variable "total" is assigned in an outer scope/);
  });
});
