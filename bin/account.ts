/**
 * For the commands that read a pipeline's images in EC2 (`gami retention plan`, `gami images`): the pipeline's
 * config (the file in pipelines/ named so, or `--file`) and the account to read, AWS's (the default credentials)
 * or the local runtime's simulated account (`--local`, the state directory npm start keeps).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CommanderError } from 'commander';
import { VirtualClock } from '../local/clock';
import { Cloud } from '../local/cloud';
import type { PipelineConfig } from '../pipeline/config';
import { formatDiagnostic, validatePipelineFiles } from '../pipeline/validate';
import { createClient } from '../tasks/clients';
import { isAwsError } from '../tasks/common/aws-errors';
import { readerRoleName } from '../infra/target-account-stack';
import { invalid, localNow } from './target';

/** The tooling account of the local runtime (LocalRuntime's default). */
export const LOCAL_ACCOUNT = '111111111111';

/** The file in pipelines/ whose `name:` is `pipeline` (pipelines/<pipeline>.yaml when none says so). */
export function pipelineFile(pipeline: string): string {
  const dir = 'pipelines';
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  const named = files.find((f) => new RegExp(`^name:\\s*["']?${pipeline.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*$`, 'm').test(readFileSync(join(dir, f), 'utf8')));
  return join(dir, named ?? `${pipeline}.yaml`);
}

/**
 * The valid config of `pipeline` from `file` (default: pipelineFile). Exit 2 naming the problem when there is no
 * such file, it is invalid, or it is another pipeline's. `hint` ends the no-file message (e.g. another option).
 */
export function loadPipelineConfig(pipeline: string, file?: string, hint = 'give --file'): PipelineConfig {
  const path = file ?? pipelineFile(pipeline);
  if (!existsSync(path)) throw invalid(`no pipeline file ${path} (${hint})`);
  const [checked] = validatePipelineFiles([path]);
  if (!checked.pipeline) {
    const problems = checked.diagnostics.filter((d) => d.severity === 'error');
    throw invalid(`${path} is not valid: ${problems.length ? formatDiagnostic(problems[0]) : 'unknown problem'} (run gami validate ${path})`);
  }
  const config = checked.pipeline.config;
  if (config.name !== pipeline) throw invalid(`${path} is pipeline "${config.name}", not "${pipeline}"`);
  return config;
}

/** Run `work` with the local simulated account as every SDK client's endpoint, acting as its tooling account. */
export async function withLocalAccount<T>(stateDir: string, work: (now: number) => Promise<T>): Promise<T> {
  if (!existsSync(join(stateDir, 'cloud.json'))) throw invalid(`no local account in ${stateDir} (run npm start first, or give --state-dir)`);
  // The simulated account's time, or the wall clock once that has passed it (as every local read command).
  const clock = new VirtualClock(localNow(stateDir));
  const cloud = await Cloud.start({ clock, stateDir, dynamodb: false });
  const saved = { ...process.env };
  try {
    const key = Object.values(cloud.world.state.accessKeys).find((k) => k.accountId === LOCAL_ACCOUNT && !k.sessionToken);
    if (!key) throw invalid(`the local account in ${stateDir} has no access key for ${LOCAL_ACCOUNT}`);
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey ?? 'local' });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    return await work(clock.now());
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await cloud.stop();
  }
}

/** The tooling account: the one the default credentials belong to. */
export async function awsAccount(region: string): Promise<string> {
  const sts = createClient(STSClient, { region });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Account ?? '';
  } finally {
    sts.destroy();
  }
}

/**
 * Run `work(now, account)` against the pipeline's account: the local simulated one (`local`), or AWS's with the
 * default credentials. Clients without a region (STS, an assumed role's) take the pipeline's source region
 * unless the environment names one. An AWS refusal (no credentials, access denied) ends as one line, exit 1.
 */
export async function inPipelineAccount<T>(
  config: PipelineConfig,
  options: { local?: boolean; stateDir: string },
  work: (nowMs: number, account: string) => Promise<T>,
): Promise<T> {
  const setRegion = !process.env.AWS_REGION;
  if (setRegion) process.env.AWS_REGION = config.distribution.sourceRegion;
  try {
    return await (options.local
      ? withLocalAccount(options.stateDir, (now) => work(now, LOCAL_ACCOUNT))
      : awsAccount(config.distribution.sourceRegion).then((account) => work(Date.now(), account))
    ).catch((error: unknown) => {
      if (error instanceof CommanderError) throw error;
      if (isAwsError(error)) throw new CommanderError(1, 'gami.aws', `${error.name}: ${error.message}`);
      throw error;
    });
  } finally {
    if (setRegion) delete process.env.AWS_REGION;
  }
}

/**
 * The role a person's command assumes in consumer accounts to read what uses the images: on AWS the read-only
 * `gami-<pipeline>-reader` (GamiTargetAccountStack with `-c readers=<their role ARN>`; the updater role trusts only
 * the pipeline's functions), unless `--consumer-role` names another; locally the configured one, as the stage.
 */
export function consumerRole(pipeline: string, options: { local?: boolean; consumerRole?: string }): string | undefined {
  if (options.consumerRole !== undefined) {
    if (!/^[\w+=,.@-]{1,64}$/.test(options.consumerRole)) throw invalid(`--consumer-role: "${options.consumerRole}" is not an IAM role name`);
    return options.consumerRole;
  }
  return options.local ? undefined : readerRoleName(pipeline);
}

/** `--consumer-role <name>` of the commands that read consumer accounts. */
export const CONSUMER_ROLE_OPTION = [
  '--consumer-role <name>',
  'role to assume in consumer accounts (default on AWS: gami-<pipeline>-reader, the read-only role GamiTargetAccountStack creates with -c readers=<your role ARN>; locally: the configured one)',
] as const;

/** A line on how to let a person read consumer accounts, when a reading through the reader role failed. */
export function readerHint(pipeline: string, reasons: readonly string[]): string | undefined {
  const role = readerRoleName(pipeline);
  if (!reasons.some((r) => r.includes(`(role ${role})`))) return undefined;
  return `to read consumer accounts, deploy GamiTargetAccountStack there with -c readers=<your role ARN> (it creates ${role}; docs/target-account.md)`;
}
