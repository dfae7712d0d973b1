/**
 * The live task list of `npm start` in a terminal: one task per lifecycle stage (pending, running, done, failed,
 * or not run), each showing its stage's lines as output. Without a terminal (CI, tests, a pipe) the demo prints
 * plain lines instead (bin/live.ts), unchanged.
 *
 * Two parts: `advance` — a pure function from the execution's history events to the tasks' states (tested in
 * test/unit/task-list.test.ts) — and `TaskListView`, a thin adapter drawing those states with listr2 (9.x: the
 * newest line that runs on Node 20; 10 and later need Node 22). listr2 runs its tasks one after another, so each
 * stage's task waits on a promise the model settles; lines that arrive before listr2 has started a task's
 * function are kept and shown when it starts.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { DefaultRenderer, ListrTaskWrapper, SimpleRenderer } from 'listr2';
import { jsonObject, STAGE_STARTS, stateExitLines } from './live';

/** The stages of the lifecycle, in order (the labels of STAGE_STARTS that start a stage). */
export const LIFECYCLE_TASKS = ['Prepare', 'Bake', 'Test', 'ScanGate', 'Approval', 'Distribute', 'Share', 'Publish', 'LaunchTemplates', 'Retention', 'Done'] as const;

export type TaskState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StageTask {
  name: string;
  title: string;
  state: TaskState;
  lines: string[];
  /** Simulated times from the history events (ms since the epoch). */
  startedAt?: number;
  endedAt?: number;
}

export function initialTasks(): StageTask[] {
  return LIFECYCLE_TASKS.map((name) => ({ name, title: name, state: 'pending', lines: [] }));
}

const json = jsonObject;

/** Start labels of side paths: lines of the running stage, not stages of their own. */
const SIDE_PATHS = new Set([STAGE_STARTS['Start Copies Before Approval'], STAGE_STARTS['Reject Run Images']]);

const at = (event: HistoryEvent): number | undefined => (event.timestamp ? new Date(event.timestamp).getTime() : undefined);

/** Add a line (an approval link, a narrated exit) to the running task, or to the last one that ran. */
export function note(tasks: readonly StageTask[], line: string): StageTask[] {
  const index = current(tasks);
  if (index < 0) return [...tasks];
  return tasks.map((t, i) => (i === index ? { ...t, lines: [...t.lines, line] } : t));
}

function current(tasks: readonly StageTask[]): number {
  const running = tasks.findIndex((t) => t.state === 'running');
  if (running >= 0) return running;
  for (let i = tasks.length - 1; i >= 0; i--) if (tasks[i].state !== 'pending' && tasks[i].state !== 'skipped') return i;
  return -1;
}

/**
 * The tasks after one history event. Entering a stage's first state ends the running stage (done) and starts
 * it; stages passed over (a redistribution starts at Distribute) are not run. A start label with a qualifier
 * ("Approval (not required)") titles its stage; one naming a side path (speculative copies, the failure path)
 * is a line of the running stage. The execution's end settles the running stage: done on success, failed
 * otherwise; stages never reached stay not run.
 */
export function advance(tasks: readonly StageTask[], event: HistoryEvent): StageTask[] {
  let next = [...tasks];
  const entered = event.stateEnteredEventDetails?.name;
  const label = entered ? STAGE_STARTS[entered] : undefined;
  if (label) {
    const name = label.split(' ')[0];
    const index = SIDE_PATHS.has(label) ? -1 : next.findIndex((t) => t.name === name);
    if (index >= 0 && next[index].state === 'pending') {
      next = next.map((t, i) => {
        if (i === index) return { ...t, title: label, state: 'running', startedAt: at(event) };
        if (t.state === 'running') return { ...t, state: 'done', endedAt: at(event) };
        if (i < index && t.state === 'pending') return { ...t, state: 'skipped' };
        return t;
      });
    } else next = note(next, label === 'Failure' ? 'failure path: rejecting the run’s images, terminating its instances' : label);
  }
  const exited = event.stateExitedEventDetails;
  if (exited?.name) for (const line of stateExitLines(exited.name, json(exited.output))) next = note(next, line);
  const end = (state: TaskState, line?: string) => {
    const index = current(next);
    if (line) next = note(next, line);
    return next.map((t, i) => {
      if (t.state === 'running' || (i === index && state === 'failed')) return { ...t, state, endedAt: at(event) };
      if (t.state === 'pending') return { ...t, state: 'skipped' as const };
      return t;
    });
  };
  switch (event.type) {
    case 'ExecutionSucceeded':
      return end('done');
    case 'ExecutionFailed':
      return end('failed', `${event.executionFailedEventDetails?.error ?? 'failed'}: ${event.executionFailedEventDetails?.cause ?? ''}`);
    case 'ExecutionAborted':
      return end('failed', `stopped: ${event.executionAbortedEventDetails?.cause ?? 'aborted'}`);
    case 'ExecutionTimedOut':
      return end('failed', 'timed out');
    default:
      return next;
  }
}

/** `12m 03s` of simulated time a task took. */
export function taskDuration(task: StageTask): string | undefined {
  if (task.startedAt === undefined || task.endedAt === undefined) return undefined;
  const s = Math.round((task.endedAt - task.startedAt) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

interface Handle {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
  wrapper?: ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;
  shown: number;
  settled: boolean;
}

/** Draws the tasks with listr2 in a terminal. */
export class TaskListView {
  private tasks = initialTasks();
  private readonly handles = new Map<string, Handle>();
  private running?: Promise<unknown>;

  async start(): Promise<void> {
    const { Listr } = await import('listr2');
    for (const task of this.tasks) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined); // settled before listr2 awaits it: not an unhandled rejection
      this.handles.set(task.name, { promise, resolve, reject, shown: 0, settled: false });
    }
    const list = new Listr<unknown, 'default', 'simple'>(
      this.tasks.map((task) => ({
        title: task.title,
        task: async (_: unknown, wrapper: ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>) => {
          const handle = this.handles.get(task.name)!;
          handle.wrapper = wrapper;
          this.draw();
          await handle.promise;
          if (this.tasks.find((t) => t.name === task.name)?.state === 'skipped') wrapper.skip(`${task.name}: not run`);
        },
        rendererOptions: task.name === 'Approval' ? { persistentOutput: true, outputBar: Infinity } : { outputBar: 3 },
      })),
      { concurrent: false, exitOnError: true, registerSignalListeners: false, rendererOptions: { collapseErrors: false } },
    );
    this.running = list.run().catch(() => undefined);
  }

  update(change: (tasks: readonly StageTask[]) => StageTask[]): void {
    this.tasks = change(this.tasks);
    this.draw();
  }

  private draw(): void {
    for (const task of this.tasks) {
      const handle = this.handles.get(task.name);
      if (!handle) continue;
      const { wrapper } = handle;
      if (wrapper) {
        for (const line of task.lines.slice(handle.shown)) wrapper.output = line;
        handle.shown = task.lines.length;
        const took = taskDuration(task);
        wrapper.title = took ? `${task.title} (${took} simulated)` : task.title;
      }
      if (handle.settled) continue;
      if (task.state === 'done' || task.state === 'skipped') {
        handle.settled = true;
        handle.resolve();
      } else if (task.state === 'failed') {
        handle.settled = true;
        handle.reject(new Error(`${task.title} failed${task.lines.length ? `: ${task.lines[task.lines.length - 1]}` : ''}`));
      }
    }
  }

  /** Wait until the list is drawn to its end (every settled task shown). */
  async end(): Promise<void> {
    // Tasks still pending when the run ended (an interrupted follow) are settled as not run.
    this.update((tasks) => tasks.map((t) => (t.state === 'pending' || t.state === 'running' ? { ...t, state: t.state === 'running' ? 'failed' : 'skipped' } : t)));
    await this.running;
  }
}
