/**
 * Engine benchmark (`npm run bench:engine`): the figures of issue 3.
 * - a 1,000-item Map of Pass states with Assign: target ≤ 1 s wall;
 * - state-transition throughput on the virtual clock: target ≥ 2,000 transitions/s.
 */
import { VirtualClock } from '../local/clock';
import { Engine, type ExecutionRecord, type Json } from '../local/engine';

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
  ] as const;
  for (const [what, figure, target, ok] of rows) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}: ${figure} (target ${target})`);
  console.log(`map output ${map.record.output}, ${map.record.events.length} history events; loop output ${loop.record.output}`);
  if (rows.some((r) => !r[3])) process.exitCode = 1;
}

void main();
