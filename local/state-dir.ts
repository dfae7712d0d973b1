/**
 * The demo's state directory (`.gami` by default): the simulated account and its DynamoDB tables, kept
 * between runs. Two guarantees:
 *   - `--fresh` only ever deletes a directory gami created: creating the directory writes a marker file into
 *     it, and a directory without the marker is refused (so `--state-dir .` can never wipe a repository).
 *     A directory from before the marker existed is recognised by holding nothing but what the runtime writes.
 *   - one process at a time: a lock file holds the owner's pid; a second process is told who holds it, and
 *     a lock whose process is gone is taken over.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Written into every state directory gami creates. */
export const STATE_DIR_MARKER = '.gami-state-dir';
/** Held by the process using the directory: `{"pid": …, "command": …, "since": …, "server"?: …}`. */
export const LOCK_FILE = 'gami.lock';
/** What the local runtime writes into a state directory (local/cloud: cloud.json and its temporary, dynamodb/; local/sfn/store: stepfunctions/). */
const RUNTIME_ENTRIES = /^(cloud\.json(\..*)?|dynamodb|stepfunctions)$/;

/** A state directory that cannot be used; the message is one line for the user. */
export class StateDirError extends Error {
  override name = 'StateDirError';
}

export interface LockHolder {
  pid: number;
  command: string;
  since: string;
  /** The local approval server the holder runs, once it runs one (`gami approvals --local` asks it). */
  server?: string;
}

export interface StateDir {
  dir: string;
  /** Whether this call created the directory. */
  created: boolean;
  /** Give the lock back (only if this process still holds it). */
  release(): void;
}

export interface OpenStateDirOptions {
  /** Delete everything the directory holds (the simulated account) after taking the lock. */
  fresh?: boolean;
  /** What the lock says holds it, e.g. `gami demo`. */
  command?: string;
  /** The pid written into the lock (default: this process). */
  pid?: number;
  now?: () => Date;
}

/** The nearest existing path at or above `path`. */
function nearestExisting(path: string): string {
  let current = resolve(path);
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(dir: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' && Number.isInteger(holder.pid) && holder.pid > 0
      ? { pid: holder.pid, command: String(holder.command ?? 'gami'), since: String(holder.since ?? ''), ...(typeof holder.server === 'string' ? { server: holder.server } : {}) }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The process holding the directory's lock, if it is still running. */
export function liveLockHolder(dir: string): LockHolder | undefined {
  const holder = readLock(dir);
  return holder && isAlive(holder.pid) ? holder : undefined;
}

/**
 * Record in the lock the origin of the approval server this process runs on the directory (demo, gami start
 * --local, gami serve), so `gami approvals --local` finds it whatever port it got. Only while this process holds it.
 */
export function announceServer(dir: string, origin: string, pid = process.pid): void {
  const holder = readLock(dir);
  if (holder?.pid !== pid) return;
  writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify({ ...holder, server: origin })}\n`);
}

function ensureMarked(dir: string, shown: string, now: () => Date): boolean {
  const existing = nearestExisting(dir);
  if (!statSync(existing).isDirectory()) {
    throw new StateDirError(`--state-dir ${shown}: ${relative(process.cwd(), existing) || existing} is a file, not a directory`);
  }
  if (existing !== resolve(dir)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, STATE_DIR_MARKER), `${JSON.stringify({ createdBy: 'gami', createdAt: now().toISOString() })}\n`);
    return true;
  }
  if (existsSync(join(dir, STATE_DIR_MARKER))) return false;
  const foreign = readdirSync(dir)
    .filter((entry) => !RUNTIME_ENTRIES.test(entry) && entry !== LOCK_FILE)
    .sort();
  if (foreign.length > 0) {
    const listed = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? ', …' : '');
    throw new StateDirError(
      `--state-dir ${shown}: not a gami state directory (no ${STATE_DIR_MARKER} marker, and it holds ${listed}); ` +
        'give a new or empty directory — gami never deletes or writes into a directory it did not create',
    );
  }
  // Empty, or a state directory from before the marker: adopt it.
  writeFileSync(join(dir, STATE_DIR_MARKER), `${JSON.stringify({ createdBy: 'gami', createdAt: now().toISOString(), adopted: true })}\n`);
  return false;
}

function lock(dir: string, shown: string, holder: LockHolder): () => void {
  const path = join(dir, LOCK_FILE);
  const text = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, text, { flag: 'wx' });
      return () => {
        if (readLock(dir)?.pid === holder.pid) rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = readLock(dir);
    if (current && isAlive(current.pid)) {
      throw new StateDirError(
        `--state-dir ${shown} is in use by process ${current.pid} (${current.command}${current.since ? `, since ${current.since}` : ''}); ` +
          'wait for it to finish, or give another --state-dir',
      );
    }
    // The holder is gone (or the lock is unreadable): take it over.
    rmSync(path, { force: true });
  }
  throw new StateDirError(`--state-dir ${shown}: could not take ${LOCK_FILE}; another process keeps taking it`);
}

/**
 * Open `dir` as a state directory: check it, create and mark it if missing, take its lock, and with `fresh`
 * empty it (everything but the marker and the lock). Throws StateDirError with a one-line message.
 */
export function openStateDir(dir: string, options: OpenStateDirOptions = {}): StateDir {
  const now = options.now ?? (() => new Date());
  const created = ensureMarked(dir, dir, now);
  const release = lock(dir, dir, { pid: options.pid ?? process.pid, command: options.command ?? 'gami', since: now().toISOString() });
  if (options.fresh && !created) {
    try {
      for (const entry of readdirSync(dir)) {
        if (entry !== STATE_DIR_MARKER && entry !== LOCK_FILE) rmSync(join(dir, entry), { recursive: true, force: true });
      }
    } catch (error) {
      release();
      throw error;
    }
  }
  return { dir, created, release };
}
