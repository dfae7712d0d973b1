/**
 * Task tokens of `.waitForTaskToken` tasks. A token is issued before the task's Arguments are evaluated
 * (so `$states.context.Task.Token` can be sent), may be answered before the invocation even returns, and
 * stays known after it closes so a late answer gets AWS's error: TaskTimedOut once the task timed out,
 * TaskDoesNotExist once it completed (or the execution ended), InvalidToken when it is not a token at all.
 */
import type { Json } from './asl';
import { StatesError } from './errors';

export class InvalidToken extends Error {
  constructor(message = 'Invalid Token') {
    super(message);
    this.name = 'InvalidToken';
  }
}
export class TaskDoesNotExist extends Error {
  constructor(message = 'Task does not exist anymore') {
    super(message);
    this.name = 'TaskDoesNotExist';
  }
}
export class TaskTimedOut extends Error {
  constructor(message = 'Task Timed Out') {
    super(message);
    this.name = 'TaskTimedOut';
  }
}
export class InvalidOutput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOutput';
  }
}

type Outcome = { ok: true; output: Json } | { ok: false; error: StatesError };

interface Pending {
  executionArn: string;
  status: 'open' | 'completed' | 'timedOut';
  outcome?: Outcome;
  waiter?: (outcome: Outcome) => void;
  onHeartbeat?: () => void;
}

/** The handle a waiting task holds on its token. */
export interface IssuedToken {
  token: string;
  /** Resolves with the output of SendTaskSuccess; rejects with the StatesError of SendTaskFailure. */
  wait(onHeartbeat: () => void): Promise<Json>;
  /** Close the token (the task ended another way). `timedOut` makes later answers TaskTimedOut. */
  close(timedOut: boolean): void;
}

export class TaskTokens {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;

  constructor(private readonly random: () => number) {}

  issue(executionArn: string): IssuedToken {
    const nonce = Math.floor(this.random() * 2 ** 48).toString(36);
    const token = Buffer.from(JSON.stringify({ v: 1, e: executionArn, n: ++this.seq, r: nonce })).toString('base64url');
    const entry: Pending = { executionArn, status: 'open' };
    this.pending.set(token, entry);
    return {
      token,
      wait: (onHeartbeat) =>
        new Promise<Json>((resolve, reject) => {
          const settle = (outcome: Outcome) => (outcome.ok ? resolve(outcome.output) : reject(outcome.error));
          entry.onHeartbeat = onHeartbeat;
          if (entry.outcome) settle(entry.outcome);
          else entry.waiter = settle;
        }),
      close: (timedOut) => {
        if (entry.status === 'open') entry.status = timedOut ? 'timedOut' : 'completed';
        entry.waiter = undefined;
        entry.onHeartbeat = undefined;
      },
    };
  }

  /** SendTaskSuccess. `output` is the JSON text the API received. */
  succeed(token: string, output: string): void {
    let parsed: Json;
    try {
      parsed = JSON.parse(output) as Json;
    } catch {
      throw new InvalidOutput('Invalid output: the output is not valid JSON');
    }
    this.answer(token, { ok: true, output: parsed });
  }

  /** SendTaskFailure. */
  fail(token: string, error = '', cause = ''): void {
    this.answer(token, { ok: false, error: new StatesError(error, cause) });
  }

  /** SendTaskHeartbeat. */
  heartbeat(token: string): void {
    const entry = this.open(token);
    entry.onHeartbeat?.();
  }

  /** The execution a token belongs to (throws InvalidToken for anything that is not one of ours). */
  executionOf(token: string): string {
    return this.lookup(token).executionArn;
  }

  /** Close every token of an execution (it stopped, failed or timed out). */
  closeExecution(executionArn: string): void {
    for (const entry of this.pending.values()) {
      if (entry.executionArn === executionArn && entry.status === 'open') {
        entry.status = 'completed';
        entry.waiter = undefined;
      }
    }
  }

  private answer(token: string, outcome: Outcome): void {
    const entry = this.open(token);
    entry.status = 'completed';
    if (entry.waiter) entry.waiter(outcome);
    else entry.outcome = outcome;
  }

  private open(token: string): Pending {
    const entry = this.lookup(token);
    if (entry.status === 'timedOut') throw new TaskTimedOut();
    if (entry.status === 'completed') throw new TaskDoesNotExist();
    return entry;
  }

  private lookup(token: string): Pending {
    if (typeof token !== 'string' || token.length === 0 || token.length > 2048) throw new InvalidToken();
    const entry = this.pending.get(token);
    if (entry) return entry;
    try {
      const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: number };
      if (decoded.v === 1) throw new TaskDoesNotExist();
    } catch (error) {
      if (error instanceof TaskDoesNotExist) throw error;
    }
    throw new InvalidToken();
  }
}
