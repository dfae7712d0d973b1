import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_INTERRUPTED, INTERRUPT_CAUSE, runDemo } from '../../bin/demo';
import { VirtualClock } from '../../local/clock';
import { LOCK_FILE, STATE_DIR_MARKER } from '../../local/state-dir';

describe('npm start (gami demo)', () => {
  let stateDir: string;
  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'gami-demo-'));
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('runs the example lifecycle, prints each stage and a summary, and accumulates runs in its state directory', async () => {
    // Act: two runs against the same persisted account.
    const first: string[] = [];
    const code = await runDemo({ pipelineFile: 'pipelines/example.yaml', speed: 1, stateDir, fresh: true, out: (l) => first.push(l), clock: new VirtualClock(Date.UTC(2026, 10, 22, 9)) });
    const second: string[] = [];
    await runDemo({ pipelineFile: 'pipelines/example.yaml', speed: 1, stateDir, fresh: false, out: (l) => second.push(l), clock: new VirtualClock(Date.UTC(2026, 10, 22, 12)) });

    // Assess
    expect(code).toBe(0);
    const stages = first.filter((l) => l.includes('── ')).map((l) => l.split('── ')[1]);
    expect(stages).toEqual(['Prepare', 'Bake', 'Test', 'ScanGate', 'Approval', 'Distribute', 'Share', 'Publish', 'LaunchTemplates', 'Retention', 'Done']);
    // Without a terminal the demo prints each approver's link and approves through the page as each of them.
    const links = first.filter((l) => l.includes('approval link for '));
    expect(links.map((l) => /approval link for (\S+):/.exec(l)?.[1])).toEqual(['alice.platform@example.com', 'bob.security@example.com']);
    expect(links.every((l) => /http:\/\/127\.0\.0\.1:\d+\/approvals\/[A-Za-z0-9_-]{43}\?a=/.test(l))).toBe(true);
    expect(first.filter((l) => l.includes('approved through the page: HTTP 200'))).toHaveLength(2);
    expect(first.some((l) => l.includes('approved by alice.platform@example.com, bob.security@example.com'))).toBe(true);
    expect(first).toEqual(expect.arrayContaining([expect.stringMatching(/launch template web-prod \(222222222222\/eu-west-1\): version 2 is the default \(was 1\)$/)]));
    expect(first).toEqual(expect.arrayContaining([expect.stringMatching(/approved ami-[0-9a-f]+ in eu-west-1: watermark 111111111111:web-base, protected from deregistration$/)]));
    // Retention: version 1 (120 days, unused) is deregistered, 2 and 3 deprecated; the run's own image is the current golden one.
    expect(first).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/retention plan: 11 images — keep 6, deprecate 4, deregister 1 \(8 GiB\) in 1 batch\(es\)$/),
        expect.stringMatching(/ {2}version 5: 3 kept — .*version 5 is the current golden image/),
        expect.stringMatching(/ {2}version 1 retired: 1 deregistered$/),
      ]),
    );
    // The second run keeps the first run's image (among the newest approved) and has nothing left to deregister.
    expect(second).toEqual(expect.arrayContaining([expect.stringMatching(/ {2}version 5: 3 kept — .*version 5 is among the newest 3 approved/)]));
    expect(second).toEqual(expect.arrayContaining([expect.stringMatching(/retention plan: 13 images — keep 9, deprecate 4, deregister 0 \(0 GiB\)$/)]));
    expect(first).toEqual(expect.arrayContaining([expect.stringMatching(/^✓ web-base v5: ami-[0-9a-f]+ \(web-base-5-20261122\) in eu-west-1$/)]));
    expect(first).toContain('  CRITICAL           0           0   ok');
    expect(first).toContain('  registry: table gami-registry-web-base, pk PIPELINE#web-base, sk IMAGE#000005 (simulated DynamoDB under ' + stateDir + '/dynamodb)');
    expect(first.filter((l) => /Success +os-update\/build\/UpdatePackages/.test(l))).toHaveLength(1);
    // The final summary: images per region and account, shares, parameters, templates before → after, refreshes,
    // retention's decisions, and the audit report written into the state directory.
    const summary = first.slice(first.findIndex((l) => l.startsWith('✓ web-base v5')));
    expect(summary).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {4}111111111111 {2}eu-west-1 +ami-[0-9a-f]+ +source$/),
        expect.stringMatching(/^ {4}111111111111 {2}us-east-1 +ami-[0-9a-f]+ +copy$/),
        '  shared with 222222222222, 333333333333 in eu-west-1, eu-central-1, us-east-1; 6 KMS grant(s); never public',
        expect.stringMatching(/^ {4}222222222222 {2}eu-west-1 ami-[0-9a-f]+ \(parameter version 1\), /),
        expect.stringMatching(/^ {4}web-prod \(222222222222\/eu-west-1\): version 1 → 2 \(default\), image ami-[0-9a-f]+$/),
        '  instance refreshes: web-prod-asg (222222222222/eu-west-1)',
        '  retention: 11 images — keep 6, deprecate 4, deregister 1; changed: deprecated 0, deregistered 1 (1 snapshot(s) deleted, 8 GiB freed)',
        expect.stringMatching(/^ {4}version 5: 3 kept — 111111111111\/\S+ ami-[0-9a-f]+: version 5 is the current golden image \(\+2 more\)$/),
        `  audit report: ${stateDir}/audit/web-base/audit-5.html (and ${stateDir}/audit/web-base/audit-5.md)`,
        `    re-create it: gami audit web-base@5 --local --state-dir ${stateDir} --format html --out ${stateDir}/audit/web-base/audit-5.html`,
        expect.stringMatching(/^ {2}gami images web-base --local, gami executions web-base --local and gami audit … --local see this run/),
      ]),
    );
    for (const file of ['audit-5.md', 'audit-5.html']) {
      const report = readFileSync(join(stateDir, 'audit', 'web-base', file), 'utf8');
      expect(report).toContain('alice.platform@example.com');
      expect(report).toContain('bob.security@example.com');
    }
    expect(second[1]).toContain(`(resumed from ${stateDir})`);
    expect(second).toEqual(expect.arrayContaining([expect.stringMatching(/^✓ web-base v6: /)]));
    // The directory is marked as gami's and no longer locked.
    expect(existsSync(join(stateDir, STATE_DIR_MARKER))).toBe(true);
    expect(existsSync(join(stateDir, LOCK_FILE))).toBe(false);
  });

  it('on Ctrl-C stops the execution, and the status-change clean-up terminates the builder; it prints what was cleaned', async () => {
    // Prepare: Ctrl-C once the builder is running; no Catch runs for a stopped execution, so what cleans up is the
    // stack's EventBridge rule for ABORTED executions, invoking the cleanup function (LocalRuntime.settled()).
    const lines: string[] = [];
    const interrupt = new AbortController();
    const dir = mkdtempSync(join(tmpdir(), 'gami-demo-int-'));
    try {
      // Act
      const code = await runDemo({
        pipelineFile: 'pipelines/example.yaml',
        speed: 1,
        stateDir: dir,
        fresh: false,
        out: (l) => {
          lines.push(l);
          if (l.includes('launch builder: i-')) interrupt.abort();
        },
        clock: new VirtualClock(Date.UTC(2026, 10, 22, 9)),
        interrupt: interrupt.signal,
      });

      // Assess
      expect(code).toBe(EXIT_INTERRUPTED);
      const builder = /launch builder: (i-[0-9a-f]+)/.exec(lines.join('\n'))?.[1];
      expect(builder).toBeDefined();
      const tail = lines.slice(lines.findIndex((l) => l.includes('✗ interrupted')));
      expect(tail[0]).toMatch(/✗ interrupted: stopping arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:\S+ \(Ctrl-C again quits without waiting for the clean-up\)$/);
      expect(tail).toEqual(
        expect.arrayContaining([
          `✗ web-base: ABORTED — ${INTERRUPT_CAUSE}`,
          '  waiting for the clean-up of the stopped run…',
          `  clean-up after ABORTED: terminated ${builder}; rejected and deprecated no image (none was made)`,
        ]),
      );
      expect(lines.some((l) => l.includes('undefined') || l.includes('NOT cleaned'))).toBe(false);
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses --fresh on a directory it did not create, before touching it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gami-demo-foreign-'));
    try {
      writeFileSync(join(dir, 'important.txt'), 'keep me');
      await expect(runDemo({ pipelineFile: 'pipelines/example.yaml', speed: 1, stateDir: dir, fresh: true, out: () => undefined })).rejects.toThrow(
        /not a gami state directory/,
      );
      expect(readdirSync(dir)).toEqual(['important.txt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
