/**
 * `gami retention plan <pipeline>`: what retention would do now, and why, without changing anything — the
 * same collection (tasks/retention/collect.ts) and planner (tasks/retention/plan.ts) the Retention stage and
 * the RetentionSweep run.
 *   gami retention plan web-base                  a table: one row per image copy, its decision and reasons
 *   gami retention plan web-base --format json    the plan, tag compliance and DescribeImages calls as JSON
 *   gami retention plan web-base --local          against the local runtime's simulated account (`.gami`)
 * The pipeline's config is read from `--file` (default: the file in pipelines/ named so). On AWS it uses the default
 * credentials of the tooling account (consumer accounts through the target-account role, as the stage does).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Command, CommanderError, Option } from 'commander';
import { VirtualClock } from '../local/clock';
import { Cloud, savedWorldTime } from '../local/cloud';
import { formatDiagnostic, validatePipelineFiles } from '../pipeline/validate';
import { createClient } from '../tasks/clients';
import { isAwsError } from '../tasks/common/aws-errors';
import { collect, defaultCollectDeps, type Collected } from '../tasks/retention/collect';
import type { RetentionPlan } from '../tasks/retention/model';
import { planRetention } from '../tasks/retention/plan';
import { retentionPolicy } from '../tasks/retention/retention';
import { retentionSettings } from '../workflows/stages/retention';

const EXIT_INVALID = 2;
/** The tooling account of the local runtime (LocalRuntime's default). */
const LOCAL_ACCOUNT = '111111111111';

export interface RetentionIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface RetentionPlanOptions {
  format: 'table' | 'json';
  file?: string;
  local?: boolean;
  stateDir: string;
  /** The time to plan for (ISO); default now (locally: the simulated account's clock). */
  now?: string;
}

/** The file in pipelines/ whose `name:` is `pipeline` (pipelines/<pipeline>.yaml when none says so). */
function pipelineFile(pipeline: string): string {
  const dir = 'pipelines';
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  const named = files.find((f) => new RegExp(`^name:\\s*["']?${pipeline.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*$`, 'm').test(readFileSync(join(dir, f), 'utf8')));
  return join(dir, named ?? `${pipeline}.yaml`);
}

const invalid = (message: string) => new CommanderError(EXIT_INVALID, 'gami.invalidInput', message);

/** Run `work` with the local simulated account as every SDK client's endpoint, acting as its tooling account. */
async function withLocalAccount<T>(stateDir: string, work: (now: number) => Promise<T>): Promise<T> {
  if (!existsSync(join(stateDir, 'cloud.json'))) throw invalid(`no local account in ${stateDir} (run npm start first, or give --state-dir)`);
  const clock = new VirtualClock(savedWorldTime(stateDir) ?? Date.now());
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
async function awsAccount(region: string): Promise<string> {
  const sts = createClient(STSClient, { region });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Account ?? '';
  } finally {
    sts.destroy();
  }
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

export function formatPlanTable(plan: RetentionPlan, collected: Pick<Collected, 'compliance'>): string[] {
  const rows = plan.decisions.map((d) => [
    d.version,
    d.region,
    d.account,
    d.imageId,
    d.decision,
    `${d.ageDays} d`,
    d.reasons.filter((r) => r.code !== 'ignored-reference').map((r) => r.text).join('; '),
  ]);
  const header = ['VERSION', 'REGION', 'ACCOUNT', 'IMAGE', 'DECISION', 'AGE', 'WHY'];
  const widths = header.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < widths.length ? pad(c, widths[i]) : c)).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  const t = plan.totals;
  out.push('');
  out.push(`${plan.decisions.length} images: keep ${t.kept}, deprecate ${t.deprecated}, deregister ${t.deregistered} (${t.snapshotsDeleted} snapshot${t.snapshotsDeleted === 1 ? '' : 's'}, ${Math.round(t.freedGiB * 100) / 100} GiB)`);
  for (const s of plan.unreadableScopes) out.push(`not read, every image there kept: ${s.account} ${s.region}: ${s.reason}`);
  for (const c of collected.compliance) out.push(`tag compliance: ${c.account} ${c.region} ${c.imageId}: ${c.issue}`);
  return out;
}

export async function planCommand(pipeline: string, options: RetentionPlanOptions, io: RetentionIo): Promise<void> {
  if (options.now !== undefined && Number.isNaN(Date.parse(options.now))) throw invalid(`--now: "${options.now}" is not a time (ISO 8601)`);
  const file = options.file ?? pipelineFile(pipeline);
  if (!existsSync(file)) throw invalid(`no pipeline file ${file} (give --file)`);
  const [checked] = validatePipelineFiles([file]);
  if (!checked.pipeline) {
    const problems = checked.diagnostics.filter((d) => d.severity === 'error');
    throw invalid(`${file} is not valid: ${problems.length ? formatDiagnostic(problems[0]) : 'unknown problem'} (run gami validate ${file})`);
  }
  const config = checked.pipeline.config;
  if (config.name !== pipeline) throw invalid(`${file} is pipeline "${config.name}", not "${pipeline}"`);
  const settings = retentionSettings(config);

  const run = async (nowMs: number, account: string) => {
    const now = options.now ? new Date(options.now).toISOString() : new Date(nowMs).toISOString();
    const collected = await collect(defaultCollectDeps(), { pipeline, account, settings, now });
    const plan = planRetention({
      policy: retentionPolicy(settings),
      now,
      currentVersion: collected.currentVersion,
      inventory: collected.inventory,
      references: collected.references,
      scopes: collected.scopes,
    });
    return { plan, collected };
  };
  // Clients without a region (STS, the role's) take the pipeline's source region unless the environment names one.
  const setRegion = !process.env.AWS_REGION;
  if (setRegion) process.env.AWS_REGION = config.distribution.sourceRegion;
  try {
    const { plan, collected } = await (options.local
      ? withLocalAccount(options.stateDir, (now) => run(now, LOCAL_ACCOUNT))
      : awsAccount(config.distribution.sourceRegion).then((account) => run(Date.now(), account))
    ).catch((error: unknown) => {
      if (error instanceof CommanderError) throw error;
      // An AWS refusal (no credentials, access denied, the inventory unreadable) is one line, not a stack trace.
      if (isAwsError(error)) throw new CommanderError(1, 'gami.aws', `${error.name}: ${error.message}`);
      throw error;
    });
    if (options.format === 'json') {
      io.out(JSON.stringify({ pipeline, plan, compliance: collected.compliance, describeImagesCalls: collected.describeImagesCalls }, null, 2));
    } else {
      for (const line of formatPlanTable(plan, collected)) io.out(line);
    }
  } finally {
    if (setRegion) delete process.env.AWS_REGION;
  }
}

/** Add `retention` (with `plan`) to a gami program (bin/cli.ts wires it in). */
export function addRetentionCommand(program: Command, io: RetentionIo): Command {
  const retention = program.command('retention').description('retention of old golden images');
  retention
    .command('plan')
    .description('print what retention would keep, deprecate and deregister now, and why, without changing anything')
    .argument('<pipeline>', 'pipeline name')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--file <path>', 'pipeline file (default: the one in pipelines/ with this name)')
    .option('--local', 'plan against the local runtime\'s simulated account (the state directory npm start uses)')
    .option('--state-dir <dir>', 'state directory of the local runtime', '.gami')
    .option('--now <time>', 'plan as of this time (ISO 8601; default: now)')
    .action((pipeline: string, options: RetentionPlanOptions) => planCommand(pipeline, options, io));
  return program;
}
