/**
 * The one clock of the local runtime. Every timer — Wait states, retry intervals, state and heartbeat
 * timeouts, resource state changes in the simulated cloud, event timestamps — goes through a Clock.
 *
 * - RealClock: wall time.
 * - ScaledClock: wall time running N times faster (demos: a 10-minute AMI bake in seconds); it stops while
 *   held work runs, so handler and simulated-AWS wall time never becomes simulated time.
 * - VirtualClock: time stands still while anything runs and jumps to the next timer when nothing does,
 *   so tests are deterministic and take milliseconds. "Something runs" means: a promise passed to
 *   `hold()` is pending, or the event loop has not yet settled (microtasks and immediates drained).
 */

import { AsyncLocalStorage } from 'node:async_hooks';

export type CancelTimer = () => void;

/** A run of held work started by `Clock.runHeld`. */
export interface HeldRun<T> {
  /** Settles like the work (after the modeled charge, on clocks that charge one). */
  readonly result: Promise<T>;
  /**
   * End the run as a killed sandbox would: the sleeps it is awaiting never resolve and new ones never fire,
   * and it stops holding the clock. Its result is left unsettled-or-ignored by the caller.
   */
  kill(): void;
}

export interface RunHeldOptions {
  /**
   * The simulated time the work stands for (a Lambda invocation's modeled duration). A clock whose time
   * would otherwise run on during the work (ScaledClock) stops during it and charges this instead, so the
   * work costs the same simulated time at any speed and under any machine load. VirtualClock and RealClock
   * ignore it: on VirtualClock held work takes no time (tests keep exact timestamps), on RealClock the wall
   * time is the truth.
   */
  modeledMs?: number;
}

export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
  /** Run `callback` once `ms` of this clock's time has passed. Returns a function that cancels it. */
  setTimer(ms: number, callback: () => void): CancelTimer;
  /** Resolve after `ms` of this clock's time; reject with an AbortError if `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Declare real asynchronous work (a handler invocation, a loopback HTTP call) in progress: a virtual
   * clock does not advance until it settles; a scaled clock stops. RealClock just returns the promise.
   */
  hold<T>(work: Promise<T>): Promise<T>;
  /**
   * Run `work` as held work in a context of its own: while the work itself awaits `sleep` on this clock it
   * does not hold the clock (so the clock can reach the sleep's end, or a timeout armed outside), and
   * `kill()` freezes it like a sandbox that was shut down.
   */
  runHeld<T>(work: () => T | Promise<T>, options?: RunHeldOptions): HeldRun<T>;
}

/** The held run the current async context belongs to. */
interface HeldContext {
  done: boolean;
  killed: boolean;
  /** Sleeps of the run in progress: while any is, the run does not hold the clock. */
  sleeping: number;
  holding: boolean;
  update(): void;
  /** Cancels of the run's pending sleeps (called when it is killed). */
  sleeps: Set<() => void>;
}

abstract class BaseClock implements Clock {
  private readonly heldContext = new AsyncLocalStorage<HeldContext>();

  abstract now(): number;
  abstract setTimer(ms: number, callback: () => void): CancelTimer;

  /** Held work started (default: nothing to do). */
  protected acquire(): void {}
  /** Held work settled. */
  protected release(): void {}
  /**
   * Charge held work its modeled duration: the clock reads at least `startedAt + modeledMs` once the work is
   * done (default: nothing, see RunHeldOptions). Concurrent runs started together are charged once, as
   * concurrent invocations overlap.
   */
  protected charge(_startedAt: number, _modeledMs: number): void {}

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const context = this.heldContext.getStore();
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      if (context?.killed) return; // a killed sandbox never wakes up
      let pending = true;
      const settle = () => {
        if (!pending) return false;
        pending = false;
        if (context && !context.done) {
          context.sleeps.delete(stop);
          context.sleeping--;
          context.update();
        }
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = () => {
        cancel();
        if (settle()) reject(abortError(signal));
      };
      const stop = () => {
        cancel();
        settle();
      };
      if (context && !context.done) {
        context.sleeping++;
        context.sleeps.add(stop);
        context.update();
      }
      const cancel = this.setTimer(ms, () => {
        if (settle() && !context?.killed) resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  hold<T>(work: Promise<T>): Promise<T> {
    this.acquire();
    const release = () => this.release();
    work.then(release, release);
    return work;
  }

  runHeld<T>(work: () => T | Promise<T>, options: RunHeldOptions = {}): HeldRun<T> {
    const context: HeldContext = {
      done: false,
      killed: false,
      sleeping: 0,
      holding: false,
      sleeps: new Set(),
      update: () => {
        const hold = !context.done && !context.killed && context.sleeping === 0;
        if (hold && !context.holding) {
          context.holding = true;
          this.acquire();
        } else if (!hold && context.holding) {
          context.holding = false;
          this.release();
        }
      },
    };
    context.update();
    const startedAt = this.now();
    const finish = () => {
      if (!context.killed) this.charge(startedAt, options.modeledMs ?? 0);
      context.done = true;
      context.update();
    };
    const ran = this.heldContext.run(context, () => Promise.resolve().then(work));
    const result = ran.then(
      (value) => (finish(), value),
      (error: unknown) => {
        finish();
        throw error;
      },
    );
    return {
      result,
      kill: () => {
        if (context.killed || context.done) return;
        context.killed = true;
        for (const stop of [...context.sleeps]) stop();
        context.update();
      },
    };
  }
}

function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === 'string' ? reason : 'The operation was aborted');
  error.name = 'AbortError';
  return error;
}

export class RealClock extends BaseClock {
  now(): number {
    return Date.now();
  }
  setTimer(ms: number, callback: () => void): CancelTimer {
    const handle = setTimeout(callback, Math.max(0, ms));
    return () => clearTimeout(handle);
  }
}

export interface ScaledClockOptions {
  /** Wall-time source in milliseconds (default `performance.now`-based); injectable for tests. */
  wallNow?: () => number;
}

/**
 * Wall time sped up `factor` times, starting from `start` (default: now). Simulated time stands still while
 * held work runs (handler invocations, simulated AWS calls): how long the machine takes for them must not
 * turn into simulated minutes (3 ms of handler at ×100,000 would be 300 s). A Lambda invocation is charged
 * its modeled duration instead (`runHeld` with `modeledMs`). Timers are kept in simulated time, so a pause
 * delays them exactly as much as it delays the clock.
 */
export class ScaledClock extends BaseClock {
  private readonly wallNow: () => number;
  /** Simulated time at `anchorWall`. */
  private anchorSim: number;
  private anchorWall: number;
  private holds = 0;
  private readonly timers: PendingTimer[] = [];
  private seq = 0;
  private handle?: ReturnType<typeof setTimeout>;

  constructor(
    readonly factor: number,
    start?: number,
    options: ScaledClockOptions = {},
  ) {
    super();
    if (!(factor > 0)) throw new RangeError(`ScaledClock factor must be > 0, got ${factor}`);
    const origin = Date.now() - performance.now();
    this.wallNow = options.wallNow ?? (() => origin + performance.now());
    this.anchorWall = this.wallNow();
    this.anchorSim = start ?? Date.now();
  }

  now(): number {
    if (this.holds > 0) return this.anchorSim;
    return this.anchorSim + Math.round((this.wallNow() - this.anchorWall) * this.factor);
  }

  /** Whether simulated time is stopped (held work in progress). */
  get paused(): boolean {
    return this.holds > 0;
  }

  setTimer(ms: number, callback: () => void): CancelTimer {
    const timer: PendingTimer = { due: this.now() + Math.max(0, ms), seq: this.seq++, callback };
    insertTimer(this.timers, timer);
    this.schedule();
    return () => {
      const i = this.timers.indexOf(timer);
      if (i >= 0) this.timers.splice(i, 1);
    };
  }

  protected override acquire(): void {
    if (this.holds++ === 0) {
      this.anchorSim = this.now0();
      this.unschedule();
    }
  }

  protected override release(): void {
    if (--this.holds === 0) {
      this.anchorWall = this.wallNow();
      this.schedule();
    }
  }

  protected override charge(startedAt: number, modeledMs: number): void {
    const target = startedAt + modeledMs;
    const now = this.now();
    if (target <= now) return;
    this.anchorSim += target - now;
    if (this.holds === 0) this.schedule();
  }

  /** now() ignoring the pause (only valid at the moment a pause starts). */
  private now0(): number {
    return this.anchorSim + Math.round((this.wallNow() - this.anchorWall) * this.factor);
  }

  private unschedule(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }

  private schedule(): void {
    this.unschedule();
    if (this.holds > 0 || this.timers.length === 0) return;
    const wait = Math.max(0, (this.timers[0].due - this.now()) / this.factor);
    this.handle = setTimeout(() => this.fireDue(), wait);
  }

  private fireDue(): void {
    this.handle = undefined;
    while (this.holds === 0 && this.timers.length > 0 && this.timers[0].due <= this.now()) {
      this.timers.shift()?.callback();
    }
    if (this.handle === undefined) this.schedule();
  }
}

interface PendingTimer {
  due: number;
  seq: number;
  callback: () => void;
}

/** Keep `timers` sorted by (due, creation order): binary-search insertion; firing is always from the front. */
function insertTimer(timers: PendingTimer[], timer: PendingTimer): void {
  let lo = 0;
  let hi = timers.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const t = timers[mid];
    if (t.due < timer.due || (t.due === timer.due && t.seq < timer.seq)) lo = mid + 1;
    else hi = mid;
  }
  timers.splice(lo, 0, timer);
}

/**
 * Deterministic clock: timers fire in (due time, creation order); time jumps to the earliest timer once
 * the process is idle. Idle = no held work and the event loop settled for `settleRounds` immediates.
 */
export class VirtualClock extends BaseClock {
  private current: number;
  private readonly timers: PendingTimer[] = [];
  private seq = 0;
  private holds = 0;
  private scheduled = false;
  private readonly settleRounds: number;

  constructor(start: number | Date = Date.UTC(2026, 0, 1), options: { settleRounds?: number } = {}) {
    super();
    this.current = typeof start === 'number' ? start : start.getTime();
    this.settleRounds = options.settleRounds ?? 3;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, callback: () => void): CancelTimer {
    const timer: PendingTimer = { due: this.current + Math.max(0, ms), seq: this.seq++, callback };
    insertTimer(this.timers, timer);
    this.scheduleAdvance();
    return () => {
      const i = this.timers.indexOf(timer);
      if (i >= 0) this.timers.splice(i, 1);
    };
  }

  protected override acquire(): void {
    this.holds++;
  }

  protected override release(): void {
    this.holds--;
    this.scheduleAdvance();
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Move time forward by `ms` now, firing every timer due on the way (for tests that step manually). */
  advance(ms: number): void {
    const target = this.current + ms;
    while (this.timers.length > 0 && this.timers[0].due <= target) this.fireNext();
    this.current = target;
  }

  private fireNext(): void {
    const timer = this.timers.shift();
    if (!timer) return;
    if (timer.due > this.current) this.current = timer.due;
    timer.callback();
  }

  private scheduleAdvance(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    let rounds = 0;
    const tick = () => {
      if (this.holds > 0 || this.timers.length === 0) {
        this.scheduled = false;
        return;
      }
      if (++rounds < this.settleRounds) {
        setImmediate(tick);
        return;
      }
      this.scheduled = false;
      this.fireNext();
      // Firing may have scheduled work or more timers; look again once it settles.
      this.scheduleAdvance();
    };
    setImmediate(tick);
  }
}
