import { RealClock, ScaledClock, VirtualClock, type Clock } from '../../../local/clock';
import { Engine, type ExecutionRecord } from '../../../local/engine';
import { machine, ROLE } from './helpers';

const definition = machine({
  First: { Type: 'Wait', Seconds: 100, Next: 'Second' },
  Second: { Type: 'Wait', Seconds: '{% $states.input.more %}', Output: '{% $now() %}', End: true },
});

function runOn(clock: Clock, input: object = { more: 50 }): Promise<ExecutionRecord> {
  const engine = new Engine({ clock });
  return engine.start({
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:clock:run',
    stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:clock',
    name: 'run',
    definition: engine.validate(definition),
    input: input as never,
    roleArn: ROLE,
  }).done;
}

describe('the engine’s clock', () => {
  it('VirtualClock: timers jump to the next due time; timestamps are exact and deterministic', async () => {
    const first = await runOn(new VirtualClock(Date.UTC(2030, 5, 1)));
    const second = await runOn(new VirtualClock(Date.UTC(2030, 5, 1)));
    expect(first.events.map((e) => e.timestamp - first.startDate)).toEqual([0, 0, 100_000, 100_000, 150_000, 150_000]);
    expect(JSON.parse(first.output!)).toBe('2030-06-01T00:02:30.000Z');
    expect(second).toEqual(first);
  });

  it('ScaledClock: 150 s of waits cost exactly 150 simulated seconds (wall figures: npm run bench:engine)', async () => {
    const record = await runOn(new ScaledClock(1_000_000, Date.UTC(2030, 5, 1)));
    expect(record.status).toBe('SUCCEEDED');
    expect(record.events.map((e) => e.timestamp - record.startDate)).toEqual([0, 0, 100_000, 100_000, 150_000, 150_000]);
  });

  it('RealClock: a run without timers uses wall time for its timestamps', async () => {
    const before = Date.now();
    const engine = new Engine({ clock: new RealClock() });
    const passOnly = await engine.start({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:clock:real',
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:clock',
      name: 'real',
      definition: engine.validate(machine({ P: { Type: 'Pass', End: true } })),
      input: {},
      roleArn: ROLE,
    }).done;
    expect(passOnly.startDate).toBeGreaterThanOrEqual(before);
    expect(passOnly.stopDate!).toBeGreaterThanOrEqual(passOnly.startDate);
    expect(passOnly.stopDate!).toBeLessThanOrEqual(Date.now());
  });
});
