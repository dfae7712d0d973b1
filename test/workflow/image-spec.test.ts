/**
 * The image section at bake (issue 15), on the real synthesized lifecycle against the simulated account: the
 * builder launches with the configured volumes, encryption and boot mode; the image carries them, is IMDSv2-only
 * (an instance launched from it without metadata options requires tokens) and the registry records it; a root
 * volume smaller than the base image's snapshot and a boot mode the base image lacks fail the launch by name.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Command } from 'commander';
import { addImagesCommand, type ImagesReport } from '../../bin/images';
import { CATALOG } from '../../local/cloud/inspector/catalog';
import { decodeInventory, inventoryKeys } from '../../pipeline/inventory';
import { registryKeys } from '../../pipeline/registry';
import { TAG } from '../../pipeline/tags';
import { createClient } from '../../tasks/clients';
import { startRuntime } from './runtime-fixture';

type Env = Awaited<ReturnType<typeof startRuntime>>;
const TOOLING = '111111111111';
const REGION = 'eu-west-1';
const credentials = { accessKeyId: 'AKIAGAMITOOLING11111', secretAccessKey: 'local' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gami-image-spec-'));
  symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pipelineVariant(name: string, ...edits: Array<[string, string]>): string {
  let text = readFileSync('pipelines/example.yaml', 'utf8');
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`example.yaml no longer contains ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

function instancesOf(env: Env, executionArn: string) {
  return Object.values(env.runtime.cloud.world.region(TOOLING, REGION).instances).filter((i) => i.tags[TAG.execution] === executionArn);
}

describe('example pipeline: the image section applied at bake', () => {
  let env: Env;
  let result: Awaited<ReturnType<Env['run']>>;
  beforeAll(async () => {
    env = await startRuntime();
    result = await env.run({});
  });
  afterAll(() => env.stop());

  it('launches the builder with the configured volumes, encrypted with the key, in the configured boot mode', () => {
    expect(result.description.status).toBe('SUCCEEDED');
    const keyId = env.runtime.cloud.world.region(TOOLING, REGION).kmsAliases['alias/gami-ami'];
    const builder = instancesOf(env, result.executionArn).find((i) => i.tags[TAG.purpose] === 'build')!;

    expect(builder.volumes.map((v) => ({ device: v.deviceName, size: v.size, type: v.volumeType, iops: v.iops, throughput: v.throughput, encrypted: v.encrypted }))).toEqual([
      { device: '/dev/xvda', size: 10, type: 'gp3', iops: 3000, throughput: 250, encrypted: true },
      { device: '/dev/sdf', size: 20, type: 'gp3', iops: 3000, throughput: 125, encrypted: true },
    ]);
    expect(keyId).toBeDefined();
    for (const volume of builder.volumes) expect(volume.kmsKeyId).toBe(`arn:aws:kms:eu-west-1:111111111111:key/${keyId}`);
    // The base image is uefi-preferred; a t3 (Nitro) boots it UEFI.
    expect(builder.bootMode).toBe('uefi');
  });

  it('makes an image that has the volumes, the boot mode and is IMDSv2-only, as DescribeImages shows it', async () => {
    const ec2 = createClient(EC2Client, { region: REGION, credentials });
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [result.output.imageId] }))).Images![0];

    expect(image.ImdsSupport).toBe('v2.0');
    // CreateImage copies the boot mode of the (public, Amazon-owned) base image.
    expect(image.BootMode).toBe('uefi-preferred');
    expect(image.BlockDeviceMappings!.map((m) => ({ device: m.DeviceName, size: m.Ebs?.VolumeSize, type: m.Ebs?.VolumeType, iops: m.Ebs?.Iops, throughput: m.Ebs?.Throughput, encrypted: m.Ebs?.Encrypted }))).toEqual([
      { device: '/dev/xvda', size: 10, type: 'gp3', iops: 3000, throughput: 250, encrypted: true },
      { device: '/dev/sdf', size: 20, type: 'gp3', iops: 3000, throughput: 125, encrypted: true },
    ]);
    ec2.destroy();
  });

  it('launches instances of the image IMDSv2-only even when the launch asks for nothing', async () => {
    const ec2 = createClient(EC2Client, { region: REGION, credentials });
    const launched = await ec2.send(new RunInstancesCommand({ ImageId: result.output.imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));

    expect(launched.Instances![0].MetadataOptions?.HttpTokens).toBe('required');
    ec2.destroy();
  });

  it('records what the image is made of with the Bake stage in the registry', async () => {
    const registry = DynamoDBDocumentClient.from(createClient(DynamoDBClient, { region: REGION, credentials }));
    const stage = (await registry.send(new GetCommand({ TableName: 'gami-registry-web-base', Key: registryKeys.stage('web-base', result.output.version, 'Bake') }))).Item!;

    expect(stage.details.image).toMatchObject({
      imdsSupport: 'v2.0',
      rootDeviceName: '/dev/xvda',
      blockDevices: [
        { deviceName: '/dev/xvda', sizeGiB: 10, type: 'gp3', iops: 3000, throughputMiBps: 250, encrypted: true },
        { deviceName: '/dev/sdf', sizeGiB: 20, type: 'gp3', encrypted: true },
      ],
    });
    registry.destroy();
  });
});

describe('image specs the base image cannot satisfy', () => {
  it.each([
    [
      'a root volume smaller than the base image snapshot',
      '    sizeGiB: 10 #',
      '    sizeGiB: 4 #',
      /image\.rootVolume\.sizeGiB \(4\) is smaller than the root snapshot snap-[0-9a-f]+ of base image ami-[0-9a-f]+ \(8 GiB\): set at least 8 or leave it unset/,
    ],
    [
      'a boot mode the base image does not have',
      '  bootMode: uefi-preferred',
      '  bootMode: uefi',
      /image\.bootMode is uefi but base image ami-[0-9a-f]+ has boot mode uefi-preferred; EC2 copies the boot mode at CreateImage and sets it only at RegisterImage/,
    ],
  ])('fails the builder launch with InstanceLaunchFailed for %s, and launches nothing', async (name, from, to, cause) => {
    const env = await startRuntime({ pipelineFile: pipelineVariant(name.replace(/\W+/g, '-'), [from, to]) });
    try {
      const run = await env.run({});

      expect(run.description.status).toBe('FAILED');
      expect(run.description.error).toBe('InstanceLaunchFailed');
      expect(run.description.cause).toMatch(cause);
      expect(instancesOf(env, run.executionArn)).toEqual([]);
    } finally {
      await env.stop();
    }
  });
});

describe('remediation windows on the virtual clock', () => {
  // The unpatched base image carries HIGH findings with fixes; counts are unlimited so only the window decides.
  const counts = '  maxFindings:\n    CRITICAL: 0\n    HIGH: 3\n    MEDIUM: 5\n    LOW: unlimited\n    INFORMATIONAL: unlimited\n    UNTRIAGED: 0\n';
  let env: Env;
  beforeAll(async () => {
    env = await startRuntime({
      pipelineFile: pipelineVariant(
        'windows',
        ['  - path: components/os-update.yaml\n', ''],
        [counts, counts.replace(/: (0|3|5)\n/g, ': unlimited\n')],
      ),
    });
  });
  afterAll(() => env.stop());

  /** Every catalog fix released `days` before the clock (the scenario key `vulnerabilities` does the same). */
  const fixesReleased = (days: number, only?: string) => {
    const day = new Date(env.clock.now() - days * 86_400_000).toISOString().slice(0, 10);
    const state = env.runtime.cloud.world.state;
    state.fixReleasedAt = only ? { ...state.fixReleasedAt, [only]: day } : Object.fromEntries(CATALOG.map((r) => [r.vulnerabilityId, day]));
    return day;
  };

  it('passes HIGH findings whose fixes are 3 days old under a 7-day window, then fails the one whose fix is 10 days old, naming it and since when', async () => {
    fixesReleased(3);
    const passed = await env.run({});

    expect(passed.description.status).toBe('SUCCEEDED');
    expect(passed.output.scanGate).toMatchObject({ passed: true, windows: { HIGH: 7, MEDIUM: 30, CRITICAL: 'unlimited' }, windowViolations: [] });
    const high = (passed.output.topFindings as Array<{ severity: string; fixAvailable?: boolean; vulnerabilityId: string; packageName: string }>).find(
      (f) => f.severity === 'HIGH' && f.fixAvailable,
    )!;
    expect(high).toBeDefined();

    const since = fixesReleased(10, high.vulnerabilityId);
    const failed = await env.run({});

    expect(failed.description.status).toBe('FAILED');
    expect(failed.description.error).toBe('ScanGateFailed');
    expect(failed.description.cause).toContain(`HIGH ${high.vulnerabilityId} (${high.packageName} `);
    expect(failed.description.cause).toContain(`fix available since ${since}, 10 days > 7 allowed`);
    // Only that finding broke a window.
    expect(failed.description.cause!.match(/ days > \d+ allowed/g)).toHaveLength(1);
  });
});

describe('package inventory per image', () => {
  let env: Env;
  let result: Awaited<ReturnType<Env['run']>>;
  let stateDir: string;
  const items: Record<string, Record<string, unknown>> = {};
  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'gami-state-'));
    env = await startRuntime({ stateDir });
    result = await env.run({});
    const registry = DynamoDBDocumentClient.from(createClient(DynamoDBClient, { region: REGION, credentials }));
    for (const role of ['base', 'image'] as const) {
      items[role] = (await registry.send(new GetCommand({ TableName: 'gami-registry-web-base', Key: inventoryKeys.item('web-base', result.output.version, role) }))).Item!;
    }
    registry.destroy();
    await env.stop();
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  /** Run `gami images …` on a program built for the test; returns what it printed. */
  async function gamiImages(...args: string[]): Promise<string[]> {
    const out: string[] = [];
    const program = new Command('gami').exitOverride();
    addImagesCommand(program, { out: (l) => out.push(l), err: (l) => out.push(`err: ${l}`) });
    await program.parseAsync(['images', 'web-base', '--local', '--state-dir', stateDir, ...args], { from: 'user' });
    return out;
  }

  it('records the inventory of the image and of its base, with their sizes', () => {
    expect(result.description.status).toBe('SUCCEEDED');
    for (const role of ['base', 'image']) {
      const item = items[role];
      expect(item).toMatchObject({ role, version: result.output.version, source: 'ssm-inventory:AWS:Application' });
      expect(decodeInventory(item)).toHaveLength(item.count as number);
      expect(item.count).toBeGreaterThan(100);
    }
    expect(items.image.imageId).toBe(result.output.imageId);
    expect(items.base.imageId).toBe(result.output.baseImage.imageId);
  });

  it("differs from the base image's inventory by exactly the upgraded packages", () => {
    // What the simulated world says the OS update did: every package whose version differs between the two images.
    const world = env.runtime.cloud.world;
    const before = world.region('137112412989', REGION).images[result.output.baseImage.imageId].software.packages;
    const after = world.region(TOOLING, REGION).images[result.output.imageId].software.packages;
    const upgraded = Object.keys(after).filter((name) => before[name] && before[name].version + before[name].release !== after[name].version + after[name].release).sort();
    expect(upgraded.length).toBeGreaterThan(0);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());

    const changes = items.image.changesFromBase as { added: unknown[]; removed: unknown[]; changed: Array<{ name: string; upgrade: boolean }> };
    expect(changes.added).toEqual([]);
    expect(changes.removed).toEqual([]);
    expect(changes.changed.map((c) => c.name).sort()).toEqual(upgraded);
    expect(changes.changed.every((c) => c.upgrade)).toBe(true);
  });

  it('lists every version with its inventory, and every copy with its region, account, status, protection, shares and uses (gami images --local)', async () => {
    const lines = await gamiImages();

    const v5 = lines.findIndex((l) => l.startsWith('v5 '));
    expect(lines[v5]).toMatch(
      new RegExp(
        `^v5 ${result.output.imageId}: approved, \\d+(\\.\\d)? days old; ${items.image.count} packages \\(.*\\); from its base ${result.output.baseImage.imageId} \\(${items.base.count} packages\\): \\d+ changed, 0 added, 0 removed$`,
      ),
    );
    // The copies in EC2, source first: each one approved and protected, shared with the consumer accounts, and what uses it.
    const copies = lines.slice(v5 + 1).filter((l) => l.startsWith('  '));
    expect(copies.length).toBeGreaterThanOrEqual(1);
    expect(copies[0]).toMatch(new RegExp(`^ {2}eu-west-1 \\(source\\) +111111111111 +${result.output.imageId} +approved +protected +shared with 222222222222, 333333333333 +in use by: .*SSM parameter /golden/web-base/latest`));
    expect(copies.every((l) => / approved +protected +shared with 222222222222, 333333333333 +in use by: /.test(l))).toBe(true);
    expect(copies.some((l) => /launch template web-prod \(lt-[0-9a-f]+\) version \d+: \$Default, \$Latest, Auto Scaling group web-prod-asg in account 222222222222/.test(l))).toBe(true);
    // Versions of the account from before this state directory: in EC2, without a registry inventory.
    expect(lines.slice(0, v5).some((l) => /^v4 ami-[0-9a-f]+: published, \d+(\.\d)? days old; no package inventory recorded$/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(new RegExp(`^newest approved image: v5 ${result.output.imageId}, \\d+(\\.\\d)? days old \\(the freshness alarm fires past freshness.maxAgeDays\\)$`));

    const registryOnly = await gamiImages('--no-copies');
    expect(registryOnly).toEqual([lines[v5], lines.at(-1)]);
    const listed = await gamiImages('--packages', '--image-version', '5', '--no-copies');
    expect(listed).toHaveLength(4 + (items.base.count as number) + (items.image.count as number));
    expect(listed[1]).toBe(`  packages of ${result.output.imageId}:`);
  });

  it('gives the same as JSON (gami images --format json)', async () => {
    const report = JSON.parse((await gamiImages('--format', 'json', '--image-version', '5')).join('\n')) as ImagesReport;

    expect(report).toMatchObject({ pipeline: 'web-base', copiesRead: true, newestApproved: { version: 5, imageId: result.output.imageId } });
    expect(report.versions).toHaveLength(1);
    const [v5] = report.versions;
    expect(v5).toMatchObject({ version: 5, imageId: result.output.imageId, status: 'approved', inventory: { packages: items.image.count, base: { imageId: result.output.baseImage.imageId } } });
    expect(v5.copies[0]).toMatchObject({ region: REGION, account: TOOLING, imageId: result.output.imageId, source: true, status: 'approved', deprecated: false, protected: true, sharedWith: ['222222222222', '333333333333'], notRead: [] });
    expect(v5.copies[0].inUseBy).toContain('SSM parameter /golden/web-base/latest');
    expect(new Set(v5.copies.map((c) => c.region)).size).toBe(v5.copies.length);
  });

  it('finds the images carrying a package by name and version range', async () => {
    const changes = items.image.changesFromBase as { changed: Array<{ name: string; from: string; to: string }> };
    const openssl = changes.changed.find((c) => c.name === 'openssl-libs') ?? changes.changed[0];

    const any = await gamiImages('--package', openssl.name);
    const patched = await gamiImages('--package', openssl.name, '--versions', `>=${openssl.to}`);
    const older = await gamiImages('--package', openssl.name, '--versions', `<${openssl.to}`);
    const none = await gamiImages('--package', openssl.name, '--versions', `>${openssl.to}`);

    expect(any).toHaveLength(2);
    const asJson = JSON.parse((await gamiImages('--package', openssl.name, '--format', 'json')).join('\n')) as { images: Array<{ role: string; imageId: string }> };
    expect(asJson.images.map((h) => [h.role, h.imageId])).toEqual([['base', result.output.baseImage.imageId], ['image', result.output.imageId]]);
    expect(patched).toEqual([expect.stringMatching(new RegExp(`^v5 ${result.output.imageId}  ${openssl.name} ${openssl.to.replace(/[.^]/g, '\\$&')}\\.`))]);
    expect(older).toEqual([expect.stringMatching(new RegExp(`^base ${result.output.baseImage.imageId} \\(of v5\\)  ${openssl.name} ${openssl.from.replace(/[.^]/g, '\\$&')}\\.`))]);
    expect(none).toEqual([`no image of web-base carries ${openssl.name} >${openssl.to}`]);
  });
});
