import { mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../bin/gami';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gami-cli-'));
  symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gami validate', () => {
  it('exits 0 for the example pipeline and says what it will do', async () => {
    // Prepare
    const { io, out, err } = capture();

    // Act
    const code = await main(['validate', '--today', '2026-11-22', 'pipelines/example.yaml'], io);

    // Assess
    expect(code).toBe(0);
    expect(out[0]).toBe('✓ pipelines/example.yaml');
    expect(out).toContain('  copies to eu-central-1, us-east-1 (2 at a time)');
    expect(out).toContain('  approval: 2 of 2 approvers within 72 h');
    expect(out).toContain('  schedule: cron(0 3 ? * MON *) Europe/Dublin, next run 2026-11-23T03:00:00.000Z');
    expect(err).toEqual(['1 file(s): 1 valid, 0 invalid; 0 error(s), 0 warning(s)']);
  });

  it('reports all three mistakes of a file with line:col and path, and exits 2', async () => {
    // Prepare: the example with three mistakes.
    const file = join(dir, 'three.yaml');
    writeFileSync(
      file,
      readFileSync('pipelines/example.yaml', 'utf8')
        .replace('    - "333333333333" # staging', '    - "12345"')
        .replace('  maxFindings:', '  maxFinding:')
        .replace('region: us-east-1', 'region: us-east-7'),
    );
    const { io, out, err } = capture();

    // Act
    const code = await main(['validate', file], io);

    // Assess
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([
      `${file}:42:3 scanGate.maxFinding: unknown key "maxFinding" (did you mean "maxFindings"?)`,
      `${file}:76:15 distribution.targetRegions[1].region: "us-east-7" is not an AWS region name (did you mean "us-east-1"?)`,
      `${file}:84:7 sharing.accounts[1]: "12345" is not a 12-digit AWS account id`,
      '1 file(s): 0 valid, 1 invalid; 3 error(s), 0 warning(s)',
    ]);
  });

  it('validates several files in one run and reports each', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: X\n');
    const { io, err } = capture();
    const code = await main(['validate', 'pipelines/example.yaml', bad, join(dir, 'missing.yaml')], io);
    expect(code).toBe(2);
    expect(err).toEqual([
      `${bad}:1:1 baseImage: required key "baseImage" is missing`,
      `${bad}:1:1 build: required key "build" is missing`,
      `${bad}:1:1 components: required key "components" is missing`,
      `${bad}:1:1 distribution: required key "distribution" is missing`,
      `${bad}:1:1 approval.approvers: approval is required but no approver is listed`,
      `${bad}:1:7 name: "X" is not a pipeline name (3-40 characters: lowercase letters, digits, hyphens; starts with a letter)`,
      `${join(dir, 'missing.yaml')}:1:1 file not found`,
      '3 file(s): 1 valid, 2 invalid; 7 error(s), 0 warning(s)',
    ]);
  });

  it('refuses a malformed --today with a message naming it', async () => {
    const { io, err } = capture();
    expect(await main(['validate', '--today', '22/11/2026', 'pipelines/example.yaml'], io)).toBe(2);
    expect(err).toEqual(['error: --today: "22/11/2026" is not a date in the form YYYY-MM-DD']);
  });

  it('refuses an unknown command', async () => {
    const { io, err } = capture();
    expect(await main(['valdate'], io)).toBe(2);
    expect(err.join('\n')).toContain("unknown command 'valdate'");
  });
});

describe('gami schema', () => {
  it('finds the checked-in JSON Schemas up to date (run npm run schema when this fails)', async () => {
    const { io, out } = capture();
    expect(await main(['schema', '--check'], io)).toBe(0);
    expect(out).toEqual(['schemas are up to date']);
  });

  it('detects a stale schema', async () => {
    const stale = mkdtempSync(join(tmpdir(), 'gami-schema-'));
    try {
      const { io, err } = capture();
      expect(await main(['schema', '--check', '--dir', stale], io)).toBe(2);
      expect(err).toEqual([`error: stale: ${stale}/schema.json, ${stale}/components/schema.json (run npm run schema)`]);
    } finally {
      rmSync(stale, { recursive: true, force: true });
    }
  });
});
