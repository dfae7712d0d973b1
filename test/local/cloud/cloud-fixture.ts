/** Shared set-up for the simulated cloud's tests: the example world on a virtual clock, clients per account. */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { VirtualClock } from '../../../local/clock';
import { Cloud, DEFAULT_SCENARIO } from '../../../local/cloud/index';
import { createClient } from '../../../tasks/clients';

export const START = Date.UTC(2026, 10, 22, 12, 0, 0);
export const TOOLING = '111111111111';
export const PROD = '222222222222';
export const STAGING = '333333333333';
export const KEYS = { [TOOLING]: 'AKIAGAMITOOLING11111', [PROD]: 'AKIAGAMIPROD22222222', [STAGING]: 'AKIAGAMISTAGING33333' } as const;
export const AL2023_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function credentialsOf(account: keyof typeof KEYS): Credentials {
  return { accessKeyId: KEYS[account], secretAccessKey: 'local' };
}

// The cloud plugin keeps the SDK's retries but drops their wall-clock waits.
const sdk = (region: string, credentials: Credentials) => ({ region, credentials });

export const clients = {
  ec2: (region: string, credentials: Credentials = credentialsOf(TOOLING)) => createClient(EC2Client, sdk(region, credentials)),
  ssm: (region: string, credentials: Credentials = credentialsOf(TOOLING)) => createClient(SSMClient, sdk(region, credentials)),
  sts: (region: string, credentials: Credentials = credentialsOf(TOOLING)) => createClient(STSClient, sdk(region, credentials)),
  kms: (region: string, credentials: Credentials = credentialsOf(TOOLING)) => createClient(KMSClient, sdk(region, credentials)),
  sns: (region: string, credentials: Credentials = credentialsOf(TOOLING)) => createClient(SNSClient, sdk(region, credentials)),
  autoScaling: (region: string, credentials: Credentials = credentialsOf(TOOLING)) => createClient(AutoScalingClient, sdk(region, credentials)),
};

export interface ExampleCloud {
  clock: VirtualClock;
  cloud: Cloud;
}

/** The example world, in memory, without dynalite unless asked. Stop it with `cloud.stop()`. */
export async function startExampleCloud(options: { dynamodb?: boolean } = {}): Promise<ExampleCloud> {
  const clock = new VirtualClock(START);
  const cloud = await Cloud.start({ clock, scenario: DEFAULT_SCENARIO, dynamodb: options.dynamodb ?? false });
  return { clock, cloud };
}

/** Let `ms` of virtual time pass (timers fire; the world settles on the next call). */
export async function elapse(clock: VirtualClock, ms: number): Promise<void> {
  await clock.sleep(ms);
}

/** The image id the public Amazon Linux 2023 parameter holds in `region` (the example's base image). */
export async function baseImageId(region = 'eu-west-1'): Promise<string> {
  return (await clients.ssm(region).send(new GetParameterCommand({ Name: AL2023_PARAMETER }))).Parameter?.Value ?? '';
}
