import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, MAX_SPEED, type Io } from '../../bin/cli';
import { openStateDir } from '../../local/state-dir';

// `gami demo` refusing bad input: each case is one line on stderr and exit 2, before anything runs.
function capture(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env, onInterrupt: () => () => undefined };
  return { io, out, err };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gami-cli-demo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gami demo refuses bad input in one line, exit 2', () => {
  const speedError = (value: string) =>
    `error: option '--speed <n>' argument '${value}' is invalid. "${value}" is not a speed: give simulated seconds per wall second, more than 0 and at most ${MAX_SPEED}`;

  it.each([['100000'], ['0'], ['-5'], ['abc'], ['Infinity'], ['']])('--speed %j', async (value) => {
    const { io, out, err } = capture();
    expect(await main(['demo', '--speed', value], io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([speedError(value)]);
  });

  it('a missing pipeline file', async () => {
    const { io, out, err } = capture();
    expect(await main(['demo', join(dir, 'nope.yaml')], io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([`${join(dir, 'nope.yaml')}:1:1 file not found`]);
  });

  it('an invalid pipeline file: each problem on its line, then how to see them all', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: web-base\nbaseImage: *nowhere\n');
    const { io, err } = capture();
    expect(await main(['demo', file], io)).toBe(2);
    expect(err).toEqual([`${file}:2:12 YAML: alias *nowhere refers to no anchor (an anchor &nowhere must come before it)`]);

    writeFileSync(file, 'name: X\n');
    const second = capture();
    expect(await main(['demo', file], second.io)).toBe(2);
    expect(second.err.at(-1)).toBe(`error: ${file}: 6 problems; run gami validate ${file}`);
    expect(second.err.slice(0, -1).every((line) => line.startsWith(`${file}:1:`))).toBe(true);
  });

  it.each([
    [{ npm_lifecycle_event: 'start', npm_config_speed: 'true' }, ['demo', '600'], 'error: npm took --speed for itself: options go after "--", as in: npm start -- --speed 600'],
    [{ npm_lifecycle_event: 'start', npm_config_speed: '600' }, ['demo'], 'error: npm took --speed for itself: options go after "--", as in: npm start -- --speed 600'],
    [{ npm_lifecycle_event: 'start', npm_config_fresh: 'true' }, ['demo'], 'error: npm took --fresh for itself: options go after "--", as in: npm start -- --fresh'],
    [
      { npm_lifecycle_event: 'gami', npm_config_state_dir: 'true', npm_config_fresh: 'true' },
      ['demo', '/tmp/x'],
      'error: npm took --state-dir, --fresh for itself: options go after "--", as in: npm run gami -- --state-dir /tmp/x --fresh',
    ],
  ])('options npm took for itself (%j, argv %j)', async (env, argv, message) => {
    const { io, err } = capture(env);
    expect(await main(argv, io)).toBe(2);
    expect(err).toEqual([message]);
  });

  it('a state directory under a file', async () => {
    writeFileSync(join(dir, 'file'), 'x');
    const { io, err } = capture();
    expect(await main(['demo', '--state-dir', join(dir, 'file', 'state')], io)).toBe(2);
    expect(err).toEqual([expect.stringMatching(/^error: --state-dir .*\/file\/state: .*file is a file, not a directory$/)]);
  });

  it('--fresh on a directory gami did not create: refused, nothing deleted', async () => {
    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'README.md'), '# mine');
    const { io, err } = capture();
    expect(await main(['demo', '--fresh', '--state-dir', project], io)).toBe(2);
    expect(err).toEqual([
      `error: --state-dir ${project}: not a gami state directory (no .gami-state-dir marker, and it holds README.md); give a new or empty directory — gami never deletes or writes into a directory it did not create`,
    ]);
    expect(readdirSync(project)).toEqual(['README.md']);
  });

  it('a state directory another demo holds: says which process', async () => {
    const stateDir = join(dir, 'busy');
    const holder = openStateDir(stateDir, { command: 'gami demo', now: () => new Date('2026-11-22T09:00:00Z') });
    try {
      const { io, err } = capture();
      expect(await main(['demo', '--state-dir', stateDir], io)).toBe(2);
      expect(err).toEqual([
        `error: --state-dir ${stateDir} is in use by process ${process.pid} (gami demo, since 2026-11-22T09:00:00.000Z); wait for it to finish, or give another --state-dir`,
      ]);
    } finally {
      holder.release();
    }
  });
});

describe('gami demo and Ctrl-C', () => {
  it('takes a Ctrl-C relayed twice (terminal, npm, tsx) as one press: interrupted before the run, exit 130, lock released', async () => {
    // Prepare: the Ctrl-C arrives twice at once, while the demo starts up.
    const stateDir = join(dir, 'interrupted');
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: {},
      onInterrupt: (listener) => {
        listener();
        listener();
        return () => undefined;
      },
    };

    // Act
    const code = await main(['demo', '--state-dir', stateDir], io);

    // Assess
    expect(code).toBe(130);
    expect(err).toEqual([]);
    expect(out.at(-1)).toMatch(/✗ interrupted before the run started; nothing to clean up$/);
    expect(readdirSync(stateDir)).not.toContain('gami.lock');
  });
});
