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

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: options.hostname ?? '127.0.0.1' }, () => resolve(s));
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
