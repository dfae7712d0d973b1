/**
 * The local server (`gami serve`, the demo, the browser test): a real Node HTTP server (@hono/node-server)
 * serving
 *   /approvals/…   the approval API: API Gateway's behaviour in front of the deployed Lambda handler
 *                  (api-gateway.ts) — the same pages, checks and decisions as on AWS;
 *   /mailbox       the simulated SNS emails, per subscriber, as each subscription's filter policy delivered
 *                  them, with their links (each approver sees only their own);
 *   /              → /mailbox.
 * Once listening, the runtime's approval links point at this server's origin.
 */
import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import type { LocalRuntime } from '../runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createClient } from '../../tasks/clients';
import { getApproval } from '../../tasks/approval/store';
import { apiGatewayRequest } from './api-gateway';
import { mailboxPage, subscribers } from './mailbox';

/** The approval API function: the one whose `gami:handler` entry is this file. */
export const APPROVAL_HANDLER_ENTRY = 'tasks/approval/handler.ts';

export interface LocalServer {
  /** e.g. http://127.0.0.1:8787 */
  origin: string;
  close(): Promise<void>;
}

export interface LocalServerOptions {
  runtime: LocalRuntime;
  /** Default 0: any free port. */
  port?: number;
  hostname?: string;
}

function firstCredentials(runtime: LocalRuntime) {
  const key = Object.values(runtime.cloud.world.state.accessKeys).find((k) => k.accountId === runtime.definitions.account);
  return key ? { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } : undefined;
}

/** The approval links of the mailbox (messages carrying the `approver` attribute), oldest first. */
export function mailboxApprovalLinks(runtime: LocalRuntime): { approver: string; url: string; subject?: string }[] {
  return runtime.cloud.mailbox().flatMap((m) => {
    const approver = m.messageAttributes.approver?.StringValue;
    const url = /(https?:\/\/\S+\/approvals\/\S+)/.exec(m.message)?.[1];
    return approver && url ? [{ approver, url, subject: m.subject }] : [];
  });
}

export function approvalFunctionArn(runtime: LocalRuntime): string | undefined {
  return Object.values(runtime.definitions.functions).find((f) => f.entry.replace(/\\/g, '/').endsWith(APPROVAL_HANDLER_ENTRY))?.functionArn;
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { runtime } = options;
  const app = new Hono();
  const functionArn = approvalFunctionArn(runtime);
  app.get('/', (c) => c.redirect('/mailbox'));
  app.get('/mailbox', (c) => {
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    return c.html(mailboxPage(subscribers(runtime), new Date(runtime.stepFunctions.engine.clock.now())));
  });
  // For `gami approvals`: every approval link the mailbox holds, and whether its approver may still decide.
  app.get('/approvals.json', async (c) => {
    const table = Object.values(runtime.definitions.functions).find((f) => f.environment.GAMI_REGISTRY_TABLE)?.environment.GAMI_REGISTRY_TABLE;
    const db = DynamoDBDocumentClient.from(createClient(DynamoDBClient, { region: runtime.definitions.region, credentials: firstCredentials(runtime) }));
    const list = [];
    for (const link of mailboxApprovalLinks(runtime)) {
      const approvalId = decodeURIComponent(new URL(link.url).pathname.split('/')[2] ?? '');
      const record = table ? await runtime.stepFunctions.engine.clock.hold(getApproval({ db, tableName: table }, approvalId).catch(() => undefined)) : undefined;
      list.push({
        approvalId,
        approver: link.approver,
        url: link.url,
        subject: link.subject,
        pending: record?.status === 'pending' && !record.decisions[link.approver],
        status: record?.status ?? 'unknown',
        ...(record
          ? {
              pipeline: record.pipeline,
              version: record.version,
              imageId: record.imageId,
              createdAt: record.createdAt,
              expiresAt: record.expiresAt,
              expired: Date.parse(record.expiresAt) <= runtime.stepFunctions.engine.clock.now(),
              minApprovals: record.minApprovals,
              approvers: record.approvers,
              decisions: Object.fromEntries(Object.values(record.decisions).map((d) => [d.approver, d.decision])),
              evidenceSha256: record.evidenceSha256,
            }
          : {}),
      });
    }
    db.destroy();
    c.header('Cache-Control', 'no-store');
    return c.json(list);
  });
  app.all('/approvals/*', async (c) => {
    if (!functionArn) return c.json({ message: 'Not Found' }, 404);
    return apiGatewayRequest(c.req.raw, getConnInfo(c).remote.address ?? '127.0.0.1', {
      lambdas: runtime.stepFunctions.engine.lambdas,
      functionArn,
      clock: runtime.stepFunctions.engine.clock,
      accountId: runtime.definitions.account,
      region: runtime.definitions.region,
      accessKey: (id) => runtime.cloud.world.state.accessKeys[id],
    });
  });
  app.notFound((c) => c.json({ message: 'Not Found' }, 404));

  // A taken port is an 'error' event, not a thrown error: reject with it (callers fall back to a free port).
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: options.hostname ?? '127.0.0.1' }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const origin = `http://${address.address}:${address.port}`;
  runtime.setApprovalBaseUrl(origin);
  return {
    origin,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
