/**
 * KMS: DescribeKey, CreateGrant, plus the key resolution EC2 uses (aliases, ARNs, the account's default
 * `aws/ebs` key) and the usage rule for encrypted images: a key is usable by its own account, by accounts
 * its key policy names, and by principals holding a grant.
 */
import type {
  CreateGrantCommandInput,
  CreateGrantCommandOutput,
  DescribeKeyCommandInput,
  DescribeKeyCommandOutput,
  GrantOperation,
} from '@aws-sdk/client-kms';
import { fail } from '../errors';
import type { Operation } from '../operations';
import type { KmsKeyRecord, World } from '../world';

export const DEFAULT_EBS_ALIAS = 'alias/aws/ebs';

export interface LocatedKey {
  ownerId: string;
  region: string;
  key: KmsKeyRecord;
}

export function keyArn(region: string, accountId: string, keyId: string): string {
  return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
}

/** Create a customer managed key (scenario seeding and tests). */
export function createKey(
  world: World,
  accountId: string,
  region: string,
  options: { description?: string; aliases?: string[]; policyAccounts?: string[]; keyManager?: 'AWS' | 'CUSTOMER'; keyId?: string } = {},
): KmsKeyRecord {
  const keyId = options.keyId ?? world.nextUuid();
  const regionState = world.region(accountId, region);
  const key: KmsKeyRecord = {
    keyId,
    arn: keyArn(region, accountId, keyId),
    description: options.description ?? '',
    keyManager: options.keyManager ?? 'CUSTOMER',
    keyState: 'Enabled',
    creationDate: world.now(),
    aliases: [],
    policyAccounts: [...(options.policyAccounts ?? [])],
    grants: [],
  };
  regionState.kmsKeys[keyId] = key;
  for (const alias of options.aliases ?? []) {
    const name = alias.startsWith('alias/') ? alias : `alias/${alias}`;
    regionState.kmsAliases[name] = keyId;
    key.aliases.push(name);
  }
  return key;
}

/** The account's AWS managed EBS key in `region`, created on first use as AWS does. */
export function defaultEbsKey(world: World, accountId: string, region: string): KmsKeyRecord {
  const regionState = world.region(accountId, region);
  const existing = regionState.kmsAliases[DEFAULT_EBS_ALIAS];
  if (existing && regionState.kmsKeys[existing]) return regionState.kmsKeys[existing];
  return createKey(world, accountId, region, {
    description: 'Default key that protects my EBS volumes when no other key is defined',
    aliases: [DEFAULT_EBS_ALIAS],
    keyManager: 'AWS',
  });
}

/**
 * Resolve a key reference as KMS does: key id or alias name in the caller's account, key ARN or alias ARN in
 * any account. Returns undefined when nothing matches.
 */
export function findKey(world: World, callerAccount: string, region: string, ref: string): LocatedKey | undefined {
  let ownerId = callerAccount;
  let keyRegion = region;
  let local = ref;
  const arn = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(key\/.+|alias\/.+)$/.exec(ref);
  if (arn) {
    keyRegion = arn[1];
    ownerId = arn[2];
    local = arn[3].startsWith('key/') ? arn[3].slice(4) : arn[3];
  }
  if (!world.hasAccount(ownerId)) return undefined;
  const regionState = world.region(ownerId, keyRegion);
  if (local === DEFAULT_EBS_ALIAS && ownerId === callerAccount) return { ownerId, region: keyRegion, key: defaultEbsKey(world, ownerId, keyRegion) };
  const keyId = local.startsWith('alias/') ? regionState.kmsAliases[local] : local;
  const key = keyId ? regionState.kmsKeys[keyId] : undefined;
  return key ? { ownerId, region: keyRegion, key } : undefined;
}

function accountOfPrincipal(principal: string): string | undefined {
  return /^arn:aws:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1] ?? (/^\d{12}$/.test(principal) ? principal : undefined);
}

/** Whether `accountId` may use the key through the key policy (not grants). */
export function policyAllows(located: LocatedKey, accountId: string): boolean {
  if (located.ownerId === accountId) return true;
  return located.key.keyManager === 'CUSTOMER' && located.key.policyAccounts.includes(accountId);
}

/** Whether principals of `accountId` can decrypt with the key: own key, key policy, or a grant to the account. */
export function canUseKey(located: LocatedKey, accountId: string, operation: GrantOperation = 'Decrypt'): boolean {
  if (located.key.keyState !== 'Enabled') return false;
  if (policyAllows(located, accountId)) return true;
  return located.key.grants.some((g) => accountOfPrincipal(g.granteePrincipal) === accountId && g.operations.includes(operation));
}

function keyMetadata(located: LocatedKey): NonNullable<DescribeKeyCommandOutput['KeyMetadata']> {
  const { key, ownerId } = located;
  return {
    AWSAccountId: ownerId,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: new Date(key.creationDate),
    Enabled: key.keyState === 'Enabled',
    Description: key.description,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: key.keyState,
    Origin: 'AWS_KMS',
    KeyManager: key.keyManager,
    CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    KeySpec: 'SYMMETRIC_DEFAULT',
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
  };
}

/** A key the caller may address: its own by id/alias, or another account's by ARN when the policy allows. */
function accessibleKey(world: World, account: string, region: string, ref: string | undefined): LocatedKey {
  if (!ref) fail('ValidationException', "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
  const located = findKey(world, account, region, ref);
  if (!located) fail('NotFoundException', `Key '${ref}' does not exist`);
  if (located.ownerId !== account && !policyAllows(located, account)) {
    fail('AccessDeniedException', `User: arn:aws:iam::${account}:root is not authorized to perform this operation on ${located.key.arn} because no resource-based policy allows it`);
  }
  return located;
}

export const describeKey: Operation<DescribeKeyCommandInput, DescribeKeyCommandOutput> = async (ctx, input) => {
  const located = accessibleKey(ctx.world, ctx.account, ctx.region, input.KeyId);
  return { KeyMetadata: keyMetadata(located) };
};

export const createGrant: Operation<CreateGrantCommandInput, CreateGrantCommandOutput> = async (ctx, input) => {
  const located = accessibleKey(ctx.world, ctx.account, ctx.region, input.KeyId);
  if (located.key.keyManager === 'AWS' && located.ownerId !== ctx.account) fail('AccessDeniedException', 'AWS managed keys cannot be used by other accounts');
  if (located.key.keyState !== 'Enabled') fail('DisabledException', `${located.key.arn} is disabled.`);
  if (!input.GranteePrincipal) fail('ValidationException', 'GranteePrincipal is required');
  if (!input.Operations || input.Operations.length === 0) fail('ValidationException', 'Operations is required');
  const existing = input.Name
    ? located.key.grants.find(
        (g) => g.name === input.Name && g.granteePrincipal === input.GranteePrincipal && sameSet(g.operations, input.Operations ?? []),
      )
    : undefined;
  if (existing) return { GrantId: existing.grantId, GrantToken: existing.grantToken };
  const grantId = ctx.world.nextId('g', 64).slice(2);
  const grant = {
    grantId,
    grantToken: Buffer.from(`grant:${grantId}`).toString('base64'),
    granteePrincipal: input.GranteePrincipal,
    retiringPrincipal: input.RetiringPrincipal,
    operations: [...input.Operations],
    name: input.Name,
    creationDate: ctx.clock.now(),
  };
  located.key.grants.push(grant);
  return { GrantId: grant.grantId, GrantToken: grant.grantToken };
};

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

export const kmsOperations = {
  DescribeKey: describeKey,
  CreateGrant: createGrant,
};
