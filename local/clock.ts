/**
 * The one clock of the local runtime. Every timer — Wait states, retry intervals, state and heartbeat
 * timeouts, resource state changes in the simulated cloud, event timestamps — goes through a Clock.
 *
 * - RealClock: wall time.
 * - ScaledClock: simulated time paced to the wall, N times faster (demos: a 10-minute AMI bake in seconds);
 *   like VirtualClock, time passes only while the process waits, so machine load never becomes simulated time.
 * - VirtualClock: time stands still while anything runs and jumps to the next timer when nothing does,
 *   so tests are deterministic and take milliseconds. "Something runs" means: a promise passed to
 *   `hold()` is pending, or the event loop has not yet settled (microtasks and immediates drained).
 */
import { insertOrdered } from './ordered';

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
  /** Whether `modeledMs` of `runHeld` is charged on this clock (see RunHeldOptions). */
  protected chargesModeledTime(): boolean {
    return false;
  }

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
    const finish = () => {
      context.done = true;
      context.update();
    };
    const ran = this.heldContext.run(context, () => Promise.resolve().then(work));
    ran.then(finish, finish);
    // The charge is simulated time after the work, like the rest of an invocation's duration: concurrent
    // invocations that finish together are charged together.
    const modeledMs = options.modeledMs ?? 0;
    const result = modeledMs > 0 && this.chargesModeledTime() ? ran.then(async (value) => (await this.sleep(modeledMs), value)) : ran;
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

interface PendingTimer {
  due: number;
  seq: number;
  callback: () => void;
}

/** Keep `timers` sorted by (due, creation order). */
function insertTimer(timers: PendingTimer[], timer: PendingTimer): void {
  insertOrdered(timers, timer, (t) => t.due);
}

/**
 * Deterministic clock: timers fire in (due time, creation order); time jumps to the earliest timer once
 * the process is idle. Idle = no held work and the event loop settled for `settleRounds` immediates.
 */
export class VirtualClock extends BaseClock {
  protected current: number;
  protected readonly timers: PendingTimer[] = [];
  private seq = 0;
  protected holds = 0;
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

  /** The process is idle: fire the next timer, then look again once whatever it started settles. */
  protected step(): void {
    this.fireNext();
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

  protected fireNext(): void {
    const timer = this.timers.shift();
    if (!timer) return;
    if (timer.due > this.current) this.current = timer.due;
    timer.callback();
  }

  protected scheduleAdvance(): void {
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
      this.step();
    };
    setImmediate(tick);
  }
}

export interface ScaledClockOptions {
  /** Idle detection, as VirtualClock's (immediates the event loop must stay quiet for). */
  settleRounds?: number;
}

/**
 * Simulated time paced to the wall clock, `factor` times faster (demos: a 10-minute AMI bake in 6 s at ×100).
 * It is a VirtualClock that, once the process is idle, waits (next timer − now) / factor of wall time before
 * jumping to the next timer. So simulated time passes only while the process waits: a handler invocation,
 * a simulated AWS call or the engine's own work take no simulated time however long the machine takes for
 * them (3 ms of handler at ×100,000 used to become 300 s), and an invocation is charged its modeled duration
 * instead (`runHeld` with `modeledMs`). The same run costs the same simulated time at any speed and load.
 * Time is read as the instant of the last timer (or charge), as on VirtualClock.
 */
export class ScaledClock extends VirtualClock {
  private pacing?: ReturnType<typeof setTimeout>;

  constructor(
    readonly factor: number,
    start?: number,
    options: ScaledClockOptions = {},
  ) {
    if (!(factor > 0)) throw new RangeError(`ScaledClock factor must be > 0, got ${factor}`);
    super(start ?? Date.now(), options);
  }

  /** Whether held work is in progress (simulated time cannot pass). */
  get paused(): boolean {
    return this.holds > 0;
  }

  override setTimer(ms: number, callback: () => void): CancelTimer {
    // A new timer may be due before the one being paced to: look again.
    this.stopPacing();
    return super.setTimer(ms, callback);
  }

  protected override acquire(): void {
    this.stopPacing();
    super.acquire();
  }

  protected override chargesModeledTime(): boolean {
    return true;
  }

  protected override step(): void {
    this.stopPacing();
    const next = this.timers[0];
    if (!next) return;
    this.pacing = setTimeout(() => {
      this.pacing = undefined;
      if (this.holds > 0 || this.timers.length === 0) return;
      this.fireNext();
      this.scheduleAdvance();
    }, Math.max(0, next.due - this.current) / this.factor);
  }

  private stopPacing(): void {
    if (this.pacing === undefined) return;
    clearTimeout(this.pacing);
    this.pacing = undefined;
    this.scheduleAdvance();
  }
}
