/**
 * The one clock of the local runtime. Every timer — Wait states, retry intervals, state and heartbeat
 * timeouts, resource state changes in the simulated cloud, event timestamps — goes through a Clock.
 *
 * - RealClock: wall time.
 * - ScaledClock: wall time running N times faster (demos: a 10-minute AMI bake in seconds).
 * - VirtualClock: time stands still while anything runs and jumps to the next timer when nothing does,
 *   so tests are deterministic and take milliseconds. "Something runs" means: a promise passed to
 *   `hold()` is pending, or the event loop has not yet settled (microtasks and immediates drained).
 */

export type CancelTimer = () => void;

export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
  /** Run `callback` once `ms` of this clock's time has passed. Returns a function that cancels it. */
  setTimer(ms: number, callback: () => void): CancelTimer;
  /** Resolve after `ms` of this clock's time; reject with an AbortError if `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Declare real asynchronous work (a handler invocation, a loopback HTTP call) in progress: a virtual
   * clock does not advance until it settles. Other clocks just return the promise.
   */
  hold<T>(work: Promise<T>): Promise<T>;
}

abstract class BaseClock implements Clock {
  abstract now(): number;
  abstract setTimer(ms: number, callback: () => void): CancelTimer;

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const onAbort = () => {
        cancel();
        reject(abortError(signal));
      };
      const cancel = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  hold<T>(work: Promise<T>): Promise<T> {
    return work;
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

/** Wall time sped up `factor` times, starting from `start` (default: now). */
export class ScaledClock extends BaseClock {
  private readonly wallStart = Date.now();
  private readonly start: number;

  constructor(
    readonly factor: number,
    start?: number,
  ) {
    super();
    if (!(factor > 0)) throw new RangeError(`ScaledClock factor must be > 0, got ${factor}`);
    this.start = start ?? this.wallStart;
  }
  now(): number {
    return this.start + Math.round((Date.now() - this.wallStart) * this.factor);
  }
  setTimer(ms: number, callback: () => void): CancelTimer {
    const handle = setTimeout(callback, Math.max(0, ms) / this.factor);
    return () => clearTimeout(handle);
  }
}

interface PendingTimer {
  due: number;
  seq: number;
  callback: () => void;
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
    // Keep sorted: insertion by binary search (timers are few; firing is always from the front).
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const t = this.timers[mid];
      if (t.due < timer.due || (t.due === timer.due && t.seq < timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, timer);
    this.scheduleAdvance();
    return () => {
      const i = this.timers.indexOf(timer);
      if (i >= 0) this.timers.splice(i, 1);
    };
  }

  override hold<T>(work: Promise<T>): Promise<T> {
    this.holds++;
    const release = () => {
      this.holds--;
      this.scheduleAdvance();
    };
    work.then(release, release);
    return work;
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
