/**
 * The launch template tasks' pure logic and their AWS conversations (aws-sdk-client-mock): which image a target
 * gets, the idempotency of a retried update (the first recorded default stays the one to roll back to), refusals
 * named, throttling passed through, refresh verdicts, rollback decisions, and Mark Approved's order.
 */
import { AutoScalingClient, CancelInstanceRefreshCommand, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import {
  AttachImageWatermarkCommand,
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  EnableImageDeregistrationProtectionCommand,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { judgeRefreshes, type RefreshState } from '../../../tasks/checkInstanceRefreshes/checkInstanceRefreshes';
import type { LaunchTemplateTarget, RefreshRef } from '../../../tasks/contracts';
import { CrossAccountClients, sessionName } from '../../../tasks/common/cross-account';
import { markApproved, pendingSteps } from '../../../tasks/markApproved/markApproved';
import { defaultDecision, rollbackLaunchTemplates } from '../../../tasks/rollbackLaunchTemplates/rollbackLaunchTemplates';
import { imageForTarget, refreshDeadline, versionClientToken, versionDescription } from '../../../tasks/updateLaunchTemplates/plan';
import { updateLaunchTemplates } from '../../../tasks/updateLaunchTemplates/updateLaunchTemplates';
import { ec2ClientError, run } from './fixtures';

const ec2 = mockClient(EC2Client);
const sts = mockClient(STSClient);
const autoScaling = mockClient(AutoScalingClient);
const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => {
  ec2.reset();
  sts.reset();
  autoScaling.reset();
  ddb.reset();
  sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIA1', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date('2026-11-22T11:00:00Z') } });
});

const target = (over: Partial<LaunchTemplateTarget> = {}): LaunchTemplateTarget => ({
  account: '222222222222',
  region: 'eu-west-1',
  roleName: 'GamiLaunchTemplateUpdater',
  externalId: 'gami-web-base',
  launchTemplateName: 'web-prod',
  setDefault: true,
  autoScalingGroups: ['web-prod-asg'],
  minHealthyPercentage: 90,
  skipMatching: true,
  refreshTimeoutMinutes: 120,
  ...over,
});
const regionImages = [{ region: 'eu-west-1', imageId: 'ami-0123456789abcdef0', snapshotIds: ['snap-1'], accountId: '111111111111' }];

describe('plan', () => {
  it('gives each target the image of its region and refuses a region without one, by name', () => {
    expect(imageForTarget(target(), regionImages).imageId).toBe('ami-0123456789abcdef0');
    expect(() => imageForTarget(target({ region: 'eu-central-1', launchTemplateName: 'web-staging' }), regionImages)).toThrow(
      expect.objectContaining({ name: 'LaunchTemplateUpdateFailed', message: expect.stringContaining('web-staging (222222222222/eu-central-1): the run has no image in eu-central-1') }),
    );
  });

  it('derives a stable ClientToken per run and template, a readable description, and the refreshes’ deadline', () => {
    const token = versionClientToken(run, 'lt-0123456789abcdef0');
    expect(token).toHaveLength(64);
    expect(versionClientToken(run, 'lt-0123456789abcdef0')).toBe(token);
    expect(versionClientToken(run, 'lt-0123456789abcdef1')).not.toBe(token);
    expect(versionDescription(run, 12)).toBe('golden-ami-pipeline web-base version 12, execution run-1');
    expect(refreshDeadline(run.now, [target({ refreshTimeoutMinutes: 30 }), target({ refreshTimeoutMinutes: 90, autoScalingGroups: [] })])).toBe('2026-11-22T10:45:30.000Z');
    expect(refreshDeadline(run.now, [])).toBe(run.now);
    expect(sessionName({ ...run, executionName: 'a/b c' })).toBe('gami-a-b-c');
  });
});

describe('judgeRefreshes', () => {
  const ref: RefreshRef = { account: '222222222222', region: 'eu-west-1', roleName: 'R', externalId: 'x', autoScalingGroupName: 'web-prod-asg', instanceRefreshId: 'r-1', launchTemplateId: 'lt-1' };
  const states = (...statuses: string[]): RefreshState[] => statuses.map((status, i) => ({ ref: { ...ref, instanceRefreshId: `r-${i}` }, status, percentageComplete: 50 }));
  const deadline = '2026-11-22T12:00:00.000Z';

  it('is done when every refresh succeeded, waits while one runs before the deadline', () => {
    expect(judgeRefreshes(states('Successful', 'Successful'), run.now, deadline)).toEqual({ done: true });
    expect(judgeRefreshes(states('Successful', 'InProgress'), run.now, deadline)).toEqual({ done: false });
    expect(judgeRefreshes([], run.now, deadline)).toEqual({ done: true });
  });

  it('fails naming the refresh that failed, was cancelled or rolled back, and the one still running at the deadline', () => {
    for (const status of ['Failed', 'Cancelled', 'RollbackSuccessful']) {
      expect(() => judgeRefreshes(states('Successful', status), run.now, deadline)).toThrow(`instance refresh r-1 of web-prod-asg (222222222222/eu-west-1) ended ${status}`);
    }
    expect(() => judgeRefreshes(states('InProgress'), deadline, deadline)).toThrow(`instance refresh not finished by ${deadline}: web-prod-asg (222222222222/eu-west-1) InProgress at 50 %`);
  });
});

describe('defaultDecision (rollback)', () => {
  it('restores only a default this run set, and leaves one someone else moved since', () => {
    expect(defaultDecision({ previousDefaultVersion: 3, newVersion: 4 }, 4)).toBe('restore');
    expect(defaultDecision({ previousDefaultVersion: 3, newVersion: 4 }, 3)).toBe('already');
    expect(defaultDecision({ previousDefaultVersion: 3, newVersion: 4 }, 5)).toBe('moved');
    // The version was never created (the run stopped before): nothing of ours to undo.
    expect(defaultDecision({ previousDefaultVersion: 3 }, 5)).toBe('moved');
  });
});

describe('CrossAccountClients', () => {
  it("acts through the target account's role with the pipeline's external id, assuming it once per invocation", async () => {
    const targets = new CrossAccountClients(run, new STSClient({ region: 'eu-west-1' }));
    const credentials = targets.for(target()).ec2.config.credentials;
    await credentials();
    await targets.for(target()).autoScaling.config.credentials();
    expect(await credentials()).toMatchObject({ accessKeyId: 'ASIA1', sessionToken: 't' });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::222222222222:role/GamiLaunchTemplateUpdater',
      ExternalId: 'gami-web-base',
      RoleSessionName: 'gami-run-1',
      DurationSeconds: 900,
    });
  });

  it('tries a refused AssumeRole again on the next call', async () => {
    sts.on(AssumeRoleCommand).rejectsOnce(new STSServiceException({ name: 'AccessDenied', message: 'no', $fault: 'client', $metadata: {} })).resolves({ Credentials: { AccessKeyId: 'ASIA2', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date('2026-11-22T11:00:00Z') } });
    const credentials = new CrossAccountClients(run, new STSClient({ region: 'eu-west-1' })).for(target()).ec2.config.credentials;
    await expect(credentials()).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(credentials()).resolves.toMatchObject({ accessKeyId: 'ASIA2' });
  });
});

describe('updateLaunchTemplates', () => {
  const event = { run, registryTable: 'gami-registry', version: 12, targets: [target()], regionImages };
  const clients = () => ({
    registry: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    targets: new CrossAccountClients(run, new STSClient({ region: 'eu-west-1' })),
    images: (region: string) => new EC2Client({ region }),
  });

  it('on a retry keeps the first recorded default as the one to roll back to, and gets the same version again', async () => {
    // Arrange: a first attempt recorded default 3 and set 4; the template's default is now 4.
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [{ LaunchTemplateId: 'lt-0123456789abcdef0', LaunchTemplateName: 'web-prod', DefaultVersionNumber: 4 }] });
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    ddb.on(GetCommand).resolves({
      Item: { pk: 'p', sk: 's', previousDefaultVersion: 3, newVersion: 4, state: 'changed', refreshes: [{ autoScalingGroupName: 'web-prod-asg', instanceRefreshId: 'r-1' }] },
    });
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 4 } });

    // Act
    const result = await updateLaunchTemplates(clients(), event);

    // Assess
    expect(ec2).toHaveReceivedCommandWith(CreateLaunchTemplateVersionCommand, {
      LaunchTemplateId: 'lt-0123456789abcdef0',
      SourceVersion: '3',
      LaunchTemplateData: { ImageId: 'ami-0123456789abcdef0' },
      ClientToken: versionClientToken(run, 'lt-0123456789abcdef0'),
    });
    expect(ec2).toHaveReceivedCommandWith(ModifyLaunchTemplateCommand, { LaunchTemplateId: 'lt-0123456789abcdef0', DefaultVersion: '4' });
    expect(autoScaling).not.toHaveReceivedCommand(StartInstanceRefreshCommand);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(result.templates).toEqual([expect.objectContaining({ previousDefaultVersion: 3, newVersion: 4, defaultSet: true })]);
  });

  it('never steps back: a template whose default already launches a newer version of the pipeline is left alone, reported superseded', async () => {
    // Arrange: v13 of the pipeline (a concurrent run, approved sooner) is already the template's default; this run is v12.
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [{ LaunchTemplateId: 'lt-0123456789abcdef0', LaunchTemplateName: 'web-prod', DefaultVersionNumber: 7 }] });
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({ LaunchTemplateVersions: [{ VersionNumber: 7, LaunchTemplateData: { ImageId: 'ami-0fffffffffffffff1' } }] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0fffffffffffffff1', Tags: [{ Key: 'gami:pipeline', Value: 'web-base' }, { Key: 'gami:version', Value: '13' }] }] });

    // Act
    const result = await updateLaunchTemplates(clients(), event);

    // Assess: nothing recorded, created, defaulted or refreshed; the template is named with the version that supersedes.
    expect(result.templates).toEqual([]);
    expect(result.superseded).toEqual([
      { account: '222222222222', region: 'eu-west-1', launchTemplateId: 'lt-0123456789abcdef0', launchTemplateName: 'web-prod', defaultImageId: 'ami-0fffffffffffffff1', byVersion: 13 },
    ]);
    expect(ec2).not.toHaveReceivedCommand(CreateLaunchTemplateVersionCommand);
    expect(ec2).not.toHaveReceivedCommand(ModifyLaunchTemplateCommand);
    expect(autoScaling).not.toHaveReceivedCommand(StartInstanceRefreshCommand);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);

    // An older version of the pipeline, or another team's image, as the default: this run goes ahead.
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0fffffffffffffff1', Tags: [{ Key: 'gami:pipeline', Value: 'web-base' }, { Key: 'gami:version', Value: '11' }] }] });
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 8 } });
    ddb.on(PutCommand).resolves({});
    autoScaling.on(StartInstanceRefreshCommand).resolves({ InstanceRefreshId: 'r-1' });
    expect((await updateLaunchTemplates(clients(), event)).templates).toEqual([expect.objectContaining({ previousDefaultVersion: 7, newVersion: 8 })]);
  });

  it('names a refused target and step; lets throttling through unwrapped for the state machine to retry', async () => {
    ec2.on(DescribeLaunchTemplatesCommand).rejects(ec2ClientError('UnauthorizedOperation', 'not authorized'));
    await expect(updateLaunchTemplates(clients(), event)).rejects.toMatchObject({
      name: 'LaunchTemplateUpdateFailed',
      message: 'web-prod (222222222222/eu-west-1): DescribeLaunchTemplates failed: UnauthorizedOperation: not authorized',
    });
    ec2.on(DescribeLaunchTemplatesCommand).rejects(ec2ClientError('RequestLimitExceeded'));
    await expect(updateLaunchTemplates(clients(), event)).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });
});

describe('rollbackLaunchTemplates', () => {
  it("sets the default back and cancels a refresh whose start was never recorded (a crash), and marks the record", async () => {
    // Arrange: the run recorded default 3 → 4 and the group, but crashed before recording the refresh it started.
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          pk: 'PIPELINE#web-base', sk: 'IMAGE#000012#TEMPLATE#222222222222#eu-west-1#lt-1', executionArn: run.executionArn,
          account: '222222222222', region: 'eu-west-1', roleName: 'GamiLaunchTemplateUpdater', externalId: 'gami-web-base',
          launchTemplateId: 'lt-1', launchTemplateName: 'web-prod', previousDefaultVersion: 3, newVersion: 4, state: 'changed',
          autoScalingGroups: ['web-prod-asg'], refreshes: [], recordedAt: run.now,
        },
      ],
    });
    autoScaling.on(DescribeInstanceRefreshesCommand).resolves({
      InstanceRefreshes: [{ InstanceRefreshId: 'r-9', Status: 'InProgress', StartTime: new Date(Date.parse(run.now) + 60_000), AutoScalingGroupName: 'web-prod-asg' }],
    });
    autoScaling.on(CancelInstanceRefreshCommand).resolves({ InstanceRefreshId: 'r-9' });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [{ LaunchTemplateId: 'lt-1', DefaultVersionNumber: 4 }] });

    // Act
    const result = await rollbackLaunchTemplates(
      { registry: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), targets: new CrossAccountClients(run, new STSClient({ region: 'eu-west-1' })) },
      { run, registryTable: 'gami-registry', version: 12 },
    );

    // Assess
    expect(autoScaling).toHaveReceivedCommandWith(CancelInstanceRefreshCommand, { AutoScalingGroupName: 'web-prod-asg' });
    expect(ec2).toHaveReceivedCommandWith(ModifyLaunchTemplateCommand, { LaunchTemplateId: 'lt-1', DefaultVersion: '3' });
    expect(result).toEqual({
      rolledBack: ['web-prod (222222222222/eu-west-1): default back to 3 (from 4)'],
      cancelledRefreshes: ['web-prod-asg (222222222222/eu-west-1): refresh r-9 cancelled'],
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { ExpressionAttributeValues: expect.objectContaining({ ':state': 'rolled-back' }) });
  });
});

describe('markApproved', () => {
  it('watermarks and protects before tagging approved, and skips what is done (the IAM Deny forbids changes after)', async () => {
    // Arrange: the watermark is there from an earlier attempt.
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-0123456789abcdef0', ImageWatermarks: [{ WatermarkKey: '111111111111:web-base' }], DeregistrationProtection: 'disabled', Tags: [] }] });

    // Act
    const result = await markApproved({ ec2: () => new EC2Client({ region: 'eu-west-1' }) }, { run, regionImages, watermarkName: 'web-base' });

    // Assess
    expect(ec2).not.toHaveReceivedCommand(AttachImageWatermarkCommand);
    expect(ec2).toHaveReceivedNthCommandWith(2, EnableImageDeregistrationProtectionCommand, { ImageId: 'ami-0123456789abcdef0', WithCooldown: true });
    expect(ec2).toHaveReceivedNthCommandWith(3, CreateTagsCommand, { Resources: ['ami-0123456789abcdef0'], Tags: [{ Key: 'gami:status', Value: 'approved' }] });
    expect(result.approved).toEqual([{ region: 'eu-west-1', imageId: 'ami-0123456789abcdef0', watermarkKey: '111111111111:web-base' }]);
    expect(pendingSteps({ DeregistrationProtection: 'enabled-with-cooldown', Tags: [{ Key: 'gami:status', Value: 'approved' }], ImageWatermarks: [{ WatermarkKey: 'k' }] }, 'k')).toEqual({
      watermark: false,
      protection: false,
      tag: false,
    });
  });
});
