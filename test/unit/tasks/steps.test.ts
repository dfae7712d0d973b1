import {
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  type SendCommandCommandInput,
  type CommandInvocationStatus,
} from '@aws-sdk/client-ssm';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type GetCommandInput,
  type PutCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ComponentStepRef } from '../../../tasks/contracts';
import { handler as checkStep } from '../../../tasks/checkStep/handler';
import { outputTail, tail } from '../../../tasks/checkStep/checkStep';
import { handler as runStep } from '../../../tasks/runStep/handler';
import { claimKey, stepComment, TAKEOVER_AFTER_WAITS } from '../../../tasks/runStep/runStep';
import { EXECUTION_ARN, run } from './fixtures';

const ssm = mockClient(SSMClient);
const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => {
  ssm.reset();
  ddb.reset();
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
});

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
const runStepEvent = (overrides: Partial<ComponentStepRef> = {}, attempt = 1) => ({
  run,
  registryTable: 'gami-registry',
  instanceId: INSTANCE,
  step: step(overrides),
  attempt,
});
const CLAIM = { pk: 'PIPELINE#web-base', sk: `CLAIM#run-1#${INSTANCE}#os-update/build/UpdatePackages` };
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('runStep', () => {
  it('sends the step as AWS-RunShellScript with its commands, timeout and component/phase/step comment', async () => {
    // Prepare
    ssm.on(ListCommandsCommand).resolves({ Commands: [] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });

    // Act
    const result = await runStep(runStepEvent());

    // Assess
    expect(result).toEqual({ commandId: 'cmd-1' });
    expect(ssm).toReceiveCommandWith(SendCommandCommand, {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [INSTANCE],
      Comment: 'os-update/build/UpdatePackages',
      Parameters: { commands: ['dnf -y upgrade --releasever=latest', 'dnf clean all'], executionTimeout: ['900'] },
    });
  });

  it('claims the step attempt before sending and records the command id on the claim', async () => {
    // Prepare
    ssm.on(ListCommandsCommand).resolves({ Commands: [] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });

    // Act
    await runStep(runStepEvent());

    // Assess
    expect(claimKey({ run, instanceId: INSTANCE }, 'os-update/build/UpdatePackages')).toEqual(CLAIM);
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: 'gami-registry',
      Item: {
        ...CLAIM,
        executionArn: EXECUTION_ARN,
        claimedAt: run.now,
        waits: 0,
        // a week after run.now (2026-11-22T10:15:30Z), in epoch seconds
        ttl: Date.parse(run.now) / 1000 + 7 * 24 * 3600,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: 'gami-registry',
      Key: CLAIM,
      UpdateExpression: 'SET commandId = :commandId',
      ExpressionAttributeValues: { ':commandId': 'cmd-1' },
    });
  });

  it('is idempotent: a command already sent for this attempt is returned, not sent again (paginated lookup)', async () => {
    ssm
      .on(ListCommandsCommand)
      .resolvesOnce({ Commands: [{ CommandId: 'cmd-0', Comment: 'os-update/build/Other' }], NextToken: 'n' })
      .resolvesOnce({ Commands: [{ CommandId: 'cmd-1', Comment: 'os-update/build/UpdatePackages' }] });

    const result = await runStep(runStepEvent());

    expect(result).toEqual({ commandId: 'cmd-1' });
    expect(ssm).not.toReceiveCommand(SendCommandCommand);
    expect(ssm).toHaveReceivedNthSpecificCommandWith(1, ListCommandsCommand, { InstanceId: INSTANCE });
    expect(ssm).toHaveReceivedNthSpecificCommandWith(2, ListCommandsCommand, { NextToken: 'n' });
  });

  it('gives a second attempt its own comment, so it is really sent again', async () => {
    ssm.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'cmd-1', Comment: 'os-update/build/UpdatePackages' }] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-2' } });

    await expect(runStep(runStepEvent({ maxAttempts: 2 }, 2))).resolves.toEqual({ commandId: 'cmd-2' });
    expect(ssm).toReceiveCommandWith(SendCommandCommand, { Comment: 'os-update/build/UpdatePackages attempt 2' });
    expect(ddb).toReceiveCommandWith(PutCommand, { Item: expect.objectContaining({ sk: `CLAIM#run-1#${INSTANCE}#os-update/build/UpdatePackages attempt 2` }) });
  });

  describe('with concurrent invocations of one step attempt', () => {
    /** The registry as DynamoDB holds the claims: Put, Get and Update honour the conditions runStep writes. */
    function claimTable(initial: Record<string, unknown>[] = []) {
      const items = new Map<string, Record<string, unknown>>();
      const keyOf = (key: Record<string, unknown> = {}) => `${String(key.pk)}|${String(key.sk)}`;
      for (const item of initial) items.set(keyOf(item), { ...item });
      ddb.on(PutCommand).callsFake((input: PutCommandInput) => {
        if (input.ConditionExpression === 'attribute_not_exists(pk)' && items.has(keyOf(input.Item))) throw conditionFailed();
        items.set(keyOf(input.Item), { ...input.Item });
        return {};
      });
      ddb.on(GetCommand).callsFake((input: GetCommandInput) => ({ Item: items.get(keyOf(input.Key)) }));
      ddb.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
        const item = items.get(keyOf(input.Key)) ?? { ...input.Key };
        if (input.ConditionExpression === 'attribute_not_exists(commandId)' && item.commandId !== undefined) throw conditionFailed();
        if (input.UpdateExpression === 'ADD waits :one') item.waits = (typeof item.waits === 'number' ? item.waits : 0) + 1;
        else if (input.UpdateExpression === 'SET commandId = :commandId') item.commandId = input.ExpressionAttributeValues?.[':commandId'];
        else throw new Error(`the claim table does not model ${input.UpdateExpression}`);
        items.set(keyOf(input.Key), item);
        return { Attributes: { waits: item.waits } };
      });
      return items;
    }

    /** The instance's commands as SSM lists them: whatever was sent so far. */
    function commandHistory() {
      const sent: { CommandId: string; Comment?: string }[] = [];
      ssm.on(ListCommandsCommand).callsFake(() => ({ Commands: [...sent] }));
      ssm.on(SendCommandCommand).callsFake((input: SendCommandCommandInput) => {
        const command = { CommandId: `cmd-${sent.length + 1}`, Comment: input.Comment };
        sent.push(command);
        return { Command: command };
      });
    }

    it('sends exactly one command when two invocations race; the loser gets that command or StepCommandPending', async () => {
      // Prepare
      const claims = claimTable();
      commandHistory();

      // Act
      const [first, second] = await Promise.allSettled([runStep(runStepEvent()), runStep(runStepEvent())]);

      // Assess
      expect(ssm).toReceiveCommandTimes(SendCommandCommand, 1);
      expect(ddb).toReceiveCommandTimes(PutCommand, 2);
      expect(first).toEqual({ status: 'fulfilled', value: { commandId: 'cmd-1' } });
      const loser = second.status === 'fulfilled' ? second.value : second.reason;
      expect([{ commandId: 'cmd-1' }, expect.objectContaining({ name: 'StepCommandPending' })]).toContainEqual(loser);
      expect(claims.get(`${CLAIM.pk}|${CLAIM.sk}`)).toMatchObject({ commandId: 'cmd-1' });
    });

    it('sends exactly one command when ten invocations race', async () => {
      claimTable();
      commandHistory();

      const results = await Promise.allSettled(Array.from({ length: 10 }, () => runStep(runStepEvent())));

      expect(ssm).toReceiveCommandTimes(SendCommandCommand, 1);
      for (const result of results) {
        if (result.status === 'fulfilled') expect(result.value).toEqual({ commandId: 'cmd-1' });
        else expect(result.reason).toMatchObject({ name: 'StepCommandPending' });
      }
    });

    it('the loser returns the command the winner recorded, without asking SSM or sending', async () => {
      // Prepare
      ddb.on(PutCommand).rejects(conditionFailed());
      ddb.on(GetCommand).resolves({ Item: { ...CLAIM, claimedAt: run.now, waits: 0, commandId: 'cmd-7' } });

      // Act + Assess
      await expect(runStep(runStepEvent())).resolves.toEqual({ commandId: 'cmd-7' });
      expect(ddb).toReceiveCommandWith(GetCommand, { TableName: 'gami-registry', Key: CLAIM, ConsistentRead: true });
      expect(ssm).not.toHaveReceivedAnyCommand();
      expect(ddb).not.toReceiveCommand(UpdateCommand);
    });

    it('the loser returns the command SSM has when the winner sent it but has not recorded it', async () => {
      ddb.on(PutCommand).rejects(conditionFailed());
      ddb.on(GetCommand).resolves({ Item: { ...CLAIM, claimedAt: run.now, waits: 0 } });
      ssm.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'cmd-8', Comment: 'os-update/build/UpdatePackages' }] });

      await expect(runStep(runStepEvent())).resolves.toEqual({ commandId: 'cmd-8' });
      expect(ssm).not.toReceiveCommand(SendCommandCommand);
    });

    it('the loser throws StepCommandPending, counting its wait, while the winner is still sending', async () => {
      // Prepare
      ddb.on(PutCommand).rejects(conditionFailed());
      ddb.on(GetCommand).resolves({ Item: { ...CLAIM, claimedAt: run.now, waits: 0 } });
      ddb.on(UpdateCommand).resolves({ Attributes: { waits: 1 } });
      ssm.on(ListCommandsCommand).resolves({ Commands: [] });

      // Act + Assess
      await expect(runStep(runStepEvent())).rejects.toMatchObject({
        name: 'StepCommandPending',
        message: `os-update/build/UpdatePackages on ${INSTANCE} is being sent by another invocation (claimed at ${run.now}; wait 1)`,
      });
      expect(ddb).toReceiveCommandWith(UpdateCommand, {
        TableName: 'gami-registry',
        Key: CLAIM,
        UpdateExpression: 'ADD waits :one',
        ConditionExpression: 'attribute_not_exists(commandId)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      });
      expect(ssm).not.toReceiveCommand(SendCommandCommand);
    });

    it(`takes over a claim whose winner died before sending, at wait ${TAKEOVER_AFTER_WAITS}`, async () => {
      // Prepare: claimed, nothing sent, nothing recorded
      const claims = claimTable([{ ...CLAIM, executionArn: EXECUTION_ARN, claimedAt: run.now, waits: 0 }]);
      commandHistory();

      // Act + Assess: the first waits are refused, the one that reaches TAKEOVER_AFTER_WAITS sends
      for (let wait = 1; wait < TAKEOVER_AFTER_WAITS; wait++) {
        await expect(runStep(runStepEvent())).rejects.toMatchObject({ name: 'StepCommandPending', message: expect.stringContaining(`; wait ${wait})`) });
      }
      expect(ssm).not.toReceiveCommand(SendCommandCommand);
      await expect(runStep(runStepEvent())).resolves.toEqual({ commandId: 'cmd-1' });
      expect(ssm).toReceiveCommandTimes(SendCommandCommand, 1);
      expect(claims.get(`${CLAIM.pk}|${CLAIM.sk}`)).toMatchObject({ waits: TAKEOVER_AFTER_WAITS, commandId: 'cmd-1' });

      // Later invocations get the taken-over command
      await expect(runStep(runStepEvent())).resolves.toEqual({ commandId: 'cmd-1' });
      expect(ssm).toReceiveCommandTimes(SendCommandCommand, 1);
    });

    it('lets only one of two waiters take over a dead claim, so one command is sent', async () => {
      // Prepare: a dead claim one wait short of a take-over; two waiters retry at the same moment
      claimTable([{ ...CLAIM, executionArn: EXECUTION_ARN, claimedAt: run.now, waits: TAKEOVER_AFTER_WAITS - 1 }]);
      commandHistory();

      // Act
      const results = await Promise.allSettled([runStep(runStepEvent()), runStep(runStepEvent())]);

      // Assess
      expect(ssm).toReceiveCommandTimes(SendCommandCommand, 1);
      expect(results[0]).toEqual({ status: 'fulfilled', value: { commandId: 'cmd-1' } });
    });
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
