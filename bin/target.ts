/**
 * Where the operator commands (start, status, executions, audit) send their calls: AWS — the deployed stacks,
 * through the SDK's default credentials — or, with `--local`, the local runtime's state directory.
 *
 * Both sides are the same Step Functions and DynamoDB APIs: locally, the executions persisted in
 * `<state-dir>/stepfunctions` are served through the API by a read-only LocalStepFunctions (local/sfn/store)
 * and the registry is dynalite on `<state-dir>/dynamodb`. The state machine of a pipeline is found by the
 * stack's naming (`resourceNames(pipeline).stateMachine`) through ListStateMachines, so no ARN is configured.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  InvalidArn,
  paginateListStateMachines,
  SFNClient,
  type DescribeExecutionCommandOutput,
  type StateMachineListItem,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Command, CommanderError, Option } from 'commander';
import { resourceNames } from '../infra/pipeline-stack';
import { VirtualClock } from '../local/clock';
import { savedWorldTime, World } from '../local/cloud';
import { loadWorldState } from '../local/cloud/persistence';
import { installCloudPlugin } from '../local/cloud/plugin';
import { startDynamoDb } from '../local/cloud/dynamodb';
import { ExecutionStoreError, openStoredStepFunctions } from '../local/sfn/store';
import { createClient } from '../tasks/clients';

/** Exit code for invalid input (as bin/cli.ts). */
export const EXIT_INVALID = 2;

/** One line on stderr, exit 2 (bin/cli.ts prints it as `error: …`). */
export function invalid(message: string): CommanderError {
  return new CommanderError(EXIT_INVALID, 'gami.invalidInput', message);
}

export interface TargetOptions {
  local?: boolean;
  stateDir: string;
  region?: string;
}

/** `--local`, `--state-dir`, `--region`: the same on every operator command. */
export function targetOptions(command: Command): Command {
  return command
    .option('--local', 'the local runtime (state in --state-dir, as npm start keeps it) instead of AWS')
    .option('--state-dir <dir>', 'state directory of the local runtime', '.gami')
    .option('--region <region>', 'AWS region of the pipeline (default: from the AWS environment)');
}

export const FORMATS = ['text', 'json'] as const;
export type Format = (typeof FORMATS)[number];

/** `--format text|json` of a read command. */
export function formatOption(choices: readonly string[] = FORMATS, fallback = 'text'): Option {
  return new Option('--format <format>', 'output format').choices(choices).default(fallback);
}

/** The simulated account's time in a state directory (a fast clock runs ahead of the wall clock). */
export function localNow(stateDir: string): number {
  return Math.max(Date.now(), savedWorldTime(stateDir) ?? 0);
}

export interface Target {
  sfn: SFNClient;
  /** Whether this is the local runtime's state directory. */
  local: boolean;
  close(): Promise<void>;
}

/** A Step Functions client for reading: AWS, or the executions stored in the state directory. */
export function openSfn(options: TargetOptions): Target {
  if (!options.local) {
    const sfn = createClient(SFNClient, options.region ? { region: options.region } : {});
    return { sfn, local: false, close: async () => sfn.destroy() };
  }
  if (!existsSync(options.stateDir)) throw invalid(`--state-dir ${options.stateDir}: no such directory (run npm start or gami start --local first)`);
  let stored: ReturnType<typeof openStoredStepFunctions>;
  try {
    stored = openStoredStepFunctions(options.stateDir, localNow(options.stateDir));
  } catch (error) {
    if (error instanceof ExecutionStoreError) throw invalid(error.message);
    throw error;
  }
  if (!stored) throw invalid(`no executions stored in ${join(options.stateDir, 'stepfunctions')} (run npm start or gami start --local first)`);
  const sfn = createClient(SFNClient, { region: stored.service.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  return {
    sfn,
    local: true,
    close: async () => {
      sfn.destroy();
      stored.close();
    },
  };
}

/** Every state machine of the account and region, by name. */
export async function listStateMachines(sfn: SFNClient): Promise<StateMachineListItem[]> {
  const all: StateMachineListItem[] = [];
  for await (const page of paginateListStateMachines({ client: sfn }, {})) all.push(...(page.stateMachines ?? []));
  return all;
}

/** The state machine of `pipeline` (the stack names it `gami-<pipeline>`), or an error naming the known ones. */
export async function pipelineStateMachine(sfn: SFNClient, pipeline: string): Promise<string> {
  const name = resourceNames(pipeline).stateMachine;
  const machines = await listStateMachines(sfn);
  const found = machines.find((m) => m.name === name);
  if (found) return found.stateMachineArn!;
  // Pipelines' lifecycle state machines only (each stack also holds its gami-<pipeline>-retention-sweep).
  const known = machines.filter((m) => m.name?.startsWith('gami-') && !m.name.endsWith('-retention-sweep')).map((m) => m.name!.slice('gami-'.length));
  throw invalid(`no pipeline named "${pipeline}" (no state machine ${name}${known.length ? `; known: ${known.join(', ')}` : ''})`);
}

const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/;

/**
 * An execution given as its ARN or its name (the last part of the ARN; looked for in every gami state
 * machine). Undefined when no such execution exists (history older than 90 days is gone from the service).
 */
export async function findExecution(sfn: SFNClient, reference: string): Promise<DescribeExecutionCommandOutput | undefined> {
  const describe = async (executionArn: string) => {
    try {
      return await sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      if (error instanceof InvalidArn) throw invalid(`"${reference}" is not an execution ARN`);
      throw error;
    }
  };
  if (reference.startsWith('arn:')) {
    if (!EXECUTION_ARN.test(reference)) throw invalid(`"${reference}" is not an execution ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<name>)`);
    return describe(reference);
  }
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(reference)) throw invalid(`"${reference}" is neither an execution ARN nor an execution name`);
  for (const machine of (await listStateMachines(sfn)).filter((m) => m.name?.startsWith('gami-'))) {
    const arn = machine.stateMachineArn!.replace(':stateMachine:', ':execution:') + `:${reference}`;
    const found = await describe(arn);
    if (found) return found;
  }
  return undefined;
}

export interface RegistryTarget {
  client: DynamoDBDocumentClient;
  close(): Promise<void>;
}

/** The registry tables: AWS, or dynalite on the state directory (which must not be in use by a running demo). */
export async function openRegistry(options: TargetOptions): Promise<RegistryTarget> {
  if (!options.local) {
    const client = DynamoDBDocumentClient.from(createClient(DynamoDBClient, options.region ? { region: options.region } : {}));
    return { client, close: async () => client.destroy() };
  }
  const path = join(options.stateDir, 'dynamodb');
  if (!existsSync(path)) throw invalid(`no local registry in ${path} (run npm start first, or give --state-dir)`);
  let server: Awaited<ReturnType<typeof startDynamoDb>>;
  try {
    server = await startDynamoDb({ path });
  } catch (error) {
    throw invalid(`cannot open the local registry in ${path}: ${(error as Error).message} (is npm start still running on it?)`);
  }
  const client = DynamoDBDocumentClient.from(
    createClient(DynamoDBClient, { endpoint: server.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  return {
    client,
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}

/** Run `work` with a target, closing it on every path. */
export async function withTarget<T>(target: Target, work: (target: Target) => Promise<T>): Promise<T> {
  try {
    return await work(target);
  } finally {
    await target.close();
  }
}

/** Rows as aligned columns, two spaces apart (the last column as it is), `header` first when given. */
export function alignColumns(header: readonly string[] | undefined, rows: readonly (readonly string[])[]): string[] {
  const all = header ? [header, ...rows] : rows;
  const columns = Math.max(0, ...all.map((r) => r.length));
  const widths = Array.from({ length: columns - 1 }, (_, i) => Math.max(0, ...all.map((r) => (r[i] ?? '').length)));
  return all.map((cells) => cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i]) : c)).join('  ').trimEnd());
}

/** `2026-11-22 09:00:00Z` */
export function time(date: Date | number | undefined): string {
  if (date === undefined) return '—';
  return new Date(date).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** `1h 02m 05s`, `3m 10s`, `40s` */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m ${String(sec).padStart(2, '0')}s`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/**
 * An action whose AWS failures (no credentials, access denied, throttled, unreachable) end as one line naming
 * the service's error, exit 2, never a stack trace. Errors of our own pass through as they are.
 */
export function operatorAction<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      if (error instanceof CommanderError) throw error;
      if (error instanceof Error && ('$metadata' in error || /Credential|Region|ENOTFOUND|ECONNREFUSED|TimeoutError/.test(`${error.name} ${error.message}`))) {
        throw invalid(`AWS: ${error.name}: ${error.message.split('\n')[0]}`);
      }
      throw error;
    }
  };
}

export interface ArchiveTarget {
  s3: S3Client;
  close(): void;
}

/**
 * An S3 client for the history archive: AWS, or the simulated account saved in the state directory (loaded
 * read-only: nothing is written back, so a running demo's account is never overwritten).
 */
export function openArchive(options: TargetOptions, region: string, account: string): ArchiveTarget {
  if (!options.local) {
    const s3 = createClient(S3Client, { region: options.region ?? region });
    return { s3, close: () => s3.destroy() };
  }
  const path = join(options.stateDir, 'cloud.json');
  let state;
  try {
    state = loadWorldState(path);
  } catch (error) {
    throw invalid((error as Error).message);
  }
  if (!state) throw invalid(`no simulated account in ${path} (run npm start first, or give --state-dir)`);
  const world = new World({ clock: new VirtualClock(localNow(options.stateDir)), state });
  const uninstall = installCloudPlugin(world);
  const key = Object.entries(state.accessKeys).find(([, record]) => record.accountId === account)?.[0] ?? 'local';
  const s3 = createClient(S3Client, { region, credentials: { accessKeyId: key, secretAccessKey: 'local' } });
  return {
    s3,
    close: () => {
      s3.destroy();
      uninstall();
    },
  };
}
