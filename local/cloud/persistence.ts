/**
 * Snapshot the world to a JSON file with atomic writes (write a temp file, then rename over the target, so a
 * crash never leaves a half-written `.gami/cloud.json`) and load it back.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { World, WorldState } from './world';

/** Thrown when a snapshot file exists but is not a world this version can read. */
export class WorldSnapshotError extends Error {
  constructor(path: string, reason: string) {
    super(`cannot load the simulated cloud from ${path}: ${reason}`);
    this.name = 'WorldSnapshotError';
  }
}

export function saveWorldState(state: WorldState, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state));
  renameSync(temp, path);
}

/** The stored state, or undefined when there is no file yet. */
export function loadWorldState(path: string): WorldState | undefined {
  if (!existsSync(path)) return undefined;
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new WorldSnapshotError(path, (error as Error).message);
  }
  const candidate = state as Partial<WorldState> | null;
  if (!candidate || candidate.version !== 1 || typeof candidate.accounts !== 'object' || !Array.isArray(candidate.transitions)) {
    throw new WorldSnapshotError(path, 'not a version 1 world snapshot');
  }
  return candidate as WorldState;
}

/**
 * Save after every change, coalesced: many operations in one turn of the event loop cause one write.
 * Returns `{ flush, stop }`; `flush()` writes now if anything is pending.
 */
export function persistWorld(world: World, path: string): { flush(): void; stop(): void } {
  let pending = false;
  const flush = () => {
    if (!pending) return;
    pending = false;
    world.state.savedAt = world.clock.now();
    saveWorldState(world.state, path);
  };
  const unsubscribe = world.onChange(() => {
    if (pending) return;
    pending = true;
    setImmediate(flush);
  });
  return {
    flush,
    stop: () => {
      flush();
      unsubscribe();
    },
  };
}
