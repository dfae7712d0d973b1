/**
 * `gami audit <execution | pipeline@version | pipeline@latest> [--format md|html|json] [--out file]`: the audit
 * report of one run (tasks/audit): DescribeExecution, GetExecutionHistory (every page) and DescribeStateMachine
 * from Step Functions, and the run's items from the registry table (`gami-registry-<pipeline>`: the IMAGE item
 * and its STAGE and SCAN items, found by execution ARN, and the approval record).
 *   pipeline@version  the run that built that image version (the IMAGE item's executionArn)
 *   pipeline@latest   the newest image version of the pipeline
 * AWS by default (default credentials), `--local` the local runtime's state directory.
 */
import { writeFileSync } from 'node:fs';
import { DescribeStateMachineCommand, paginateGetExecutionHistory, type DescribeExecutionCommandOutput, type HistoryEvent } from '@aws-sdk/client-sfn';
import { paginateQuery, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Option, type Command } from 'commander';
import { resourceNames } from '../infra/pipeline-stack';
import { buildAuditReport } from '../tasks/audit/report';
import { AUDIT_FORMATS, renderAudit, type AuditFormat } from '../tasks/audit/render';
import { findExecution, invalid, localNow, openRegistry, openSfn, operatorAction, targetOptions, withTarget, type TargetOptions } from './target';

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

/** The run's registry items: those of its IMAGE partition rows, and its approval record(s). */
async function registryItems(client: DynamoDBDocumentClient, pipeline: string, executionArn: string): Promise<Record<string, unknown>[]> {
  const table = resourceNames(pipeline).registryTable;
  const items = (await queryAll(client, table, `PIPELINE#${pipeline}`, 'IMAGE#')).filter((item) => item.executionArn === executionArn);
  // Approval records live under their own partition (APPROVAL#<id>, docs/approval.md): found by execution.
  const approvals = paginateScan(
    { client },
    {
      TableName: table,
      FilterExpression: 'begins_with(pk, :approval) AND executionArn = :arn',
      ExpressionAttributeValues: { ':approval': 'APPROVAL#', ':arn': executionArn },
      ProjectionExpression: 'pk, sk, executionArn, #s, decisions, approvers, minApprovals, evidenceSha256, evidence, createdAt, expiresAt, closedAt, closedBy',
      ExpressionAttributeNames: { '#s': 'status' },
    },
  );
  for await (const page of approvals) items.push(...((page.Items ?? []) as Record<string, unknown>[]));
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

async function audit(reference: string, options: AuditOptions, io: AuditIo): Promise<void> {
  const versioned = VERSIONED.exec(reference);
  if (reference.includes('@') && !versioned) throw invalid(`"${reference}" is not <pipeline>@<version> or <pipeline>@latest`);
  const registry = await openRegistry(options);
  try {
    const executionArn = versioned ? await executionOfVersion(registry.client, versioned[1], versioned[2]) : reference;
    const text = await withTarget(openSfn(options), async ({ sfn }) => {
      const execution: DescribeExecutionCommandOutput | undefined = await findExecution(sfn, executionArn);
      if (!execution) {
        throw invalid(`no execution "${executionArn}" in Step Functions (it keeps a closed execution's history for 90 days)`);
      }
      const events: HistoryEvent[] = [];
      for await (const page of paginateGetExecutionHistory({ client: sfn }, { executionArn: execution.executionArn, maxResults: 1000 })) events.push(...(page.events ?? []));
      const { definition } = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: execution.stateMachineArn }));
      const pipeline = (execution.stateMachineArn ?? '').split(':').pop()!.replace(/^gami-/, '');
      const report = buildAuditReport({
        execution: { ...execution, executionArn: execution.executionArn! },
        events: events as never,
        definition,
        registry: await registryItems(registry.client, pipeline, execution.executionArn!),
        source: 'execution history',
        generatedAt: new Date(options.local ? localNow(options.stateDir) : Date.now()).toISOString(),
      });
      return renderAudit(report, options.format, definition);
    });
    if (options.out) {
      writeFileSync(options.out, text);
      io.err(`wrote ${options.out}`);
    } else io.out(text.trimEnd());
  } finally {
    await registry.close();
  }
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
