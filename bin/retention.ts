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
import { Command, Option } from 'commander';
import { CONSUMER_ROLE_OPTION, consumerRole, inPipelineAccount, loadPipelineConfig, readerHint } from './account';
import { alignColumns, invalid } from './target';
import { collect, defaultCollectDeps, type Collected } from '../tasks/retention/collect';
import type { RetentionPlan } from '../tasks/retention/model';
import { planRetention } from '../tasks/retention/plan';
import { retentionPolicy } from '../tasks/retention/retention';
import { retentionSettings } from '../workflows/stages/retention';

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
  consumerRole?: string;
}

export function formatPlanTable(plan: RetentionPlan, collected: Pick<Collected, 'compliance'>, pipeline?: string): string[] {
  const rows = plan.decisions.map((d) => [
    d.version,
    d.region,
    d.account,
    d.imageId,
    d.decision,
    `${d.ageDays} d`,
    d.reasons.filter((r) => r.code !== 'ignored-reference').map((r) => r.text).join('; '),
  ]);
  const out = alignColumns(['VERSION', 'REGION', 'ACCOUNT', 'IMAGE', 'DECISION', 'AGE', 'WHY'], rows);
  const t = plan.totals;
  out.push('');
  out.push(`${plan.decisions.length} images: keep ${t.kept}, deprecate ${t.deprecated}, deregister ${t.deregistered} (${t.snapshotsDeleted} snapshot${t.snapshotsDeleted === 1 ? '' : 's'}, ${Math.round(t.freedGiB * 100) / 100} GiB)`);
  for (const s of plan.unreadableScopes) out.push(`not read, every image there kept: ${s.account} ${s.region}: ${s.reason}`);
  const hint = pipeline ? readerHint(pipeline, plan.unreadableScopes.map((s) => s.reason)) : undefined;
  if (hint) out.push(hint);
  for (const c of collected.compliance) out.push(`tag compliance: ${c.account} ${c.region} ${c.imageId}: ${c.issue}`);
  return out;
}

export async function planCommand(pipeline: string, options: RetentionPlanOptions, io: RetentionIo): Promise<void> {
  if (options.now !== undefined && Number.isNaN(Date.parse(options.now))) throw invalid(`--now: "${options.now}" is not a time (ISO 8601)`);
  const config = loadPipelineConfig(pipeline, options.file);
  const settings = retentionSettings(config);
  const role = consumerRole(pipeline, options);
  const { plan, collected } = await inPipelineAccount(config, options, async (nowMs, account) => {
    const now = options.now ? new Date(options.now).toISOString() : new Date(nowMs).toISOString();
    const collected = await collect(defaultCollectDeps(), { pipeline, account, settings, now, consumerRole: role });
    const plan = planRetention({
      policy: retentionPolicy(settings),
      now,
      currentVersion: collected.currentVersion,
      inventory: collected.inventory,
      references: collected.references,
      scopes: collected.scopes,
    });
    return { plan, collected };
  });
  if (options.format === 'json') {
    io.out(JSON.stringify({ pipeline, plan, compliance: collected.compliance, describeImagesCalls: collected.describeImagesCalls }, null, 2));
  } else {
    for (const line of formatPlanTable(plan, collected, pipeline)) io.out(line);
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
    .option(...CONSUMER_ROLE_OPTION)
    .action((pipeline: string, options: RetentionPlanOptions) => planCommand(pipeline, options, io));
  return program;
}
