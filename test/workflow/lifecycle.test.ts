/**
 * The real synthesized lifecycle (bake → test → scan gate) on the local engine, with the real handlers,
 * against the simulated account, on a virtual clock: every path an operator can meet.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TAG } from '../../pipeline/tags';
import { startRuntime } from './runtime-fixture';

type Env = Awaited<ReturnType<typeof startRuntime>>;
const TOOLING = '111111111111';
const REGION = 'eu-west-1';

function regionState(env: Env) {
  return env.runtime.cloud.world.region(TOOLING, REGION);
}

/** Instances this execution launched that are not terminated (or shutting down). */
function leftRunning(env: Env, executionArn: string): string[] {
  return Object.values(regionState(env).instances)
    .filter((i) => i.tags[TAG.execution] === executionArn && i.state !== 'terminated' && i.state !== 'shutting-down')
    .map((i) => i.instanceId);
}

function imagesOf(env: Env, executionArn: string) {
  return Object.values(regionState(env).images).filter((i) => i.tags[TAG.execution] === executionArn);
}

/** A pipeline file next to the shipped components, built from the example with `edit` applied. */
function pipelineVariant(dir: string, name: string, edit: (text: string) => string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, edit(readFileSync('pipelines/example.yaml', 'utf8')));
  return file;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gami-lifecycle-'));
  symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('example pipeline', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startRuntime();
  });
  afterAll(() => env.stop());
  afterEach(() => env.runtime.cloud.world.faults.clear());

  it('bakes a patched image from console input {} and passes the gate', async () => {
    // Act
    const result = await env.run({});

    // Assess: a readable summary, a tagged image, nothing left running, the registry written.
    expect(result.description.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      pipeline: 'web-base',
      // The example world holds web-base v1–v4 already: numbering continues from the account's images.
      version: 5,
      imageName: 'web-base-5-20261122',
      region: REGION,
      baseImage: { source: 'ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' },
      scanGate: { passed: true, counts: { CRITICAL: 0, HIGH: 0 } },
      registry: { table: 'gami-registry-web-base', pk: 'PIPELINE#web-base', version: 5 },
    });
    const [image] = imagesOf(env, result.executionArn);
    expect(image.imageId).toBe(result.output.imageId);
    expect(image.state).toBe('available');
    expect(image.tags).toMatchObject({
      [TAG.pipeline]: 'web-base',
      [TAG.version]: '5',
      [TAG.components]: 'os-update,ssh-hardening,cleanup',
      CostCenter: '4711',
    });
    expect(leftRunning(env, result.executionArn)).toEqual([]);
    const stages = result.events.filter((e) => e.type === 'TaskStateExited').map((e) => e.stateExitedEventDetails?.name);
    expect(stages).toEqual(expect.arrayContaining(['Record Prepared', 'Record Baked', 'Record Tested', 'Record Scan Gate', 'Record Done']));
  });

  it('refuses a malformed input field with a message naming it, and creates nothing', async () => {
    const result = await env.run({ baseImage: { amiId: 'ami-xyz' } });

    expect(result.description.status).toBe('FAILED');
    expect(result.description.error).toBe('InvalidExecutionInput');
    expect(result.description.cause).toContain('baseImage.amiId');
    expect(result.description.cause).toContain('"ami-xyz" is not an AMI id');
    expect(Object.values(regionState(env).instances).filter((i) => i.tags[TAG.execution] === result.executionArn)).toEqual([]);
  });

  it('refuses an unknown input field by name', async () => {
    const result = await env.run({ reasn: 'typo' });
    expect(result.description.error).toBe('InvalidExecutionInput');
    expect(result.description.cause).toContain('reasn');
  });

  it('fails closed with ScanIncomplete when the scan never completes, and terminates everything', async () => {
    // Prepare
    env.runtime.cloud.world.faults.add({ behaviour: 'inspector.scanNeverCompletes' });

    // Act
    const result = await env.run({});

    // Assess
    expect(result.description.status).toBe('FAILED');
    expect(result.description.error).toBe('ScanIncomplete');
    expect(result.description.cause).toMatch(/did not finish scanning i-[0-9a-f]+ within 60 minutes/);
    expect(leftRunning(env, result.executionArn)).toEqual([]);
    const [image] = imagesOf(env, result.executionArn);
    expect(image.tags[TAG.status]).toBe('rejected');
    expect(image.deprecationTime).toBeDefined();
  });

  it('fails with ImageCreationFailed when the image goes to failed, and leaves no builder running', async () => {
    env.runtime.cloud.world.faults.add({ behaviour: 'ec2.imageFails' });

    const result = await env.run({});

    expect(result.description.status).toBe('FAILED');
    expect(result.description.error).toBe('ImageCreationFailed');
    expect(leftRunning(env, result.executionArn)).toEqual([]);
  });

  it('still succeeds with 30% of EC2 calls throttled', async () => {
    // Prepare
    const rule = env.runtime.cloud.world.faults.add({ operation: 'ec2:*', error: 'RequestLimitExceeded', probability: 0.3 });

    // Act
    const result = await env.run({});

    // Assess
    expect(result.description.status).toBe('SUCCEEDED');
    expect(rule.fired).toBeGreaterThan(10);
    expect(leftRunning(env, result.executionArn)).toEqual([]);
  });

  it('notifies the pipeline topic on failure with the error and the stage', async () => {
    env.runtime.cloud.world.faults.add({ behaviour: 'ec2.imageFails' });
    const before = env.runtime.cloud.mailbox().length;

    const result = await env.run({});

    const messages = env.runtime.cloud.mailbox().slice(before);
    expect(messages).toHaveLength(1);
    expect(messages[0].subject).toBe('[web-base] ImageCreationFailed in Bake');
    expect(messages[0].message).toContain(result.executionArn);
  });
});

describe('pipeline without the OS update', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startRuntime({ pipelineFile: pipelineVariant(dir, 'unpatched', (t) => t.replace('  - path: components/os-update.yaml\n', '')) });
  });
  afterAll(() => env.stop());

  it('fails the gate on the unpatched base image, rejects and deprecates the image', async () => {
    const result = await env.run({});

    expect(result.description.status).toBe('FAILED');
    expect(result.description.error).toBe('ScanGateFailed');
    expect(result.description.cause).toMatch(/(CRITICAL|HIGH): \d+ findings? > 0 allowed/);
    const [image] = imagesOf(env, result.executionArn);
    expect(image.tags[TAG.status]).toBe('rejected');
    expect(image.deprecationTime).toBeLessThanOrEqual(env.clock.now() + 60_000);
    expect(leftRunning(env, result.executionArn)).toEqual([]);
  });
});

describe('pipeline with a failing component step', () => {
  let env: Env;
  beforeAll(async () => {
    writeFileSync(
      join(dir, 'broken-step.yaml'),
      [
        'name: broken-step',
        'description: A step that fails.',
        'schemaVersion: 1.0',
        'phases:',
        '  - name: build',
        '    steps:',
        '      - name: InstallAgent',
        '        action: ExecuteBash',
        '        inputs:',
        '          commands:',
        '            - echo "installing the monitoring agent"',
        '            - echo "agent download failed" >&2',
        '            - exit 3',
        '',
      ].join('\n'),
    );
    env = await startRuntime({
      pipelineFile: pipelineVariant(dir, 'broken', (t) => t.replace('  - path: components/cleanup.yaml\n', '  - path: broken-step.yaml\n  - path: components/cleanup.yaml\n')),
    });
  });
  afterAll(() => env.stop());

  it('fails with ComponentFailed naming component, step, exit code and output, and terminates the builder', async () => {
    const result = await env.run({});

    expect(result.description.status).toBe('FAILED');
    expect(result.description.error).toBe('ComponentFailed');
    expect(result.description.cause).toContain('broken-step');
    expect(result.description.cause).toContain('InstallAgent');
    expect(result.description.cause).toContain('agent download failed');
    expect(result.description.cause).toMatch(/exit code 3|exit 3|code 3/);
    expect(leftRunning(env, result.executionArn)).toEqual([]);
    expect(imagesOf(env, result.executionArn)).toEqual([]);
  });
});

describe('pipeline whose stack creates the builder security group', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startRuntime({
      pipelineFile: pipelineVariant(dir, 'vpc', (t) => t.replace('  securityGroupIds: [sg-0123456789abcdef0]', '  vpcId: vpc-0a1b2c3d4e5f67890')),
    });
  });
  afterAll(() => env.stop());

  it('launches builder and test instances in the created group only', async () => {
    const result = await env.run({});

    // Status with error and cause, so a failure says why (this test flaked once on a loaded CI machine).
    expect({ status: result.description.status, error: result.description.error, cause: result.description.cause }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
    const instances = Object.values(regionState(env).instances).filter((i) => i.tags[TAG.execution] === result.executionArn);
    expect(instances.map((i) => i.tags[TAG.purpose]).sort()).toEqual(['build', 'test']);
    // Locally the created group's id is the resolver's placeholder for its GroupId attribute; the configured
    // sg-0123456789abcdef0 is gone from the variant, so the created group is the only one.
    for (const instance of instances) expect(instance.securityGroupIds).toEqual(['BuilderSecurityGroup.GroupId']);
  });
});
