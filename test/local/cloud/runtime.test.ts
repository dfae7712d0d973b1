import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateImageCommand, DescribeImagesCommand, DescribeLaunchTemplatesCommand, DescribeVpcsCommand, EC2Client, EC2ServiceException, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { VirtualClock } from '../../../local/clock';
import { Cloud, DEFAULT_SCENARIO, savedWorldTime } from '../../../local/cloud/index';
import { FaultPlan } from '../../../local/cloud/faults';
import { loadWorldState, saveWorldState } from '../../../local/cloud/persistence';
import { parseScenario, ScenarioError } from '../../../local/cloud/scenario';
import { createClient } from '../../../tasks/clients';
import { clients, credentialsOf, START, TOOLING, type Credentials } from './cloud-fixture';

describe('client plugin', () => {
  let cloud: Cloud;
  let clock: VirtualClock;
  beforeEach(async () => {
    clock = new VirtualClock(START);
    cloud = await Cloud.start({ clock, scenario: DEFAULT_SCENARIO, dynamodb: false });
  });
  afterEach(async () => {
    await cloud.stop();
  });

  it('fails loudly on an operation the simulation does not implement, naming service and operation', async () => {
    const error = await clients.ec2('eu-west-1').send(new DescribeVpcsCommand({})).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'UnsupportedOperationError', message: expect.stringContaining('EC2 DescribeVpcs') });
  });

  it('fails loudly for a region the world does not have', async () => {
    const error = await clients.ec2('ap-south-1').send(new DescribeImagesCommand({ Owners: ['self'] })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'UnknownRegionError', message: expect.stringContaining('"ap-south-1" (regions: eu-west-1, eu-central-1, us-east-1)') });
  });

  it('rejects unknown access keys as AWS does and takes the account of environment credentials', async () => {
    const stranger: Credentials = { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' };
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

    const error = await clients.ec2('eu-west-1', stranger).send(new DescribeImagesCommand({ Owners: ['self'] })).catch((e: unknown) => e);
    process.env.AWS_ACCESS_KEY_ID = 'AKIAGAMIPROD22222222';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    try {
      // No credentials in the config: the SDK's default chain reads the environment, as a Lambda does.
      const fromEnvironment = createClient(EC2Client, { region: 'eu-west-1' });
      const templates = await fromEnvironment.send(new DescribeLaunchTemplatesCommand({}));

      expect(templates.LaunchTemplates?.map((t) => t.LaunchTemplateName)).toEqual(['web-prod']);
    } finally {
      restoreEnv('AWS_ACCESS_KEY_ID', saved.id);
      restoreEnv('AWS_SECRET_ACCESS_KEY', saved.secret);
    }
    expect(error).toBeInstanceOf(EC2ServiceException);
    expect(error).toMatchObject({ name: 'AuthFailure', $metadata: expect.objectContaining({ httpStatusCode: 401 }) });
  });

  it('injects throttling that the SDK retries by itself, by count', async () => {
    cloud.world.faults.add({ operation: 'ec2:DescribeImages', error: 'RequestLimitExceeded', count: 2 });

    const out = await clients.ec2('eu-west-1').send(new DescribeImagesCommand({ Owners: ['self'] }));
    const rule = cloud.world.faults.rules[0];

    expect(out.Images).toHaveLength(4);
    expect(out.$metadata.attempts).toBe(3);
    expect(rule).toMatchObject({ matched: 3, fired: 2 });
  });

  it('throttles EC2 by AWS token buckets when rate limits are on, refilling on the clock', async () => {
    cloud.world.state.rateLimits = true;
    const ec2 = clients.ec2('eu-west-1');
    const run = () => ec2.send(new RunInstancesCommand({ ImageId: 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64', MinCount: 1, MaxCount: 1 }));

    // RunInstances: bucket of 5, refill 2 per second.
    for (let i = 0; i < 5; i++) await run();
    const sixth = await run().catch((e: unknown) => e);
    const describeStillFine = await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
    await clock.sleep(1_000);
    const afterRefill = await run();

    expect(sixth).toMatchObject({ name: 'RequestLimitExceeded', $metadata: expect.objectContaining({ httpStatusCode: 503, attempts: 3 }) });
    expect(describeStillFine.Images).toHaveLength(4);
    expect(afterRefill.Instances).toHaveLength(1);
  });

  it('surfaces injected server errors once the SDK gives up, scoped to one region', async () => {
    cloud.world.faults.add({ operation: 'ec2:*', error: 'InternalError', region: 'us-east-1' });

    const failing = await clients.ec2('us-east-1').send(new DescribeImagesCommand({ Owners: ['self'] })).catch((e: unknown) => e);
    const fine = await clients.ec2('eu-west-1').send(new DescribeImagesCommand({ Owners: ['self'] }));

    expect(failing).toMatchObject({ name: 'InternalError', $fault: 'server', $metadata: expect.objectContaining({ httpStatusCode: 500, attempts: 3 }) });
    expect(fine.Images).toHaveLength(4);
  });

});

describe('DynamoDB', () => {
  it('routes DynamoDB clients to dynalite with the scenario tables created', async () => {
    const clock = new VirtualClock(START);
    const cloud = await Cloud.start({ clock, scenario: DEFAULT_SCENARIO });
    try {
      const dynamodb = createClient(DynamoDBClient, { region: 'eu-west-1', credentials: credentialsOf(TOOLING) });
      const item = { pk: { S: 'PIPELINE#web-base' }, sk: { S: 'IMAGE#0005' }, imageId: { S: 'ami-1' } };

      await clock.hold(dynamodb.send(new PutItemCommand({ TableName: 'gami-registry-web-base', Item: item })));
      const read = await clock.hold(dynamodb.send(new GetItemCommand({ TableName: 'gami-registry-web-base', Key: { pk: item.pk, sk: item.sk } })));

      expect(read.Item).toEqual(item);
      expect(cloud.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await cloud.stop();
    }
  });
});

describe('fault plan', () => {
  function firing(seed: number): boolean[] {
    const plan = new FaultPlan({ seed, rules: [] });
    plan.add({ behaviour: 'inspector.scanNeverCompletes', probability: 0.3 });
    return Array.from({ length: 40 }, () => plan.fires('inspector.scanNeverCompletes', { accountId: TOOLING, region: 'eu-west-1' }));
  }

  it('fires by probability reproducibly from a seed', () => {
    const a = firing(42);
    const b = firing(42);
    const c = firing(7);

    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.filter(Boolean).length).toBeGreaterThan(4);
    expect(a.filter(Boolean).length).toBeLessThan(24);
  });

  it('skips, then fires by count, only in its scope', () => {
    const plan = new FaultPlan({ seed: 1, rules: [] });
    plan.add({ behaviour: 'ec2.copyFails', region: 'us-east-1', skip: 1, count: 2 });

    const results = [1, 2, 3, 4].map(() => plan.fires('ec2.copyFails', { accountId: TOOLING, region: 'us-east-1' }));
    const elsewhere = plan.fires('ec2.copyFails', { accountId: TOOLING, region: 'eu-west-1' });

    expect(results).toEqual([false, true, true, false]);
    expect(elsewhere).toBe(false);
  });
});

describe('persistence', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gami-cloud-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('survives a restart: images, pending transitions, faults and DynamoDB items come back', async () => {
    // Prepare: a run that leaves an image half-baked and a registry item behind.
    const clock = new VirtualClock(START);
    const first = await Cloud.start({ clock, scenario: DEFAULT_SCENARIO, stateDir: dir });
    const ec2 = clients.ec2('eu-west-1');
    const base = await clients.ec2('eu-west-1').send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['al2023-ami-2023.3*x86_64'] }] }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: base.Images?.[0].ImageId, MinCount: 1, MaxCount: 1 }));
    await clock.sleep(60_000);
    const created = await ec2.send(new CreateImageCommand({ InstanceId: run.Instances?.[0].InstanceId, Name: 'persisted' }));
    first.world.faults.add({ behaviour: 'ec2.copyFails', count: 1 });
    const dynamodb = createClient(DynamoDBClient, { region: 'eu-west-1', credentials: credentialsOf(TOOLING) });
    await clock.hold(dynamodb.send(new PutItemCommand({ TableName: 'gami-registry-web-base', Item: { pk: { S: 'P' }, sk: { S: 'S' } } })));
    first.world.notifyChanged();
    await first.stop();

    // Act: a new process resumes from disk, its clock starting where the saved world stopped.
    const savedAt = savedWorldTime(dir);
    const clock2 = new VirtualClock(savedAt ?? 0);
    const second = await Cloud.start({ clock: clock2, scenario: DEFAULT_SCENARIO, stateDir: dir });
    try {
      const ec2Again = clients.ec2('eu-west-1');
      const pending = await ec2Again.send(new DescribeImagesCommand({ ImageIds: [created.ImageId ?? ''] }));
      await clock2.sleep(10 * 60_000);
      const available = await ec2Again.send(new DescribeImagesCommand({ ImageIds: [created.ImageId ?? ''] }));
      const dynamodb2 = createClient(DynamoDBClient, { region: 'eu-west-1', credentials: credentialsOf(TOOLING) });
      const item = await clock2.hold(dynamodb2.send(new GetItemCommand({ TableName: 'gami-registry-web-base', Key: { pk: { S: 'P' }, sk: { S: 'S' } } })));

      // Assess
      expect(savedAt).toBe(clock.now());
      expect(second.resumed).toBe(true);
      expect(pending.Images?.[0].State).toBe('pending');
      expect(available.Images?.[0].State).toBe('available');
      expect(second.world.faults.rules).toEqual([expect.objectContaining({ behaviour: 'ec2.copyFails', count: 1 })]);
      expect(item.Item).toEqual({ pk: { S: 'P' }, sk: { S: 'S' } });
    } finally {
      await second.stop();
    }
  });

  it('writes atomically and refuses a file that is not a world snapshot', () => {
    const path = join(dir, 'cloud.json');
    const state = { version: 1 as const, regions: ['eu-west-1'], organizations: {}, accounts: {}, accessKeys: {}, mailbox: [], transitions: [], sequence: 7, faults: { seed: 3, rules: [] } };

    saveWorldState(state, path);
    const loaded = loadWorldState(path);
    writeFileSync(path, '{"hello":1}');

    expect(loaded).toEqual(state);
    expect(readFileSync(path, 'utf8')).toBe('{"hello":1}');
    expect(() => loadWorldState(path)).toThrow(/not a version 1 world snapshot/);
    expect(loadWorldState(join(dir, 'missing.json'))).toBeUndefined();
  });
});

describe('scenario', () => {
  it('names every problem with its path', () => {
    const attempt = () =>
      parseScenario({
        regions: ['eu-west-1'],
        accounts: [{ id: '12345', images: [{ regions: ['eu-west-1'], name: 'x1y', profile: 'no-such-profile' }] }],
        faults: { rules: [{ behaviour: 'ec2.imageFails', error: 'InternalError' }] },
      });

    expect(attempt).toThrow(ScenarioError);
    expect(attempt).toThrow(/accounts\.0\.id: an AWS account id is 12 digits/);
    expect(attempt).toThrow(/accounts\.0\.images\.0\.profile: unknown base image profile/);
    expect(attempt).toThrow(/faults\.rules\.0: a fault rule needs exactly one of error or behaviour/);
  });

  it('dates a catalog CVE’s fix relative to the clock (vulnerabilities), and refuses CVEs the catalog lacks', async () => {
    // Prepare
    const clock = new VirtualClock(START);
    const scenario = { regions: ['eu-west-1'], accounts: [{ id: '111111111111' }], vulnerabilities: { 'CVE-2024-2961': { fixReleasedDaysAgo: 10 } } };
    // Act
    const cloud = await Cloud.start({ clock, scenario, dynamodb: false });
    const dates = cloud.world.state.fixReleasedAt;
    await cloud.stop();
    const unknown = await Cloud.start({ clock, scenario: { regions: ['eu-west-1'], accounts: [{ id: '111111111111' }], vulnerabilities: { 'CVE-2000-0001': { fixReleasedDaysAgo: 1 } } }, dynamodb: false }).catch((e: unknown) => e);
    // Assess
    expect(dates).toEqual({ 'CVE-2024-2961': '2026-11-12' });
    expect(unknown).toBeInstanceOf(ScenarioError);
    expect(String(unknown)).toMatch(/CVE-2000-0001 is not in the catalog/);
  });

  it('refuses references that do not resolve, naming them', async () => {
    const clock = new VirtualClock(START);
    const scenario = {
      regions: ['eu-west-1'],
      accounts: [
        {
          id: '111111111111',
          accessKeys: [{ accessKeyId: 'AKIAGAMITESTKEY00001' }],
          launchTemplates: [{ region: 'eu-west-1', name: 'web', versions: [{ imageRef: 'nope' }] }],
        },
      ],
    };

    const error = await Cloud.start({ clock, scenario, dynamodb: false }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ScenarioError);
    expect(error).toMatchObject({ message: expect.stringContaining('image ref "nope" has no image in eu-west-1') });
  });

  it('seeds the example world: accounts, organization, keys, templates, groups, golden images of various ages', async () => {
    const clock = new VirtualClock(START);
    const cloud = await Cloud.start({ clock, scenario: DEFAULT_SCENARIO, dynamodb: false });
    try {
      const world = cloud.world;
      const golden = Object.values(world.region(TOOLING, 'eu-west-1').images).filter((i) => i.tags['gami:pipeline'] === 'web-base');
      const ages = golden.map((i) => Math.round((START - i.creationDate) / 86_400_000)).sort((a, b) => a - b);
      const prodTemplate = Object.values(world.region('222222222222', 'eu-west-1').launchTemplates)[0];
      const v3 = golden.find((i) => i.tags['gami:version'] === '3');

      expect(Object.keys(world.state.accounts).sort()).toEqual(['099720109477', '111111111111', '137112412989', '222222222222', '333333333333']);
      expect(world.organizationOf('333333333333')?.arn).toBe('arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5');
      expect(ages).toEqual([5, 35, 70, 120]);
      expect(prodTemplate.versions['1'].data.ImageId).toBe(v3?.imageId);
      expect(Object.values(world.region('222222222222', 'eu-west-1').instances).map((i) => i.imageId)).toEqual([v3?.imageId, v3?.imageId]);
      expect(world.region(TOOLING, 'eu-west-1').kmsAliases['alias/gami-ami']).toBeDefined();
      expect(world.account(TOOLING).instanceProfiles.GamiBuilderInstanceProfile.roleName).toBe('GamiBuilderRole');
    } finally {
      await cloud.stop();
    }
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
