/**
 * Clients acting in a consumer account: sts:AssumeRole of `arn:<partition>:iam::<account>:role/<roleName>` with the
 * pipeline's ExternalId (the role is GamiTargetAccountStack's, infra/target-account-stack.ts), then EC2 and Auto
 * Scaling clients of the target region with those credentials. Every client comes from the one client factory, so
 * the local runtime routes them to the simulated account the credentials belong to.
 *
 * Credentials are cached per role for one invocation only (one `CrossAccountClients` per invocation): they last 15
 * minutes, longer than any function's timeout, so they never need refreshing.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { createClient } from '../clients';
import type { AssumedRole, RunContext } from '../contracts';
import { regionalClient } from './regional';

const stsClient = (region?: string): STSClient => regionalClient('sts', region, (r) => createClient(STSClient, { region: r }));

/** The ARN of a consumer account's role (partition from the function's own region: aws, aws-cn, aws-us-gov). */
export function targetRoleArn(target: Pick<AssumedRole, 'account' | 'roleName'>, partition = 'aws'): string {
  return `arn:${partition}:iam::${target.account}:role/${target.roleName}`;
}

/** Session name AWS CloudTrail shows in the consumer account: which pipeline run acted (2-64 characters). */
export function sessionName(run: RunContext): string {
  return `gami-${run.executionName}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

export interface TargetClients {
  ec2: EC2Client;
  autoScaling: AutoScalingClient;
}

/** Assumes roles and hands out clients in the target accounts; one per handler invocation. */
export class CrossAccountClients {
  private readonly credentials = new Map<string, Promise<AwsCredentialIdentity>>();
  private readonly clients = new Map<string, TargetClients>();

  constructor(
    private readonly run: RunContext,
    private readonly sts: STSClient = stsClient(),
  ) {}

  private assume(target: AssumedRole): Promise<AwsCredentialIdentity> {
    const key = `${target.account}/${target.roleName}/${target.externalId}`;
    let pending = this.credentials.get(key);
    if (!pending) {
      pending = this.sts
        .send(
          new AssumeRoleCommand({
            RoleArn: targetRoleArn(target),
            RoleSessionName: sessionName(this.run),
            ExternalId: target.externalId,
            DurationSeconds: 900,
          }),
        )
        .then(({ Credentials: c }) => {
          if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole of ${targetRoleArn(target)} returned no credentials`);
          return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
        });
      // A refused AssumeRole is not remembered: the next call tries again.
      pending.catch(() => this.credentials.delete(key));
      this.credentials.set(key, pending);
    }
    return pending;
  }

  /** EC2 and Auto Scaling clients acting as the target account's role in the target's region. */
  for(target: AssumedRole): TargetClients {
    const key = `${target.account}/${target.roleName}/${target.externalId}/${target.region}`;
    let clients = this.clients.get(key);
    if (!clients) {
      const credentials = (): Promise<AwsCredentialIdentity> => this.assume(target);
      clients = {
        ec2: createClient(EC2Client, { region: target.region, credentials }),
        autoScaling: createClient(AutoScalingClient, { region: target.region, credentials }),
      };
      this.clients.set(key, clients);
    }
    return clients;
  }
}
