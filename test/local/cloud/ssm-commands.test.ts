import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, RunInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type GetCommandInvocationCommandOutput,
} from '@aws-sdk/client-ssm';
import { VirtualClock } from '../../../local/clock';
import { Cloud, DEFAULT_SCENARIO } from '../../../local/cloud/index';
import { AL2023_PARAMETER, clients, elapse, START, startExampleCloud, type ExampleCloud } from './cloud-fixture';

const REGION = 'eu-west-1';
const BOOT_MS = 45_000 + 60_000;

let env: ExampleCloud;
const ec2 = () => clients.ec2(REGION);
const ssm = () => clients.ssm(REGION);

beforeEach(async () => {
  env = await startExampleCloud();
});

afterEach(async () => {
  await env.cloud.stop();
});

async function imageIdNamed(name: string): Promise<string> {
  const out = await ec2().send(new DescribeImagesCommand({ Owners: ['amazon', '099720109477', '801119661308'], Filters: [{ Name: 'name', Values: [name] }] }));
  const id = out.Images?.[0]?.ImageId;
  if (!id) throw new Error(`no image named ${name}`);
  return id;
}

async function launch(imageId?: string, withProfile = true): Promise<string> {
  const image = imageId ?? (await ssm().send(new GetParameterCommand({ Name: AL2023_PARAMETER }))).Parameter?.Value;
  const out = await ec2().send(
    new RunInstancesCommand({
      ImageId: image,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.small',
      SubnetId: 'subnet-0a1b2c3d4e5f67890',
      IamInstanceProfile: withProfile ? { Name: 'GamiBuilderInstanceProfile' } : undefined,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'gami-builder' }] }],
    }),
  );
  return out.Instances?.[0]?.InstanceId ?? '';
}

async function run(instanceId: string, commands: string[], extra: Record<string, string[]> = {}): Promise<string> {
  const out = await ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands, ...extra }, Comment: 'gami step' }));
  return out.Command?.CommandId ?? '';
}

async function waitForResult(commandId: string, instanceId: string): Promise<GetCommandInvocationCommandOutput> {
  for (let i = 0; i < 200; i++) {
    await elapse(env.clock, 5_000);
    const out = await ssm().send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    if (!['Pending', 'InProgress', 'Delayed'].includes(out.Status ?? '')) return out;
  }
  throw new Error('command never finished');
}

describe('DescribeInstanceInformation', () => {
  it('lists an instance once its agent is online, with the agent version installed on it', async () => {
    // Prepare
    const instanceId = await launch();
    const minimal = await launch(await imageIdNamed('al2023-ami-minimal-2023.3.20240312.0-kernel-6.1-x86_64'));
    const noProfile = await launch(undefined, false);
    const filter = { Filters: [{ Key: 'InstanceIds', Values: [instanceId, minimal, noProfile] }] };
    // Act
    const before = await ssm().send(new DescribeInstanceInformationCommand(filter));
    await elapse(env.clock, BOOT_MS);
    const after = await ssm().send(new DescribeInstanceInformationCommand(filter));
    await ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    const stopped = await ssm().send(new DescribeInstanceInformationCommand(filter));
    // Assess
    expect(before.InstanceInformationList).toEqual([]);
    expect(after.InstanceInformationList).toHaveLength(1);
    expect(after.InstanceInformationList?.[0]).toMatchObject({
      InstanceId: instanceId,
      PingStatus: 'Online',
      AgentVersion: '3.2.2222.0',
      PlatformType: 'Linux',
      PlatformName: 'Amazon Linux',
      PlatformVersion: '2023',
      ResourceType: 'EC2Instance',
    });
    // Stopping takes the agent offline: the node is no longer listed as managed.
    expect(stopped.InstanceInformationList).toEqual([]);
  });
});

describe('SendCommand / GetCommandInvocation', () => {
  it('runs AWS-RunShellScript through Pending → InProgress → Success and changes the instance', async () => {
    // Prepare
    const instanceId = await launch();
    await elapse(env.clock, BOOT_MS);
    // Act
    const commandId = await run(instanceId, ['set -e', 'dnf -y update', 'rpm -q expat']);
    const immediately = ssm().send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    await expect(immediately).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
    await elapse(env.clock, 1_000);
    const pending = await ssm().send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    await elapse(env.clock, 1_500);
    const inProgress = await ssm().send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    const done = await waitForResult(commandId, instanceId);
    // Assess
    expect(pending).toMatchObject({ Status: 'Pending', ResponseCode: -1, StandardOutputContent: '' });
    expect(inProgress).toMatchObject({ Status: 'InProgress', StandardOutputContent: '' });
    expect(done).toMatchObject({ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0, PluginName: 'aws:runShellScript', DocumentName: 'AWS-RunShellScript' });
    expect(done.StandardOutputContent).toContain('Complete!');
    expect(done.StandardOutputContent?.trimEnd().endsWith('expat-2.6.3-1.amzn2023.0.4.x86_64')).toBe(true);
    expect(done.ExecutionElapsedTime).toMatch(/^PT(\d+M)?[\d.]+S$/);
    expect(env.cloud.world.state.accounts['111111111111'].regions[REGION].instances[instanceId].software.packages.expat.version).toBe('2.6.3');
  });

  it('reports a failing script as Failed with its exit code and output', async () => {
    // Prepare
    const instanceId = await launch();
    await elapse(env.clock, BOOT_MS);
    // Act
    const done = await waitForResult(await run(instanceId, ['set -e', 'echo step one', 'systemctl restart httpd', 'echo never']), instanceId);
    // Assess
    expect(done).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 5, StandardOutputContent: 'step one\n' });
    expect(done.StandardErrorContent).toBe('Failed to restart httpd.service: Unit httpd.service not found.\nfailed to run commands: exit status 5\n');
  });

  it('times out at executionTimeout with the agent’s kill code', async () => {
    const instanceId = await launch();
    await elapse(env.clock, BOOT_MS);
    const done = await waitForResult(await run(instanceId, ['echo start', 'sleep 600'], { executionTimeout: ['60'] }), instanceId);
    expect(done).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', ResponseCode: 137, StandardOutputContent: 'start\n' });
  });

  it('truncates stdout to the first 24,000 characters', async () => {
    const instanceId = await launch();
    await elapse(env.clock, BOOT_MS);
    const done = await waitForResult(await run(instanceId, [`echo ${'x'.repeat(30_000)}`]), instanceId);
    expect(done.StandardOutputContent).toHaveLength(24_000);
  });

  it('refuses unmanaged instances, Windows and other documents as AWS does', async () => {
    // Prepare
    const fresh = await launch();
    const windows = await launch(await imageIdNamed('Windows_Server-2022-English-Full-Base-2024.03.13'));
    await elapse(env.clock, BOOT_MS);
    const minimal = await launch(await imageIdNamed('al2023-ami-minimal-2023.3.20240312.0-kernel-6.1-x86_64'));
    await elapse(env.clock, BOOT_MS);
    // Act / Assess
    await expect(run(minimal, ['true'])).rejects.toMatchObject({ name: 'InvalidInstanceId', message: `Instances [[${minimal}]] not in a valid state for account 111111111111` });
    await expect(run('i-0000000000000dead', ['true'])).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    await expect(run(windows, ['true'])).rejects.toMatchObject({ name: 'UnsupportedPlatformType' });
    await expect(ssm().send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [fresh], Parameters: {} }))).rejects.toMatchObject({ name: 'InvalidParameters' });
    await expect(ssm().send(new SendCommandCommand({ DocumentName: 'AWS-ApplyPatchBaseline', InstanceIds: [fresh], Parameters: { commands: ['true'] } }))).rejects.toMatchObject({ name: 'InvalidDocument' });
    await expect(ssm().send(new GetCommandInvocationCommand({ CommandId: '00000000-0000-4000-a000-000000000000', InstanceId: fresh }))).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
  });

  it('fails a command when the ssm.commandFails fault fires', async () => {
    // Prepare
    const instanceId = await launch();
    await elapse(env.clock, BOOT_MS);
    env.cloud.world.faults.add({ behaviour: 'ssm.commandFails', count: 1 });
    // Act
    const first = await waitForResult(await run(instanceId, ['echo ok']), instanceId);
    const second = await waitForResult(await run(instanceId, ['echo ok']), instanceId);
    // Assess
    expect(first).toMatchObject({ Status: 'Failed', ResponseCode: 1 });
    expect(second).toMatchObject({ Status: 'Success', StandardOutputContent: 'ok\n' });
  });
});

describe('ListCommandInvocations', () => {
  it('lists invocations newest first, with plugin details on request', async () => {
    // Prepare
    const instanceId = await launch();
    await elapse(env.clock, BOOT_MS);
    const first = await run(instanceId, ['echo one']);
    await waitForResult(first, instanceId);
    const second = await run(instanceId, ['echo two; exit 3']);
    await waitForResult(second, instanceId);
    // Act
    const all = await ssm().send(new ListCommandInvocationsCommand({ InstanceId: instanceId }));
    const detailed = await ssm().send(new ListCommandInvocationsCommand({ CommandId: second, Details: true }));
    const page = await ssm().send(new ListCommandInvocationsCommand({ InstanceId: instanceId, MaxResults: 1 }));
    // Assess
    expect(all.CommandInvocations?.map((i) => [i.CommandId, i.Status])).toEqual([
      [second, 'Failed'],
      [first, 'Success'],
    ]);
    expect(detailed.CommandInvocations?.[0]?.CommandPlugins?.[0]).toMatchObject({ Name: 'aws:runShellScript', Status: 'Failed', ResponseCode: 3 });
    expect(detailed.CommandInvocations?.[0]?.CommandPlugins?.[0]?.Output).toContain('two\n');
    expect(detailed.CommandInvocations?.[0]?.InstanceName).toBe('gami-builder');
    expect(page.CommandInvocations).toHaveLength(1);
    expect(page.NextToken).toBeDefined();
  });

  it('ListCommands finds a command by instance and document (how a step finds its earlier attempt)', async () => {
    // Prepare
    const instanceId = await launch();
    await elapse(env.clock, BOOT_MS);
    const commandId = await run(instanceId, ['echo one']);
    // Act
    const listed = await ssm().send(new ListCommandsCommand({ InstanceId: instanceId, Filters: [{ key: 'DocumentName', value: 'AWS-RunShellScript' }], MaxResults: 50 }));
    const other = await ssm().send(new ListCommandsCommand({ InstanceId: 'i-0000000000000beef' }));
    // Assess
    expect(listed.Commands?.map((c) => [c.CommandId, c.Comment, c.Status, c.TargetCount])).toEqual([[commandId, 'gami step', 'Pending', 1]]);
    expect(other.Commands).toEqual([]);
  });
});

describe('other platforms, targets and persistence', () => {
  it('patches an Ubuntu instance with apt through Run Command, selected by tag', async () => {
    // Prepare
    const instanceId = await launch(await imageIdNamed('ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20230115'));
    await elapse(env.clock, BOOT_MS);
    // Act
    const sent = await ssm().send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        Targets: [{ Key: 'tag:Name', Values: ['gami-builder'] }],
        Parameters: { commands: ['export DEBIAN_FRONTEND=noninteractive', 'apt-get update -q', 'apt-get -y upgrade', "dpkg-query -W -f '${Version}' openssh-server"], workingDirectory: ['/tmp'] },
      }),
    );
    const done = await waitForResult(sent.Command?.CommandId ?? '', instanceId);
    const info = await ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }));
    // Assess
    expect(sent.Command?.InstanceIds).toEqual([instanceId]);
    expect(done.Status).toBe('Success');
    expect(done.StandardOutputContent?.endsWith('1:8.9p1-3ubuntu0.13')).toBe(true);
    expect(info.InstanceInformationList?.[0]).toMatchObject({ PlatformName: 'Ubuntu', PlatformVersion: '22.04' });
  });
});

describe('persistence', () => {
  it('keeps command invocations and scheduled completions across a restart of the cloud', async () => {
    // Prepare
    await env.cloud.stop();
    const stateDir = mkdtempSync(join(tmpdir(), 'gami-ssm-'));
    try {
      const clock = new VirtualClock(START);
      const first = await Cloud.start({ clock, scenario: DEFAULT_SCENARIO, stateDir, dynamodb: false });
      env = { clock, cloud: first };
      const instanceId = await launch();
      await elapse(clock, BOOT_MS);
      const commandId = await run(instanceId, ['dnf -y update', 'echo patched']);
      await elapse(clock, 3_000);
      first.flush();
      await first.stop();
      // Act
      const second = await Cloud.start({ clock, scenario: DEFAULT_SCENARIO, stateDir, dynamodb: false });
      env = { clock, cloud: second };
      const done = await waitForResult(commandId, instanceId);
      // Assess
      expect(second.resumed).toBe(true);
      expect(done).toMatchObject({ Status: 'Success', ResponseCode: 0 });
      expect(done.StandardOutputContent?.endsWith('patched\n')).toBe(true);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
