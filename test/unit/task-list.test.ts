import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { advance, initialTasks, note, taskDuration, type StageTask } from '../../bin/task-list';

const T0 = Date.UTC(2026, 10, 22, 9);
const entered = (name: string, s = 0): HistoryEvent => ({ type: 'TaskStateEntered', id: 1, timestamp: new Date(T0 + s * 1000), stateEnteredEventDetails: { name } }) as HistoryEvent;
const exited = (name: string, output: unknown, s = 0): HistoryEvent =>
  ({ type: 'TaskStateExited', id: 1, timestamp: new Date(T0 + s * 1000), stateExitedEventDetails: { name, output: JSON.stringify(output) } }) as HistoryEvent;
const states = (tasks: StageTask[]) => Object.fromEntries(tasks.map((t) => [t.name, t.state]));

describe('the live task list of npm start (history events → task states)', () => {
  it('runs one stage at a time, gives each its lines and simulated duration, and ends done', () => {
    // Act
    let tasks = initialTasks();
    for (const event of [
      entered('Prepare Run', 0),
      exited('Prepare Run', { version: 5, imageName: 'web-5' }, 1),
      entered('Launch Builder', 2),
      exited('Launch Builder', { instanceId: 'i-1' }, 3),
    ])
      tasks = advance(tasks, event);
    const running = tasks;
    tasks = note(tasks, 'approval link for a@example.com: http://x');
    for (const event of [entered('Start Copies Before Approval', 100), entered('Record Done', 125), { type: 'ExecutionSucceeded', id: 9, timestamp: new Date(T0 + 126_000) } as HistoryEvent])
      tasks = advance(tasks, event);

    // Assess
    expect(states(running)).toMatchObject({ Prepare: 'done', Bake: 'running', Test: 'pending' });
    expect(running[0].lines).toEqual(['version 5, image name web-5']);
    expect(running[1].lines).toEqual(['launch builder: i-1']);
    expect(tasks[1].lines).toEqual(['launch builder: i-1', 'approval link for a@example.com: http://x', 'Distribute (speculative copies, before approval)']);
    expect(taskDuration(tasks[1])).toBe('2m 03s');
    // Stages passed over (here: everything between Bake and Done) are not run; the last one is done.
    expect(states(tasks)).toMatchObject({ Bake: 'done', Test: 'skipped', Retention: 'skipped', Done: 'done' });
  });

  it('fails the running stage with the execution error; stages never reached are not run', () => {
    // Act
    let tasks = initialTasks();
    for (const event of [
      entered('Prepare Run'),
      entered('Launch Builder'),
      entered('Reject Run Images'),
      { type: 'ExecutionFailed', id: 9, timestamp: new Date(T0), executionFailedEventDetails: { error: 'ComponentFailed', cause: 'step x' } } as HistoryEvent,
    ])
      tasks = advance(tasks, event);

    // Assess
    expect(states(tasks)).toMatchObject({ Prepare: 'done', Bake: 'failed', Test: 'skipped', Done: 'skipped' });
    expect(tasks[1].lines).toEqual(['failure path: rejecting the run’s images, terminating its instances', 'ComponentFailed: step x']);
  });

  it('titles a stage by its qualified start (approval not required)', () => {
    const tasks = advance(initialTasks(), entered('Approval Not Required'));
    expect(tasks.find((t) => t.name === 'Approval')).toMatchObject({ title: 'Approval (not required)', state: 'running' });
  });
});
