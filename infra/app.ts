/**
 * Builds the CDK app: one PipelineStack per pipeline file (all of `pipelines/*.yaml`, or those named with
 * `-c pipelines=web-base,other`), after validating every file. An invalid file stops synth with the same
 * `file:line:col path: message` lines `gami validate` prints.
 */
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { formatDiagnostic, validatePipelineFiles, type LoadedPipeline } from '../pipeline/validate';
import { PipelineStack, resourceNames } from './pipeline-stack';
import { GamiTargetAccountStack, readerProblem, targetAccountProps, type EnforceApprovedImages } from './target-account-stack';
import { LOCAL_CODE_CONTEXT } from './bundle';

/** CDK context for running the app locally: no bundling, placeholder function code (see LOCAL_CODE_CONTEXT). */
export const LOCAL_CONTEXT = { 'aws:cdk:bundling-stacks': [] as string[], [LOCAL_CODE_CONTEXT]: true };

export class InvalidPipelineConfig extends Error {
  override name = 'InvalidPipelineConfig';
}

export interface BuildAppOptions extends AppProps {
  /** Pipeline files to deploy. */
  files: string[];
  /** Pipeline names to keep; default: the `pipelines` context (`-c pipelines=a,b`), else all. */
  only?: string[];
  /** Run cdk-nag's AWS Solutions checks (default true). */
  nag?: boolean;
}

export function loadPipelines(files: string[], only?: string[]): LoadedPipeline[] {
  const results = validatePipelineFiles(files);
  const errors = results.flatMap((r) => r.diagnostics.filter((d) => d.severity === 'error'));
  if (errors.length > 0) throw new InvalidPipelineConfig(`invalid pipeline configuration:\n${errors.map(formatDiagnostic).join('\n')}`);
  const pipelines = results.flatMap((r) => (r.pipeline ? [r.pipeline] : []));
  const names = pipelines.map((p) => p.config.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new InvalidPipelineConfig(`two pipeline files are named "${duplicate}"`);
  if (!only) return pipelines;
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    throw new InvalidPipelineConfig(`-c pipelines: no pipeline named ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${names.join(', ')})`);
  }
  return pipelines.filter((p) => only.includes(p.config.name));
}

/**
 * `cdk synth -c targetAccount=222222222222 -c toolingAccount=111111111111 [-c enforceApprovedImages=audit|enforce]
 * [-c readers=arn:aws:iam::111111111111:role/ops,…]`:
 * instead of the pipeline stacks, one GamiTargetAccountStack per selected pipeline that updates launch templates in
 * that account (`gami-target-<pipeline>`, in the region of its first template there), to deploy in that account.
 */
function buildTargetAccountStacks(app: App, pipelines: LoadedPipeline[], targetAccount: string): GamiTargetAccountStack[] {
  const toolingAccount = app.node.tryGetContext('toolingAccount') as string | undefined;
  if (!toolingAccount || !/^\d{12}$/.test(toolingAccount)) {
    throw new InvalidPipelineConfig('-c targetAccount needs -c toolingAccount=<12-digit id of the account the pipeline is deployed in>');
  }
  const enforce = app.node.tryGetContext('enforceApprovedImages') as string | undefined;
  if (enforce !== undefined && enforce !== 'audit' && enforce !== 'enforce') {
    throw new InvalidPipelineConfig(`-c enforceApprovedImages: "${enforce}" is neither audit nor enforce`);
  }
  const readersContext = app.node.tryGetContext('readers') as string | undefined;
  const readers = readersContext === undefined ? [] : String(readersContext).split(',').map((s) => s.trim()).filter(Boolean);
  for (const arn of readers) {
    const problem = readerProblem(arn, toolingAccount);
    if (problem) throw new InvalidPipelineConfig(`-c readers: ${problem}`);
  }
  const selected = pipelines.filter((p) => p.config.launchTemplates.some((t) => t.account === targetAccount));
  if (selected.length === 0) throw new InvalidPipelineConfig(`-c targetAccount: no selected pipeline updates a launch template in account ${targetAccount}`);
  return selected.map(
    (p) =>
      new GamiTargetAccountStack(app, `gami-target-${p.config.name}`, {
        ...targetAccountProps(p.config, targetAccount, toolingAccount),
        enforceApprovedImages: enforce as EnforceApprovedImages | undefined,
        readers,
        description: `golden-ami-pipeline: what pipeline ${p.config.name} may do in account ${targetAccount}`,
        env: { account: targetAccount, region: p.config.launchTemplates.find((t) => t.account === targetAccount)?.region },
      }),
  );
}

export function buildApp(options: BuildAppOptions): { app: App; stacks: PipelineStack[]; targetStacks: GamiTargetAccountStack[] } {
  const { files, only, nag = true, ...appProps } = options;
  const app = new App(appProps);
  const selected = app.node.tryGetContext('pipelines') as string | undefined;
  const names = only ?? selected?.split(',').map((s) => s.trim()).filter(Boolean);
  const targetAccount = app.node.tryGetContext('targetAccount') as string | undefined;
  if (targetAccount !== undefined) {
    const targetStacks = buildTargetAccountStacks(app, loadPipelines(files, names), String(targetAccount));
    if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
    return { app, stacks: [], targetStacks };
  }
  const stacks = loadPipelines(files, names).map(
    (pipeline) =>
      new PipelineStack(app, resourceNames(pipeline.config.name).stack, {
        pipeline,
        description: `golden-ami-pipeline: ${pipeline.config.name} — ${pipeline.config.description}`.slice(0, 1024),
        // Account from the deploying credentials (none needed to synth); region is the pipeline's source region.
        env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: pipeline.config.distribution.sourceRegion },
      }),
  );
  // cdk-nag 3 plugs into CDK's Validations API (the Aspects form of cdk-nag 2 is gone).
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stacks, targetStacks: [] };
}
