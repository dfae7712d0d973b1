/**
 * The approval API's one Lambda function (API Gateway HTTP API, payload v2): the Hono app of app.ts, built on
 * the first request (it needs the signing key from Secrets Manager) and reused. Time is API Gateway's: each
 * request's `requestContext.timeEpoch` (when API Gateway received it) is the app's `now`, so the handler reads
 * no clock of its own — locally the server's adapter stamps the runtime's clock there.
 *
 * Environment: GAMI_REGISTRY_TABLE (the table holding approval records), GAMI_APPROVAL_SECRET (the signing
 * key's secret), GAMI_APPROVAL_BASE_URL (the API's endpoint: pages are served from its origin, and POSTs must
 * come from it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { createClient } from '../clients';
import { parseTaskEnv } from '../common/env';
import { regionalClient } from '../common/regional';
import { registryClient } from '../common/registry';
import { secretsClient } from '../common/secrets';
import { approvalLambdaHandler, createApprovalApp } from './app';
import { signingKey } from './signing-key';

const requestTime = new AsyncLocalStorage<Date>();

function settings() {
  const env = parseTaskEnv();
  if (!env.GAMI_REGISTRY_TABLE || !env.GAMI_APPROVAL_SECRET || !env.GAMI_APPROVAL_BASE_URL) {
    throw new Error('the approval API needs GAMI_REGISTRY_TABLE, GAMI_APPROVAL_SECRET and GAMI_APPROVAL_BASE_URL');
  }
  return { table: env.GAMI_REGISTRY_TABLE, secret: env.GAMI_APPROVAL_SECRET, base: env.GAMI_APPROVAL_BASE_URL };
}

let built: Promise<ReturnType<typeof approvalLambdaHandler>> | undefined;

async function build(): Promise<ReturnType<typeof approvalLambdaHandler>> {
  const { table, secret, base } = settings();
  const app = createApprovalApp({
    store: { db: registryClient(), sfn: regionalClient('sfn', undefined, (r) => createClient(SFNClient, { region: r })), tableName: table },
    signingKey: await signingKey(secretsClient(), secret),
    publicOrigin: base,
    now: () => requestTime.getStore() ?? new Date(),
  });
  return approvalLambdaHandler(app);
}

/** When API Gateway received the request (payload v2 `requestContext.timeEpoch`). */
function receivedAt(event: unknown): Date | undefined {
  const epoch = (event as { requestContext?: { timeEpoch?: unknown } } | undefined)?.requestContext?.timeEpoch;
  return typeof epoch === 'number' && Number.isFinite(epoch) ? new Date(epoch) : undefined;
}

export async function handler(event: LambdaEvent, context?: Context) {
  built ??= build();
  built.catch(() => (built = undefined));
  const handle = await built;
  const at = receivedAt(event);
  return at ? requestTime.run(at, () => handle(event, context)) : handle(event, context);
}
