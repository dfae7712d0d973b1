/**
 * Secrets Manager: CreateSecret (SecretString, or a generated one like GenerateSecretString of
 * CloudFormation) and GetSecretValue — what the approval signing key needs. A secret is found by name, full ARN,
 * or partial ARN (the ARN without its random suffix), as the API accepts; the local runtime seeds each
 * AWS::SecretsManager::Secret of the synthesized stacks so the functions' GAMI_APPROVAL_SECRET resolves.
 * Stored in the region's `secretsmanager` extension (JSON). Errors use the API's codes.
 */
import { randomBytes } from 'node:crypto';
import type {
  CreateSecretCommandInput,
  CreateSecretCommandOutput,
  GetSecretValueCommandInput,
  GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { fail } from '../errors';
import type { Operation, OperationContext } from '../operations';

interface SecretRecord {
  name: string;
  arn: string;
  versionId: string;
  secretString: string;
  createdDate: number;
}

const NAME = /^[\w/+=.@-]{1,512}$/;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function secrets(ctx: OperationContext): Record<string, SecretRecord> {
  return ctx.world.regionExtension(ctx.account, ctx.region, 'secretsmanager', () => ({}) as Record<string, SecretRecord>);
}

/** The ARN a secret `name` has in the account (partial form: what the local synthesizer resolves Ref to). */
export function secretPartialArn(region: string, account: string, name: string): string {
  return `arn:aws:secretsmanager:${region}:${account}:secret:${name}`;
}

/** A generated secret string: letters and digits (GenerateSecretString with ExcludePunctuation). */
export function generatedSecretString(length = 64): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
}

function find(ctx: OperationContext, secretId: string): SecretRecord | undefined {
  const all = secrets(ctx);
  if (all[secretId]) return all[secretId];
  return Object.values(all).find((s) => s.arn === secretId || secretPartialArn(ctx.region, ctx.account, s.name) === secretId);
}

export const createSecret: Operation<CreateSecretCommandInput, CreateSecretCommandOutput> = async (ctx, input) => {
  const name = input.Name ?? fail('InvalidParameterException', 'Name is required');
  if (!NAME.test(name)) fail('InvalidParameterException', 'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
  if (input.SecretBinary !== undefined) fail('InvalidParameterException', 'SecretBinary is not simulated; use SecretString');
  const all = secrets(ctx);
  if (all[name]) fail('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
  const suffix = Array.from(randomBytes(6), (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
  const record: SecretRecord = {
    name,
    arn: `${secretPartialArn(ctx.region, ctx.account, name)}-${suffix}`,
    versionId: ctx.world.nextUuid(),
    secretString: input.SecretString ?? generatedSecretString(),
    createdDate: ctx.clock.now(),
  };
  all[name] = record;
  return { ARN: record.arn, Name: name, VersionId: record.versionId };
};

export const getSecretValue: Operation<GetSecretValueCommandInput, GetSecretValueCommandOutput> = async (ctx, input) => {
  const secretId = input.SecretId ?? fail('InvalidParameterException', 'SecretId is required');
  const record = find(ctx, secretId);
  if (!record) fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.", { httpStatusCode: 400 });
  if (input.VersionId && input.VersionId !== record.versionId) fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for VersionId", { httpStatusCode: 400 });
  return {
    ARN: record.arn,
    Name: record.name,
    VersionId: record.versionId,
    SecretString: record.secretString,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: new Date(record.createdDate),
  };
};

export const secretsManagerOperations = {
  CreateSecret: createSecret,
  GetSecretValue: getSecretValue,
};
