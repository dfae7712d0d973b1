/**
 * The distribution tasks' own logic: copy tokens, tags and reuse, permission changes and the public check, KMS
 * grants, parameters written once, and the simulated copy durations.
 */
import {
  CopyImageCommand,
  CreateTagsCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeTagsCommand,
  EC2Client,
  type Image,
  type ImageState,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { CreateGrantCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { copyImageMs, INCREMENTAL_COPY_FRACTION } from '../../../local/cloud/services/ec2/timings';
import { checkCopy } from '../../../tasks/checkCopy/checkCopy';
import { deregisterRunCopies } from '../../../tasks/cleanup/cleanup';
import { copyClientToken, copyImage, copyTags, reusableCopy, type CopyImageEvent } from '../../../tasks/copyImage/copyImage';
import { publishImage, type PublishImageEvent } from '../../../tasks/publishImage/publishImage';
import { permissionChanges, readPermissions, shareImage, type ShareImageEvent } from '../../../tasks/shareImage/shareImage';
import { copyDeadlineMinutes } from '../../../workflows/stages/distribute';
import { ec2ClientError, EXECUTION_ARN, executionTagsOf, OTHER_EXECUTION_ARN, run } from './fixtures';

const ec2 = mockClient(EC2Client);
const kms = mockClient(KMSClient);
const ssm = mockClient(SSMClient);
const sts = mockClient(STSClient);
beforeEach(() => {
  ec2.reset();
  kms.reset();
  ssm.reset();
  sts.reset();
});

const SOURCE = 'ami-0123456789abcdef0';
const copyEvent: CopyImageEvent = {
  run,
  sourceImageId: SOURCE,
  sourceRegion: 'eu-west-1',
  region: 'us-east-1',
  kmsKeyAlias: 'alias/gami-ami',
  encrypted: true,
  imageName: 'web-base-5-20261122',
  version: 5,
  attempt: 1,
  status: 'distributing',
};

describe('copyImage', () => {
  it('derives one ClientToken per execution, region and attempt, within CopyImage\'s 64 characters', () => {
    const token = copyClientToken(EXECUTION_ARN, 'us-east-1', 1);
    expect(token).toHaveLength(64);
    expect(copyClientToken(EXECUTION_ARN, 'us-east-1', 1)).toBe(token);
    expect(new Set([copyClientToken(EXECUTION_ARN, 'eu-central-1', 1), copyClientToken(EXECUTION_ARN, 'us-east-1', 2), copyClientToken(OTHER_EXECUTION_ARN, 'us-east-1', 1)]).has(token)).toBe(false);
  });

  it('tags a copy with its execution, status and source', () => {
    expect(copyTags({ ...copyEvent, status: 'pending-approval' })).toEqual({
      'gami:pipeline': 'web-base',
      'gami:version': '5',
      'gami:execution': EXECUTION_ARN,
      'gami:status': 'pending-approval',
      'gami:source-image': SOURCE,
      'gami:source-region': 'eu-west-1',
    });
  });

  it('reuses the newest pending or available copy, never a failed one', () => {
    expect(
      reusableCopy([
        { ImageId: 'ami-failed', State: 'failed', CreationDate: '2026-11-22T12:00:00Z' },
        { ImageId: 'ami-old', State: 'available', CreationDate: '2026-11-20T12:00:00Z' },
        { ImageId: 'ami-new', State: 'pending', CreationDate: '2026-11-22T11:00:00Z' },
      ])?.ImageId,
    ).toBe('ami-new');
    expect(reusableCopy([{ ImageId: 'ami-failed', State: 'failed' }])).toBeUndefined();
  });

  it('copies encrypted with the region key, the source tags and its own, and a time-based duration when given', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2.on(CopyImageCommand).resolves({ ImageId: 'ami-copy' });

    await expect(copyImage({ ec2: new EC2Client({ region: 'us-east-1' }) }, { ...copyEvent, copyCompletionMinutes: 45 })).resolves.toEqual({ region: 'us-east-1', imageId: 'ami-copy', reused: false });

    expect(ec2).toReceiveCommandWith(CopyImageCommand, {
      SourceImageId: SOURCE,
      SourceRegion: 'eu-west-1',
      Encrypted: true,
      KmsKeyId: 'alias/gami-ami',
      CopyImageTags: true,
      ClientToken: copyClientToken(EXECUTION_ARN, 'us-east-1', 1),
      SnapshotCopyCompletionDurationMinutes: 45,
    });
  });

  it('releases a speculative copy (pending-approval → distributing) instead of copying again', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-early', State: 'pending', Tags: [{ Key: 'gami:status', Value: 'pending-approval' }] }] });

    await expect(copyImage({ ec2: new EC2Client({ region: 'us-east-1' }) }, copyEvent)).resolves.toEqual({ region: 'us-east-1', imageId: 'ami-early', reused: true });

    expect(ec2).not.toReceiveCommand(CopyImageCommand);
    expect(ec2).toReceiveCommandWith(CreateTagsCommand, { Resources: ['ami-early'], Tags: [{ Key: 'gami:status', Value: 'distributing' }] });
  });

  it('on the second attempt deregisters this run\'s failed copy first, never another run\'s', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-ours', State: 'failed' }, { ImageId: 'ami-theirs', State: 'failed' }] });
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ 'ami-ours': EXECUTION_ARN, 'ami-theirs': OTHER_EXECUTION_ARN }));
    ec2.on(CopyImageCommand).resolves({ ImageId: 'ami-second' });

    await copyImage({ ec2: new EC2Client({ region: 'us-east-1' }) }, { ...copyEvent, attempt: 2 });

    expect(ec2).toReceiveCommandTimes(DeregisterImageCommand, 1);
    expect(ec2).toReceiveCommandWith(DeregisterImageCommand, { ImageId: 'ami-ours', DeleteAssociatedSnapshots: true });
    expect(ec2).toReceiveCommandWith(CopyImageCommand, { ClientToken: copyClientToken(EXECUTION_ARN, 'us-east-1', 2) });
  });

  it('names the region when CopyImage refuses, and lets throttling through for the retries', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    ec2.on(CopyImageCommand).rejectsOnce(ec2ClientError('InvalidParameterValue', 'Invalid KMS key')).rejectsOnce(ec2ClientError('RequestLimitExceeded'));

    await expect(copyImage({ ec2: new EC2Client({ region: 'us-east-1' }) }, copyEvent)).rejects.toMatchObject({ name: 'RegionCopyFailed', message: expect.stringMatching(/^us-east-1: CopyImage .* InvalidParameterValue: Invalid KMS key/) });
    await expect(copyImage({ ec2: new EC2Client({ region: 'us-east-1' }) }, copyEvent)).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });
});

describe('checkCopy', () => {
  const event = { run, region: 'us-east-1', imageId: 'ami-copy', deadline: '2026-11-22T16:00:00.000Z' };

  it('reports available with snapshots and owner, pending before the deadline, failed after it or on EC2\'s failure', async () => {
    const image = (State: ImageState): Image => ({ ImageId: 'ami-copy', OwnerId: '111111111111', State, BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-1' } }], StateReason: { Message: 'Server.InternalError' } });
    ec2.on(DescribeImagesCommand).resolvesOnce({ Images: [image('available')] }).resolvesOnce({ Images: [image('pending')] }).resolvesOnce({ Images: [image('pending')] }).resolvesOnce({ Images: [image('failed')] });
    const c = { ec2: new EC2Client({ region: 'us-east-1' }) };

    await expect(checkCopy(c, event)).resolves.toEqual({ state: 'available', snapshotIds: ['snap-1'], accountId: '111111111111' });
    await expect(checkCopy(c, event)).resolves.toMatchObject({ state: 'pending' });
    await expect(checkCopy(c, { ...event, deadline: run.now })).resolves.toMatchObject({ state: 'failed', reason: `copy ami-copy in us-east-1 was still pending at ${run.now}` });
    await expect(checkCopy(c, event)).resolves.toMatchObject({ state: 'failed', reason: 'copy ami-copy in us-east-1 is failed: Server.InternalError' });
  });
});

describe('shareImage', () => {
  const sharing = { accounts: ['222222222222', '333333333333'], organizationArn: null, organizationalUnitArns: ['arn:aws:organizations::111111111111:ou/o-a1b2c3d4e5/ou-a1b2-workload1'], snapshotPermissions: true };
  const event: ShareImageEvent = {
    run,
    image: { region: 'us-east-1', imageId: 'ami-copy', snapshotIds: ['snap-1'], accountId: '111111111111' },
    sharing,
    keyAccounts: ['222222222222', '333333333333', '111111111111'],
    kmsKeyAlias: 'alias/gami-ami',
  };
  const clients = () => ({ ec2: new EC2Client({ region: 'us-east-1' }), kms: new KMSClient({ region: 'us-east-1' }) });

  it('computes exactly the changes that make the permissions the configured ones, public always removed', () => {
    const current = readPermissions([{ UserId: '222222222222' }, { UserId: '444444444444' }, { Group: 'all' }]);
    expect(permissionChanges(current, sharing)).toEqual({
      add: [{ UserId: '333333333333' }, { OrganizationalUnitArn: sharing.organizationalUnitArns[0] }],
      remove: [{ UserId: '444444444444' }, { Group: 'all' }],
    });
    expect(permissionChanges(readPermissions([{ UserId: '222222222222' }, { UserId: '333333333333' }, { OrganizationalUnitArn: sharing.organizationalUnitArns[0] }]), sharing)).toEqual({ add: [], remove: [] });
  });

  it('shares launch and snapshot permissions, grants the other accounts the region key, and verifies', async () => {
    const shared = [{ UserId: '222222222222' }, { UserId: '333333333333' }, { OrganizationalUnitArn: sharing.organizationalUnitArns[0] }];
    ec2.on(DescribeImageAttributeCommand).resolvesOnce({ LaunchPermissions: [] }).resolvesOnce({ LaunchPermissions: shared });
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: 'arn:aws:kms:us-east-1:111111111111:key/k' } });
    kms.on(CreateGrantCommand).resolves({ GrantId: 'g' });

    const result = await shareImage(clients(), event);

    expect(ec2).toReceiveCommandWith(ModifyImageAttributeCommand, { ImageId: 'ami-copy', LaunchPermission: { Add: shared, Remove: [] } });
    expect(ec2).toReceiveCommandWith(ModifySnapshotAttributeCommand, { SnapshotId: 'snap-1', CreateVolumePermission: { Add: [{ UserId: '222222222222' }, { UserId: '333333333333' }] } });
    expect(kms).toReceiveCommandTimes(CreateGrantCommand, 2);
    expect(kms).toReceiveCommandWith(CreateGrantCommand, { GranteePrincipal: 'arn:aws:iam::222222222222:root', Name: 'gami-web-base-222222222222', KeyId: 'arn:aws:kms:us-east-1:111111111111:key/k' });
    expect(result.launchPermissions).toEqual({ accounts: ['222222222222', '333333333333'], organizationArns: [], organizationalUnitArns: sharing.organizationalUnitArns });
  });

  it('makes an image found public after sharing private again and fails with ShareFailed', async () => {
    ec2.on(DescribeImageAttributeCommand).resolves({ LaunchPermissions: [{ UserId: '222222222222' }, { UserId: '333333333333' }, { OrganizationalUnitArn: sharing.organizationalUnitArns[0] }, { Group: 'all' }] });
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: 'arn:aws:kms:us-east-1:111111111111:key/k' } });
    kms.on(CreateGrantCommand).resolves({ GrantId: 'g' });

    await expect(shareImage(clients(), { ...event, sharing: { ...sharing, snapshotPermissions: false } })).rejects.toMatchObject({ name: 'ShareFailed', message: expect.stringContaining('was public after sharing') });
    expect(ec2).toReceiveCommandWith(ModifyImageAttributeCommand, { LaunchPermission: { Remove: [{ Group: 'all' }] } });
  });
});

describe('publishImage', () => {
  const event: PublishImageEvent = {
    run,
    parameterName: '/golden/web-base/latest',
    regionImages: [{ region: 'eu-west-1', imageId: 'ami-src', snapshotIds: [], accountId: '111111111111' }],
    accounts: [{ account: '222222222222', roleName: 'GamiLaunchTemplateUpdater' }],
    externalId: 'gami-web-base',
    version: 5,
  };
  const clients = () => ({
    ssm: () => new SSMClient({ region: 'eu-west-1' }),
    sts: new STSClient({ region: 'eu-west-1' }),
    ssmAs: () => new SSMClient({ region: 'eu-west-1' }),
    ec2: () => new EC2Client({ region: 'eu-west-1' }),
  });

  it('writes an aws:ec2:image parameter per region and consumer account, through the role with the external id', async () => {
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound', $fault: 'client' }));
    ssm.on(PutParameterCommand).resolves({ Version: 3 });
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'a', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() } });

    const result = await publishImage(clients(), event);

    expect(result.parameters).toEqual([
      { account: '111111111111', region: 'eu-west-1', name: '/golden/web-base/latest', imageId: 'ami-src', version: 3, previousImageId: null },
      { account: '222222222222', region: 'eu-west-1', name: '/golden/web-base/latest', imageId: 'ami-src', version: 3, previousImageId: null },
    ]);
    expect(ssm).toReceiveCommandWith(PutParameterCommand, { DataType: 'aws:ec2:image', Type: 'String', Overwrite: true, Value: 'ami-src' });
    expect(sts).toReceiveCommandWith(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::222222222222:role/GamiLaunchTemplateUpdater', ExternalId: 'gami-web-base' });
  });

  it('restores on the failure path: back to the image held before, deleted where there was none, untouched when changed since', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'ami-src', Version: 8 } });
    ssm.on(PutParameterCommand).resolves({ Version: 9 });
    ssm.on(DeleteParameterCommand).resolves({});
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'a', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() } });
    const published = { region: 'eu-west-1', name: '/golden/web-base/latest', imageId: 'ami-src', version: 8 };

    const result = await publishImage(clients(), {
      ...event,
      regionImages: [],
      restore: [
        { ...published, account: '111111111111', previousImageId: 'ami-old' },
        { ...published, account: '222222222222', previousImageId: null },
        // A retry's entry (it found the parameter already at the image): the first entry restores.
        { ...published, account: '111111111111', region: 'us-east-1' },
      ],
    });

    expect(result.restored).toEqual([
      '111111111111 eu-west-1 /golden/web-base/latest: back to ami-old',
      '222222222222 eu-west-1 /golden/web-base/latest: deleted (it held no image before)',
    ]);
    expect(ssm).toReceiveCommandWith(PutParameterCommand, { Value: 'ami-old', DataType: 'aws:ec2:image', Overwrite: true });
    expect(ssm).toReceiveCommandWith(DeleteParameterCommand, { Name: '/golden/web-base/latest' });
    expect(sts).toReceiveCommandWith(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::222222222222:role/GamiLaunchTemplateUpdater', ExternalId: 'gami-web-base' });
  });

  it('restores nothing where the parameter no longer holds the run\'s image', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'ami-newer', Version: 10 } });

    const result = await publishImage(clients(), { ...event, accounts: [], regionImages: [], restore: [{ account: '111111111111', region: 'eu-west-1', name: '/p', imageId: 'ami-src', version: 8, previousImageId: 'ami-old' }] });

    expect(result.restored).toEqual([]);
    expect(ssm).not.toReceiveCommand(PutParameterCommand);
  });

  it('leaves a parameter that already holds the image alone (no new version)', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'ami-src', Version: 7 } });

    const result = await publishImage(clients(), { ...event, accounts: [] });

    expect(result.parameters[0].version).toBe(7);
    expect(ssm).not.toReceiveCommand(PutParameterCommand);
  });

  it('never moves a parameter back to an older version, in a run or a redistribution', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'ami-newer', Version: 9 } });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-newer', Tags: [{ Key: 'gami:pipeline', Value: 'web-base' }, { Key: 'gami:version', Value: '6' }] }] });
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'a', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() } });

    for (const keepNewer of [true, undefined]) {
      const result = await publishImage(clients(), { ...event, keepNewer });

      expect(result.parameters).toEqual([]);
      expect(ssm).not.toReceiveCommand(PutParameterCommand);
    }
  });

  it('names the account and region when SSM refuses the value', async () => {
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound', $fault: 'client' }));
    ssm.on(PutParameterCommand).rejects(Object.assign(new Error('Parameter value, ami-src, is not a valid aws:ec2:image data type value'), { name: 'ValidationException', $fault: 'client' }));

    await expect(publishImage(clients(), { ...event, accounts: [] })).rejects.toMatchObject({ name: 'PublishFailed', message: expect.stringMatching(/^111111111111 eu-west-1: PutParameter/) });
  });
});

describe('cleanup: copies', () => {
  it('deregisters this run\'s copies with their snapshots in every target region, never another run\'s, and deletes left-over snapshots', async () => {
    ec2.on(DescribeImagesCommand, { Owners: ['self'] }).resolves({ Images: [{ ImageId: 'ami-ours' }, { ImageId: 'ami-reused' }] });
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ 'ami-ours': EXECUTION_ARN, 'ami-known': EXECUTION_ARN, 'ami-reused': OTHER_EXECUTION_ARN }));
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-left' }] });
    const known = [{ region: 'us-east-1', imageId: 'ami-known', snapshotIds: [], accountId: '111111111111' }];

    const outcome = await deregisterRunCopies(() => new EC2Client({ region: 'us-east-1' }), run, ['eu-central-1', 'us-east-1'], known);

    expect(outcome.failed).toEqual([]);
    expect(outcome.done.sort()).toEqual(['ami-known', 'ami-ours', 'ami-ours']);
    expect(ec2).not.toReceiveCommandWith(DeregisterImageCommand, { ImageId: 'ami-reused' });
    expect(ec2).toReceiveCommandWith(DeregisterImageCommand, { ImageId: 'ami-known', DeleteAssociatedSnapshots: true });
    expect(ec2).toReceiveCommandWith(DeleteSnapshotCommand, { SnapshotId: 'snap-left' });
  });

  it('names what it could not deregister, with its region', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-ours' }] });
    ec2.on(DescribeTagsCommand).callsFake(executionTagsOf({ 'ami-ours': EXECUTION_ARN }));
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(DeregisterImageCommand).rejects(ec2ClientError('UnauthorizedOperation', 'not allowed'));

    const outcome = await deregisterRunCopies(() => new EC2Client({ region: 'us-east-1' }), run, ['us-east-1']);

    expect(outcome.failed).toEqual([{ what: 'ami-ours (us-east-1)', why: 'UnauthorizedOperation: not allowed' }]);
  });
});

describe('copy timing (simulated account)', () => {
  it('copies fully the first time, incrementally later, and within a time-based copy\'s duration', () => {
    const full = copyImageMs({ snapshotGiB: [10, 20], crossRegion: true, incremental: false });
    const incremental = copyImageMs({ snapshotGiB: [10, 20], crossRegion: true, incremental: true });
    expect(full).toBe(2 * 60_000 + 30 * 30_000);
    expect(incremental).toBe(2 * 60_000 + 30 * INCREMENTAL_COPY_FRACTION * 30_000);
    // 500 MiB/s per snapshot: 20 GiB in ~41 s, but at least a minute; never later than requested.
    expect(copyImageMs({ snapshotGiB: [10, 20], crossRegion: true, incremental: false, completionMinutes: 15 })).toBe(60_000);
    expect(copyImageMs({ snapshotGiB: [16384], crossRegion: true, incremental: false, completionMinutes: 15 })).toBe(15 * 60_000);
  });

  it('gives a standard copy 6 hours and a time-based one its duration plus 30 minutes', () => {
    expect(copyDeadlineMinutes(undefined)).toBe(360);
    expect(copyDeadlineMinutes(45)).toBe(75);
  });
});
