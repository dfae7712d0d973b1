import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../bin/cli';
import { NOT_YET_BUILT } from '../../pipeline/summary';
import { STAGES } from '../../tasks/contracts';

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
  it('exits 0 for the example pipeline and says what runs today, and what is configured but not yet built', async () => {
    // Prepare
    const { io, out, err } = capture();

    // Act
    const code = await main(['validate', '--today', '2026-11-22', 'pipelines/example.yaml'], io);

    // Assess
    expect(code).toBe(0);
    expect(out).toEqual([
      '✓ pipelines/example.yaml',
      'web-base: bakes the image in SSM parameter /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 (x86_64, t3.medium) in eu-west-1 with 3 components: os-update, ssh-hardening, cleanup',
      '  base images only from: amazon, self',
      '  scan gate: CRITICAL ≤ 0, HIGH ≤ 3, MEDIUM ≤ 5, LOW ≤ ∞, INFORMATIONAL ≤ ∞, UNTRIAGED ≤ 0; 1 exception; fails closed after 60 min without a scan',
      '  remediation windows: HIGH fixed ≤ 7 d ago, MEDIUM fixed ≤ 30 d ago; fixable findings past them fail the gate',
      '  image: root 10 GiB gp3 3000 IOPS 250 MiB/s, data /dev/sdf 20 GiB gp3; encrypted with alias/gami-ami; boot mode uefi-preferred; IMDSv2 only',
      '  approval: 2 of 2 approvers (alice.platform@example.com, bob.security@example.com) within 72 h, each by a personal signed link; one rejection rejects',
      '  runs today: bake → test → scan gate → approval → distribute → share → publish → launch templates → retention:',
      '    copies to eu-central-1, us-east-1 (2 at a time)',
      '    shares with 2 accounts; never public',
      '    publishes the image id to /golden/web-base/latest in every region and in 1 consumer account',
      '    updates 2 launch templates, all or nothing (rolled back on any failure): web-prod (222222222222/eu-west-1; refreshes web-prod-asg at ≥ 90 % healthy), web-staging (333333333333/eu-central-1)',
      '    marks the image and its copies approved: watermarked web-base, protected from deregistration, tagged gami:status=approved',
      '    retention: keeps the newest 3, deprecates after 30 d, deregisters after 90 d with snapshots; never an image in use in eu-west-1, eu-central-1, us-east-1 or 2 consumer accounts; sweep cron(0 4 * * ? *)',
      '  schedule: cron(0 3 ? * MON *) Europe/Dublin, next run 2026-11-23T03:00:00.000Z; skipped (and recorded) when neither the base image nor a component changed since the last approved image; disabled (and notified) after 3 consecutive failed runs',
    ]);
    expect(err).toEqual(['1 file(s): 1 valid, 0 invalid; 0 error(s), 0 warning(s)']);
  });

  it('lists as "not yet built" exactly the stages the workflow does not have (update both when a stage lands)', () => {
    // The workflow's stages, as the registry records them.
    expect(STAGES).toEqual(['Prepare', 'Bake', 'Test', 'ScanGate', 'Approval', 'Distribute', 'Share', 'Publish', 'LaunchTemplates', 'Retention', 'Done', 'Failed']);
    for (const stage of NOT_YET_BUILT) expect(STAGES).not.toContain(stage);
  });

  it('validates the YAML files of a directory it is given', async () => {
    // Prepare: a directory with the example and a broken copy.
    const pipelinesDir = join(dir, 'many');
    mkdirSync(pipelinesDir);
    symlinkSync(resolve('pipelines/components'), join(pipelinesDir, 'components'));
    writeFileSync(join(pipelinesDir, 'a.yaml'), readFileSync('pipelines/example.yaml', 'utf8'));
    writeFileSync(join(pipelinesDir, 'b.yml'), 'name: *nowhere\n');
    writeFileSync(join(pipelinesDir, 'notes.txt'), 'not a pipeline');
    const { io, out, err } = capture();

    // Act
    const code = await main(['validate', '--today', '2026-11-22', `${pipelinesDir}/`], io);

    // Assess
    expect(code).toBe(2);
    expect(out[0]).toBe(`✓ ${pipelinesDir}/a.yaml`);
    expect(err).toEqual([
      `${pipelinesDir}/b.yml:1:7 YAML: alias *nowhere refers to no anchor (an anchor &nowhere must come before it)`,
      '2 file(s): 1 valid, 1 invalid; 1 error(s), 0 warning(s)',
    ]);
  });

  it('refuses a directory without YAML files in one line', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gami-empty-'));
    try {
      const { io, out, err } = capture();
      expect(await main(['validate', empty], io)).toBe(2);
      expect(out).toEqual([]);
      expect(err).toEqual([`error: ${empty} is a directory with no .yaml or .yml files`]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('reports two files with the same pipeline name and instance profile at both files\' positions', async () => {
    const copy = join(dir, 'copy.yaml');
    writeFileSync(copy, readFileSync('pipelines/example.yaml', 'utf8'));
    const { io, err } = capture();
    expect(await main(['validate', '--today', '2026-11-22', 'pipelines/example.yaml', copy], io)).toBe(2);
    expect(err).toEqual([
      `pipelines/example.yaml:6:7 name: pipeline name "web-base" is also used by ${copy}:6:7; it must be unique (stacks, state machines and tags are named after it)`,
      `pipelines/example.yaml:17:20 build.instanceProfile: instance profile "GamiBuilderInstanceProfile" is also used by ${copy}:17:20; it must be unique (each stack creates its own, and IAM names are unique per account)`,
      `${copy}:6:7 name: pipeline name "web-base" is also used by pipelines/example.yaml:6:7; it must be unique (stacks, state machines and tags are named after it)`,
      `${copy}:17:20 build.instanceProfile: instance profile "GamiBuilderInstanceProfile" is also used by pipelines/example.yaml:17:20; it must be unique (each stack creates its own, and IAM names are unique per account)`,
      '2 file(s): 0 valid, 2 invalid; 4 error(s), 0 warning(s)',
    ]);
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

  it('prints an unknown option\'s error once, and exits 2', async () => {
    const { io, out, err } = capture();
    expect(await main(['validate', '--bogus'], io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual(["error: unknown option '--bogus'"]);
  });
});

describe('gami --help and --version', () => {
  it.each([[['--help']], [['validate', '--help']], [['demo', '--help']], [['help', 'schema']]])('%j prints help and no error, exit 0', async (argv) => {
    const { io, out, err } = capture();
    expect(await main(argv, io)).toBe(0);
    expect(out.join('\n')).toMatch(/^Usage: gami/);
    expect(err).toEqual([]);
  });

  it('prints the package version', async () => {
    const { io, out, err } = capture();
    expect(await main(['--version'], io)).toBe(0);
    expect(out).toEqual([JSON.parse(readFileSync('package.json', 'utf8')).version]);
    expect(err).toEqual([]);
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

  it('writes both schemas into an existing directory, creating components/', async () => {
    const target = mkdtempSync(join(tmpdir(), 'gami-schema-'));
    try {
      const { io, out } = capture();
      expect(await main(['schema', '--dir', target], io)).toBe(0);
      expect(out).toEqual([`wrote ${target}/schema.json`, `wrote ${target}/components/schema.json`]);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it.each([
    [['schema', '--dir', '/nonexistent-gami-dir'], 'error: --dir /nonexistent-gami-dir: no such directory'],
    [['schema', '--check', '--dir', '/nonexistent-gami-dir'], 'error: --dir /nonexistent-gami-dir: no such directory'],
    [['schema', '--dir', 'package.json'], 'error: --dir package.json: not a directory'],
  ])('%j: one line, exit 2', async (argv, message) => {
    const { io, out, err } = capture();
    expect(await main(argv, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([message]);
  });
});
