/**
 * The local EventBridge: events the local services emit (Step Functions "Execution Status Change") are
 * matched against the synthesized stacks' rules and delivered to their Lambda targets, as EventBridge does
 * with an asynchronous invocation — which Lambda retries twice on a function error, a minute and then two
 * minutes later (Lambda developer guide, "Asynchronous invocation"; on the runtime's clock).
 * `settled()` resolves when every delivery so far (retries included) has ended.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import type { Json } from '../engine/asl';
import type { LambdaRegistry } from '../engine/lambdas';
import type { LocalEventRule } from '../cdk';
import { matchesEventPattern } from './pattern';

/** One delivery of an execution status change to a rule's target. */
export interface StatusChangeDelivery {
  executionArn: string;
  status: string;
  /** The target function's ARN. */
  target: string;
  /** What the function returned (the last attempt). */
  result?: unknown;
  /** The error of the last attempt, when every attempt failed. */
  error?: { error: string; cause: string };
  attempts: number;
}

/** Lambda's asynchronous invocation: the first attempt and two retries, 1 and 2 minutes apart. */
export const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000];

export class EventRouter {
  private readonly pending = new Set<Promise<StatusChangeDelivery>>();
  readonly deliveries: StatusChangeDelivery[] = [];

  constructor(
    private readonly rules: readonly LocalEventRule[],
    private readonly lambdas: LambdaRegistry,
    private readonly clock: Clock,
  ) {}

  /** Route `event` to every target of every matching rule. */
  publish(event: Json): void {
    for (const rule of this.rules) {
      if (!matchesEventPattern(rule.eventPattern, event)) continue;
      for (const target of rule.targetArns) {
        if (this.lambdas.has(target)) this.dispatch(target, event);
      }
    }
  }

  /**
   * Invoke `target` asynchronously with `event`, with Lambda's async retries: an event EventBridge or Scheduler
   * sends on a schedule (local/events/timers.ts). `settled()` waits for it too.
   */
  dispatch(target: string, event: Json): void {
    const delivery = this.deliver(target, event);
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
  }

  private async deliver(target: string, event: Json): Promise<StatusChangeDelivery> {
    const detail = (event as { detail?: { executionArn?: string; status?: string } }).detail ?? {};
    const delivery: StatusChangeDelivery = { executionArn: detail.executionArn ?? '', status: detail.status ?? '', target, attempts: 0 };
    for (let attempt = 0; attempt <= ASYNC_RETRY_DELAYS_MS.length; attempt++) {
      if (attempt > 0) await this.clock.sleep(ASYNC_RETRY_DELAYS_MS[attempt - 1]);
      delivery.attempts = attempt + 1;
      try {
        delivery.result = await this.lambdas.invoke(target, event, { clock: this.clock, requestId: randomUUID() });
        delete delivery.error;
        break;
      } catch (thrown) {
        const error = thrown as { error?: string; cause?: string; message?: string };
        delivery.error = { error: error.error ?? 'Error', cause: error.cause ?? error.message ?? String(thrown) };
      }
    }
    this.deliveries.push(delivery);
    return delivery;
  }

  /** Every delivery made so far, once each (and any it led to) has ended. */
  async settled(): Promise<StatusChangeDelivery[]> {
    // Not held on the clock: a delivery may be waiting for its retry, and a virtual clock must advance to it.
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    return [...this.deliveries];
  }
}
