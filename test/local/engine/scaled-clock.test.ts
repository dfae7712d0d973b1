/**
 * ScaledClock: simulated time paced to the wall, passing only while the process waits. Held work (handler
 * invocations, simulated AWS calls) and the engine's own work take no simulated time, an invocation is
 * charged its modeled duration, so a run costs the same simulated time at any speed and under any load.
 * At ×100,000 and more the pacing waits are microseconds: nothing here waits on the wall clock for long.
 */
import { ScaledClock } from '../../../local/clock';
import { Engine, MODELED_INVOCATION_MS, type ExecutionRecord } from '../../../local/engine';
import { fnArn, machine, ROLE } from './helpers';

const T0 = Date.UTC(2026, 0, 1);

/** Busy-wait `ms` of wall time: a handler on a slow machine. */
function burn(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('ScaledClock', () => {
  it('passes simulated time only while the process waits, paced factor × faster than the wall', async () => {
    const clock = new ScaledClock(1_000_000, T0);
    burn(5); // 5 ms busy: would be 5,000 s if wall time counted
    expect(clock.now()).toBe(T0);
    await clock.sleep(600_000); // 10 simulated minutes: 0.6 ms of wall time
    expect(clock.now()).toBe(T0 + 600_000);
  });

  it('stops while held work runs and charges the modeled duration instead of the wall time it took', async () => {
    const clock = new ScaledClock(100_000, T0);
    const seen: number[] = [];
    const held = clock.runHeld(
      async () => {
        burn(3); // 3 ms: 300 s at ×100,000 if it were counted
        seen.push(clock.now());
        await new Promise((resolve) => setTimeout(resolve, 2));
        seen.push(clock.now());
        return 'done';
      },
      { modeledMs: 200 },
    );
    expect(clock.paused).toBe(true);
    expect(await held.result).toBe('done');
    expect(seen).toEqual([T0, T0]);
    expect(clock.now()).toBe(T0 + 200);
  });

  it('concurrent invocations that finish together are charged together', async () => {
    const clock = new ScaledClock(100_000, T0);
    const work = () => clock.runHeld(async () => burn(2), { modeledMs: 200 }).result;
    await Promise.all([work(), work(), work()]);
    expect(clock.now()).toBe(T0 + 200);
  });

  it('hold() takes no simulated time (simulated AWS calls)', async () => {
    const clock = new ScaledClock(1000, T0);
    await clock.hold(new Promise((resolve) => setTimeout(resolve, 5)));
    expect(clock.now()).toBe(T0);
  });

  it('the same run costs the same simulated time at ×100,000 and ×1,000,000, however slow the handler', async () => {
    const runAt = async (factor: number, handlerWallMs: number): Promise<ExecutionRecord> => {
      const clock = new ScaledClock(factor, T0);
      const engine = new Engine({ clock, seed: 1 });
      engine.lambdas.registerHandler(fnArn('prepare'), async () => {
        burn(handlerWallMs);
        return { ok: true };
      });
      return engine.start({
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:scaled:run',
        stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:scaled',
        name: 'run',
        definition: engine.validate(
          machine({
            Prepare: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'prepare' }, TimeoutSeconds: 60, Next: 'Pause' },
            Pause: { Type: 'Wait', Seconds: 90, Next: 'Bake' },
            Bake: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'prepare' }, TimeoutSeconds: 60, End: true },
          }),
        ),
        input: {},
        roleArn: ROLE,
      }).done;
    };
    const fast = await runAt(100_000, 1);
    const slowMachine = await runAt(100_000, 40);
    const faster = await runAt(1_000_000, 1);
    for (const record of [fast, slowMachine, faster]) {
      expect(record.status).toBe('SUCCEEDED');
      expect(record.events.map((e) => e.timestamp - T0)).toEqual(fast.events.map((e) => e.timestamp - T0));
    }
    expect(fast.stopDate! - fast.startDate).toBe(2 * MODELED_INVOCATION_MS + 90_000);
  });
});
