/**
 * ScaledClock: held work (handler invocations, simulated AWS calls) stops simulated time and an invocation is
 * charged its modeled duration, so simulated time does not depend on the speed factor or on machine load.
 * The wall-time source is injected: nothing here waits on the wall clock.
 */
import { ScaledClock } from '../../../local/clock';
import { Engine, MODELED_INVOCATION_MS, type ExecutionRecord } from '../../../local/engine';
import { fnArn, machine, ROLE } from './helpers';

const T0 = Date.UTC(2026, 0, 1);

function fakeWall() {
  const wall = { ms: 0 };
  return { wall, now: () => wall.ms };
}

describe('ScaledClock', () => {
  it('runs at factor × wall time while nothing is held', () => {
    const { wall, now } = fakeWall();
    const clock = new ScaledClock(600, T0, { wallNow: now });
    wall.ms += 1000;
    expect(clock.now()).toBe(T0 + 600_000);
  });

  it('stops while held work runs and charges the modeled duration instead of the wall time it took', async () => {
    const { wall, now } = fakeWall();
    const clock = new ScaledClock(100_000, T0, { wallNow: now });
    const seen: number[] = [];
    const held = clock.runHeld(
      async () => {
        wall.ms += 3; // 3 ms of a busy machine: 300 s at ×100,000 if it were counted
        seen.push(clock.now());
        await Promise.resolve();
        wall.ms += 2;
        seen.push(clock.now());
        return 'done';
      },
      { modeledMs: 200 },
    );
    expect(clock.paused).toBe(true);
    expect(await held.result).toBe('done');
    expect(seen).toEqual([T0, T0]);
    expect(clock.paused).toBe(false);
    expect(clock.now()).toBe(T0 + 200);
  });

  it('concurrent invocations started together overlap: charged once', async () => {
    const { wall, now } = fakeWall();
    const clock = new ScaledClock(100_000, T0, { wallNow: now });
    const work = () => clock.runHeld(async () => (wall.ms += 7), { modeledMs: 200 }).result;
    await Promise.all([work(), work(), work()]);
    expect(clock.now()).toBe(T0 + 200);
  });

  it('hold() stops time without a charge (simulated AWS calls)', async () => {
    const { wall, now } = fakeWall();
    const clock = new ScaledClock(1000, T0, { wallNow: now });
    await clock.hold(Promise.resolve().then(() => (wall.ms += 50)));
    expect(clock.now()).toBe(T0);
  });

  it('the same run costs the same simulated time at ×1,000 and ×100,000, however slow the handler', async () => {
    const runAt = async (factor: number, handlerWallMs: number): Promise<ExecutionRecord> => {
      const { wall, now } = fakeWall();
      const clock = new ScaledClock(factor, T0, { wallNow: now });
      const engine = new Engine({ clock, seed: 1 });
      engine.lambdas.registerHandler(fnArn('prepare'), async () => {
        wall.ms += handlerWallMs;
        return { ok: true };
      });
      return engine.start({
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:scaled:run',
        stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:scaled',
        name: 'run',
        definition: engine.validate(
          machine({
            Prepare: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'prepare' }, TimeoutSeconds: 60, Next: 'Bake' },
            Bake: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'prepare' }, TimeoutSeconds: 60, End: true },
          }),
        ),
        input: {},
        roleArn: ROLE,
      }).done;
    };
    const slow = await runAt(100_000, 3);
    const slower = await runAt(100_000, 40);
    const gentle = await runAt(1000, 3);
    for (const record of [slow, slower, gentle]) {
      expect(record.status).toBe('SUCCEEDED');
      expect(record.events.map((e) => e.timestamp - T0)).toEqual(slow.events.map((e) => e.timestamp - T0));
    }
    expect(slow.stopDate! - slow.startDate).toBe(2 * MODELED_INVOCATION_MS);
  });
});
