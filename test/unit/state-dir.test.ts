import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { announceServer, liveLockHolder, LOCK_FILE, openStateDir, readLock, STATE_DIR_MARKER } from '../../local/state-dir';

const NOW = () => new Date('2026-11-22T09:00:00Z');
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gami-state-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

describe('openStateDir', () => {
  it('creates and marks a missing directory, and holds its lock until released', () => {
    // Act
    const dir = join(root, 'nested', '.gami');
    const state = openStateDir(dir, { command: 'gami demo', now: NOW });

    // Assess
    expect(state.created).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([STATE_DIR_MARKER, LOCK_FILE].sort());
    expect(readLock(dir)).toEqual({ pid: process.pid, command: 'gami demo', since: '2026-11-22T09:00:00.000Z' });
    state.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('with fresh, empties a directory it created (keeping the marker)', () => {
    const dir = join(root, '.gami');
    openStateDir(dir).release();
    writeFileSync(join(dir, 'cloud.json'), '{}');
    mkdirSync(join(dir, 'dynamodb'));

    openStateDir(dir, { fresh: true }).release();

    expect(readdirSync(dir)).toEqual([STATE_DIR_MARKER]);
  });

  it('refuses, and deletes nothing, in a directory it did not create (--state-dir . in a repository)', () => {
    // Prepare: a repository-like directory.
    writeFileSync(join(root, 'README.md'), '# project');
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'cloud.json'), '{}');

    // Act + Assess
    expect(() => openStateDir(root, { fresh: true })).toThrow(
      `--state-dir ${root}: not a gami state directory (no ${STATE_DIR_MARKER} marker, and it holds README.md, src); ` +
        'give a new or empty directory — gami never deletes or writes into a directory it did not create',
    );
    expect(readdirSync(root).sort()).toEqual(['README.md', 'cloud.json', 'src']);
  });

  it('adopts an empty directory, and a state directory from before the marker', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const legacy = join(root, 'legacy');
    mkdirSync(join(legacy, 'dynamodb'), { recursive: true });
    writeFileSync(join(legacy, 'cloud.json'), '{}');

    openStateDir(empty).release();
    openStateDir(legacy, { fresh: true }).release();

    expect(readdirSync(empty)).toEqual([STATE_DIR_MARKER]);
    expect(readdirSync(legacy)).toEqual([STATE_DIR_MARKER]);
  });

  it('says a state directory under a file is under a file', () => {
    writeFileSync(join(root, 'notes.txt'), 'x');
    expect(() => openStateDir(join(root, 'notes.txt', 'state'))).toThrow(/^--state-dir .*notes\.txt\/state: .*notes\.txt is a file, not a directory$/);
  });

  it('refuses a second holder and names the process that holds it', () => {
    const dir = join(root, '.gami');
    const first = openStateDir(dir, { command: 'gami demo', now: NOW });

    expect(() => openStateDir(dir, { command: 'gami demo' })).toThrow(
      `--state-dir ${dir} is in use by process ${process.pid} (gami demo, since 2026-11-22T09:00:00.000Z); wait for it to finish, or give another --state-dir`,
    );
    first.release();
    openStateDir(dir).release();
  });

  it('takes over the lock of a process that is gone', () => {
    // Prepare: a lock left by a crashed run.
    const dir = join(root, '.gami');
    openStateDir(dir).release();
    const stale = deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: stale, command: 'gami demo', since: '2026-11-21T09:00:00.000Z' }));

    // Act
    const state = openStateDir(dir, { command: 'gami demo' });

    // Assess
    expect(readLock(dir)?.pid).toBe(process.pid);
    state.release();
  });

  it('does not remove a lock another process took after it', () => {
    const dir = join(root, '.gami');
    const state = openStateDir(dir);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, command: 'other', since: '' }));
    state.release();
    expect(readLock(dir)?.pid).toBe(1);
  });

  it('records the approval server of the holder for gami approvals --local, only while it holds the lock and runs', () => {
    const dir = join(root, '.gami');
    const state = openStateDir(dir, { command: 'gami demo', now: NOW });
    announceServer(dir, 'http://127.0.0.1:40123');
    expect(liveLockHolder(dir)).toEqual({ pid: process.pid, command: 'gami demo', since: '2026-11-22T09:00:00.000Z', server: 'http://127.0.0.1:40123' });
    // Another process's lock is never rewritten; a dead holder's server is not offered.
    announceServer(dir, 'http://127.0.0.1:1', process.pid + 1);
    expect(readLock(dir)?.server).toBe('http://127.0.0.1:40123');
    state.release();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), command: 'gami demo', since: '', server: 'http://127.0.0.1:40123' }));
    expect(liveLockHolder(dir)).toBeUndefined();
  });
});
