/**
 * SSM Inventory (local/cloud/ssm/inventory.ts): ListInventoryEntries with TypeName AWS:Application through the real
 * SSM client — the package inventory of a managed instance as it was at its last collection.
 */
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { GetCommandInvocationCommand, ListInventoryEntriesCommand, SendCommandCommand, type ListInventoryEntriesCommandInput } from '@aws-sdk/client-ssm';
import { baseImageSoftware } from '../../../local/cloud/packages/base-images';
import { baseImageId, clients, elapse, startExampleCloud, type ExampleCloud } from './cloud-fixture';

const REGION = 'eu-west-1';
const MINUTE = 60_000;
let env: ExampleCloud;
const ssm = () => clients.ssm(REGION);

beforeEach(async () => {
  env = await startExampleCloud();
});
afterEach(async () => {
  await env.cloud.stop();
});

async function managedInstance(profile = 'GamiBuilderInstanceProfile'): Promise<string> {
  const run = await clients.ec2(REGION).send(
    new RunInstancesCommand({ ImageId: await baseImageId(), InstanceType: 't3.small', MinCount: 1, MaxCount: 1, IamInstanceProfile: profile ? { Name: profile } : undefined }),
  );
  return run.Instances?.[0].InstanceId ?? '';
}

async function allEntries(input: ListInventoryEntriesCommandInput): Promise<{ entries: Record<string, string>[]; pages: number; captureTime?: string }> {
  const entries: Record<string, string>[] = [];
  let pages = 0;
  let captureTime: string | undefined;
  let NextToken: string | undefined;
  do {
    const out = await ssm().send(new ListInventoryEntriesCommand({ ...input, NextToken }));
    entries.push(...(out.Entries ?? []));
    captureTime = out.CaptureTime;
    pages += 1;
    NextToken = out.NextToken;
  } while (NextToken);
  return { entries, pages, captureTime };
}

async function runCommand(instanceId: string, commands: string[]): Promise<void> {
  const sent = await ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands } }));
  for (;;) {
    await elapse(env.clock, 10_000);
    const out = await ssm().send(new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: instanceId }));
    if (out.Status !== 'Pending' && out.Status !== 'InProgress') return;
  }
}

describe('ListInventoryEntries AWS:Application', () => {
  it('lists every installed package with name, version, release, epoch and architecture, 50 per page', async () => {
    // Prepare
    const instanceId = await managedInstance();
    await elapse(env.clock, 2 * MINUTE);
    // Act
    const { entries, pages, captureTime } = await allEntries({ InstanceId: instanceId, TypeName: 'AWS:Application', MaxResults: 50 });
    const first = await ssm().send(new ListInventoryEntriesCommand({ InstanceId: instanceId, TypeName: 'AWS:Application' }));
    // Assess
    const installed = Object.keys(baseImageSoftware('al2023-2024-outdated').packages).length;
    expect(entries).toHaveLength(installed);
    expect(pages).toBe(Math.ceil(installed / 50));
    expect(first).toMatchObject({ TypeName: 'AWS:Application', InstanceId: instanceId, SchemaVersion: '1.1' });
    expect(first.Entries).toHaveLength(50);
    expect(captureTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(entries.find((e) => e.Name === 'expat')).toEqual({ Name: 'expat', Version: '2.5.0', Release: '1.amzn2023.0.3', Architecture: 'x86_64', Publisher: 'Amazon Linux' });
    expect(entries.map((e) => e.Name)).toEqual([...entries.map((e) => e.Name)].sort((a, b) => a.localeCompare(b)));
  });

  it('filters by name and by version as the package manager orders versions', async () => {
    // Prepare
    const instanceId = await managedInstance();
    await elapse(env.clock, 2 * MINUTE);
    // Act
    const exact = await allEntries({ InstanceId: instanceId, TypeName: 'AWS:Application', Filters: [{ Key: 'Name', Values: ['expat', 'curl-minimal'], Type: 'Equal' }] });
    const prefixed = await allEntries({ InstanceId: instanceId, TypeName: 'AWS:Application', Filters: [{ Key: 'AWS:Application.Name', Values: ['python3'], Type: 'BeginWith' }] });
    const older = await allEntries({
      InstanceId: instanceId,
      TypeName: 'AWS:Application',
      Filters: [
        { Key: 'Name', Values: ['expat'] },
        { Key: 'Version', Values: ['2.10.0'], Type: 'LessThan' },
      ],
    });
    // Assess
    expect(exact.entries.map((e) => e.Name).sort()).toEqual(['curl-minimal', 'expat']);
    expect(prefixed.entries.length).toBeGreaterThan(2);
    expect(prefixed.entries.every((e) => e.Name.startsWith('python3'))).toBe(true);
    expect(older.entries.map((e) => e.Version)).toEqual(['2.5.0']);
  });

  it('shows the software as of the last collection: an update appears at the next 30-minute collection', async () => {
    // Prepare
    const instanceId = await managedInstance();
    await elapse(env.clock, 2 * MINUTE);
    const before = await allEntries({ InstanceId: instanceId, TypeName: 'AWS:Application' });
    // Act
    await runCommand(instanceId, ['dnf -y update']);
    const stale = await allEntries({ InstanceId: instanceId, TypeName: 'AWS:Application' });
    await elapse(env.clock, 30 * MINUTE);
    const after = await allEntries({ InstanceId: instanceId, TypeName: 'AWS:Application' });
    // Assess
    expect(stale).toEqual(before);
    expect(after.captureTime).not.toBe(before.captureTime);
    const version = (list: Record<string, string>[], name: string) => list.find((e) => e.Name === name)?.Version;
    expect(version(after.entries, 'expat')).toBe('2.6.3');
    const changed = after.entries.filter((e) => JSON.stringify(e) !== JSON.stringify(before.entries.find((b) => b.Name === e.Name)));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.map((e) => e.Name)).toContain('curl-minimal');
  });

  it('answers as SSM does for unmanaged instances, unknown types, empty types and bad parameters', async () => {
    // Prepare
    const unmanaged = await managedInstance('');
    const managed = await managedInstance();
    await elapse(env.clock, 2 * MINUTE);
    const attempt = (input: ListInventoryEntriesCommandInput) => ssm().send(new ListInventoryEntriesCommand(input)).catch((e: unknown) => e);
    // Act / Assess
    expect(await attempt({ InstanceId: unmanaged, TypeName: 'AWS:Application' })).toMatchObject({ name: 'InvalidInstanceId' });
    expect(await attempt({ InstanceId: managed, TypeName: 'Packages' })).toMatchObject({ name: 'InvalidTypeNameException' });
    expect(await attempt({ InstanceId: managed, TypeName: 'AWS:Network' })).toMatchObject({ Entries: [] });
    expect(await attempt({ InstanceId: managed, TypeName: 'AWS:Application', MaxResults: 51 })).toMatchObject({ name: 'ValidationException' });
    expect(await attempt({ InstanceId: managed, TypeName: 'AWS:Application', NextToken: 'bogus' })).toMatchObject({ name: 'InvalidNextToken' });
  });
});
