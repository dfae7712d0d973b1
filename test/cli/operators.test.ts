/**
 * gami start / status / executions against the local runtime: a run started by one command is seen by the
 * next ones (the executions persisted in the state directory), and every wrong argument is one line, exit 2.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { main, type Io } from '../../bin/cli';
import { exampleVariant, type PipelineVariant } from '../fixtures/pipeline-variant';
import { serveLocal } from '../../bin/serve';
import { announceServer, openStateDir, readLock } from '../../local/state-dir';
import { VirtualClock } from '../../local/clock';

function capture(): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l), clock: (savedAt) => new VirtualClock(Math.max(savedAt ?? 0, Date.UTC(2026, 10, 22, 9))) }, out, err };
}

let stateDir: string;
let executionArn: string;
let firstOut: string[];
beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'gami-operators-'));
  const { io, out, err } = capture();
  const code = await main(['start', 'web-base', '--local', '--state-dir', stateDir, '--reason', 'monthly patch', '--requested-by', 'alice@example.com', '--name', 'first-run'], io);
  if (code !== 0) throw new Error(`gami start failed (${code}): ${[...out, ...err].join('\n')}`);
  firstOut = out;
  executionArn = 'arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:first-run';
}, 60_000);
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe('gami start --local', () => {
  it('ran the pipeline to its end and said so, stage by stage', () => {
    expect(firstOut[0]).toBe(`started arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:first-run (local runtime, state in ${stateDir})`);
    const lines = firstOut.slice(1, -1);
    expect(lines.filter((l) => !/approval link for|approved through the page/.test(l)).map((l) => l.split('  ')[1])).toEqual([
      'Prepare', 'Bake', 'Test', 'ScanGate', 'Approval', 'Distribute', 'Share', 'Publish', 'LaunchTemplates', 'Retention', 'Done',
    ]);
    // Without a terminal the configured approvers approve through the local approval pages, as in the demo.
    expect(lines.filter((l) => l.includes('approved through the page: HTTP 200'))).toHaveLength(2);
    expect(firstOut.at(-1)).toMatch(/^✓ arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:first-run: SUCCEEDED in (\d+h )?\d+m \d\ds$/);
  });

  it('a second run in the same state directory continues the numbering; JSON output', async () => {
    const { io, out } = capture();
    const code = await main(['start', 'web-base', '--local', '--state-dir', stateDir, '--name', 'second-run', '--format', 'json'], io);
    expect(code).toBe(0);
    const result = JSON.parse(out.join('\n')) as { status: string; output: { version: number; requestedBy: string } };
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.version).toBe(6);
    expect(result.output.requestedBy).toMatch(/ \(local\)$/);
  }, 60_000);
});

describe('gami executions --local', () => {
  it('lists the runs of earlier processes, newest first, with who started them and why', async () => {
    const { io, out } = capture();
    expect(await main(['executions', 'web-base', '--local', '--state-dir', stateDir], io)).toBe(0);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^second-run {2}SUCCEEDED/);
    expect(out[1]).toMatch(/^first-run {2}SUCCEEDED {2}2026-11-22 09:00:00Z +(\d+h )?\d+m \d\ds {2}\(alice@example\.com: monthly patch\)$/);
  });

  it('filters by status and gives JSON', async () => {
    const { io, out } = capture();
    expect(await main(['executions', 'web-base', '--local', '--state-dir', stateDir, '--status', 'FAILED', '--format', 'json'], io)).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual([]);
  });
});

describe('gami status --local', () => {
  it('describes one execution by name: times, last state, who and why', async () => {
    const { io, out } = capture();
    expect(await main(['status', 'first-run', '--local', '--state-dir', stateDir, '--format', 'json'], io)).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      executionArn,
      name: 'first-run',
      pipeline: 'web-base',
      status: 'SUCCEEDED',
      startDate: '2026-11-22T09:00:00.000Z',
      state: 'Succeeded',
      reason: 'monthly patch',
      requestedBy: 'alice@example.com',
    });
  });

  it('describes one execution by ARN as text', async () => {
    const { io, out } = capture();
    expect(await main(['status', executionArn, '--local', '--state-dir', stateDir], io)).toBe(0);
    expect(out[0]).toBe('web-base  first-run  SUCCEEDED');
    expect(out).toContain('  started:   2026-11-22 09:00:00Z by alice@example.com — monthly patch');
  });

  it('without an execution: the newest run of every pipeline', async () => {
    const { io, out } = capture();
    expect(await main(['status', '--local', '--state-dir', stateDir, '--format', 'json'], io)).toBe(0);
    expect((JSON.parse(out.join('\n')) as { name: string }[]).map((s) => s.name)).toEqual(['second-run']);
  });
});

describe('wrong arguments: one line, exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown pipeline', ['executions', 'nope', '--local'], /^error: no pipeline named "nope" \(no state machine gami-nope; known: web-base\)$/],
    ['an unknown execution', ['status', 'no-such-run', '--local'], /^error: no execution "no-such-run" \(Step Functions keeps/],
    ['a malformed ARN', ['status', 'arn:aws:states:x', '--local'], /^error: "arn:aws:states:x" is not an execution ARN/],
    ['a name with bad characters', ['status', 'a b', '--local'], /^error: "a b" is neither an execution ARN nor an execution name$/],
    ['an unknown status', ['executions', 'web-base', '--local', '--status', 'DONE'], /^error: option '--status <status>' argument 'DONE' is invalid/],
    ['a bad --max', ['executions', 'web-base', '--local', '--max', '0'], /^error: option '--max <n>' argument '0' is invalid\. "0" is not a count from 1 to 1000$/],
    ['an unknown format', ['status', '--local', '--format', 'xml'], /^error: option '--format <format>' argument 'xml' is invalid/],
    ['a missing pipeline argument', ['executions', '--local'], /^error: missing required argument 'pipeline'$/],
    ['start of an unknown pipeline', ['start', 'nope', '--local'], /^error: no pipeline named "nope" in pipelines\/ \(found: web-base\)$/],
    ['start with an empty reason', ['start', 'web-base', '--local', '--reason', ' '], /^error: --reason: give a reason of 1 to 500 characters$/],
    ['start with a bad name', ['start', 'web-base', '--local', '--name', 'a:b'], /^error: --name: "a:b" is not an execution name/],
    ['start with a bad speed', ['start', 'web-base', '--local', '--speed', 'fast'], /^error: --speed: "fast" is not a speed/],
    ['images of a pipeline without a file', ['images', 'nope', '--local'], /^error: no pipeline file pipelines\/nope\.yaml \(give --file, or --no-copies for the registry alone\)$/],
    ['images in an unknown format', ['images', 'web-base', '--local', '--format', 'xml'], /^error: option '--format <format>' argument 'xml' is invalid/],
    ['images of a non-numeric version', ['images', 'web-base', '--local', '--image-version', 'five'], /^error: --image-version: "five" is not a version number$/],
    ['images with --versions but no --package', ['images', 'web-base', '--local', '--versions', '>=1'], /^error: --versions needs --package <name>$/],
    ['images with a bad consumer role', ['images', 'web-base', '--local', '--consumer-role', 'no such role'], /^error: --consumer-role: "no such role" is not an IAM role name$/],
    ['images with a bad version range', ['images', 'web-base', '--local', '--package', 'openssl', '--versions', '>>1'], /^error: --versions: /],
    ['approvals of a bad pipeline name', ['approvals', '--local', '--pipeline', 'Web_Base'], /^error: --pipeline: "Web_Base" is not a pipeline name$/],
    ['approvals from a bad URL', ['approvals', '--url', 'not a url'], /^error: --url: "not a url" is not a URL$/],
    ['approvals from no server', ['approvals', '--url', 'http://127.0.0.1:9'], /^error: no local server at http:\/\/127\.0\.0\.1:9 \(.*\): start one with npm start or gami serve$/],
    ['approvals in an unknown format', ['approvals', '--local', '--format', 'yaml'], /^error: option '--format <format>' argument 'yaml' is invalid/],
  ];
  it.each(cases)('%s', async (_what, argv, message) => {
    const { io, err } = capture();
    expect(await main([...argv, '--state-dir', stateDir], io)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message);
  });

  it('a state directory with nothing stored', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gami-empty-'));
    try {
      const { io, err } = capture();
      expect(await main(['status', '--local', '--state-dir', empty], io)).toBe(2);
      expect(err).toEqual([`error: no executions stored in ${join(empty, 'stepfunctions')} (run npm start or gami start --local first)`]);
      expect(await main(['executions', 'web-base', '--local', '--state-dir', join(empty, 'missing')], io)).toBe(2);
      expect(err[1]).toBe(`error: --state-dir ${join(empty, 'missing')}: no such directory (run npm start or gami start --local first)`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('gami serve', () => {
  it('serves the mailbox and approval pages of the state directory, and says where in gami.lock', async () => {
    // Act
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    let serving!: (line: string) => void;
    const announced = new Promise<string>((resolve) => (serving = resolve));
    const served = serveLocal({ pipelineFile: 'pipelines/example.yaml', port: 0, stateDir, out: (line) => serving(line), until });
    const line = await announced;
    try {
      // Assess
      const origin = /^serving (http:\/\/127\.0\.0\.1:\d+)\/mailbox \(the local account in .+, live: schedules, the hourly freshness report and alarms run on the wall clock\); Ctrl-C stops$/.exec(line)?.[1];
      expect(origin).toBeDefined();
      expect(readLock(stateDir)).toMatchObject({ pid: process.pid, command: 'gami serve', server: origin });
      const mailbox = await fetch(`${origin}/mailbox`);
      expect(mailbox.status).toBe(200);
      expect(await mailbox.text()).toContain('alice.platform@example.com');
      // The two runs' links: both approved, so none is pending; and gami approvals --local asks this server.
      const links = (await (await fetch(`${origin}/approvals.json`)).json()) as { approver: string; pending: boolean; status: string }[];
      expect(links.length).toBeGreaterThanOrEqual(2);
      expect(links.every((l) => !l.pending && l.status === 'approved')).toBe(true);
      const { io, out } = capture();
      expect(await main(['approvals', '--local', '--state-dir', stateDir], io)).toBe(0);
      expect(out).toEqual(['no pending approvals']);
    } finally {
      stop();
      await served;
    }
    expect(readLock(stateDir)).toBeUndefined();
  });
});

describe('gami approvals --local', () => {
  it('asks the approval server of the process holding the state directory (its address in gami.lock): the links', async () => {
    // Prepare: a process holding a state directory whose server has one request pending (alice decided, bob not).
    const dir = mkdtempSync(join(tmpdir(), 'gami-approvals-'));
    const pending = {
      approvalId: 'A'.repeat(43),
      pipeline: 'web-base',
      version: 9,
      imageId: 'ami-0123456789abcdef0',
      createdAt: '2026-11-22T09:00:00.000Z',
      expiresAt: '2026-11-23T09:00:00.000Z',
      expired: false,
      minApprovals: 2,
      approvers: ['alice@example.com', 'bob@example.com'],
      decisions: { 'alice@example.com': 'approve' },
      evidenceSha256: 'ab'.repeat(32),
      status: 'pending',
    };
    const server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(
        request.url === '/approvals.json'
          ? JSON.stringify([
              { ...pending, approver: 'alice@example.com', url: 'http://x/approvals/a?a=alice', subject: 's', pending: false },
              { ...pending, approver: 'bob@example.com', url: 'http://x/approvals/a?a=bob', subject: 's', pending: true },
            ])
          : '{}',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const held = openStateDir(dir, { command: 'gami serve' });
    announceServer(dir, origin);
    try {
      // Act
      const { io, out } = capture();
      expect(await main(['approvals', '--local', '--state-dir', dir, '--format', 'json'], io)).toBe(0);

      // Assess
      expect(JSON.parse(out.join('\n'))).toEqual([
        {
          approvalId: pending.approvalId,
          pipeline: 'web-base',
          version: 9,
          imageId: pending.imageId,
          requestedAt: pending.createdAt,
          expiresAt: pending.expiresAt,
          expired: false,
          minApprovals: 2,
          evidenceSha256: pending.evidenceSha256,
          approvers: [
            { approver: 'alice@example.com', decision: 'approve' },
            { approver: 'bob@example.com', decision: null, link: 'http://x/approvals/a?a=bob' },
          ],
          apiUrl: origin,
          source: `local server ${origin}`,
        },
      ]);
    } finally {
      held.release();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a process on the state directory, reads its registry: both runs were approved, nothing pending', async () => {
    const { io, out } = capture();
    expect(await main(['approvals', '--local', '--state-dir', stateDir], io)).toBe(0);
    expect(out).toEqual(['no pending approvals']);
    const json = capture();
    expect(await main(['approvals', '--local', '--state-dir', stateDir, '--pipeline', 'web-base', '--format', 'json'], json.io)).toBe(0);
    expect(JSON.parse(json.out.join('\n'))).toEqual([]);
  });
});

describe('gami audit --local', () => {
  let failedArn: string;
  let variant: PipelineVariant;
  beforeAll(async () => {
    // A run the scan gate stops: the example without its OS update ships known vulnerabilities.
    variant = exampleVariant((yaml) => yaml.replace('  - path: components/os-update.yaml\n', ''), 'unpatched.yaml');
    const { io } = capture();
    expect(await main(['start', 'web-base', '--local', '--state-dir', stateDir, '--file', variant.file, '--name', 'gate-failed', '--reason', 'try without updates'], io)).toBe(1);
    failedArn = 'arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:gate-failed';
  }, 60_000);
  afterAll(() => variant.remove());

  it('a succeeded run (by version): who and why, stages with durations, base image, components, tests, gate, artifacts', async () => {
    const { io, out } = capture();
    expect(await main(['audit', 'web-base@5', '--local', '--state-dir', stateDir, '--format', 'json'], io)).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.run).toMatchObject({ pipeline: 'web-base', version: 5, executionArn, status: 'SUCCEEDED', startedAt: '2026-11-22T09:00:00.000Z' });
    expect(report.startedBy).toEqual({ requestedBy: 'alice@example.com', reason: 'monthly patch' });
    expect(report.stages.map((s: { stage: string; status: string }) => `${s.stage}:${s.status}`)).toEqual([
      'Prepare:succeeded',
      'Bake:succeeded',
      'Test:succeeded',
      'ScanGate:succeeded',
      'Approval:succeeded',
      'Distribute:succeeded',
      'Share:succeeded',
      'Publish:succeeded',
      'LaunchTemplates:succeeded',
      'Done:succeeded',
    ]);
    expect(report.stages[1].durationSeconds).toBeGreaterThan(60);
    expect(report.baseImage).toMatchObject({ name: 'al2023-ami-2023.3.20240312.0-kernel-6.1-x86_64', source: 'ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' });
    expect(report.components.map((c: { component: string }) => c.component)).toEqual(['os-update', 'ssh-hardening', 'cleanup']);
    expect(report.tests).toEqual([{ component: 'ssh-hardening', step: 'SshdAcceptsConfig', status: 'Success', attempts: 1 }]);
    expect(report.scan).toMatchObject({ passed: true, violations: [] });
    expect(report.scan.exceptions).toEqual([
      expect.objectContaining({ cve: 'CVE-2024-2511', approvedBy: 'security-lead@example.com', expiresOn: '2027-03-31' }),
    ]);
    expect(report.artifacts[0]).toMatchObject({ kind: 'image', region: 'eu-west-1', account: '111111111111', id: report.image.imageId });
    expect(report.artifacts.filter((a: { kind: string }) => a.kind === 'snapshot')).toHaveLength(2);
    // Every stage ran; Retention's decisions come from its report (the Report Retention state's output).
    expect(report.notPartOfThisRun).toEqual([]);
    expect(report.laterStages.map((l: { stage: string }) => l.stage)).toEqual(['Distribute', 'Share', 'Publish', 'LaunchTemplates', 'Retention']);
    expect(report.path[0]).toMatchObject({ state: 'Start Run', visits: 1 });
    expect(report.path.at(-1).state).toBe('Succeeded');
  });

  it('a failed run (the gate): the error, the violations, the failure path', async () => {
    const { io, out } = capture();
    expect(await main(['audit', 'gate-failed', '--local', '--state-dir', stateDir, '--format', 'json'], io)).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.run).toMatchObject({ executionArn: failedArn, status: 'FAILED', error: 'ScanGateFailed' });
    expect(report.startedBy.reason).toBe('try without updates');
    expect(report.scan.passed).toBe(false);
    expect(report.scan.violations.length).toBeGreaterThan(0);
    expect(report.stages.map((s: { stage: string }) => s.stage)).toContain('Failed');
    expect(report.path.map((p: { state: string }) => p.state)).toEqual(expect.arrayContaining(['Evaluate Scan Gate', 'Reject Run Images', 'Notify Failure', 'Failed']));
    expect(report.image.status).toBe('rejected');
  });

  it('Markdown: every section, the approvers of the run among them', async () => {
    const { io, out } = capture();
    expect(await main(['audit', executionArn, '--local', '--state-dir', stateDir], io)).toBe(0);
    const md = out.join('\n');
    expect(md).toMatch(/^# Audit report: web-base v5 \(first-run\)/);
    for (const heading of ['Run', 'Timeline', 'Path through the state machine', 'Image', 'Components', 'Tests', 'Scan gate', 'Approval', 'Artifacts', 'Launch templates (versions before and after)', 'Retention decisions']) {
      expect(md).toContain(`\n## ${heading}\n`);
    }
    const approval = md.slice(md.indexOf('## Approval\n'), md.indexOf('## Artifacts\n'));
    expect(approval).toContain('alice.platform@example.com');
    expect(approval).toContain('bob.security@example.com');
    expect(md).toContain('| Started by | alice@example.com |');
    expect(md).toContain('| CVE-2024-2511 | no | — | security-lead@example.com | 2027-03-31 |');
  });

  it('HTML: one self-contained file (no script, nothing fetched) with the timeline and the state machine diagram', async () => {
    const file = join(stateDir, 'report.html');
    const { io, err } = capture();
    expect(await main(['audit', 'web-base@latest', '--local', '--state-dir', stateDir, '--format', 'html', '--out', file], io)).toBe(0);
    expect(err).toEqual([`wrote ${file}`]);
    const page = readFileSync(file, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/<script|<link|src=|@import|url\((?!#)/i);
    expect(page).toContain('class="timeline"');
    expect(page).toContain('class="state-machine"');
    expect(page).toContain('gate-failed'); // latest = v7, the failed run
    expect(page).toMatch(/<g class="node failed[^"]*"><title>Evaluate Scan Gate/);
    expect(page).toMatch(/<g class="node skipped"><title>Record Done/);
  });

  const wrong: [string, string[], string | RegExp][] = [
    ['a malformed version', ['audit', 'web-base@x'], 'error: "web-base@x" is not <pipeline>@<version> or <pipeline>@latest'],
    ['an unknown version', ['audit', 'web-base@99'], /^error: web-base has no version 99 \(versions: 5, 6(, 7)?\)$/],
    ['an unknown format', ['audit', 'web-base@5', '--format', 'pdf'], `error: option '--format <format>' argument 'pdf' is invalid. Allowed choices are md, html, json.`],
    ['an unknown execution', ['audit', 'nothing-here'], /^error: no execution "nothing-here" in Step Functions \(it keeps a closed execution's history for 90 days; /],
  ];
  it.each(wrong)('%s: one line, exit 2', async (_what, argv, message) => {
    const { io, err } = capture();
    expect(await main([...argv, '--local', '--state-dir', stateDir], io)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message);
  });

  it('archives every closed execution to the history bucket, and reads the archive once Step Functions has forgotten the run', async () => {
    // The archive object the stack's rule wrote when first-run closed (simulated S3 in the saved account).
    const world = JSON.parse(readFileSync(join(stateDir, 'cloud.json'), 'utf8'));
    const bucket = world.accounts['111111111111'].regions['eu-west-1'].extensions.s3['gami-history-web-base-111111111111-eu-west-1'];
    expect(bucket.versioning).toBe('Enabled');
    expect(Object.keys(bucket.objects).sort()).toEqual([
      'executions/gami-web-base/first-run.json',
      'executions/gami-web-base/gate-failed.json',
      'executions/gami-web-base/second-run.json',
    ]);
    const archived = JSON.parse(Buffer.from(bucket.objects['executions/gami-web-base/first-run.json'].body, 'base64').toString('utf8'));
    expect(archived).toMatchObject({ schemaVersion: 1, execution: { executionArn, status: 'SUCCEEDED' } });
    expect(archived.registry.map((i: { sk: string }) => i.sk)).toContain('IMAGE#000005#SCAN');

    // Step Functions forgets an execution 90 days after it closed: here its stored record goes.
    rmSync(join(stateDir, 'stepfunctions', 'executions', 'gami-web-base__first-run.json'));
    const { io, out } = capture();
    expect(await main(['audit', 'web-base@5', '--local', '--state-dir', stateDir, '--format', 'json'], io)).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.source).toBe('history archive');
    expect(report.run).toMatchObject({ executionArn, status: 'SUCCEEDED', version: 5 });
    expect(report.startedBy).toEqual({ requestedBy: 'alice@example.com', reason: 'monthly patch' });
    expect(report.scan.passed).toBe(true);
    expect(report.path.at(-1).state).toBe('Succeeded');

    // By name there is nothing left to find: the message says what to give instead.
    const byName = capture();
    expect(await main(['audit', 'first-run', '--local', '--state-dir', stateDir], byName.io)).toBe(2);
    expect(byName.err[0]).toMatch(/^error: no execution "first-run" in Step Functions \(it keeps a closed execution's history for 90 days; for an older run give its ARN or <pipeline>@<version>/);
  });
});
