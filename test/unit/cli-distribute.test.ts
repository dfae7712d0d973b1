import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type Io } from '../../bin/cli';

// `gami distribute`: bad input is one line and exit 2; a local run of a version that is not there fails by name.
function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, onInterrupt: () => () => undefined };
  return { io, out, err };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gami-cli-distribute-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gami distribute', () => {
  it.each([['0'], ['x'], ['1.5']])('refuses --version %j in one line, exit 2', async (value) => {
    const { io, out, err } = capture();
    expect(await main(['distribute', 'web-base', '--version', value], io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([`error: option '--version <n>' argument '${value}' is invalid. "${value}" is not an image version (a whole number from 1)`]);
  });

  it('refuses a pipeline that has no file in pipelines/', async () => {
    const { io, err } = capture();
    expect(await main(['distribute', 'no-such-pipeline', '--version', '1', '--local', '--state-dir', join(dir, 'state')], io)).toBe(2);
    expect(err).toEqual(['error: no valid pipeline named no-such-pipeline in pipelines/ (give --file)']);
  });

  it('runs distributeOnly locally and fails by name for a version the registry does not have', async () => {
    const { io, out } = capture();
    expect(await main(['distribute', 'web-base', '--version', '99', '--local', '--state-dir', join(dir, 'state')], io)).toBe(1);
    expect(out.join('\n')).toContain('started arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:');
    expect(out.join('\n')).toContain('{"distributeOnly":{"version":99}');
    expect(out).toContain('✗ web-base: FAILED — InvalidExecutionInput: invalid execution input: distributeOnly.version: web-base has no version 99 in the registry');
  });
});
