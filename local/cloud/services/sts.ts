/**
 * STS: AssumeRole (the role must exist and trust the caller, and when its trust policy has an sts:ExternalId
 * condition the request must carry exactly that id; the credentials it returns are bound to the role's account)
 * and GetCallerIdentity.
 */
import type {
  AssumeRoleCommandInput,
  AssumeRoleCommandOutput,
  GetCallerIdentityCommandInput,
  GetCallerIdentityCommandOutput,
} from '@aws-sdk/client-sts';
import { fail } from '../errors';
import type { Operation } from '../operations';

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

export const assumeRole: Operation<AssumeRoleCommandInput, AssumeRoleCommandOutput> = async (ctx, input) => {
  const roleArn = input.RoleArn ?? fail('ValidationError', "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
  const sessionName = input.RoleSessionName ?? fail('ValidationError', "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) fail('ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`);
  const duration = input.DurationSeconds ?? 3600;
  // Role chaining (an assumed-role session assuming another role) is limited to one hour.
  const chained = ctx.callerArn.includes(':assumed-role/');
  if (duration < 900 || duration > (chained ? 3600 : 43200)) {
    fail('ValidationError', `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`);
  }
  const match = ROLE_ARN.exec(roleArn);
  const denied = () =>
    fail('AccessDenied', `User: ${ctx.callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, { httpStatusCode: 403 });
  if (!match || !ctx.world.hasAccount(match[1])) return denied();
  const [, accountId, roleName] = match;
  const role = ctx.world.account(accountId).roles[roleName];
  if (!role || role.arn !== roleArn) return denied();
  const callerRoot = `arn:aws:iam::${ctx.account}:root`;
  const callerRole = chained ? `arn:aws:iam::${ctx.account}:role/${ctx.callerArn.split('/')[1]}` : undefined;
  const trusted = role.trustedPrincipals.some((p) => p === callerRoot || p === ctx.account || p === ctx.callerArn || (callerRole !== undefined && p === callerRole));
  if (!trusted) return denied();
  // A trust policy with an sts:ExternalId condition refuses a request without exactly that id (the same AccessDenied).
  if (role.externalId !== undefined && input.ExternalId !== role.externalId) return denied();
  if (input.ExternalId !== undefined && !/^[\w+=,.@:/-]{2,1224}$/.test(input.ExternalId)) {
    fail('ValidationError', `1 validation error detected: Value '${input.ExternalId}' at 'externalId' failed to satisfy constraint`);
  }
  const accessKeyId = `ASIA${ctx.world.nextId('k', 16).slice(2).toUpperCase()}`;
  const roleId = `AROA${Buffer.from(role.arn).toString('hex').slice(0, 17).toUpperCase()}`;
  const expiresAt = ctx.clock.now() + duration * 1000;
  const arn = `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
  const secretAccessKey = `local-secret-${accessKeyId}`;
  const sessionToken = Buffer.from(`session:${accessKeyId}`).toString('base64');
  ctx.world.state.accessKeys[accessKeyId] = { accessKeyId, secretAccessKey, sessionToken, accountId, arn, userId: `${roleId}:${sessionName}`, expiresAt };
  return {
    Credentials: { AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, SessionToken: sessionToken, Expiration: new Date(expiresAt) },
    AssumedRoleUser: { AssumedRoleId: `${roleId}:${sessionName}`, Arn: arn },
    PackedPolicySize: input.Policy ? Math.min(100, Math.ceil(input.Policy.length / 20)) : undefined,
  };
};

export const getCallerIdentity: Operation<GetCallerIdentityCommandInput, GetCallerIdentityCommandOutput> = async (ctx) => ({
  UserId: ctx.credentials.userId,
  Account: ctx.account,
  Arn: ctx.callerArn,
});

export const stsOperations = {
  AssumeRole: assumeRole,
  GetCallerIdentity: getCallerIdentity,
};
