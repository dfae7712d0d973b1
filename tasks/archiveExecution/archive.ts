/**
 * archiveExecution: keep a closed execution's full history beyond the 90 days Step Functions keeps it. On every
 * terminal status (the stack's EventBridge rule: SUCCEEDED, FAILED, TIMED_OUT, ABORTED) it reads
 * DescribeExecution, every page of GetExecutionHistory, the state machine's definition and the run's registry
 * items, and writes them as one JSON object to the history bucket:
 *   s3://<bucket>/executions/<state machine name>/<execution name>.json
 * The same execution always writes the same key and the same content (idempotent; the bucket is versioned,
 * so a redriven execution's later archive keeps the earlier one as a previous version). `gami audit` reads
 * it when the execution is gone from Step Functions.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, DescribeStateMachineCommand, paginateGetExecutionHistory, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { runRegistryItems } from '../audit/registry';
import type { ExecutionStatusChange } from '../contracts';

export const ARCHIVE_SCHEMA_VERSION = 1;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/** Where an execution's archive lives in the history bucket. */
export function archiveKey(executionArn: string): string {
  const [, , , , , , stateMachine, name] = executionArn.split(':');
  return `executions/${stateMachine}/${name}.json`;
}

/** The archived document (one schema for the writer and `gami audit`). */
export const executionArchiveSchema = z.object({
  schemaVersion: z.literal(ARCHIVE_SCHEMA_VERSION),
  archivedAt: z.string(),
  execution: z.object({
    executionArn: z.string(),
    name: z.string().optional(),
    stateMachineArn: z.string().optional(),
    status: z.string().optional(),
    startDate: z.string().optional(),
    stopDate: z.string().optional(),
    input: z.string().optional(),
    output: z.string().optional(),
    error: z.string().optional(),
    cause: z.string().optional(),
  }),
  definition: z.string().optional(),
  events: z.array(z.record(z.string(), z.unknown())),
  registry: z.array(z.record(z.string(), z.unknown())),
});
export type ExecutionArchive = z.output<typeof executionArchiveSchema>;

export interface ArchiveClients {
  sfn: SFNClient;
  registry: DynamoDBDocumentClient;
  s3: S3Client;
}

export interface ArchiveSettings {
  pipeline: string;
  registryTable: string;
  bucket: string;
}

export interface ArchiveResult {
  executionArn: string;
  status: string;
  archived: boolean;
  bucket?: string;
  key?: string;
  events?: number;
  registryItems?: number;
}

export async function archiveExecution(clients: ArchiveClients, change: ExecutionStatusChange, settings: ArchiveSettings): Promise<ArchiveResult> {
  const { executionArn, status } = change.detail;
  if (!TERMINAL.includes(status)) return { executionArn, status, archived: false };
  const execution = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client: clients.sfn }, { executionArn, maxResults: 1000 })) events.push(...(page.events ?? []));
  const { definition } = await clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: execution.stateMachineArn }));
  const registry = await runRegistryItems(clients.registry, settings.registryTable, settings.pipeline, executionArn);
  const document: ExecutionArchive = {
    schemaVersion: ARCHIVE_SCHEMA_VERSION,
    // The event's time, not the wall clock: the same event always archives the same document.
    archivedAt: change.time ?? execution.stopDate?.toISOString() ?? '',
    execution: {
      executionArn,
      name: execution.name,
      stateMachineArn: execution.stateMachineArn,
      status: execution.status,
      startDate: execution.startDate?.toISOString(),
      stopDate: execution.stopDate?.toISOString(),
      input: execution.input,
      output: execution.output,
      error: execution.error,
      cause: execution.cause,
    },
    definition,
    events: events.map((e) => ({ ...e, timestamp: e.timestamp?.toISOString() })),
    registry,
  };
  const key = archiveKey(executionArn);
  await clients.s3.send(
    new PutObjectCommand({ Bucket: settings.bucket, Key: key, Body: JSON.stringify(document), ContentType: 'application/json' }),
  );
  return { executionArn, status, archived: true, bucket: settings.bucket, key, events: events.length, registryItems: registry.length };
}
