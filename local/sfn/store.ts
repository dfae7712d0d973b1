/**
 * The local Step Functions service's persistent store: state machines and every execution with its full
 * history, kept in the state directory so a later `gami … --local` process answers ListExecutions,
 * DescribeExecution and GetExecutionHistory from it, as the service would.
 *
 * Layout (`<stateDir>/stepfunctions/`): `state-machines.json` (all state machines) and one file per execution,
 * `executions/<state machine>__<execution name>.json` (names are [A-Za-z0-9_-], so the file name is safe and
 * unique per state machine). Writing one file per execution keeps each save small however many runs the
 * directory has accumulated. Every write is atomic (temporary file, then rename), so a reader in another
 * process (`gami status --local` while `npm start` runs) never sees half a file.
 *
 * As on AWS, history is readable for 90 days after an execution closes (AWS-FACTS: "history readable 90
 * days"); older executions are not loaded (their files stay until pruned by the runtime that owns the store).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualClock } from '../clock';
import type { ExecutionRecord } from '../engine/history';
import { registerLocalSfn } from './plugin';
import { LocalStepFunctions, type LocalStepFunctionsSnapshot, type StateMachineRecord } from './service';

/** Directory of the store inside a state directory. */
export const SFN_STORE_DIR = 'stepfunctions';
/** Step Functions keeps a closed execution's history readable for 90 days. */
export const HISTORY_RETENTION_MS = 90 * 24 * 3600 * 1000;

/** A store file that exists but cannot be read; the message names the file. */
export class ExecutionStoreError extends Error {
  override name = 'ExecutionStoreError';
}

function writeAtomic(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new ExecutionStoreError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

const executionFile = (record: Pick<ExecutionRecord, 'stateMachineName' | 'name'>) => `${record.stateMachineName}__${record.name}.json`;

/** Whether an execution's history has passed the service's retention at `now`. */
export function expired(record: Pick<ExecutionRecord, 'status' | 'stopDate'>, now: number): boolean {
  return record.status !== 'RUNNING' && record.stopDate !== undefined && now - record.stopDate > HISTORY_RETENTION_MS;
}

export class ExecutionStore {
  readonly dir: string;
  private readonly executionsDir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, SFN_STORE_DIR);
    this.executionsDir = join(this.dir, 'executions');
  }

  /** Whether anything was ever stored here. */
  exists(): boolean {
    return existsSync(join(this.dir, 'state-machines.json'));
  }

  /** Everything stored whose history is still readable at `now`; undefined when the store is empty. */
  load(now: number): LocalStepFunctionsSnapshot | undefined {
    if (!this.exists()) return undefined;
    const stateMachines = readJson<StateMachineRecord[]>(join(this.dir, 'state-machines.json'));
    if (!Array.isArray(stateMachines)) throw new ExecutionStoreError(`${join(this.dir, 'state-machines.json')} is not a list of state machines`);
    const executions: ExecutionRecord[] = [];
    if (existsSync(this.executionsDir)) {
      for (const file of readdirSync(this.executionsDir).filter((f) => f.endsWith('.json')).sort()) {
        const record = readJson<ExecutionRecord>(join(this.executionsDir, file));
        if (typeof record?.executionArn !== 'string' || !Array.isArray(record.events)) {
          throw new ExecutionStoreError(`${join(this.executionsDir, file)} is not an execution record`);
        }
        if (!expired(record, now)) executions.push(record);
      }
    }
    return { stateMachines, executions };
  }

  saveStateMachines(machines: readonly StateMachineRecord[]): void {
    mkdirSync(this.dir, { recursive: true });
    writeAtomic(join(this.dir, 'state-machines.json'), JSON.stringify(machines));
  }

  saveExecution(record: ExecutionRecord): void {
    mkdirSync(this.executionsDir, { recursive: true });
    writeAtomic(join(this.executionsDir, executionFile(record)), JSON.stringify(record));
  }

  /** Delete the files of executions whose history has expired at `now` (the service forgets them too). */
  prune(now: number): void {
    if (!existsSync(this.executionsDir)) return;
    for (const file of readdirSync(this.executionsDir).filter((f) => f.endsWith('.json'))) {
      const path = join(this.executionsDir, file);
      const record = readJson<ExecutionRecord>(path);
      if (expired(record, now)) rmSync(path, { force: true });
    }
  }
}

/** A running execution's file is rewritten at most this often (wall time): its history grows with every event. */
export const RUNNING_SAVE_INTERVAL_MS = 1000;

/**
 * Keep `service`'s executions in `store`. `changed(record)` is called for every history event and status
 * change: a closed execution is written at once; a running one at most once a second of wall time (a run's
 * history is hundreds of events, and rewriting it after each would cost more than the run), so a reader in
 * another process sees a running execution at most a second behind. `flush()` writes everything pending now.
 */
export function persistExecutions(service: LocalStepFunctions, store: ExecutionStore) {
  const dirty = new Map<string, ExecutionRecord>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    for (const record of dirty.values()) store.saveExecution(record);
    dirty.clear();
  };
  return {
    changed(record: ExecutionRecord): void {
      if (record.status !== 'RUNNING') {
        dirty.delete(record.executionArn);
        store.saveExecution(record);
        return;
      }
      dirty.set(record.executionArn, record);
      if (timer) return;
      timer = setTimeout(flush, RUNNING_SAVE_INTERVAL_MS);
      timer.unref();
    },
    saveStateMachines(): void {
      store.saveStateMachines(service.stateMachineRecords());
    },
    flush,
  };
}

/**
 * A read-only Step Functions service over a state directory's store, for `gami … --local` commands that only
 * read (status, executions, audit): the stored executions served through the API by a LocalStepFunctions
 * whose clock stands at `now`, with the client plugin registered so any SFNClient reaches it. Nothing is
 * written back. `close()` unregisters the plugin.
 */
export function openStoredStepFunctions(stateDir: string, now: number): { service: LocalStepFunctions; close: () => void } | undefined {
  const store = new ExecutionStore(stateDir);
  const saved = store.load(now);
  if (!saved) return undefined;
  const [, , , region = 'us-east-1', account = '123456789012'] = saved.stateMachines[0]?.stateMachineArn.split(':') ?? [];
  const service = new LocalStepFunctions({ clock: new VirtualClock(now), region, account });
  service.restore(saved, { readOnly: true });
  const unregister = registerLocalSfn(service);
  return { service, close: unregister };
}
