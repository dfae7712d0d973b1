/**
 * `gami audit <execution | pipeline@version | pipeline@latest> [--format md|html|json] [--out file]`: the audit
 * report of one run (tasks/audit): DescribeExecution, GetExecutionHistory (every page) and DescribeStateMachine
 * from Step Functions, and the run's items from the registry table (`gami-registry-<pipeline>`: the IMAGE item
 * and its STAGE and SCAN items, found by execution ARN, and the approval record).
 *   pipeline@version  the run that built that image version (the IMAGE item's executionArn)
 *   pipeline@latest   the newest image version of the pipeline
 * AWS by default (default credentials), `--local` the local runtime's state directory.
 * An execution Step Functions no longer has (its history is kept 90 days) is read from the history archive
 * (`s3://gami-history-<pipeline>-<account>-<region>/executions/…`, written by archiveExecution on every
 * terminal status): the report says which source it came from.
 */
import { writeFileSync } from 'node:fs';
import { GetObjectCommand, NoSuchBucket, NoSuchKey } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand, paginateGetExecutionHistory, type DescribeExecutionCommandOutput, type HistoryEvent } from '@aws-sdk/client-sfn';
import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Option, type Command } from 'commander';
import { resourceNames } from '../infra/pipeline-stack';
import { archiveKey, executionArchiveSchema, type ExecutionArchive } from '../tasks/archiveExecution/archive';
import { runRegistryItems } from '../tasks/audit/registry';
import { buildAuditReport } from '../tasks/audit/report';
import { AUDIT_FORMATS, renderAudit, type AuditFormat } from '../tasks/audit/render';
import { findExecution, invalid, localNow, openArchive, openRegistry, openSfn, operatorAction, targetOptions, withTarget, type TargetOptions } from './target';

export interface AuditIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

interface AuditOptions extends TargetOptions {
  format: AuditFormat;
  out?: string;
}

const VERSIONED = /^([a-z0-9][a-z0-9-]*)@(latest|\d+)$/;
const IMAGE_SK = /^IMAGE#\d+$/;

async function queryAll(client: DynamoDBDocumentClient, table: string, pk: string, prefix: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const pages = paginateQuery(
    { client },
    { TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix } },
  );
  for await (const page of pages) items.push(...((page.Items ?? []) as Record<string, unknown>[]));
  return items;
}

/** The execution ARN a `pipeline@version|latest` reference names, from the registry's IMAGE items. */
async function executionOfVersion(client: DynamoDBDocumentClient, pipeline: string, version: string): Promise<string> {
  const images = (await queryAll(client, resourceNames(pipeline).registryTable, `PIPELINE#${pipeline}`, 'IMAGE#')).filter((item) => IMAGE_SK.test(String(item.sk)));
  if (images.length === 0) throw invalid(`no image of pipeline "${pipeline}" in the registry`);
  const image =
    version === 'latest'
      ? images.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a))
      : images.find((item) => Number(item.version) === Number(version));
  if (!image) throw invalid(`${pipeline} has no version ${version} (versions: ${images.map((i) => Number(i.version)).sort((a, b) => a - b).join(', ')})`);
  if (typeof image.executionArn !== 'string') throw invalid(`${pipeline} v${String(image.version)} records no execution`);
  return image.executionArn;
}

const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/;

/** The archived history of an execution Step Functions no longer has (tasks/archiveExecution). */
async function readArchive(executionArn: string, options: TargetOptions): Promise<ExecutionArchive> {
  const [, , , region, account, , stateMachine] = executionArn.split(':');
  const bucket = resourceNames(stateMachine.replace(/^gami-/, '')).historyBucket(account, region);
  const key = archiveKey(executionArn);
  const archive = openArchive(options, region, account);
  try {
    const object = await archive.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const parsed = executionArchiveSchema.safeParse(JSON.parse(await object.Body!.transformToString()));
    if (!parsed.success) throw invalid(`s3://${bucket}/${key} is not an execution archive this version can read`);
    return parsed.data;
  } catch (error) {
    if (error instanceof NoSuchKey || error instanceof NoSuchBucket) {
      throw invalid(`no execution "${executionArn}": not in Step Functions (history is kept 90 days) and not archived in s3://${bucket}/${key}`);
    }
    throw error;
  } finally {
    archive.close();
  }
}

/** What a report is rendered from: the built report and the state machine definition (for the HTML diagram). */
export interface LoadedAudit {
  report: ReturnType<typeof buildAuditReport>;
  definition: string | undefined;
}

/**
 * The audit report of one run, read the way `gami audit` reads it (execution history and registry, or the
 * history archive when the execution is gone). `npm start` calls this on its own state directory after a run.
 */
export async function loadAuditReport(reference: string, options: TargetOptions): Promise<LoadedAudit> {
  const versioned = VERSIONED.exec(reference);
  if (reference.includes('@') && !versioned) throw invalid(`"${reference}" is not <pipeline>@<version> or <pipeline>@latest`);
  const registry = await openRegistry(options);
  try {
    const executionArn = versioned ? await executionOfVersion(registry.client, versioned[1], versioned[2]) : reference;
    const generatedAt = () => new Date(options.local ? localNow(options.stateDir) : Date.now()).toISOString();
    return await withTarget(openSfn(options), async ({ sfn }) => {
      const execution: DescribeExecutionCommandOutput | undefined = await findExecution(sfn, executionArn);
      if (!execution) {
        if (!EXECUTION_ARN.test(executionArn)) {
          throw invalid(`no execution "${executionArn}" in Step Functions (it keeps a closed execution's history for 90 days; for an older run give its ARN or <pipeline>@<version> to read the history archive)`);
        }
        const archived = await readArchive(executionArn, options);
        const report = buildAuditReport({
          execution: archived.execution,
          events: archived.events as never,
          definition: archived.definition,
          registry: archived.registry,
          source: 'history archive',
          generatedAt: generatedAt(),
        });
        return { report, definition: archived.definition };
      }
      const events: HistoryEvent[] = [];
      for await (const page of paginateGetExecutionHistory({ client: sfn }, { executionArn: execution.executionArn, maxResults: 1000 })) events.push(...(page.events ?? []));
      const { definition } = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: execution.stateMachineArn }));
      const pipeline = (execution.stateMachineArn ?? '').split(':').pop()!.replace(/^gami-/, '');
      const report = buildAuditReport({
        execution: { ...execution, executionArn: execution.executionArn! },
        events: events as never,
        definition,
        registry: await runRegistryItems(registry.client, resourceNames(pipeline).registryTable, pipeline, execution.executionArn!),
        source: 'execution history',
        generatedAt: generatedAt(),
      });
      return { report, definition };
    });
  } finally {
    await registry.close();
  }
}

async function audit(reference: string, options: AuditOptions, io: AuditIo): Promise<void> {
  const { report, definition } = await loadAuditReport(reference, options);
  const text = renderAudit(report, options.format, definition);
  if (options.out) {
    writeFileSync(options.out, text);
    io.err(`wrote ${options.out}`);
  } else io.out(text.trimEnd());
}

/** Add `audit` to a gami program. */
export function addAuditCommand(program: Command, io: AuditIo): Command {
  targetOptions(
    program
      .command('audit')
      .description('the audit report of a run: stages, evidence, decisions, approvers, artifacts (Markdown, HTML or JSON)')
      .argument('<run>', 'execution ARN or name, <pipeline>@<version>, or <pipeline>@latest')
      .addOption(new Option('--format <format>', 'report format').choices(AUDIT_FORMATS).default('md'))
      .option('--out <file>', 'write the report to this file instead of standard output'),
  ).action(operatorAction((reference: string, options: AuditOptions) => audit(reference, options, io)));
  return program;
}
