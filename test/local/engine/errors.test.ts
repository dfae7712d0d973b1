import { errorMatches } from '../../../local/engine';
import { harness, machine, NamedError, output, types } from './helpers';

const task = (fn: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Arguments: { FunctionName: fn, Payload: '{% $states.input %}' },
  Output: '{% $states.result.Payload %}',
  ...extra,
});

/** A handler that throws `name` for its first `failures` calls, then returns the attempt number. */
function flaky(name: string, failures: number) {
  let calls = 0;
  const handler = async () => {
    calls++;
    if (calls <= failures) throw new NamedError(name, `attempt ${calls} failed`);
    return { attempts: calls };
  };
  return { handler, calls: () => calls };
}

describe('Retry', () => {
  it('retries with IntervalSeconds × BackoffRate^n capped by MaxDelaySeconds, then succeeds', async () => {
    // Prepare
    const fn = flaky('Throttled', 4);
    const { run } = harness({ fn: fn.handler });
    const definition = machine({
      Call: task('fn', { Retry: [{ ErrorEquals: ['Throttled'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 5, MaxDelaySeconds: 30 }], End: true }),
    });

    // Act
    const record = await run(definition);

    // Assess
    expect(output(record)).toEqual({ attempts: 5 });
    const scheduled = record.events.filter((e) => e.type === 'TaskScheduled').map((e) => (e.timestamp - record.startDate) / 1000);
    expect(scheduled).toEqual([0, 2, 2 + 6, 2 + 6 + 18, 2 + 6 + 18 + 30]);
  });

  it('the documentation’s retrier (States.Timeout, 3 s, 2 attempts, ×1.5) retries after 3 s and then 4.5 s', async () => {
    const { run } = harness({ noop: async () => ({}) });
    const record = await run(
      machine({
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Arguments: { FunctionName: 'noop', Payload: { token: '{% $states.context.Task.Token %}' } },
          TimeoutSeconds: 1,
          Retry: [{ ErrorEquals: ['States.Timeout'], IntervalSeconds: 3, MaxAttempts: 2, BackoffRate: 1.5 }],
          End: true,
        },
      }),
    );
    const at = (type: string) => record.events.filter((e) => e.type === type).map((e) => (e.timestamp - record.startDate) / 1000);
    expect(at('TaskScheduled')).toEqual([0, 4, 9.5]);
    expect(at('TaskTimedOut')).toEqual([1, 5, 10.5]);
    expect(record.error).toBe('States.Timeout');
  });

  it('MaxAttempts 0 never retries; the first matching retrier is the one used', async () => {
    const fn = flaky('Boom', 1);
    const { run } = harness({ fn: fn.handler });
    const record = await run(
      machine({ Call: task('fn', { Retry: [{ ErrorEquals: ['Boom'], MaxAttempts: 0 }, { ErrorEquals: ['States.ALL'], MaxAttempts: 3 }], End: true }) }),
    );
    expect(record.error).toBe('Boom');
    expect(fn.calls()).toBe(1);
  });

  it('uses the defaults (1 s, ×2, 3 attempts) and exposes the RetryCount in the context', async () => {
    const seen: number[] = [];
    const { run } = harness({
      fn: async (event) => {
        seen.push((event as { retry: number }).retry);
        throw new NamedError('Nope');
      },
    });
    const record = await run(
      machine({
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'fn', Payload: { retry: '{% $states.context.State.RetryCount %}' } },
          Retry: [{ ErrorEquals: ['States.ALL'] }],
          End: true,
        },
      }),
    );
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(record.stopDate! - record.startDate).toBe((1 + 2 + 4) * 1000);
  });

  it('FULL jitter draws each delay from the seeded random source, at most the computed delay', async () => {
    const delays = async () => {
      const { run } = harness({ fn: flaky('J', 3).handler });
      const record = await run(machine({ Call: task('fn', { Retry: [{ ErrorEquals: ['J'], IntervalSeconds: 10, JitterStrategy: 'FULL' }], End: true }) }));
      const at = record.events.filter((e) => e.type === 'TaskScheduled').map((e) => e.timestamp);
      return at.slice(1).map((t, i) => t - at[i]);
    };
    const first = await delays();
    const second = await delays();
    expect(first).toEqual(second);
    first.forEach((delay, i) => expect(delay).toBeLessThanOrEqual(10_000 * 2 ** i));
    expect(first.some((delay, i) => delay < 10_000 * 2 ** i)).toBe(true);
  });
});

describe('Catch', () => {
  it('routes to the first matching catcher with its Output and Assign', async () => {
    const { run } = harness({ fn: async () => Promise.reject(new NamedError('ImageNotFound', 'ami-1 is gone')) });
    const record = await run(
      machine({
        Call: task('fn', {
          Catch: [
            { ErrorEquals: ['Other'], Next: 'Wrong' },
            { ErrorEquals: ['States.TaskFailed'], Output: { failed: '{% $states.errorOutput.Error %}', input: '{% $states.input %}' }, Assign: { stage: 'Call' }, Next: 'Cleanup' },
          ],
          End: true,
        }),
        Wrong: { Type: 'Fail', Error: 'Wrong' },
        Cleanup: { Type: 'Pass', Output: { got: '{% $states.input %}', stage: '{% $stage %}' }, End: true },
      }),
      { image: 'ami-1' },
    );
    expect(output(record)).toEqual({ got: { failed: 'ImageNotFound', input: { image: 'ami-1' } }, stage: 'Call' });
  });

  it('a retried-then-caught Task writes the AWS event sequence', async () => {
    const { run } = harness({ fn: async () => Promise.reject(new NamedError('Flaky')) });
    const record = await run(
      machine({
        Call: task('fn', { Retry: [{ ErrorEquals: ['Flaky'], MaxAttempts: 1 }], Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }], End: true }),
        Handled: { Type: 'Pass', End: true },
      }),
    );
    expect(types(record)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(record.events[4].taskFailedEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke', error: 'Flaky' });
  });

  it('Map and Parallel failures are caught by the state’s own Catch', async () => {
    const { run } = harness();
    const record = await run(
      machine({
        Both: {
          Type: 'Parallel',
          Branches: [machine({ F: { Type: 'Fail', Error: 'Inner', Cause: 'branch' } })],
          Catch: [{ ErrorEquals: ['Inner'], Next: 'Done' }],
          End: true,
        },
        Done: { Type: 'Succeed' },
      }),
    );
    expect(output(record)).toEqual({ Error: 'Inner', Cause: 'branch' });
  });
});

describe('timeouts and predefined errors', () => {
  it('a Task longer than TimeoutSeconds fails with States.Timeout (TaskTimedOut), which States.TaskFailed does not match', async () => {
    const { run } = harness({ noop: async () => ({}) });
    const record = await run(
      machine({
        Wait: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Arguments: { FunctionName: 'noop', Payload: { token: '{% $states.context.Task.Token %}' } },
          TimeoutSeconds: 300,
          Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Wrong' }],
          End: true,
        },
        Wrong: { Type: 'Succeed' },
      }),
    );
    expect(record.error).toBe('States.Timeout');
    expect(types(record)).toContain('TaskTimedOut');
    expect(record.stopDate! - record.startDate).toBe(300_000);
  });

  it('the execution TimeoutSeconds ends it TIMED_OUT with ExecutionTimedOut (error only in the event, as AWS records it)', async () => {
    const { run } = harness();
    const record = await run(machine({ Long: { Type: 'Wait', Seconds: 7200, End: true } }, { TimeoutSeconds: 60 }));
    expect([record.status, record.error, record.cause]).toEqual(['TIMED_OUT', undefined, undefined]);
    expect(types(record)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionTimedOut']);
    expect(record.events[2]).toMatchObject({ previousEventId: 0, executionTimedOutEventDetails: { error: 'States.Timeout' } });
    expect(record.stopDate! - record.startDate).toBe(60_000);
  });

  it('States.ALL matches everything except States.Runtime and States.DataLimitExceeded', () => {
    expect(errorMatches(['States.ALL'], 'ScanGateFailed')).toBe(true);
    expect(errorMatches(['States.ALL'], 'States.Timeout')).toBe(true);
    expect(errorMatches(['States.ALL'], 'States.Runtime')).toBe(false);
    expect(errorMatches(['States.TaskFailed'], 'States.Timeout')).toBe(false);
    expect(errorMatches(['States.TaskFailed'], 'Lambda.ServiceException')).toBe(true);
    expect(errorMatches(['States.Runtime'], 'States.Runtime')).toBe(true);
  });

  it('a missing Lambda function is Lambda.ResourceNotFoundException', async () => {
    const { run } = harness();
    const record = await run(machine({ Call: task('does-not-exist', { End: true }) }));
    expect(record.error).toBe('Lambda.ResourceNotFoundException');
  });
});
