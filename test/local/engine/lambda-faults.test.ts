import type { Context } from 'aws-lambda';
import { LambdaRegistry, type ExecutionRecord, type LambdaFaultPlan } from '../../../local/engine';
import { fnArn, harness, machine, output, types } from './helpers';

/** A function `bake` (label `bakeImage`) that counts its runs and records each request id. */
function setup(timeoutSeconds = 30) {
  const h = harness();
  const runs: string[] = [];
  h.engine.lambdas.registerHandler(
    fnArn('bake'),
    async (event, context: Context) => {
      runs.push(context.awsRequestId);
      return { run: runs.length, event };
    },
    { label: 'bakeImage', timeoutSeconds },
  );
  const call = (extra: Record<string, unknown> = {}) =>
    machine({
      Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'bake', Payload: { n: 1 } }, Output: '{% $states.result.Payload %}', End: true, ...extra },
    });
  return { ...h, runs, call };
}

const failedDetails = (record: ExecutionRecord) => record.events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails;

describe('Lambda fault injection', () => {
  it('crash-before: the handler never runs; Runtime.ExitError with Lambda’s message', async () => {
    const { run, engine, runs, call } = setup();
    engine.lambdas.setFaultPlan({ rules: [{ function: 'bake', kind: 'crash-before' }] });
    const record = await run(call());
    const [fault] = engine.lambdas.injectedFaults;
    const cause = JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${fault.requestId} Error: Runtime exited with error: exit status 1` });
    expect(runs).toEqual([]);
    expect(types(record)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskFailed', 'ExecutionFailed']);
    expect(failedDetails(record)).toEqual({ resourceType: 'lambda', resource: 'invoke', error: 'Runtime.ExitError', cause });
    expect(record.error).toBe('Runtime.ExitError');
    expect(engine.lambdas.injectedFaults).toEqual([{ function: 'bake', label: 'bakeImage', kind: 'crash-before', invocation: 1, requestId: fault.requestId }]);
  });

  it('crash-after: the handler ran (its side effects happened) but its result is lost', async () => {
    const { run, engine, runs, call } = setup();
    engine.lambdas.setFaultPlan({ rules: [{ function: 'bakeImage', kind: 'crash-after' }] });
    const record = await run(call());
    expect(runs).toHaveLength(1);
    expect(runs[0]).toBe(engine.lambdas.injectedFaults[0].requestId);
    expect(record.error).toBe('Runtime.ExitError');
    expect(JSON.parse(record.cause!)).toEqual({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${runs[0]} Error: Runtime exited with error: exit status 1` });
  });

  it('timeout-after: the handler ran, the clock is charged the whole timeout, then Sandbox.Timedout', async () => {
    const { run, engine, runs, call } = setup(45);
    engine.lambdas.setFaultPlan({ rules: [{ function: 'bake', kind: 'timeout-after' }] });
    const record = await run(call());
    expect(runs).toHaveLength(1);
    expect(record.error).toBe('Sandbox.Timedout');
    expect(record.cause).toBe(JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${runs[0]} Error: Task timed out after 45.00 seconds` }));
    expect(record.events.find((e) => e.type === 'TaskFailed')!.timestamp - record.startDate).toBe(45_000);
  });

  it('error: the service refuses the invocation before the handler runs, in Step Functions’ service-error shape', async () => {
    const { run, engine, runs, call } = setup();
    engine.lambdas.setFaultPlan({
      rules: [
        { function: 'bake', kind: 'error', error: 'Lambda.TooManyRequestsException', count: 1 },
        { function: 'bake', kind: 'error', from: 2, count: 1 },
      ],
    });
    const throttled = await run(call());
    const failed = await run(call());
    const [first, second] = engine.lambdas.injectedFaults;
    expect(runs).toEqual([]);
    expect(throttled.error).toBe('Lambda.TooManyRequestsException');
    expect(throttled.cause).toBe(
      `Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; Request ID: ${first.requestId}; Proxy: null)`,
    );
    expect(failed.error).toBe('Lambda.ServiceException');
    expect(failed.cause).toBe(
      `Lambda encountered an internal error. (Service: AWSLambda; Status Code: 500; Error Code: ServiceException; Request ID: ${second.requestId}; Proxy: null)`,
    );
  });

  it('error faults are retried like the real service errors (the recommended Lambda retrier)', async () => {
    const { run, engine, runs, call } = setup();
    engine.lambdas.setFaultPlan({ rules: [{ function: 'bake', kind: 'error', count: 2 }] });
    const record = await run(call({ Retry: [{ ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 }] }));
    expect(output(record)).toMatchObject({ run: 1 });
    expect(runs).toHaveLength(1);
    expect(types(record).filter((t) => t === 'TaskFailed')).toHaveLength(2);
  });

  it('double-invoke: the handler runs twice with the same event and request id; the first result is returned', async () => {
    const { run, engine, runs, call } = setup();
    engine.lambdas.setFaultPlan({ rules: [{ function: 'bake', kind: 'double-invoke' }] });
    const record = await run(call());
    expect(runs).toHaveLength(2);
    expect(runs[0]).toBe(runs[1]);
    expect(output(record)).toEqual({ run: 1, event: { n: 1 } });
  });

  it('from/count select a window of matching invocations', async () => {
    const registry = new LambdaRegistry();
    const { clock } = harness();
    registry.registerHandler(fnArn('f'), async () => 'ok', { label: 'task' });
    registry.registerHandler(fnArn('other'), async () => 'ok');
    registry.setFaultPlan({ rules: [{ function: 'task', kind: 'crash-before', from: 2, count: 2 }] });
    const outcomes: string[] = [];
    for (let i = 1; i <= 5; i++) {
      await registry.invoke('other', {}, { clock, requestId: `o-${i}` });
      outcomes.push(await registry.invoke('f', {}, { clock, requestId: `r-${i}` }).then(() => 'ok', (e: { error: string }) => e.error));
    }
    expect(outcomes).toEqual(['ok', 'Runtime.ExitError', 'Runtime.ExitError', 'ok', 'ok']);
    expect(registry.injectedFaults.map((f) => f.invocation)).toEqual([2, 3]);
  });

  it('probability draws from the plan’s seed: the same seed gives the same faults, another seed others', async () => {
    const faultedWith = async (plan: LambdaFaultPlan) => {
      const registry = new LambdaRegistry();
      const { clock } = harness();
      registry.registerHandler(fnArn('f'), async () => 'ok');
      registry.setFaultPlan(plan);
      for (let i = 1; i <= 40; i++) await registry.invoke('f', {}, { clock, requestId: `r-${i}` }).catch(() => undefined);
      return registry.injectedFaults.map((f) => f.invocation);
    };
    const rules = [{ function: 'f', kind: 'crash-before' as const, probability: 0.3 }];
    const first = await faultedWith({ seed: 'matrix-1', rules });
    const again = await faultedWith({ seed: 'matrix-1', rules });
    const other = await faultedWith({ seed: 'matrix-2', rules });
    expect(first).toEqual(again);
    expect(first).not.toEqual(other);
    expect(first.length).toBeGreaterThan(4);
    expect(first.length).toBeLessThan(20);
  });

  it('refuses a malformed rule; setFaultPlan(undefined) turns faults off', async () => {
    const { engine, run, call, runs } = setup();
    expect(() => engine.lambdas.setFaultPlan({ rules: [{ function: 'bake', kind: 'explode' as never }] })).toThrow(/unknown Lambda fault kind/);
    expect(() => engine.lambdas.setFaultPlan({ rules: [{ function: 'bake', kind: 'error', probability: 2 }] })).toThrow(/probability/);
    engine.lambdas.setFaultPlan({ rules: [{ function: 'bake', kind: 'crash-before' }] });
    engine.lambdas.setFaultPlan(undefined);
    expect((await run(call())).status).toBe('SUCCEEDED');
    expect(runs).toHaveLength(1);
  });
});
