/**
 * The RetentionSweep in the example world, with older versions of web-base seeded as they would be after
 * earlier releases (approved, copied to three regions, shared with prod and staging) rather than baked here.
 * Version 3 is 100 days old: past the deregister age, but web-prod's launch template ($Default, named by the
 * Auto Scaling group web-prod-asg) in the prod account still launches its eu-west-1 copy.
 */
import { readFileSync } from 'node:fs';
import { DescribeImagesCommand, DescribeSnapshotsCommand, EC2Client, type Image } from '@aws-sdk/client-ec2';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { parse } from 'yaml';
import type { ScenarioInput } from '../../local/cloud/scenario';
import { registryKeys } from '../../pipeline/registry';
import { createClient } from '../../tasks/clients';
import { registryClient } from '../../tasks/common/registry';
import { startRuntime } from './runtime-fixture';

type Runtime = Awaited<ReturnType<typeof startRuntime>>;
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1'];

function scenario(): ScenarioInput {
  const world = parse(readFileSync('local/cloud/scenarios/example.yaml', 'utf8')) as ScenarioInput & { accounts: { images?: { ref?: string; ageDays?: number }[] }[] };
  const v3 = world.accounts[0].images?.find((i) => i.ref === 'web-base-3');
  if (!v3) throw new Error('the example world has no web-base-3');
  v3.ageDays = 100;
  return world;
}

async function images(): Promise<Record<string, Image[]>> {
  const out: Record<string, Image[]> = {};
  for (const region of REGIONS) {
    const ec2 = createClient(EC2Client, { region });
    const page = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:gami:pipeline', Values: ['web-base'] }] }));
    out[region] = page.Images ?? [];
  }
  return out;
}
/** The sweep's report item, from where its output says it is. */
async function reportOf(output: { registry: { table: string; pk: string; sk: string } }) {
  const { table, pk, sk } = output.registry;
  return (await registryClient().send(new GetCommand({ TableName: table, Key: { pk, sk } }))).Item;
}
const versions = (all: Record<string, Image[]>) =>
  Object.fromEntries(Object.entries(all).map(([r, list]) => [r, list.map((i) => i.Tags?.find((t) => t.Key === 'gami:version')?.Value).sort()]));

let env: Runtime;
beforeEach(async () => {
  env = await startRuntime({ scenario: scenario() });
});
afterEach(async () => {
  await env.stop();
});

describe('RetentionSweep', () => {
  it('keeps the old copy an Auto Scaling group launches in a consumer account, retires its unused siblings with their snapshots, and a second sweep does nothing', async () => {
    const before = await images();
    const v3Central = before['eu-central-1'].find((i) => i.Tags?.some((t) => t.Key === 'gami:version' && t.Value === '3'));
    const snapshots = (v3Central?.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));

    const first = await env.sweep();
    const after = await images();
    const second = await env.sweep();

    expect(first.description.status).toBe('SUCCEEDED');
    expect(versions(before)).toEqual({ 'eu-west-1': ['1', '2', '3', '4'], 'eu-central-1': ['3', '4'], 'us-east-1': ['3', '4'] });
    // v1 (120 days, unused) and v3's copies nobody uses are gone; v3 in eu-west-1 stays for web-prod.
    expect(versions(after)).toEqual({ 'eu-west-1': ['2', '3', '4'], 'eu-central-1': ['4'], 'us-east-1': ['4'] });
    expect(snapshots.length).toBeGreaterThan(0);
    const left = await createClient(EC2Client, { region: 'eu-central-1' })
      .send(new DescribeSnapshotsCommand({ SnapshotIds: snapshots }))
      .catch((e: { name: string }) => e.name);
    expect(left).toBe('InvalidSnapshot.NotFound');

    const report = await reportOf(first.output);
    expect(report?.status).toBe('reported');
    expect(report?.report.done).toMatchObject({ deregistered: 3, deprecated: 0 });
    expect(report?.report.done.freedGiB).toBeGreaterThan(0);
    const v3Line = report?.report.versions.find((v: { version: string }) => v.version === '3');
    expect(v3Line).toMatchObject({ kept: 1, deregistered: 2, retired: false });
    expect(v3Line.keptBecause.join('\n')).toMatch(/eu-west-1 .*used by launch template web-prod \(lt-[0-9a-f]+\) version 1: \$Default, \$Latest, Auto Scaling group web-prod-asg/);
    expect(report?.markdown).toContain('## Tag compliance');

    expect(second.description.status).toBe('SUCCEEDED');
    expect(second.output.planned).toMatchObject({ deregistered: 0 });
    expect(second.output.report.done).toMatchObject({ deprecated: 0, deregistered: 0, snapshotsDeleted: 0 });
    expect(versions(await images())).toEqual(versions(after));
    // Two paced sweeps of a small world stay far from the 25,000-event history limit.
    expect(first.events.length).toBeLessThan(60);
  });

  it('keeps every copy in a region whose references cannot be read, and says so in the report', async () => {
    env.runtime.cloud.world.faults.add({ name: 'prod us-east-1 unreadable', operation: 'ec2:DescribeImageReferences', error: 'UnauthorizedOperation', accountId: '222222222222', region: 'us-east-1' });

    const swept = await env.sweep();
    const after = await images();

    expect(swept.description.status).toBe('SUCCEEDED');
    expect(versions(after)).toEqual({ 'eu-west-1': ['2', '3', '4'], 'eu-central-1': ['4'], 'us-east-1': ['3', '4'] });
    expect(swept.output.report.unreadableScopes).toEqual([
      expect.stringMatching(/^111111111111 us-east-1: references in account 222222222222 \(role GamiLaunchTemplateUpdater\) in us-east-1: UnauthorizedOperation/),
    ]);
    const report = await reportOf(swept.output);
    expect(report?.markdown).toMatch(/## Not read: every image there kept \(fail closed\)\n\n- 111111111111 us-east-1: references in account 222222222222/);
  });

  it('fails with RetentionFailed when an image cannot be deregistered, after doing the rest and writing the report, and notifies', async () => {
    env.runtime.cloud.world.faults.add({ name: 'refused in eu-central-1', operation: 'ec2:DeregisterImage', error: 'UnauthorizedOperation', region: 'eu-central-1' });
    const mailbox = env.runtime.cloud.mailbox().length;

    const swept = await env.sweep();
    const after = await images();

    expect(swept.description).toMatchObject({ status: 'FAILED', error: 'RetentionFailed' });
    expect(swept.description.cause).toMatch(/1 retention action\(s\) failed .*deregister eu-central-1 ami-[0-9a-f]+ \(version 3\): UnauthorizedOperation/);
    expect(versions(after)).toEqual({ 'eu-west-1': ['2', '3', '4'], 'eu-central-1': ['3', '4'], 'us-east-1': ['4'] });
    const notice = env.runtime.cloud.mailbox().slice(mailbox).find((m) => m.message.includes(swept.executionArn));
    expect(notice?.message).toContain('The retention sweep of pipeline web-base failed with RetentionFailed');
  });

  it('changes nothing on a dry run, and reports what it would do', async () => {
    const before = await images();

    const swept = await env.sweep({ dryRun: true });

    expect(swept.description.status).toBe('SUCCEEDED');
    expect(await images()).toEqual(before);
    expect(swept.output).toMatchObject({ dryRun: true, planned: { deregistered: 3 }, report: { dryRun: true, done: { deregistered: 0 } } });
    const report = await reportOf(swept.output);
    expect(report?.markdown).toContain('dry run: nothing was changed');
    expect(
      (await registryClient().send(new GetCommand({ TableName: 'gami-registry-web-base', Key: registryKeys.retentionBatch('web-base', swept.output.report.sweepId, 1) }))).Item,
    ).toBeUndefined();
  });
});
