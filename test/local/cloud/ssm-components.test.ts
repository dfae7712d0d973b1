import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateImageCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { GetCommandInvocationCommand, SendCommandCommand, type GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import { parse } from 'yaml';
import { baseImageSoftware, bootSoftware } from '../../../local/cloud/packages/base-images';
import type { SoftwareState } from '../../../local/cloud/packages/types';
import { runShellScript } from '../../../local/cloud/ssm/shell';
import { baseImageId, clients, elapse, startExampleCloud, TOOLING, type ExampleCloud } from './cloud-fixture';

const REGION = 'eu-west-1';
const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);
const BOOT_MS = 45_000 + 60_000;

type Phase = { name: string; steps: { name: string; inputs: { commands: string[] } }[] };

function phases(path: string): Phase[] {
  return (parse(readFileSync(path, 'utf8')) as { phases: Phase[] }).phases;
}

const platformTeamComponent = phases(join(__dirname, '../../fixtures/components/payments-app.yaml'));
const shipped = (name: string) => phases(join(__dirname, '../../../pipelines/components', `${name}.yaml`));
const stepsOf = (component: Phase[], phase: string) => component.find((p) => p.name === phase)?.steps ?? [];

function booted(image: string): SoftwareState {
  const software = baseImageSoftware(image);
  bootSoftware(software, { instanceId: 'i-0abc', keyName: 'builder' });
  return software;
}

describe('a platform team’s own component', () => {
  it('builds with awk, sed -i, xargs, find -exec, a heredoc, a function, strict mode and sha256sum', async () => {
    // Prepare
    const software = booted('al2023-2024-outdated');
    // Act
    const build = [];
    for (const step of stepsOf(platformTeamComponent, 'build')) build.push(await runShellScript(step.inputs.commands, software, { now: NOW, timeoutMs: 3_600_000 }));
    const validate = await runShellScript(stepsOf(platformTeamComponent, 'validate')[0].inputs.commands, software, { now: NOW });
    // Assess
    expect(build.map((r) => r.exitCode)).toEqual([0, 0]);
    expect(build[1].stdout).toBe('[payments-app] configured 3 settings, port 8080\n');
    expect(software.files['/etc/payments/app.conf']).toBe('# generated for production\nenv=production\nworkers=8\nlisten=0.0.0.0:8080\n');
    expect(software.files['/opt/payments/bin/start.sh']).toBe('#!/bin/bash\necho start.sh\n');
    expect(software.modes?.['/opt/payments/bin/stop.sh']).toBe(0o755);
    expect(software.files['/etc/payments/inventory.sha256']).toMatch(/^[0-9a-f]{64}\n$/);
    // The EXIT trap removed the work directory.
    expect(Object.keys(software.files).filter((path) => path.startsWith(software.files['/etc/payments/workdir'].trim()))).toEqual([]);
    expect(validate).toMatchObject({ exitCode: 0, stdout: 'start.sh\nenabled\n' });
  });

  it('fails a build step where bash would, with what bash prints', async () => {
    // Prepare: the same step, on an image without the tool it calls.
    const software = booted('al2023-2024-outdated');
    const commands = ['set -euo pipefail', 'echo "installing agent"', 'aws s3 cp s3://bucket/agent.rpm /tmp/agent.rpm', 'rpm -i /tmp/agent.rpm'];
    // Act
    const result = await runShellScript(commands, software, { now: NOW });
    // Assess
    expect(result).toMatchObject({ exitCode: 127, stdout: 'installing agent\n', stderr: 'bash: aws: command not found\n' });
  });

  it('runs on the simulated builder through Run Command, and the image created from it carries its effect', async () => {
    // Prepare
    const env: ExampleCloud = await startExampleCloud();
    try {
      const ec2 = clients.ec2(REGION);
      const ssm = clients.ssm(REGION);
      const launch = async (imageId: string) =>
        (
          await ec2.send(
            new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.small', SubnetId: 'subnet-0a1b2c3d4e5f67890', IamInstanceProfile: { Name: 'GamiBuilderInstanceProfile' } }),
          )
        ).Instances?.[0]?.InstanceId ?? '';
      const runStep = async (instanceId: string, commands: string[]): Promise<GetCommandInvocationCommandOutput> => {
        const commandId = (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands } }))).Command?.CommandId ?? '';
        for (;;) {
          await elapse(env.clock, 5_000);
          const out = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
          if (!['Pending', 'InProgress'].includes(out.Status ?? '')) return out;
        }
      };
      const builder = await launch(await baseImageId(REGION));
      await elapse(env.clock, BOOT_MS);
      // Act
      const build = [];
      for (const step of stepsOf(platformTeamComponent, 'build')) build.push(await runStep(builder, step.inputs.commands));
      const imageId = (await ec2.send(new CreateImageCommand({ InstanceId: builder, Name: 'payments-1' }))).ImageId ?? '';
      await elapse(env.clock, 10 * 60_000);
      const testInstance = await launch(imageId);
      await elapse(env.clock, BOOT_MS);
      const validate = await runStep(testInstance, stepsOf(platformTeamComponent, 'validate')[0].inputs.commands);
      // Assess
      expect(build.map((r) => r.Status)).toEqual(['Success', 'Success']);
      const image = env.cloud.world.state.accounts[TOOLING].regions[REGION].images[imageId];
      expect(image.software.files['/etc/payments/app.conf']).toContain('\nworkers=8\n');
      expect(image.software.packages.nginx).toBeDefined();
      expect(image.software.modes?.['/opt/payments/bin/start.sh']).toBe(0o755);
      expect(validate).toMatchObject({ Status: 'Success', StandardOutputContent: 'start.sh\nenabled\n' });
    } finally {
      await env.cloud.stop();
    }
  });
});

describe('the shipped components on both base images', () => {
  it.each([
    ['al2023-2024-outdated', { 'os-update': [0, 0], 'ssh-hardening': [0, 0, 0, 0], cleanup: [0, 0, 0, 0, 0, 0] }],
    // The statuses the hand-written shell gave: os-update and cleanup's `dnf clean all` are dnf-only, and dnf is
    // not on Ubuntu (127).
    ['ubuntu-2204-outdated', { 'os-update': [127, 127], 'ssh-hardening': [0, 0, 0, 0], cleanup: [0, 0, 0, 127, 0, 0] }],
  ])('%s: build, validate and test exit as before', async (image, expected) => {
    // Prepare
    const software = booted(image);
    const statuses: Record<string, number[]> = { 'os-update': [], 'ssh-hardening': [], cleanup: [] };
    // Act
    for (const phase of ['build', 'validate', 'test']) {
      for (const name of Object.keys(statuses)) {
        for (const step of stepsOf(shipped(name), phase)) statuses[name].push((await runShellScript(step.inputs.commands, software, { now: NOW, instanceId: 'i-0abc' })).exitCode);
      }
    }
    // Assess
    expect(statuses).toEqual(expected);
    expect(software.files['/etc/ssh/sshd_config']).toContain('\nPermitRootLogin no\n');
    expect(software.files['/etc/machine-id']).toBe('');
    expect(Object.keys(software.files).filter((f) => f.startsWith('/etc/ssh/ssh_host_') || f.startsWith('/var/lib/cloud/instances/'))).toEqual([]);
  });
});
