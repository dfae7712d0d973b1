import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../bin/demo';
import { VirtualClock } from '../../local/clock';

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
    expect(stages).toEqual(['Prepare', 'Bake', 'Test', 'ScanGate', 'Done']);
    expect(first).toEqual(expect.arrayContaining([expect.stringMatching(/^✓ web-base v1: ami-[0-9a-f]+ \(web-base-1-20261122\) in eu-west-1$/)]));
    expect(first).toContain('  CRITICAL           0           0   ok');
    expect(first).toContain('  registry: table gami-registry-web-base, pk PIPELINE#web-base, sk IMAGE#000001 (simulated DynamoDB under ' + stateDir + '/dynamodb)');
    expect(first.filter((l) => /Success +os-update\/build\/UpdatePackages/.test(l))).toHaveLength(1);
    expect(second[1]).toContain(`(resumed from ${stateDir})`);
    expect(second).toEqual(expect.arrayContaining([expect.stringMatching(/^✓ web-base v2: /)]));
  });
});
