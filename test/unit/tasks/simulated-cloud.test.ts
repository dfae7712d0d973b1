/**
 * The task handlers against the simulated account (local/cloud) on a virtual clock, called in the order the
 * state machine calls them — without the state machine. Proves the handlers and the simulator agree on the
 * AWS shapes they use (the workflow tests cover the state machine itself).
 */
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { VirtualClock } from '../../../local/clock';
import { Cloud, DEFAULT_SCENARIO } from '../../../local/cloud/index';
import { createClient } from '../../../tasks/clients';
import { clearClientCache } from '../../../tasks/common/regional';
import type { ComponentStepRef, RunContext } from '../../../tasks/contracts';
import { handler as checkImage } from '../../../tasks/checkImage/handler';
import { handler as checkInstanceReady } from '../../../tasks/checkInstanceReady/handler';
import { handler as checkScanCoverage } from '../../../tasks/checkScanCoverage/handler';
import { handler as checkStep } from '../../../tasks/checkStep/handler';
import { handler as cleanup } from '../../../tasks/cleanup/handler';
import { handler as createImage } from '../../../tasks/createImage/handler';
import { handler as evaluateScanGate } from '../../../tasks/evaluateScanGate/handler';
import { handler as launchInstance } from '../../../tasks/launchInstance/handler';
import { handler as prepare } from '../../../tasks/prepare/handler';
import { handler as recordStage } from '../../../tasks/recordStage/handler';
import { handler as runStep } from '../../../tasks/runStep/handler';
import './fixtures';

const REGION = 'eu-west-1';
const TABLE = 'gami-registry-web-base';
const ACCESS_KEY = 'AKIAGAMITOOLING11111';
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:sim-1';

let clock: VirtualClock;
let cloud: Cloud;
const saved = { ...process.env };

beforeAll(async () => {
  Object.assign(process.env, { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: 'local' });
  clearClientCache();
  clock = new VirtualClock(Date.UTC(2026, 10, 22, 9, 0, 0));
  cloud = await Cloud.start({ clock, scenario: DEFAULT_SCENARIO });
});

afterAll(async () => {
  await cloud.stop();
  clearClientCache();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

const runContext = (): RunContext => ({
  pipeline: 'web-base',
  executionArn: EXECUTION_ARN,
  executionName: 'sim-1',
  now: new Date(clock.now()).toISOString(),
});

/** Call `poll` every `everyMs` of virtual time until `done` says so (at most `max` times). */
async function pollUntil<T>(poll: () => Promise<T>, done: (result: T) => boolean, everyMs: number, max = 200): Promise<T> {
  for (let i = 0; i < max; i += 1) {
    const result = await poll();
    if (done(result)) return result;
    await clock.sleep(everyMs);
  }
  throw new Error(`not done after ${max} polls`);
}

const step = (name: string, commands: string[], overrides: Partial<ComponentStepRef> = {}): ComponentStepRef => ({
  component: 'os-update',
  phase: 'build',
  step: name,
  commands,
  timeoutSeconds: 600,
  onFailure: 'Abort',
  maxAttempts: 1,
  ...overrides,
});

async function runToEnd(instanceId: string, ref: ComponentStepRef) {
  const { commandId } = await runStep({ run: runContext(), registryTable: TABLE, instanceId, step: ref, attempt: 1 });
  // Idempotent: the same attempt again returns the same command.
  await expect(runStep({ run: runContext(), registryTable: TABLE, instanceId, step: ref, attempt: 1 })).resolves.toEqual({ commandId });
  return pollUntil(() => checkStep({ run: runContext(), instanceId, commandId, step: ref, attempt: 1 }), (r) => r.status !== 'InProgress', 5_000);
}

describe('task handlers on the simulated account', () => {
  it('bakes, tests, scans and gates an image (the same gate fails the unpatched base), then cleans up a rejected one', async () => {
    // prepare: the configured SSM parameter, version from the counter, IMAGE record
    const prepareEvent = {
      run: runContext(),
      input: { reason: 'simulated run' },
      config: {
        baseImage: { ssmParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' },
        architecture: 'x86_64',
        namingPattern: '{pipeline}-{version}-{yyyymmdd}',
        registryTable: TABLE,
        components: ['os-update'],
        allowedOwners: ['amazon', 'self'],
        componentsDigest: 'a'.repeat(64),
      },
    };
    const prepared = await prepare(prepareEvent);
    expect(prepared.version).toBeGreaterThanOrEqual(1);
    // A retry of the same execution, after another run took the next number, keeps its version.
    const other = await prepare({ ...prepareEvent, run: { ...runContext(), executionArn: `${EXECUTION_ARN}-other`, executionName: 'other' } });
    expect(other.version).toBe(prepared.version! + 1);
    await expect(prepare(prepareEvent)).resolves.toEqual(prepared);
    expect(prepared.imageName).toBe(`web-base-${prepared.version}-20261122`);
    expect(prepared.baseImage.imageId).toMatch(/^ami-/);

    // bake: launch, wait for the agent, run a step, image, wait until available
    const launch = {
      run: runContext(),
      purpose: 'build' as const,
      imageId: prepared.baseImage.imageId,
      version: prepared.version,
      instanceType: 't3.medium',
      subnetId: 'subnet-0a1b2c3d4e5f67890',
      securityGroupIds: ['sg-0123456789abcdef0'],
      instanceProfile: 'GamiBuilderInstanceProfile',
      tags: { CostCenter: '4711' },
    };
    const { instanceId: builder } = await launchInstance(launch);
    await expect(launchInstance({ ...launch, run: runContext() })).resolves.toEqual({ instanceId: builder });
    await pollUntil(() => checkInstanceReady({ run: runContext(), instanceId: builder }), (r) => r.ready, 15_000);

    const upgraded = await runToEnd(builder, step('UpdatePackages', ['dnf -y upgrade --releasever=latest']));
    expect(upgraded).toMatchObject({ status: 'Success', responseCode: 0 });
    await expect(runToEnd(builder, step('Broken', ['echo about to fail', 'exit 3']))).rejects.toMatchObject({
      name: 'ComponentFailed',
      message: expect.stringContaining('step Broken: Failed with exit code 3'),
    });

    const image = {
      run: runContext(),
      instanceId: builder,
      imageName: prepared.imageName,
      description: 'simulated',
      version: prepared.version,
      baseImageId: prepared.baseImage.imageId,
      components: ['os-update'],
      tags: {},
    };
    const { imageId } = await createImage(image);
    await expect(createImage({ ...image, run: runContext() })).resolves.toMatchObject({ imageId });
    const available = await pollUntil(() => checkImage({ run: runContext(), imageId }), (r) => r.state === 'available', 60_000);
    expect(available.snapshotIds.length).toBeGreaterThan(0);
    await recordStage({ run: runContext(), registryTable: TABLE, version: prepared.version, stage: 'Bake', status: 'succeeded', details: { imageId } });

    // test + scan gate: launch from the new image and, for contrast, from the unpatched base; wait for Inspector
    const { instanceId: tester } = await launchInstance({ ...launch, purpose: 'test', imageId, run: runContext() });
    const baseRun = (): RunContext => ({ ...runContext(), executionArn: `${EXECUTION_ARN}-base`, executionName: 'sim-1-base' });
    const { instanceId: baseTester } = await launchInstance({ ...launch, purpose: 'test', imageId: prepared.baseImage.imageId, run: baseRun() });
    for (const id of [tester, baseTester]) {
      await pollUntil(() => checkInstanceReady({ run: runContext(), instanceId: id }), (r) => r.ready, 15_000);
      const scanned = await pollUntil(() => checkScanCoverage({ run: runContext(), instanceId: id }), (r) => r.status === 'SCANNED', 60_000);
      expect(scanned.status).toBe('SCANNED');
    }

    // One strict gate (no finding of any severity): the patched image passes it, the unpatched base fails it.
    const strictGate = {
      maxFindings: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0 },
      exceptions: [],
    };
    const gateEvent = { run: runContext(), instanceId: tester, imageId, version: prepared.version, registryTable: TABLE, scanGate: strictGate };
    const gate = await evaluateScanGate(gateEvent);
    expect(gate).toMatchObject({ passed: true, totalFindings: 0 });
    await expect(
      evaluateScanGate({ ...gateEvent, run: baseRun(), instanceId: baseTester, imageId: prepared.baseImage.imageId }),
    ).rejects.toMatchObject({ name: 'ScanGateFailed', message: expect.stringMatching(/CRITICAL: 3 findings > 0 allowed/) });

    // cleanup after a (pretend) failure: instances gone, image rejected and deprecated
    const failure = { run: runContext(), imageId, version: prepared.version, registryTable: TABLE, stage: 'ScanGate', error: 'ScanGateFailed', cause: 'test' };
    const images = await cleanup({ ...failure, action: 'images' });
    expect(images.rejectedImageIds).toEqual([imageId]);
    const terminated = await cleanup({ ...failure, action: 'instances' });
    expect(terminated.terminated.sort()).toEqual([builder, tester].sort());
    await expect(cleanup({ ...failure, action: 'record' })).resolves.toMatchObject({ recordedVersion: prepared.version });

    const ec2 = createClient(EC2Client, { region: REGION, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'local' } });
    const after = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    expect(after?.Tags).toEqual(expect.arrayContaining([{ Key: 'gami:status', Value: 'rejected' }]));
    expect(after?.DeprecationTime).toBeDefined();
    await clock.sleep(60_000);
    const instances = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [builder, tester] }));
    const states = instances.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.State?.Name);
    expect(states?.every((state) => state === 'terminated' || state === 'shutting-down')).toBe(true);
  });
});
