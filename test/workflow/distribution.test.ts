/**
 * The distribution stages (Distribute → Share → Publish) of the real synthesized lifecycle on the local engine,
 * with the example's regions and share targets (test/fixtures/distribution.yaml: approval not required). The
 * world's KMS key policy names no other account here, so a consumer can launch from a copy only through the
 * grants the Share stage creates.
 */
import { readFileSync } from 'node:fs';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { parse } from 'yaml';
import type { ScenarioInput } from '../../local/cloud/scenario';
import { registryKeys } from '../../pipeline/registry';
import { TAG } from '../../pipeline/tags';
import { createClient } from '../../tasks/clients';
import { startRuntime } from './runtime-fixture';

type Env = Awaited<ReturnType<typeof startRuntime>>;
const TOOLING = '111111111111';
const PROD = '222222222222';
const STAGING = '333333333333';
const SOURCE = 'eu-west-1';
const TARGETS = ['eu-central-1', 'us-east-1'];
const PIPELINE_FILE = 'test/fixtures/distribution.yaml';

/** The example world with a key policy that names no consumer account (grants must do it). */
function scenario(): ScenarioInput {
  const world = parse(readFileSync('local/cloud/scenarios/example.yaml', 'utf8')) as { accounts: { id: string; kmsKeys?: { policyAccounts?: string[] }[] }[] };
  for (const key of world.accounts.find((a) => a.id === TOOLING)?.kmsKeys ?? []) key.policyAccounts = [];
  return world as unknown as ScenarioInput;
}

function copiesOf(env: Env, executionArn: string, region: string) {
  return Object.values(env.runtime.cloud.world.region(TOOLING, region).images).filter((i) => i.tags[TAG.execution] === executionArn);
}

function snapshotsOf(env: Env, executionArn: string, region: string) {
  return Object.values(env.runtime.cloud.world.region(TOOLING, region).snapshots).filter((s) => s.tags[TAG.execution] === executionArn);
}

function as(account: string, region: string) {
  const keys: Record<string, string> = { [PROD]: 'AKIAGAMIPROD22222222', [STAGING]: 'AKIAGAMISTAGING33333' };
  const credentials = { accessKeyId: keys[account], secretAccessKey: 'local' };
  return { ec2: createClient(EC2Client, { region, credentials }), ssm: createClient(SSMClient, { region, credentials }) };
}

async function registryItem(key: { pk: string; sk: string }) {
  const registry = DynamoDBDocumentClient.from(createClient(DynamoDBClient, { region: SOURCE, credentials: { accessKeyId: 'AKIAGAMITOOLING11111', secretAccessKey: 'local' } }));
  return (await registry.send(new GetCommand({ TableName: 'gami-registry-web-base', Key: key, ConsistentRead: true }))).Item;
}

describe('distribution', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startRuntime({ pipelineFile: PIPELINE_FILE, scenario: scenario() });
  });
  afterAll(() => env.stop());
  afterEach(() => env.runtime.cloud.world.faults.clear());

  let first: Awaited<ReturnType<Env['run']>>;

  it('copies to every region, shares with exactly the configured accounts, publishes, and a consumer launches from an encrypted copy', async () => {
    first = await env.run({});

    expect(first.description.status).toBe('SUCCEEDED');
    const regionImages: { region: string; imageId: string; snapshotIds: string[]; accountId: string }[] = first.output.regionImages;
    expect(regionImages.map((r) => r.region)).toEqual([SOURCE, ...TARGETS]);
    expect(regionImages[0].imageId).toBe(first.output.imageId);
    for (const region of TARGETS) {
      const [copy] = copiesOf(env, first.executionArn, region);
      expect(copy).toMatchObject({ state: 'available', sourceImageId: first.output.imageId, sourceRegion: SOURCE });
      expect(copy.tags).toMatchObject({ [TAG.status]: 'approved', [TAG.sourceImage]: first.output.imageId, [TAG.sourceRegion]: SOURCE, CostCenter: '4711' });
      expect(copy.blockDeviceMappings.every((b) => b.encrypted && b.kmsKeyId?.includes(`:kms:${region}:${TOOLING}:`))).toBe(true);
      // Shared with exactly the configured principals, never public.
      expect(copy.launchPermissions).toEqual({ userIds: [PROD, STAGING], groups: [], organizationArns: [], organizationalUnitArns: [] });
      expect(regionImages.find((r) => r.region === region)).toEqual({ region, imageId: copy.imageId, snapshotIds: copy.blockDeviceMappings.map((b) => b.snapshotId), accountId: TOOLING });
    }

    // A consumer account launches an instance from the shared encrypted copy (only the Share stage's grant allows it).
    const staging = as(STAGING, 'eu-central-1');
    const copyId = regionImages[1].imageId;
    const launched = await staging.ec2.send(new RunInstancesCommand({ ImageId: copyId, InstanceType: 't3.small', MinCount: 1, MaxCount: 1 }));
    await env.clock.sleep(120_000);
    const instance = (await staging.ec2.send(new DescribeInstancesCommand({ InstanceIds: [launched.Instances![0].InstanceId!] }))).Reservations![0].Instances![0];
    expect(instance.State?.Name).toBe('running');

    // Published in every region, in the tooling account and in prod through its role.
    for (const { region, imageId } of regionImages) {
      const own = env.runtime.cloud.world.region(TOOLING, region).parameters['/golden/web-base/latest'];
      expect(own).toMatchObject({ value: imageId, dataType: 'aws:ec2:image' });
      const prod = (await as(PROD, region).ssm.send(new GetParameterCommand({ Name: '/golden/web-base/latest' }))).Parameter;
      expect(prod).toMatchObject({ Value: imageId, DataType: 'aws:ec2:image' });
    }

    // The registry: every stage, and the IMAGE record with every artifact.
    const version = first.output.version as number;
    for (const stage of ['Distribute', 'Share', 'Publish']) {
      expect(await registryItem(registryKeys.stage('web-base', version, stage))).toMatchObject({ status: 'succeeded' });
    }
    const record = await registryItem(registryKeys.image('web-base', version));
    expect(record).toMatchObject({ stage: 'Done', regionImages });
    expect(record?.shares).toHaveLength(3);
    expect(record?.parameters).toHaveLength(6);
  });

  it('creates nothing twice when the same version is distributed again (distributeOnly of the approved image)', async () => {
    // The launch-templates stage (not on this branch) tags the image approved at the end; here the test does.
    const version = first.output.version as number;
    const image = env.runtime.cloud.world.region(TOOLING, SOURCE).images[first.output.imageId];
    image.tags[TAG.status] = 'approved';
    const before = TARGETS.map((region) => Object.keys(env.runtime.cloud.world.region(TOOLING, region).images).length);
    const parameterVersions = env.runtime.cloud.world.region(TOOLING, 'us-east-1').parameters['/golden/web-base/latest'].version;

    const again = await env.run({ distributeOnly: { version } });

    expect([again.description.status, again.description.error, again.description.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(again.output).toMatchObject({ version, imageId: first.output.imageId, redistribution: true });
    expect(again.output.regionImages).toEqual(first.output.regionImages);
    expect(TARGETS.map((region) => Object.keys(env.runtime.cloud.world.region(TOOLING, region).images).length)).toEqual(before);
    expect(env.runtime.cloud.world.region(TOOLING, 'us-east-1').parameters['/golden/web-base/latest'].version).toBe(parameterVersions);
    const record = await registryItem(registryKeys.image('web-base', version));
    expect(record).toMatchObject({ stage: 'Done', lastRedistribution: { executionArn: again.executionArn, stage: 'Publish', status: 'succeeded' } });
  });

  it('refuses distributeOnly of a version that is not approved, by name, and creates nothing', async () => {
    // The example world's web-base 3 is deprecated; the registry has no record of it, so use this run's record
    // with its image set back to distributing.
    const version = first.output.version as number;
    const image = env.runtime.cloud.world.region(TOOLING, SOURCE).images[first.output.imageId];
    image.tags[TAG.status] = 'distributing';

    const refused = await env.run({ distributeOnly: { version } });

    expect(refused.description.status).toBe('FAILED');
    expect(refused.description.error).toBe('ImageNotApproved');
    expect(refused.description.cause).toContain(`${image.name} (${image.imageId})`);
    expect(refused.description.cause).toContain('gami:status=distributing');
    for (const region of TARGETS) expect(copiesOf(env, refused.executionArn, region)).toEqual([]);
    // The record stays as its own run left it.
    expect(await registryItem(registryKeys.image('web-base', version))).toMatchObject({ stage: 'Done' });
  });

  it('fails with RegionCopyFailed naming the region when a copy fails twice, and deregisters every copy with its snapshots', async () => {
    env.runtime.cloud.world.faults.add({ behaviour: 'ec2.copyFails', region: 'us-east-1' });

    const failed = await env.run({});

    expect(failed.description.status).toBe('FAILED');
    expect(failed.description.error).toBe('RegionCopyFailed');
    expect(failed.description.cause).toMatch(/^The copy failed in us-east-1 \(tried twice\)/);
    for (const region of TARGETS) {
      expect(copiesOf(env, failed.executionArn, region)).toEqual([]);
      expect(snapshotsOf(env, failed.executionArn, region)).toEqual([]);
    }
    const [mail] = env.runtime.cloud.mailbox().filter((m) => m.message.includes(failed.executionArn));
    expect(mail.message).toMatch(/deregistered copies ami-[0-9a-f]+, ami-[0-9a-f]+ with their snapshots/);
    expect(mail.message).toContain('Nothing was left behind.');
  });
});

describe('speculative copies (distribution.startBeforeApproval)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startRuntime({ pipelineFile: 'test/fixtures/distribution-speculative.yaml', scenario: scenario() });
  });
  afterAll(() => env.stop());
  afterEach(() => env.runtime.cloud.world.faults.clear());

  /** When each state was entered, by name (first time). */
  function entered(events: Awaited<ReturnType<Env['run']>>['events'], name: string): number | undefined {
    return events.find((e) => e.type?.endsWith('StateEntered') && e.stateEnteredEventDetails?.name === name)?.timestamp?.getTime();
  }

  it('starts the copies before the test and the scan gate, and distributes those same copies', async () => {
    const result = await env.run({});

    expect(result.description.status).toBe('SUCCEEDED');
    expect(entered(result.events, 'Start Copies Before Approval')!).toBeLessThan(entered(result.events, 'Start Scan Gate')!);
    for (const region of TARGETS) {
      // One copy per region: the Distribute stage found the speculative one and released it.
      const copies = copiesOf(env, result.executionArn, region);
      expect(copies).toHaveLength(1);
      expect(copies[0].tags[TAG.status]).toBe('approved');
      expect(result.output.regionImages.find((r: { region: string }) => r.region === region).imageId).toBe(copies[0].imageId);
    }
  });

  it('deregisters the speculative copies with their snapshots when the scan gate fails closed', async () => {
    env.runtime.cloud.world.faults.add({ behaviour: 'inspector.scanNeverCompletes' });

    const result = await env.run({});

    expect(result.description.error).toBe('ScanIncomplete');
    const [mail] = env.runtime.cloud.mailbox().filter((m) => m.message.includes(result.executionArn));
    expect(mail.message).toMatch(/deregistered copies ami-[0-9a-f]+, ami-[0-9a-f]+ with their snapshots/);
    for (const region of TARGETS) {
      expect(copiesOf(env, result.executionArn, region)).toEqual([]);
      expect(snapshotsOf(env, result.executionArn, region)).toEqual([]);
    }
  });
});
