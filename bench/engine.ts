/**
 * Engine benchmark (`npm run bench:engine`): the figures of issue 3, and the wall-clock figures that used to
 * be assertions in the unit tests (tests keep only deterministic assertions).
 * - a 1,000-item Map of Pass states with Assign: target ≤ 1 s wall;
 * - state-transition throughput on the virtual clock: target ≥ 2,000 transitions/s;
 * - a day of Wait states on the virtual clock, 150 s of waits on a ×1,000,000 ScaledClock, a Pass-only run on
 *   the RealClock: each target < 1 s wall (were in clock.test.ts / states.test.ts);
 * - a two-invocation run on ScaledClocks of ×1,000 and ×100,000 with a handler burning 3 ms or 40 ms of CPU:
 *   the simulated duration must be identical (2 × MODELED_INVOCATION_MS + the Wait).
 */
import { RealClock, ScaledClock, VirtualClock, type Clock } from '../local/clock';
import { Engine, MODELED_INVOCATION_MS, type ExecutionRecord, type Json } from '../local/engine';

const ARN = 'arn:aws:states:us-east-1:123456789012';

async function runOnce(engine: Engine, definition: unknown, input: Json, name: string): Promise<{ record: ExecutionRecord; ms: number }> {
  const parsed = engine.validate(definition);
  const started = performance.now();
  const record = await engine.start({
    executionArn: `${ARN}:execution:bench:${name}`,
    stateMachineArn: `${ARN}:stateMachine:bench`,
    name,
    definition: parsed,
    input,
    roleArn: 'arn:aws:iam::123456789012:role/bench',
  }).done;
  const ms = performance.now() - started;
  if (record.status !== 'SUCCEEDED') throw new Error(`${name} ended ${record.status}: ${record.error} ${record.cause}`);
  return { record, ms };
}

const mapDefinition = {
  QueryLanguage: 'JSONata',
  StartAt: 'Each',
  States: {
    Each: {
      Type: 'Map',
      Items: '{% $range(1, 1000, 1) %}',
      ItemProcessor: {
        StartAt: 'Work',
        States: {
          Work: { Type: 'Pass', Assign: { doubled: '{% $states.input * 2 %}' }, Output: { n: '{% $states.input %}', doubled: '{% $states.input * 2 %}' }, Next: 'Done' },
          Done: { Type: 'Pass', Output: '{% $states.input.n + $doubled %}', End: true },
        },
      },
      Output: '{% $sum($states.result) %}',
      End: true,
    },
  },
};

/** A counter loop: Inc (Pass + Assign) → Check (Choice) → Inc … → Stop; 2 transitions per turn. */
function loopDefinition(turns: number) {
  return {
    QueryLanguage: 'JSONata',
    StartAt: 'Init',
    States: {
      Init: { Type: 'Pass', Assign: { i: 0 }, Next: 'Inc' },
      Inc: { Type: 'Pass', Assign: { i: '{% $i + 1 %}' }, Next: 'Check' },
      Check: { Type: 'Choice', Choices: [{ Condition: `{% $i < ${turns} %}`, Next: 'Pause' }], Default: 'Stop' },
      Pause: { Type: 'Wait', Seconds: 1, Next: 'Inc' },
      Stop: { Type: 'Succeed', Output: '{% $i %}' },
    },
  };
}

const ARN_FN = 'arn:aws:lambda:us-east-1:123456789012:function:prepare';

/** Wall time of one run of `definition` on `clock`. */
async function timed(clock: Clock, definition: unknown, input: Json, setup?: (engine: Engine) => void): Promise<{ record: ExecutionRecord; ms: number }> {
  const engine = new Engine({ clock, seed: 1 });
  setup?.(engine);
  return runOnce(engine, definition, input, 'timed');
}

function burn(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const dayOfWaits = {
  QueryLanguage: 'JSONata',
  StartAt: 'Static',
  States: {
    Static: { Type: 'Wait', Seconds: 600, Next: 'Dynamic' },
    Dynamic: { Type: 'Wait', Seconds: '{% $states.input.delay %}', Next: 'Until' },
    Until: { Type: 'Wait', Timestamp: '{% $states.input.until %}', End: true },
  },
};
const waits150 = {
  QueryLanguage: 'JSONata',
  StartAt: 'First',
  States: { First: { Type: 'Wait', Seconds: 100, Next: 'Second' }, Second: { Type: 'Wait', Seconds: 50, End: true } },
};
const twoInvocations = {
  QueryLanguage: 'JSONata',
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'prepare' }, TimeoutSeconds: 60, Next: 'Pause' },
    Pause: { Type: 'Wait', Seconds: 90, Next: 'Bake' },
    Bake: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'prepare' }, TimeoutSeconds: 60, End: true },
  },
};

async function clockFigures(): Promise<Array<readonly [string, string, string, boolean]>> {
  const day = await timed(new VirtualClock(Date.UTC(2026, 0, 1)), dayOfWaits, { delay: 30, until: '2026-01-02T00:00:00Z' });
  const scaled = await timed(new ScaledClock(1_000_000), waits150, {});
  const real = await timed(new RealClock(), { QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, {});
  const simulated: number[] = [];
  const walls: number[] = [];
  for (const [factor, cpuMs] of [
    [1000, 3],
    [100_000, 3],
    [100_000, 40],
  ] as const) {
    const run = await timed(new ScaledClock(factor, Date.UTC(2026, 0, 1)), twoInvocations, {}, (engine) =>
      engine.lambdas.registerHandler(ARN_FN, async () => {
        burn(cpuMs);
        return {};
      }),
    );
    simulated.push(run.record.stopDate! - run.record.startDate);
    walls.push(run.ms);
  }
  const expected = 2 * MODELED_INVOCATION_MS + 90_000;
  return [
    ['a day of Wait states on the VirtualClock', `${day.ms.toFixed(1)} ms wall`, '< 1000 ms', day.ms < 1000],
    ['150 s of waits on a x1,000,000 ScaledClock', `${scaled.ms.toFixed(1)} ms wall`, '< 1000 ms', scaled.ms < 1000],
    ['a Pass-only run on the RealClock', `${real.record.stopDate! - real.record.startDate} ms between start and stop`, '< 1000 ms', real.record.stopDate! - real.record.startDate < 1000],
    [
      'two invocations + 90 s Wait on ScaledClock x1,000 (3 ms CPU) / x100,000 (3 ms) / x100,000 (40 ms)',
      `${simulated.map((ms) => `${ms} ms`).join(' / ')} simulated, ${walls.map((ms) => `${ms.toFixed(0)} ms`).join(' / ')} wall`,
      `all ${expected} ms`,
      simulated.every((ms) => ms === expected),
    ],
  ];
}

async function main(): Promise<void> {
  const engine = new Engine({ clock: new VirtualClock(), seed: 1 });
  // Warm-up: JIT and the JSONata compile cache, as in any long-running local runtime.
  await runOnce(engine, mapDefinition, {}, 'warm-map');
  await runOnce(engine, loopDefinition(200), {}, 'warm-loop');

  const map = await runOnce(engine, mapDefinition, {}, 'map-1000');
  const mapCold = await runOnce(new Engine({ clock: new VirtualClock(), seed: 1 }), mapDefinition, {}, 'map-1000-cold');
  // 3,000 turns stay under the 25,000-event history limit; three runs give a steadier figure.
  const turns = 3000;
  let transitions = 0;
  let loopMs = 0;
  let loop = await runOnce(engine, loopDefinition(turns), {}, 'loop-0');
  for (let i = 1; i <= 3; i++) {
    loop = await runOnce(engine, loopDefinition(turns), {}, `loop-${i}`);
    transitions += loop.record.events.filter((e) => e.type.endsWith('StateEntered')).length;
    loopMs += loop.ms;
  }
  const perSecond = transitions / (loopMs / 1000);

  const rows = [
    ['1,000-item Map of Pass+Assign (warm)', `${map.ms.toFixed(0)} ms wall`, '≤ 1000 ms', map.ms <= 1000],
    ['1,000-item Map of Pass+Assign (cold engine)', `${mapCold.ms.toFixed(0)} ms wall`, '≤ 1000 ms', mapCold.ms <= 1000],
    [`transitions on the virtual clock (${transitions} states incl. ${3 * turns} Waits, 3 runs)`, `${perSecond.toFixed(0)} transitions/s`, '≥ 2000/s', perSecond >= 2000],
    ...(await clockFigures()),
  ] as const;
  for (const [what, figure, target, ok] of rows) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}: ${figure} (target ${target})`);
  console.log(`map output ${map.record.output}, ${map.record.events.length} history events; loop output ${loop.record.output}`);
  if (rows.some((r) => !r[3])) process.exitCode = 1;
}

void main();
