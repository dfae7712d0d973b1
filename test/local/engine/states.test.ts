import { harness, machine, output, types } from './helpers';

describe('Pass, Succeed, Fail', () => {
  it('Pass passes its input through by default and Output replaces it', async () => {
    // Prepare
    const { run } = harness();
    const definition = machine({
      Keep: { Type: 'Pass', Next: 'Shape' },
      Shape: { Type: 'Pass', Output: { greeting: "{% 'Hello ' & $states.input.name %}", static: 'unchanged $x' }, End: true },
    });

    // Act
    const record = await run(definition, { name: 'World' });

    // Assess
    expect(record.status).toBe('SUCCEEDED');
    expect(output(record)).toEqual({ greeting: 'Hello World', static: 'unchanged $x' });
  });

  it('Succeed ends the execution with its Output', async () => {
    const { run } = harness();
    const record = await run(machine({ Done: { Type: 'Succeed', Output: '{% $states.input.a * 2 %}' } }), { a: 21 });
    expect(output(record)).toBe(42);
    expect(types(record)).toEqual(['ExecutionStarted', 'SucceedStateEntered', 'SucceedStateExited', 'ExecutionSucceeded']);
  });

  it('Fail fails the execution with static or JSONata Error and Cause', async () => {
    const { run } = harness();
    const staticFail = await run(machine({ Stop: { Type: 'Fail', Error: 'ImageRejected', Cause: 'rejected by approver' } }));
    const dynamicFail = await run(
      machine({ Stop: { Type: 'Fail', Error: "{% $states.input.stage & 'Failed' %}", Cause: "{% 'at ' & $states.input.stage %}" } }),
      { stage: 'Bake' },
    );
    expect([staticFail.status, staticFail.error, staticFail.cause]).toEqual(['FAILED', 'ImageRejected', 'rejected by approver']);
    expect([dynamicFail.error, dynamicFail.cause]).toEqual(['BakeFailed', 'at Bake']);
    expect(types(dynamicFail)).toEqual(['ExecutionStarted', 'FailStateEntered', 'ExecutionFailed']);
    const bare = await run(machine({ Stop: { Type: 'Fail' } }));
    expect([bare.status, bare.error, bare.cause]).toEqual(['FAILED', undefined, undefined]);
    expect(bare.events[2].executionFailedEventDetails).toEqual({});
  });
});

describe('Choice', () => {
  const definition = machine({
    Route: {
      Type: 'Choice',
      Choices: [
        { Condition: '{% $states.input.severity = "CRITICAL" %}', Next: 'Block', Output: { blocked: true } },
        { Condition: '{% $states.input.count > 3 %}', Next: 'Review', Assign: { reviewed: '{% $states.input.count %}' } },
      ],
      Default: 'Allow',
      Assign: { routed: true },
    },
    Block: { Type: 'Succeed' },
    Review: { Type: 'Pass', Output: { reviewed: '{% $reviewed %}', routed: '{% $routed %}' }, End: true },
    Allow: { Type: 'Succeed', Output: "{% 'allowed ' & $string($routed) %}" },
  });

  it('takes the first rule whose Condition is true, with that rule’s Output and Assign plus the state’s Assign', async () => {
    const { run } = harness();
    expect(output(await run(definition, { severity: 'CRITICAL', count: 9 }))).toEqual({ blocked: true });
    expect(output(await run(definition, { severity: 'LOW', count: 9 }))).toEqual({ reviewed: 9, routed: true });
    expect(output(await run(definition, { severity: 'LOW', count: 1 }))).toBe('allowed true');
  });

  it('fails with States.NoChoiceMatched when nothing matches and there is no Default', async () => {
    const { run } = harness();
    const record = await run(machine({ Route: { Type: 'Choice', Choices: [{ Condition: '{% false %}', Next: 'X' }] }, X: { Type: 'Succeed' } }));
    expect(record.error).toBe('States.NoChoiceMatched');
  });

  it('a Condition that is not a boolean is a States.QueryEvaluationError', async () => {
    const { run } = harness();
    const record = await run(machine({ Route: { Type: 'Choice', Choices: [{ Condition: '{% $states.input.n %}', Next: 'X' }] }, X: { Type: 'Succeed' } }), { n: 1 });
    expect(record.error).toBe('States.QueryEvaluationError');
    expect(types(record)).toContain('EvaluationFailed');
  });
});

describe('Wait', () => {
  it('waits Seconds (static and JSONata) and until a Timestamp on the virtual clock', async () => {
    // Prepare
    const { run, clock } = harness();
    const start = clock.now();
    const definition = machine({
      Static: { Type: 'Wait', Seconds: 600, Next: 'Dynamic' },
      Dynamic: { Type: 'Wait', Seconds: '{% $states.input.delay %}', Next: 'Until' },
      Until: { Type: 'Wait', Timestamp: '{% $states.input.until %}', Output: '{% $states.context.State.EnteredTime %}', End: true },
    });

    // Act
    const record = await run(definition, { delay: 30, until: '2026-01-02T00:00:00Z' });

    // Assess
    expect(record.status).toBe('SUCCEEDED');
    expect(output(record)).toBe('2026-01-01T00:10:30.000Z');
    expect(record.stopDate! - start).toBe(24 * 3600 * 1000);
    const waitExits = record.events.filter((e) => e.type === 'WaitStateExited').map((e) => e.timestamp - start);
    expect(waitExits).toEqual([600_000, 630_000, 86_400_000]);
  });

  it('a Timestamp in the past does not wait; a malformed one is a States.QueryEvaluationError', async () => {
    const { run } = harness();
    const past = await run(machine({ W: { Type: 'Wait', Timestamp: '2020-01-01T00:00:00Z', End: true } }));
    const bad = await run(machine({ W: { Type: 'Wait', Timestamp: '{% "tomorrow" %}', End: true } }));
    expect(past.stopDate).toBe(past.startDate);
    expect(bad.error).toBe('States.QueryEvaluationError');
  });
});

describe('Parallel', () => {
  it('runs every branch on the Arguments and outputs the array of branch outputs', async () => {
    const { run } = harness();
    const definition = machine({
      Both: {
        Type: 'Parallel',
        Arguments: { n: '{% $states.input.n %}' },
        Branches: [
          machine({ Double: { Type: 'Pass', Output: '{% $states.input.n * 2 %}', End: true } }),
          machine({ Wait: { Type: 'Wait', Seconds: 5, Next: 'Square' }, Square: { Type: 'Pass', Output: '{% $states.input.n * $states.input.n %}', End: true } }),
        ],
        Output: { results: '{% $states.result %}' },
        End: true,
      },
    });
    const record = await run(definition, { n: 7 });
    expect(output(record)).toEqual({ results: [14, 49] });
    expect(types(record).filter((t) => t.startsWith('Parallel'))).toEqual([
      'ParallelStateEntered',
      'ParallelStateStarted',
      'ParallelStateSucceeded',
      'ParallelStateExited',
    ]);
  });

  it('fails with the failing branch’s error and stops the other branches', async () => {
    const { run } = harness();
    const definition = machine({
      Both: {
        Type: 'Parallel',
        Branches: [
          machine({ Boom: { Type: 'Fail', Error: 'BranchBroke', Cause: 'first branch' } }),
          machine({ Slow: { Type: 'Wait', Seconds: 3600, Next: 'After' }, After: { Type: 'Pass', End: true } }),
        ],
        End: true,
      },
    });
    const record = await run(definition);
    expect([record.error, record.cause]).toEqual(['BranchBroke', 'first branch']);
    expect(types(record)).not.toContain('WaitStateExited');
    expect(record.stopDate).toBe(record.startDate);
  });
});

describe('Map', () => {
  it('iterates Items with ItemSelector, Map.Item.Index/Value and outputs the results in order', async () => {
    const { run } = harness();
    const definition = machine({
      Regions: {
        Type: 'Map',
        Items: '{% $states.input.regions %}',
        ItemSelector: { region: '{% $states.context.Map.Item.Value %}', index: '{% $states.context.Map.Item.Index %}', image: '{% $states.input.image %}' },
        MaxConcurrency: 2,
        ItemProcessor: {
          StartAt: 'Copy',
          States: { Copy: { Type: 'Pass', Output: "{% $states.input.image & '@' & $states.input.region & '#' & $states.input.index %}", End: true } },
        },
        End: true,
      },
    });
    const record = await run(definition, { image: 'ami-1', regions: ['eu-west-1', 'us-east-1', 'ap-south-1'] });
    expect(output(record)).toEqual(['ami-1@eu-west-1#0', 'ami-1@us-east-1#1', 'ami-1@ap-south-1#2']);
    expect(record.events.find((e) => e.type === 'MapStateStarted')?.mapStateStartedEventDetails).toEqual({ length: 3 });
  });

  it('honours MaxConcurrency (JSONata form) on the clock', async () => {
    const { run } = harness();
    const definition = machine({
      Each: {
        Type: 'Map',
        MaxConcurrency: '{% $states.input.width %}',
        Items: '{% $states.input.items %}',
        ItemProcessor: { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 10, End: true } } },
        End: true,
      },
    });
    const record = await run(definition, { width: 2, items: [1, 2, 3, 4, 5] });
    expect(record.stopDate! - record.startDate).toBe(30_000);
  });

  it('fails on the first failed item unless failures are tolerated', async () => {
    const { run } = harness();
    const map = (extra: Record<string, unknown>) =>
      machine({
        Each: {
          Type: 'Map',
          ...extra,
          ItemProcessor: {
            StartAt: 'Check',
            States: {
              Check: { Type: 'Choice', Choices: [{ Condition: '{% $states.input < 0 %}', Next: 'Bad' }], Default: 'Good' },
              Bad: { Type: 'Fail', Error: 'Negative', Cause: 'negative item' },
              Good: { Type: 'Succeed' },
            },
          },
          End: true,
        },
      });
    const strict = await run(map({}), [1, -1, 2, 3]);
    const tolerant = await run(map({ ToleratedFailureCount: 1 }), [1, -1, 2, 3]);
    const exceeded = await run(map({ ToleratedFailurePercentage: 20 }), [1, -1, 2, -3]);
    expect([strict.status, strict.error]).toEqual(['FAILED', 'Negative']);
    expect(output(tolerant)).toEqual([1, { Error: 'Negative', Cause: 'negative item' }, 2, 3]);
    expect(exceeded.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(types(strict)).toContain('MapIterationFailed');
    expect(types(strict)).toContain('MapStateFailed');
  });

  it('Items that are not an array are a States.QueryEvaluationError', async () => {
    const { run } = harness();
    const record = await run(
      machine({ Each: { Type: 'Map', Items: '{% $states.input.x %}', ItemProcessor: machine({ P: { Type: 'Pass', End: true } }), End: true } }),
      { x: 'nope' },
    );
    expect(record.error).toBe('States.QueryEvaluationError');
  });
});
