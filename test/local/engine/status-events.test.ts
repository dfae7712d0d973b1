import { VirtualClock } from '../../../local/clock';
import { LocalStepFunctions, type ExecutionStatusChangeEvent } from '../../../local/sfn';
import { fnArn, machine, ROLE } from './helpers';

function service() {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const sfn = new LocalStepFunctions({ clock, region: 'eu-west-1', account: '123456789012', seed: 5 });
  const events: ExecutionStatusChangeEvent[] = [];
  const stop = sfn.onStatusChange((event) => events.push(event));
  const create = (definition: unknown, name = 'sm') =>
    sfn.createStateMachine({ name, definition: JSON.stringify(definition), roleArn: ROLE }).stateMachineArn!;
  return { clock, sfn, events, stop, create };
}

describe('Step Functions Execution Status Change events', () => {
  it('RUNNING then SUCCEEDED, each the full EventBridge envelope AWS documents', async () => {
    // Prepare
    const { sfn, events, create } = service();
    const arn = create(machine({ W: { Type: 'Wait', Seconds: 30, Output: { ok: true }, End: true } }));

    // Act
    const { executionArn } = sfn.startExecution({ stateMachineArn: arn, name: 'run-1', input: '{"a":1}' });
    await sfn.waitForExecution(executionArn!);

    // Assess
    expect(events.map((e) => e.detail.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(events[0]).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: '123456789012',
      time: '2026-01-01T00:00:00Z',
      region: 'eu-west-1',
      resources: [executionArn],
      detail: {
        executionArn,
        stateMachineArn: arn,
        name: 'run-1',
        status: 'RUNNING',
        startDate: Date.UTC(2026, 0, 1),
        stopDate: null,
        input: '{"a":1}',
        inputDetails: { included: true },
        output: null,
        outputDetails: null,
        error: null,
        cause: null,
        redriveCount: 0,
        redriveDate: null,
        redriveStatus: 'NOT_REDRIVABLE',
        redriveStatusReason: 'Execution is RUNNING and cannot be redriven',
        stateMachineVersionArn: null,
        stateMachineAliasArn: null,
      },
    });
    expect(events[1].time).toBe('2026-01-01T00:00:30Z');
    expect(events[1].detail).toMatchObject({ status: 'SUCCEEDED', stopDate: Date.UTC(2026, 0, 1, 0, 0, 30), output: '{"ok":true}', outputDetails: { included: true } });
    expect(events[1].id).not.toBe(events[0].id);
  });

  it('FAILED carries the error and cause; the execution is REDRIVABLE, and a redrive sends RUNNING again', async () => {
    const { sfn, events, create } = service();
    let calls = 0;
    sfn.engine.lambdas.registerHandler(fnArn('f'), async () => {
      if (++calls === 1) throw Object.assign(new Error('first time'), { name: 'Flaky' });
      return {};
    });
    const arn = create(machine({ T: { Type: 'Task', Resource: fnArn('f'), End: true } }));
    const { executionArn } = sfn.startExecution({ stateMachineArn: arn, name: 'run-2' });
    await sfn.waitForExecution(executionArn!);
    sfn.redriveExecution({ executionArn });
    await sfn.waitForExecution(executionArn!);
    expect(events.map((e) => [e.detail.status, e.detail.redriveCount])).toEqual([
      ['RUNNING', 0],
      ['FAILED', 0],
      ['RUNNING', 1],
      ['SUCCEEDED', 1],
    ]);
    expect(events[1].detail).toMatchObject({ error: 'Flaky', redriveStatus: 'REDRIVABLE', redriveStatusReason: null });
    expect(JSON.parse(events[1].detail.cause!)).toMatchObject({ errorType: 'Flaky', errorMessage: 'first time' });
    expect(events[2].detail.redriveDate).toBe(Date.UTC(2026, 0, 1));
  });

  it('StopExecution ends the run ABORTED with ExecutionAborted and an ABORTED event', async () => {
    const { sfn, events, create, clock } = service();
    const arn = create(machine({ W: { Type: 'Wait', Seconds: 3600, End: true } }));
    const { executionArn } = sfn.startExecution({ stateMachineArn: arn, name: 'run-3' });
    await clock.sleep(60_000);
    sfn.stopExecution({ executionArn, error: 'Operator', cause: 'Ctrl-C' });
    const described = await sfn.waitForExecution(executionArn!);
    const record = sfn.executionRecord(executionArn!);
    expect(described.status).toBe('ABORTED');
    expect(record.events.map((e) => e.type)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionAborted']);
    expect(record.events[2].executionAbortedEventDetails).toEqual({ error: 'Operator', cause: 'Ctrl-C' });
    expect(events.map((e) => e.detail.status)).toEqual(['RUNNING', 'ABORTED']);
    expect(events[1].detail).toMatchObject({ error: 'Operator', cause: 'Ctrl-C', stopDate: Date.UTC(2026, 0, 1, 0, 1) });
  });

  it('the definition’s TimeoutSeconds ends the run TIMED_OUT (ExecutionTimedOut) and sends TIMED_OUT', async () => {
    const { sfn, events, create } = service();
    const arn = create(machine({ W: { Type: 'Wait', Seconds: 25, End: true } }, { TimeoutSeconds: 3 }));
    const { executionArn } = sfn.startExecution({ stateMachineArn: arn, name: 'run-4' });
    const described = await sfn.waitForExecution(executionArn!);
    expect(described).toMatchObject({ status: 'TIMED_OUT', redriveStatus: 'REDRIVABLE' });
    expect(described.stopDate!.getTime() - described.startDate!.getTime()).toBe(3000);
    expect('error' in described || 'cause' in described).toBe(false);
    expect(sfn.executionRecord(executionArn!).events.map((e) => e.type)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionTimedOut']);
    expect(events.map((e) => e.detail.status)).toEqual(['RUNNING', 'TIMED_OUT']);
    expect(events[1].detail).toMatchObject({ error: null, cause: null, stopDate: Date.UTC(2026, 0, 1, 0, 0, 3) });
  });

  it('the returned function stops the listener; a throwing listener disturbs nothing', async () => {
    const { sfn, events, stop, create } = service();
    sfn.onStatusChange(() => {
      throw new Error('broken target');
    });
    const arn = create(machine({ P: { Type: 'Pass', End: true } }));
    stop();
    const { executionArn } = sfn.startExecution({ stateMachineArn: arn, name: 'run-5' });
    expect((await sfn.waitForExecution(executionArn!)).status).toBe('SUCCEEDED');
    expect(events).toEqual([]);
  });
});
