import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  InvalidDefinition,
  InvalidToken,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { VirtualClock } from '../../../local/clock';
import { LocalStepFunctions, registerLocalSfn } from '../../../local/sfn';
import { createClient } from '../../../tasks/clients';
import { fnArn, machine, ROLE } from './helpers';

const approvalDefinition = machine({
  Approve: {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Arguments: { FunctionName: 'notify', Payload: { token: '{% $states.context.Task.Token %}', image: '{% $states.input.image %}' } },
    HeartbeatSeconds: 300,
    TimeoutSeconds: 3600,
    Next: 'Approved',
  },
  Approved: { Type: 'Pass', Output: { decision: '{% $states.input.decision %}' }, End: true },
});

describe('LocalStepFunctions through @aws-sdk/client-sfn', () => {
  let clock: VirtualClock;
  let service: LocalStepFunctions;
  let sfn: SFNClient;
  let unregister: () => void;
  const tokens: string[] = [];
  const send = <T>(command: object) => clock.hold(sfn.send(command as never) as Promise<T>);

  beforeEach(() => {
    clock = new VirtualClock(Date.UTC(2026, 0, 1));
    service = new LocalStepFunctions({ clock, region: 'eu-west-1', seed: 7 });
    service.engine.lambdas.registerHandler(fnArn('notify'), async (event) => {
      tokens.push((event as { token: string }).token);
      return { notified: true };
    });
    unregister = registerLocalSfn(service);
    sfn = createClient(SFNClient, { region: 'eu-west-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } });
    tokens.length = 0;
  });
  afterEach(() => unregister());

  async function createApproval(): Promise<string> {
    const created = await send<{ stateMachineArn: string }>(
      new CreateStateMachineCommand({ name: 'approval', definition: JSON.stringify(approvalDefinition), roleArn: ROLE }),
    );
    return created.stateMachineArn;
  }

  it('completes a task-token round trip with a heartbeat, and answers late calls as AWS does', async () => {
    // Prepare
    const stateMachineArn = await createApproval();
    const { executionArn } = await send<{ executionArn: string }>(new StartExecutionCommand({ stateMachineArn, name: 'img-1', input: '{"image":"ami-1"}' }));

    // Act: heartbeat at 200 s (the 300 s heartbeat timer restarts), approve at 450 s
    await clock.sleep(200_000);
    await send(new SendTaskHeartbeatCommand({ taskToken: tokens[0] }));
    await clock.sleep(250_000);
    await send(new SendTaskSuccessCommand({ taskToken: tokens[0], output: '{"decision":"approved"}' }));
    const described = await service.waitForExecution(executionArn);

    // Assess
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!)).toEqual({ decision: 'approved' });
    expect(described.stopDate!.getTime() - described.startDate!.getTime()).toBe(450_000);
    await expect(send(new SendTaskSuccessCommand({ taskToken: tokens[0], output: '{}' }))).rejects.toBeInstanceOf(TaskDoesNotExist);
    await expect(send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }))).rejects.toBeInstanceOf(InvalidToken);
    const { events } = await send<{ events: HistoryEvent[] }>(new GetExecutionHistoryCommand({ executionArn }));
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events[2].taskScheduledEventDetails).toMatchObject({ resource: 'invoke.waitForTaskToken', heartbeatInSeconds: 300, timeoutInSeconds: 3600 });
    expect(events[0].timestamp).toBeInstanceOf(Date);
  });

  it('fails with States.HeartbeatTimeout when no heartbeat comes; a late answer is TaskTimedOut', async () => {
    const stateMachineArn = await createApproval();
    const { executionArn } = await send<{ executionArn: string }>(new StartExecutionCommand({ stateMachineArn, input: '{"image":"ami-2"}' }));
    const described = await service.waitForExecution(executionArn);
    expect([described.status, described.error]).toEqual(['FAILED', 'States.HeartbeatTimeout']);
    expect(described.stopDate!.getTime() - described.startDate!.getTime()).toBe(300_000);
    await expect(send(new SendTaskSuccessCommand({ taskToken: tokens[0], output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('SendTaskFailure fails the task with the given error and cause', async () => {
    const stateMachineArn = await createApproval();
    const { executionArn } = await send<{ executionArn: string }>(new StartExecutionCommand({ stateMachineArn, input: '{"image":"ami-3"}' }));
    await clock.sleep(1000);
    await send(new SendTaskFailureCommand({ taskToken: tokens[0], error: 'ImageRejected', cause: 'bad banner' }));
    const described = await service.waitForExecution(executionArn);
    expect([described.error, described.cause]).toEqual(['ImageRejected', 'bad banner']);
  });

  it('StartExecution is idempotent for the same name and input while running, else ExecutionAlreadyExists', async () => {
    const stateMachineArn = await createApproval();
    const first = await send<{ executionArn: string }>(new StartExecutionCommand({ stateMachineArn, name: 'same', input: '{"image":"ami-4"}' }));
    const again = await send<{ executionArn: string }>(new StartExecutionCommand({ stateMachineArn, name: 'same', input: '{ "image": "ami-4" }' }));
    expect(again.executionArn).toBe(first.executionArn);
    await expect(send(new StartExecutionCommand({ stateMachineArn, name: 'same', input: '{"image":"ami-5"}' }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await send(new StopExecutionCommand({ executionArn: first.executionArn, error: 'Cancelled', cause: 'by test' }));
    await expect(send(new StartExecutionCommand({ stateMachineArn, name: 'same', input: '{"image":"ami-4"}' }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    const described = await send<{ status: string }>(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(described.status).toBe('ABORTED');
    const history = service.executionRecord(first.executionArn).events;
    expect(history[history.length - 1]).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Cancelled', cause: 'by test' } });
  });

  it('pages GetExecutionHistory in both orders and lists executions newest first', async () => {
    const stateMachineArn = await createApproval();
    const a = await send<{ executionArn: string }>(new StartExecutionCommand({ stateMachineArn, name: 'a', input: '{"image":"x"}' }));
    await clock.sleep(10);
    await send(new StartExecutionCommand({ stateMachineArn, name: 'b', input: '{"image":"y"}' }));
    await service.waitForExecution(a.executionArn);

    const page1 = await send<{ events: HistoryEvent[]; nextToken?: string }>(new GetExecutionHistoryCommand({ executionArn: a.executionArn, maxResults: 3 }));
    const page2 = await send<{ events: HistoryEvent[]; nextToken?: string }>(
      new GetExecutionHistoryCommand({ executionArn: a.executionArn, maxResults: 3, nextToken: page1.nextToken }),
    );
    const reversed = await send<{ events: HistoryEvent[] }>(new GetExecutionHistoryCommand({ executionArn: a.executionArn, reverseOrder: true, maxResults: 2 }));
    const listed = await send<{ executions: Array<{ name: string }> }>(new ListExecutionsCommand({ stateMachineArn }));

    expect(page1.events.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(page2.events.map((e) => e.id)).toEqual([4, 5, 6]);
    expect(reversed.events.map((e) => e.type)).toEqual(['ExecutionFailed', 'TaskTimedOut']);
    expect(listed.executions.map((e) => e.name)).toEqual(['b', 'a']);
  });

  it('CreateStateMachine refuses an unsupported definition with the state and feature named', async () => {
    const jsonPath = { StartAt: 'Old', States: { Old: { Type: 'Pass', ResultPath: '$.x', End: true } } };
    const error = await send(new CreateStateMachineCommand({ name: 'old', definition: JSON.stringify(jsonPath), roleArn: ROLE })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDefinition);
    expect((error as Error).message).toContain('State "Old" (Pass): the JSONPath field "ResultPath" in a JSONPath state is not supported');
  });
});

describe('RedriveExecution', () => {
  it('restarts a failed execution from the failed state with the variables it had, same ARN, redriveCount 1', async () => {
    // Prepare: the first attempt at "Publish" fails; after a fix, the redrive succeeds
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const service = new LocalStepFunctions({ clock, region: 'eu-west-1' });
    let broken = true;
    service.engine.lambdas.registerHandler(fnArn('publish'), async (event) => {
      if (broken) throw Object.assign(new Error('parameter store down'), { name: 'PublishFailed' });
      return { published: event };
    });
    const definition = machine({
      Bake: { Type: 'Pass', Assign: { imageId: 'ami-42' }, Output: { stage: 'baked' }, Next: 'Publish' },
      Publish: { Type: 'Task', Resource: fnArn('publish'), Arguments: { imageId: '{% $imageId %}', stage: '{% $states.input.stage %}' }, End: true },
    });
    const { stateMachineArn } = service.createStateMachine({ name: 'redrive', definition: JSON.stringify(definition), roleArn: ROLE });
    const { executionArn } = service.startExecution({ stateMachineArn, name: 'r1' });
    const failed = await service.waitForExecution(executionArn!);

    // Act
    broken = false;
    service.redriveExecution({ executionArn });
    const redriven = await service.waitForExecution(executionArn!);

    // Assess
    expect([failed.status, failed.redriveStatus]).toEqual(['FAILED', 'REDRIVABLE']);
    expect([redriven.status, redriven.redriveCount]).toEqual(['SUCCEEDED', 1]);
    expect(JSON.parse(redriven.output!)).toEqual({ published: { imageId: 'ami-42', stage: 'baked' } });
    const history = service.executionRecord(executionArn!).events.map((e) => e.type);
    expect(history.slice(history.indexOf('ExecutionFailed'))).toEqual([
      'ExecutionFailed',
      'ExecutionRedriven',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(() => service.redriveExecution({ executionArn })).toThrow(/SUCCEEDED and cannot be redriven/);
  });
});

describe('snapshot and restore', () => {
  it('brings back state machines and closed histories as JSON; a run that was in flight comes back ABORTED', async () => {
    // Prepare: one finished and one waiting execution, saved through a JSON round trip
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const first = new LocalStepFunctions({ clock, region: 'eu-west-1' });
    const definition = machine({ Hold: { Type: 'Wait', Seconds: '{% $states.input.wait %}', End: true } });
    const { stateMachineArn } = first.createStateMachine({ name: 'persist', definition: JSON.stringify(definition), roleArn: ROLE });
    const done = first.startExecution({ stateMachineArn, name: 'done', input: '{"wait":1}' }).executionArn!;
    const waiting = first.startExecution({ stateMachineArn, name: 'waiting', input: '{"wait":86400}' }).executionArn!;
    await first.waitForExecution(done);
    const saved = JSON.parse(JSON.stringify(first.snapshot()));

    // Act
    const second = new LocalStepFunctions({ clock: new VirtualClock(Date.UTC(2026, 0, 2)), region: 'eu-west-1' });
    second.restore(saved);

    // Assess
    expect(second.describeExecution({ executionArn: done })).toMatchObject({ status: 'SUCCEEDED', output: '{"wait":1}' });
    expect(second.getExecutionHistory({ executionArn: done }).events?.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'WaitStateEntered',
      'WaitStateExited',
      'ExecutionSucceeded',
    ]);
    expect(second.describeExecution({ executionArn: waiting }).status).toBe('ABORTED');
    expect(second.listStateMachines().stateMachines?.map((m) => m.name)).toEqual(['persist']);
    expect(second.startExecution({ stateMachineArn, name: 'after-restore', input: '{"wait":0}' }).executionArn).toContain(':persist:after-restore');
  });
});
