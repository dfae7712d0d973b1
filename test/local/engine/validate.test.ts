import { InvalidDefinition } from '../../../local/engine';
import { harness, machine } from './helpers';

const refusal = (definition: unknown): string => {
  const { engine } = harness();
  try {
    engine.validate(definition);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDefinition);
    return (error as Error).message;
  }
  throw new Error('definition was accepted');
};

describe('unsupported is loud', () => {
  it.each([
    ['JSONPath paths', { StartAt: 'A', States: { A: { Type: 'Pass', InputPath: '$.x', End: true } } }, 'State "A" (Pass): the JSONPath field "InputPath" in a JSONPath state is not supported'],
    ['JSONPath Parameters', { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: {}, End: true } } }, 'the JSONPath field "Parameters" in a JSONPath state'],
    ['States.* intrinsics', { StartAt: 'A', States: { A: { Type: 'Pass', Assign: { 'id.$': 'States.UUID()' }, End: true } } }, 'the path or intrinsic "id.$" in Assign'],
    ['JSONPath Choice rules', { StartAt: 'C', States: { C: { Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'E' }], Default: 'E' }, E: { Type: 'Succeed' } } }, 'State "C" (Choice): Choice rules'],
    ['a JSONPath field in a JSONata state', machine({ A: { Type: 'Pass', InputPath: '$.x', End: true } }), 'State "A" (Pass): the JSONPath field "InputPath" is not supported'],
    [
      'Distributed Map',
      machine({ M: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, ...machine({ P: { Type: 'Pass', End: true } }) }, End: true } }),
      'State "M" (Map): Distributed Map (ProcessorConfig.Mode DISTRIBUTED) is not supported',
    ],
    [
      'ItemReader',
      machine({ M: { Type: 'Map', ItemReader: { Resource: 'arn:aws:states:::s3:getObject' }, ItemProcessor: machine({ P: { Type: 'Pass', End: true } }), End: true } }),
      'State "M" (Map): "ItemReader" (Distributed Map) is not supported',
    ],
    ['Activities', machine({ T: { Type: 'Task', Resource: 'arn:aws:states:eu-west-1:123456789012:activity:approve', End: true } }), 'State "T" (Task): Activities is not supported'],
    ['.sync integrations', machine({ T: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', End: true } }), 'State "T" (Task): .sync integrations'],
    ['aws-sdk .sync', machine({ T: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:ec2:describeImages.sync', End: true } }), 'the "sync" integration pattern'],
    ['optimized integrations', machine({ T: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', End: true } }), 'the service integration arn:aws:states:::sns:publish'],
    ['unknown fields', machine({ A: { Type: 'Pass', Shiny: true, End: true } }), 'State "A" (Pass): field "Shiny" is not supported'],
    ['a constant Timestamp without an offset', machine({ W: { Type: 'Wait', Timestamp: '2016-12-05T21:29:29', End: true } }), "the Timestamp value is not a valid ISO-8601 extended offset date-time format string: '2016-12-05T21:29:29'"],
    ['nested states', machine({ P: { Type: 'Parallel', Branches: [machine({ Inner: { Type: 'Pass', ResultSelector: {}, End: true } })], End: true } }), 'State "P" branch 0 > State "Inner" (Pass): the JSONPath field "ResultSelector"'],
  ])('refuses %s, naming the state and the feature', (_label, definition, message) => {
    expect(refusal(definition)).toContain(message);
  });

  it('reports structural mistakes: missing targets, States.ALL not last, bad JSONata', () => {
    const message = refusal(
      machine({
        A: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'f', Payload: '{% $states.input. %}' },
          Retry: [{ ErrorEquals: ['States.ALL'] }, { ErrorEquals: ['Other'] }],
          Next: 'Nowhere',
        },
      }),
    );
    expect(message).toContain('Next "Nowhere" does not name a state');
    expect(message).toContain('States.ALL must appear alone and in the last element');
    expect(message).toContain('the JSONata expression in Arguments.Payload does not parse');
  });

  it('checks Task timeouts: positive integers (or JSONata), heartbeat below the timeout', () => {
    const task = (extra: object) => machine({ T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', ...extra, End: true } });
    expect(refusal(task({ TimeoutSeconds: 0 }))).toContain('TimeoutSeconds must be a positive integer');
    expect(refusal(task({ TimeoutSeconds: 60, HeartbeatSeconds: 60 }))).toContain('HeartbeatSeconds must be smaller than TimeoutSeconds');
  });

  it('accepts the full supported surface', () => {
    const { engine } = harness();
    const definition = machine(
      {
        P: { Type: 'Pass', Assign: { a: 1 }, Output: '{% $states.input %}', Next: 'W' },
        W: { Type: 'Wait', Seconds: '{% 1 %}', Next: 'C' },
        C: { Type: 'Choice', Choices: [{ Condition: '{% true %}', Next: 'T', Assign: { b: 2 } }], Default: 'F' },
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:ec2:describeImages.waitForTaskToken',
          TimeoutSeconds: 10,
          HeartbeatSeconds: 5,
          Retry: [{ ErrorEquals: ['X'], IntervalSeconds: 1, MaxAttempts: 0, BackoffRate: 1.5, MaxDelaySeconds: 3, JitterStrategy: 'FULL' }],
          Catch: [{ ErrorEquals: ['States.ALL'], Output: {}, Assign: { c: 3 }, Next: 'F' }],
          Next: 'M',
        },
        M: { Type: 'Map', Items: [1], ItemSelector: {}, MaxConcurrency: 1, ToleratedFailureCount: 0, ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...machine({ S: { Type: 'Succeed' } }) }, Next: 'L' },
        L: { Type: 'Parallel', Arguments: {}, Branches: [machine({ S: { Type: 'Succeed' } })], Next: 'F' },
        F: { Type: 'Fail', Error: 'E', Cause: '{% "c" %}' },
      },
      { TimeoutSeconds: 100, Comment: 'all of it' },
    );
    expect(engine.validate(definition)).toBe(definition);
  });
});
