/**
 * Approval commands.
 *   gami serve [file] [--port 8787]       the local server on the persisted local account (.gami): the mailbox
 *                                         page and the approval pages of past runs (the demo serves the same
 *                                         pages for the run it drives)
 *   gami approvals [--url <server>]       pending approval requests with each approver's link, from a running
 *                                         local server (the demo's or gami serve's)
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
import { NodeSha256 } from '../tasks/common/sha256';


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

export function addApprovalCommands(program: Command, io: ApprovalsIo): void {
  const invalid = (message: string) => new CommanderError(EXIT_INVALID, 'gami.invalidInput', message);

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
    .description('list pending approval requests and each approver\'s link, from a running local server (npm start, gami serve)')
    .option('--url <server>', 'the local server', DEFAULT_APPROVAL_BASE_URL)
    .action(async (options: { url: string }) => {
      let list: { approvalId: string; approver: string; url: string; subject?: string; pending: boolean }[];
      try {
        const response = await fetch(new URL('/approvals.json', options.url));
        list = (await response.json()) as typeof list;
      } catch (error) {
        throw invalid(`no local server at ${options.url} (${(error as Error).message}): start one with npm start or gami serve`);
      }
      const pending = list.filter((l) => l.pending);
      if (pending.length === 0) io.out('no pending approvals');
      for (const item of pending) io.out(`${item.approvalId}  ${item.approver}  ${item.url}`);
    });

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
