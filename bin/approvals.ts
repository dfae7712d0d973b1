/**
 * Approval commands.
 *   gami serve [file] [--port 8787]       the local server on the persisted local account (.gami): the mailbox
 *                                         page and the approval pages of past runs (the demo serves the same
 *                                         pages for the run it drives)
 *   gami approvals [--pipeline <name…>] [--format json]
 *                                         pending approval requests: image, requested and expiry times, who has
 *                                         decided, the evidence hash, and how to decide from the command line —
 *                                         on AWS from the registry tables (APPROVAL# items, never the task token);
 *   gami approvals --local | --url <server>
 *                                         from a running local server (the demo's or gami serve's: with each
 *                                         approver's link), else (--local) from the state directory's registry
 *   gami approve|reject <approval> --as <approver> [--comment <text>] [--url <base>] [--region <r>]
 *                                         decide through the IAM-authorized route (POST /approvals/{id}/iam-decision,
 *                                         SigV4-signed). Against a local server (default http://127.0.0.1:8787) it
 *                                         signs as the approver's IAM user of the simulated account (the example
 *                                         scenario has one per approver); with --url of a deployed API it signs with
 *                                         the default AWS credentials, whose principal must be the approver.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { STSClient } from '@aws-sdk/client-sts';
import { Command, CommanderError } from 'commander';
import { DEFAULT_SCENARIO } from '../local/cloud';
import { loadScenarioFile } from '../local/cloud/scenario';
import { localSecretAccessKey } from '../local/cloud/seed';
import { DEFAULT_APPROVAL_BASE_URL } from '../local/runtime';
import { liveLockHolder } from '../local/state-dir';
import { NodeSha256 } from '../tasks/common/sha256';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { resourceNames } from '../infra/pipeline-stack';
import { alignColumns, formatOption, invalid, localNow, openRegistry, operatorAction, time, type Format } from './target';


const EXIT_INVALID = 2;

export interface ApprovalsIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The simulated account's access key of IAM user `approver` (the example scenario's approvers). */
export function localApproverCredentials(approver: string, scenarioFile = DEFAULT_SCENARIO): LocalCredentials | undefined {
  const scenario = loadScenarioFile(scenarioFile);
  for (const account of scenario.accounts) {
    const key = account.accessKeys.find((k) => k.user.toLowerCase() === approver.toLowerCase());
    if (key) return { accessKeyId: key.accessKeyId, secretAccessKey: localSecretAccessKey(key.accessKeyId) };
  }
  return undefined;
}

function isLocal(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost';
}

/** POST the decision to the IAM route, SigV4-signed for execute-api. Returns status and the JSON answer. */
export async function iamDecision(options: {
  base: string;
  approvalId: string;
  decision: 'approve' | 'reject';
  comment?: string;
  credentials: LocalCredentials & { sessionToken?: string };
  region: string;
  now?: Date;
}): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(`approvals/${encodeURIComponent(options.approvalId)}/iam-decision`, options.base.endsWith('/') ? options.base : `${options.base}/`);
  const body = JSON.stringify({ decision: options.decision, comment: options.comment ?? '' });
  const signer = new SignatureV4({ service: 'execute-api', region: options.region, sha256: NodeSha256, credentials: options.credentials });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    },
    { signingDate: options.now },
  );
  const response = await fetch(url, { method: 'POST', headers: signed.headers as Record<string, string>, body });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { message: text.slice(0, 200) };
  }
  return { status: response.status, body: parsed };
}

/** One pending approval request, as `gami approvals` lists it (text and JSON). */
export interface PendingApproval {
  approvalId: string;
  pipeline: string;
  version: number;
  imageId: string;
  requestedAt: string;
  expiresAt: string;
  /**
   * Past its expiry but not closed yet: the run's Request Approval task is timing out (ApprovalExpired), and no
   * decision is accepted any more.
   */
  expired: boolean;
  /** Approvals needed to approve. */
  minApprovals: number;
  /** SHA-256 of the evidence the approvers are shown (the decision is bound to it). */
  evidenceSha256: string;
  /** Every approver: their decision so far, and their personal link where the local server has it. */
  approvers: { approver: string; decision: 'approve' | 'reject' | null; link?: string }[];
  /** The approval API the links point at: `gami approve|reject … --url` sends decisions there. */
  apiUrl?: string;
  /** Where this came from: the local server's mailbox, or a registry table. */
  source: string;
}

export interface ApprovalsOptions {
  pipeline?: string[];
  url?: string;
  local?: boolean;
  stateDir: string;
  region?: string;
  format: Format;
}

const PIPELINE_NAME = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;
const REGISTRY_PREFIX = resourceNames('x').registryTable.slice(0, -1);

/** The local server's view (`/approvals.json`: one entry per emailed link), one entry per pending request. */
async function fromServer(base: string, pipelines?: string[]): Promise<PendingApproval[]> {
  const response = await fetch(new URL('/approvals.json', base), { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${base}/approvals.json`);
  const links = (await response.json()) as {
    approvalId: string;
    approver: string;
    url: string;
    status: string;
    pipeline?: string;
    version?: number;
    imageId?: string;
    createdAt?: string;
    expiresAt?: string;
    expired?: boolean;
    minApprovals?: number;
    approvers?: string[];
    decisions?: Record<string, 'approve' | 'reject'>;
    evidenceSha256?: string;
  }[];
  const byId = new Map<string, PendingApproval>();
  for (const link of links) {
    if (link.status !== 'pending' || !link.pipeline || (pipelines && !pipelines.includes(link.pipeline))) continue;
    let entry = byId.get(link.approvalId);
    if (!entry) {
      entry = {
        approvalId: link.approvalId,
        pipeline: link.pipeline,
        version: Number(link.version),
        imageId: String(link.imageId),
        requestedAt: String(link.createdAt),
        expiresAt: String(link.expiresAt),
        expired: link.expired === true,
        minApprovals: Number(link.minApprovals),
        evidenceSha256: String(link.evidenceSha256),
        approvers: (link.approvers ?? []).map((approver) => ({ approver, decision: link.decisions?.[approver] ?? null })),
        apiUrl: new URL(base).origin,
        source: `local server ${new URL(base).origin}`,
      };
      byId.set(link.approvalId, entry);
    }
    const approver = entry.approvers.find((a) => a.approver === link.approver);
    if (approver && approver.decision === null) approver.link = link.url;
  }
  return [...byId.values()];
}

/** Pending requests in the registry tables (APPROVAL# items; never the task token); `expired` at `now`. */
async function fromRegistry(client: DynamoDBDocumentClient, tables: string[], now: number, source: string): Promise<PendingApproval[]> {
  const out: PendingApproval[] = [];
  for (const table of tables) {
    const pages = paginateScan(
      { client },
      {
        TableName: table,
        FilterExpression: 'begins_with(pk, :approval) AND #status = :pending',
        ProjectionExpression: 'approvalId, pipeline, version, imageId, createdAt, expiresAt, minApprovals, approvers, decisions, evidenceSha256, apiUrl',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':approval': 'APPROVAL#', ':pending': 'pending' },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const decisions = (item.decisions ?? {}) as Record<string, { decision: 'approve' | 'reject' }>;
        out.push({
          approvalId: String(item.approvalId),
          pipeline: String(item.pipeline),
          version: Number(item.version),
          imageId: String(item.imageId),
          requestedAt: String(item.createdAt),
          expiresAt: String(item.expiresAt),
          expired: Date.parse(String(item.expiresAt)) <= now,
          minApprovals: Number(item.minApprovals),
          evidenceSha256: String(item.evidenceSha256),
          approvers: ((item.approvers ?? []) as string[]).map((approver) => ({ approver, decision: decisions[approver]?.decision ?? null })),
          ...(typeof item.apiUrl === 'string' ? { apiUrl: item.apiUrl } : {}),
          source: `${source} ${table}`,
        });
      }
    }
  }
  return out.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
}

/** The registry tables to read: the named pipelines', or every `gami-registry-*` table. */
async function registryTables(client: DynamoDBDocumentClient, pipelines?: string[]): Promise<string[]> {
  if (pipelines) return pipelines.map((p) => resourceNames(p).registryTable);
  const tables: string[] = [];
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    tables.push(...(page.TableNames ?? []).filter((t) => t.startsWith(REGISTRY_PREFIX)));
    start = page.LastEvaluatedTableName;
  } while (start);
  return tables;
}

/**
 * The pending approvals: from the local server given with `--url`; with `--local` from the server of the process
 * using the state directory (it has the links), else from the directory's registry; otherwise from the registry
 * tables on AWS.
 */
export async function pendingApprovals(options: ApprovalsOptions): Promise<PendingApproval[]> {
  const bad = options.pipeline?.find((p) => !PIPELINE_NAME.test(p));
  if (bad !== undefined) throw invalid(`--pipeline: "${bad}" is not a pipeline name`);
  if (options.url !== undefined) {
    try {
      new URL(options.url);
    } catch {
      throw invalid(`--url: "${options.url}" is not a URL`);
    }
    try {
      return await fromServer(options.url, options.pipeline);
    } catch (error) {
      throw invalid(`no local server at ${options.url} (${(error as Error).message}): start one with npm start or gami serve`);
    }
  }
  // Locally, the server of the process holding the state directory (demo, gami start --local, gami serve) has
  // the links; without one, the directory's registry (gami serve serves the links).
  const server = options.local ? liveLockHolder(options.stateDir)?.server : undefined;
  if (server) {
    try {
      return await fromServer(server, options.pipeline);
    } catch (error) {
      throw invalid(`the local server of ${options.stateDir} at ${server} did not answer (${(error as Error).message})`);
    }
  }
  const registry = await openRegistry(options);
  try {
    const tables = await registryTables(registry.client, options.pipeline);
    const now = options.local ? localNow(options.stateDir) : Date.now();
    return await fromRegistry(registry.client, tables, now, options.local ? `local registry (${options.stateDir})` : 'registry table');
  } finally {
    await registry.close();
  }
}

/** A request per block: what, until when, who has decided, each approver's link, how to decide from the command line. */
export function formatApprovals(pending: readonly PendingApproval[]): string[] {
  if (pending.length === 0) return ['no pending approvals'];
  const out: string[] = [];
  for (const p of pending) {
    const approved = p.approvers.filter((a) => a.decision === 'approve').length;
    out.push(
      `${p.approvalId}  ${p.pipeline} v${p.version} ${p.imageId}  requested ${time(Date.parse(p.requestedAt))}, ${p.expired ? 'EXPIRED at' : 'expires'} ${time(Date.parse(p.expiresAt))}; ${approved} of ${p.minApprovals} approvals; evidence sha256 ${p.evidenceSha256.slice(0, 12)}…`,
    );
    const rows = p.approvers.map((a) => [`  ${a.approver}`, a.decision === 'approve' ? 'approved' : a.decision === 'reject' ? 'rejected' : 'pending', a.decision ? '' : (a.link ?? 'link in their email')]);
    out.push(...alignColumns(undefined, rows));
    const url = p.apiUrl && p.apiUrl !== DEFAULT_APPROVAL_BASE_URL ? ` --url ${p.apiUrl}` : '';
    out.push(`  or: gami approve ${p.approvalId} --as <approver>${url}  (gami reject … --comment <why>)`);
  }
  return out;
}

export function addApprovalCommands(program: Command, io: ApprovalsIo): void {
  program
    .command('serve')
    .description('serve the local approval pages and the mailbox of the persisted local account (.gami)')
    .argument('[file]', 'pipeline file (default: pipelines/example.yaml)')
    .option('--port <n>', 'port (default 8787)', '8787')
    .option('--state-dir <dir>', 'the local account, as npm start keeps it', '.gami')
    .action(async (file: string | undefined, options: { port: string; stateDir: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(`--port: "${options.port}" is not a port`);
      const { serveLocal } = await import('./serve');
      await serveLocal({ pipelineFile: file ?? 'pipelines/example.yaml', port, stateDir: options.stateDir, out: io.out });
    });

  program
    .command('approvals')
    .description("list pending approval requests: who has yet to decide, until when, each approver's link (local server) and how to decide from the command line")
    .option('--pipeline <name...>', 'only these pipelines (default: every gami-registry-* table in the region)')
    .option('--url <server>', 'a running local server to ask (npm start, gami serve)')
    .option('--local', 'the local runtime: the server of the process using the state directory, else its registry')
    .option('--state-dir <dir>', 'state directory of the local runtime', '.gami')
    .option('--region <region>', 'AWS region of the registry tables (default: from the AWS environment)')
    .addOption(formatOption())
    .action(
      operatorAction(async (options: ApprovalsOptions) => {
        const pending = await pendingApprovals(options);
        if (options.format === 'json') io.out(JSON.stringify(pending, null, 2));
        else for (const line of formatApprovals(pending)) io.out(line);
      }),
    );

  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(`${decision} an approval request as an IAM principal (the IAM-authorized route)`)
      .argument('<approval>', 'the approval id (gami approvals lists them)')
      .requiredOption('--as <approver>', 'the approver you are (locally: their IAM user in the simulated account)')
      .option('--comment <text>', decision === 'reject' ? 'why (required to reject)' : 'a comment', '')
      .option('--url <base>', 'the approval API (a deployed API\'s URL, or the local server)', DEFAULT_APPROVAL_BASE_URL)
      .option('--region <region>', 'the API\'s region (SigV4)', 'eu-west-1')
      .action(async (approvalId: string, options: { as: string; comment: string; url: string; region: string }) => {
        if (!/^[A-Za-z0-9_-]{43}$/.test(approvalId)) throw invalid(`"${approvalId}" is not an approval id (43 characters; gami approvals lists them)`);
        if (decision === 'reject' && !options.comment.trim()) throw invalid('reject needs --comment: it is the reason the run fails with');
        let base: URL;
        try {
          base = new URL(options.url);
        } catch {
          throw invalid(`--url: "${options.url}" is not a URL`);
        }
        let credentials: LocalCredentials & { sessionToken?: string };
        if (isLocal(base)) {
          const local = localApproverCredentials(options.as);
          if (!local) throw invalid(`--as ${options.as}: no IAM user of that name in the simulated account`);
          credentials = local;
        } else {
          // The default credential chain, resolved the way every SDK client resolves it.
          const sts = new STSClient({ region: options.region });
          credentials = await sts.config.credentials();
          sts.destroy();
        }
        let answer: Awaited<ReturnType<typeof iamDecision>>;
        try {
          answer = await iamDecision({ base: base.toString(), approvalId, decision, comment: options.comment, credentials, region: options.region });
        } catch (error) {
          throw invalid(`no approval API at ${base.origin} (${(error as Error).message})`);
        }
        if (answer.status >= 300) throw new CommanderError(answer.status === 403 || answer.status === 404 ? EXIT_INVALID : 1, 'gami.decision', `${answer.status}: ${String(answer.body.error ?? answer.body.message ?? '')}`);
        io.out(`${String(answer.body.approver)}: ${String(answer.body.outcome)} — ${String(answer.body.summary)}`);
      });
  }
}
