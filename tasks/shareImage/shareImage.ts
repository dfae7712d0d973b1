/**
 * shareImage: share one region's golden image (the source image or a copy) with exactly the configured
 * principals, in that region:
 *   1. launch permissions (ModifyImageAttribute) for sharing.accounts, organizationArn and organizationalUnitArns;
 *      permissions the configuration no longer names are removed, so the image is shared with exactly these;
 *   2. create-volume permissions on the image's snapshots for sharing.accounts, when snapshotPermissions is set
 *      (snapshots cannot be shared with organizations or OUs);
 *   3. a KMS grant on the region's key for every account that must use it (share targets, launch template and
 *      parameter accounts): without it another account cannot launch from the encrypted copy. Named grants, so a
 *      retry returns the same grant (KMS CreateGrant with the same name, grantee and operations).
 *   4. the check: launch permissions read back (DescribeImageAttribute); a public image is made private again and
 *      the run fails with ShareFailed. The event has no way to ask for a public share (sharingSettingsSchema has no
 *      group), so a public image means something outside the pipeline made it so.
 *
 * Permanent refusals become ShareFailed naming the region and the call; throttling and server faults pass through.
 */
import {
  DescribeImageAttributeCommand,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  type EC2Client,
  type LaunchPermission,
} from '@aws-sdk/client-ec2';
import { CreateGrantCommand, DescribeKeyCommand, type GrantOperation, type KMSClient } from '@aws-sdk/client-kms';
import type { z } from 'zod';
import type { shareImageEventSchema, shareImageResultSchema, SharingSettings } from '../contracts';
import { refusedAs } from '../common/aws-errors';
import { launchPermissionText } from '../common/images';
import { ShareFailed } from '../errors';

export type ShareImageEvent = z.output<typeof shareImageEventSchema>;
export type ShareImageResult = z.output<typeof shareImageResultSchema>;

/** What another account needs of the key to launch from (and copy) an image encrypted with it. */
export const GRANT_OPERATIONS: GrantOperation[] = ['Decrypt', 'DescribeKey', 'CreateGrant', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo'];

interface Permissions {
  accounts: string[];
  organizationArns: string[];
  organizationalUnitArns: string[];
  public: boolean;
}

export function readPermissions(permissions: LaunchPermission[]): Permissions {
  return {
    accounts: permissions.flatMap((p) => (p.UserId ? [p.UserId] : [])).sort(),
    organizationArns: permissions.flatMap((p) => (p.OrganizationArn ? [p.OrganizationArn] : [])).sort(),
    organizationalUnitArns: permissions.flatMap((p) => (p.OrganizationalUnitArn ? [p.OrganizationalUnitArn] : [])).sort(),
    public: permissions.some((p) => p.Group === 'all'),
  };
}

/** The launch permissions to add and remove so that `current` becomes exactly what `sharing` names (never public). */
export function permissionChanges(current: Permissions, sharing: SharingSettings): { add: LaunchPermission[]; remove: LaunchPermission[] } {
  const wanted = {
    accounts: [...new Set(sharing.accounts)],
    organizationArns: sharing.organizationArn ? [sharing.organizationArn] : [],
    organizationalUnitArns: [...new Set(sharing.organizationalUnitArns)],
  };
  const add: LaunchPermission[] = [
    ...wanted.accounts.filter((a) => !current.accounts.includes(a)).map((UserId) => ({ UserId })),
    ...wanted.organizationArns.filter((o) => !current.organizationArns.includes(o)).map((OrganizationArn) => ({ OrganizationArn })),
    ...wanted.organizationalUnitArns.filter((o) => !current.organizationalUnitArns.includes(o)).map((OrganizationalUnitArn) => ({ OrganizationalUnitArn })),
  ];
  const remove: LaunchPermission[] = [
    ...current.accounts.filter((a) => !wanted.accounts.includes(a)).map((UserId) => ({ UserId })),
    ...current.organizationArns.filter((o) => !wanted.organizationArns.includes(o)).map((OrganizationArn) => ({ OrganizationArn })),
    ...current.organizationalUnitArns.filter((o) => !wanted.organizationalUnitArns.includes(o)).map((OrganizationalUnitArn) => ({ OrganizationalUnitArn })),
    ...(current.public ? [{ Group: 'all' as const }] : []),
  ];
  return { add, remove };
}


const step = <T>(region: string, what: string, call: () => Promise<T>): Promise<T> => refusedAs(ShareFailed, region, what, call);

async function launchPermissions(ec2: EC2Client, region: string, imageId: string): Promise<Permissions> {
  const attribute = await step(region, `DescribeImageAttribute of ${imageId}`, () =>
    ec2.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' })),
  );
  return readPermissions(attribute.LaunchPermissions ?? []);
}

export async function shareImage(clients: { ec2: EC2Client; kms: KMSClient }, event: ShareImageEvent): Promise<ShareImageResult> {
  const { ec2, kms } = clients;
  const { image, sharing, run } = event;
  const { region, imageId } = image;

  // 1. Launch permissions: exactly the configured principals.
  const before = await launchPermissions(ec2, region, imageId);
  const { add, remove } = permissionChanges(before, sharing);
  if (add.length > 0 || remove.length > 0) {
    await step(region, `ModifyImageAttribute of ${imageId}`, () =>
      ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: add, Remove: remove } })),
    );
  }

  // 2. Snapshot create-volume permissions (accounts only).
  const snapshotPermissions: ShareImageResult['snapshotPermissions'] = [];
  if (sharing.snapshotPermissions && sharing.accounts.length > 0) {
    for (const snapshotId of image.snapshotIds) {
      await step(region, `ModifySnapshotAttribute of ${snapshotId}`, () =>
        ec2.send(
          new ModifySnapshotAttributeCommand({
            SnapshotId: snapshotId,
            Attribute: 'createVolumePermission',
            CreateVolumePermission: { Add: sharing.accounts.map((UserId) => ({ UserId })) },
          }),
        ),
      );
      snapshotPermissions.push({ snapshotId, accounts: [...sharing.accounts] });
    }
  }

  // 3. KMS grants on the region's key for every account that must use it.
  const kmsGrants: ShareImageResult['kmsGrants'] = [];
  const grantees = [...new Set(event.keyAccounts)].filter((account) => account !== image.accountId).sort();
  if (event.kmsKeyAlias && grantees.length > 0) {
    const alias = event.kmsKeyAlias;
    const key = await step(region, `DescribeKey of ${alias}`, () => kms.send(new DescribeKeyCommand({ KeyId: alias })));
    const keyArn = key.KeyMetadata?.Arn;
    if (!keyArn) throw new ShareFailed(`${region}: DescribeKey of ${alias} returned no key ARN`);
    for (const account of grantees) {
      const grant = await step(region, `CreateGrant on ${alias} for ${account}`, () =>
        kms.send(
          new CreateGrantCommand({
            KeyId: keyArn,
            GranteePrincipal: `arn:aws:iam::${account}:root`,
            Operations: GRANT_OPERATIONS,
            Name: `gami-${run.pipeline}-${account}`,
          }),
        ),
      );
      kmsGrants.push({ account, keyArn, grantId: grant.GrantId ?? '' });
    }
  }

  // 4. Verify: read back; never public.
  const after = await launchPermissions(ec2, region, imageId);
  if (after.public) {
    await step(region, `ModifyImageAttribute of ${imageId} (removing public)`, () =>
      ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Remove: [{ Group: 'all' }] } })),
    );
    throw new ShareFailed(`${region}: ${imageId} was public after sharing; public launch permission removed, run stopped`);
  }
  const expected = permissionChanges(after, sharing);
  if (expected.add.length > 0 || expected.remove.length > 0) {
    const differences = [...expected.add.map((p) => `missing ${launchPermissionText(p)}`), ...expected.remove.map((p) => `unexpected ${launchPermissionText(p)}`)];
    throw new ShareFailed(`${region}: launch permissions of ${imageId} differ from the configuration after sharing: ${differences.join(', ')}`);
  }
  return {
    region,
    imageId,
    launchPermissions: { accounts: after.accounts, organizationArns: after.organizationArns, organizationalUnitArns: after.organizationalUnitArns },
    removed: remove.map(launchPermissionText),
    snapshotPermissions,
    kmsGrants,
  };
}
