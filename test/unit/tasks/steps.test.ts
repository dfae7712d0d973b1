import {
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  type CommandInvocationStatus,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { ComponentStepRef } from '../../../tasks/contracts';
import { handler as checkStep } from '../../../tasks/checkStep/handler';
import { outputTail, tail } from '../../../tasks/checkStep/checkStep';
import { handler as runStep } from '../../../tasks/runStep/handler';
import { stepComment } from '../../../tasks/runStep/runStep';
import { run } from './fixtures';

const ssm = mockClient(SSMClient);
beforeEach(() => ssm.reset());

const step = (overrides: Partial<ComponentStepRef> = {}): ComponentStepRef => ({
  component: 'os-update',
  phase: 'build',
  step: 'UpdatePackages',
  commands: ['dnf -y upgrade --releasever=latest', 'dnf clean all'],
  timeoutSeconds: 900,
  onFailure: 'Abort',
  maxAttempts: 1,
  ...overrides,
});
const INSTANCE = 'i-0aaaaaaaaaaaaaaa1';

describe('runStep', () => {
  it('sends the step as AWS-RunShellScript with its commands, timeout and component/phase/step comment', async () => {
    // Prepare
    ssm.on(ListCommandsCommand).resolves({ Commands: [] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });

    // Act
    const result = await runStep({ run, instanceId: INSTANCE, step: step(), attempt: 1 });

    // Assess
    expect(result).toEqual({ commandId: 'cmd-1' });
    expect(ssm).toReceiveCommandWith(SendCommandCommand, {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [INSTANCE],
      Comment: 'os-update/build/UpdatePackages',
      Parameters: { commands: ['dnf -y upgrade --releasever=latest', 'dnf clean all'], executionTimeout: ['900'] },
    });
  });

  it('is idempotent: a command already sent for this attempt is returned, not sent again (paginated lookup)', async () => {
    ssm
      .on(ListCommandsCommand)
      .resolvesOnce({ Commands: [{ CommandId: 'cmd-0', Comment: 'os-update/build/Other' }], NextToken: 'n' })
      .resolvesOnce({ Commands: [{ CommandId: 'cmd-1', Comment: 'os-update/build/UpdatePackages' }] });

    const result = await runStep({ run, instanceId: INSTANCE, step: step(), attempt: 1 });

    expect(result).toEqual({ commandId: 'cmd-1' });
    expect(ssm).not.toReceiveCommand(SendCommandCommand);
    expect(ssm).toHaveReceivedNthSpecificCommandWith(1, ListCommandsCommand, { InstanceId: INSTANCE });
    expect(ssm).toHaveReceivedNthSpecificCommandWith(2, ListCommandsCommand, { NextToken: 'n' });
  });

  it('gives a second attempt its own comment, so it is really sent again', async () => {
    ssm.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'cmd-1', Comment: 'os-update/build/UpdatePackages' }] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-2' } });

    await expect(runStep({ run, instanceId: INSTANCE, step: step({ maxAttempts: 2 }), attempt: 2 })).resolves.toEqual({ commandId: 'cmd-2' });
    expect(ssm).toReceiveCommandWith(SendCommandCommand, { Comment: 'os-update/build/UpdatePackages attempt 2' });
  });

  it('keeps comments within the 100 characters SSM allows, attempt suffix included', () => {
    const comment = stepComment({ component: 'c'.repeat(60), phase: 'validate', step: 's'.repeat(60) }, 3);
    expect(comment).toHaveLength(100);
    expect(comment.endsWith(' attempt 3')).toBe(true);
  });
});

describe('checkStep', () => {
  const event = (overrides: Partial<ComponentStepRef> = {}, attempt = 1) => ({
    run,
    instanceId: INSTANCE,
    commandId: 'cmd-1',
    step: step(overrides),
    attempt,
  });
  const invocation = (Status: CommandInvocationStatus, ResponseCode: number, stdout = '', stderr = '') =>
    ssm.on(GetCommandInvocationCommand).resolves({ Status, ResponseCode, StandardOutputContent: stdout, StandardErrorContent: stderr });

  it('treats InvocationDoesNotExist right after SendCommand as still in progress', async () => {
    ssm.on(GetCommandInvocationCommand).rejects(new InvocationDoesNotExist({ message: 'not yet', $metadata: {} }));

    await expect(checkStep(event())).resolves.toEqual({ status: 'InProgress', outputTail: '', retry: false });
    expect(ssm).toReceiveCommandWith(GetCommandInvocationCommand, { CommandId: 'cmd-1', InstanceId: INSTANCE });
  });

  it.each(['Pending', 'InProgress', 'Delayed'] as const)('maps %s to InProgress', async (status) => {
    invocation(status, -1);
    await expect(checkStep(event())).resolves.toMatchObject({ status: 'InProgress', retry: false });
  });

  it('maps Success with its exit code and output', async () => {
    invocation('Success', 0, 'Complete!\n');
    await expect(checkStep(event())).resolves.toEqual({ status: 'Success', responseCode: 0, outputTail: 'Complete!', retry: false });
  });

  it('asks for a retry while attempts are left', async () => {
    invocation('Failed', 1, '', 'Curl error (28): Timeout');
    await expect(checkStep(event({ maxAttempts: 3 }, 2))).resolves.toEqual({
      status: 'Failed',
      responseCode: 1,
      outputTail: '--- stderr ---\nCurl error (28): Timeout',
      retry: true,
    });
  });

  it('returns Ignored for onFailure Ignore and Failed without retry for Continue once attempts are used up', async () => {
    invocation('Failed', 2);
    await expect(checkStep(event({ onFailure: 'Ignore', maxAttempts: 2 }, 2))).resolves.toMatchObject({ status: 'Ignored', retry: false });
    await expect(checkStep(event({ onFailure: 'Continue' }))).resolves.toMatchObject({ status: 'Failed', responseCode: 2, retry: false });
  });

  it('throws ComponentFailed naming component, phase, step, exit code and output tail for Abort', async () => {
    invocation('Failed', 1, 'Updating packages\n', 'Error: Failed to download metadata for repo amazonlinux');

    await expect(checkStep(event({ maxAttempts: 2 }, 2))).rejects.toMatchObject({
      name: 'ComponentFailed',
      message:
        'component os-update, phase build, step UpdatePackages: Failed with exit code 1 after 2 attempts ' +
        `(instance ${INSTANCE}, command cmd-1). Output tail:\nUpdating packages\n--- stderr ---\n` +
        'Error: Failed to download metadata for repo amazonlinux',
    });
  });

  it.each(['TimedOut', 'Cancelled'] as const)('treats %s as a failure', async (status) => {
    invocation(status, -1);
    await expect(checkStep(event())).rejects.toMatchObject({
      name: 'ComponentFailed',
      message: expect.stringContaining(`step UpdatePackages: ${status} with exit code -1 after 1 attempt (`),
    });
  });
});

describe('output tail', () => {
  it('keeps the end of long output, starting at a line', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const result = tail(lines, 50);
    expect(result.startsWith('…line ')).toBe(true);
    expect(result.endsWith('line 499')).toBe(true);
    expect(result.length).toBeLessThanOrEqual(51);
  });

  it('says nothing about stderr when there is none', () => {
    expect(outputTail('ok\n', '')).toBe('ok');
  });
});
