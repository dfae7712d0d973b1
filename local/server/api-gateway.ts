/**
 * API Gateway (HTTP API, payload v2) in front of the approval function, locally: a web Request becomes the
 * event API Gateway would send, the *deployed* handler (tasks/approval/handler.ts, found by its `gami:handler`
 * metadata in the synthesized stack) runs through the engine's Lambda registry, and its result becomes the
 * Response — so the code path that runs here is the one that runs behind API Gateway.
 *
 * As API Gateway does: only the API's routes reach the function (others: 404 {"message":"Not Found"}); the
 * route with AWS_IAM authorization needs a valid SigV4 signature (service execute-api) of a known access key of
 * the simulated account, else 403 {"message":"Forbidden"}, and passes the caller in
 * `requestContext.authorizer.iam`; `requestContext.timeEpoch` is the runtime's clock.
 */
import { randomUUID } from 'node:crypto';
import { NodeSha256 } from '../../tasks/common/sha256';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Clock } from '../clock';
import type { Json } from '../engine/asl';
import type { LambdaRegistry } from '../engine/lambdas';
import type { AccessKeyRecord } from '../cloud/world';

/** The routes of infra/approval-api.ts (route key → authorization). */
export const APPROVAL_ROUTES: { method: string; pattern: RegExp; routeKey: string; iam: boolean }[] = [
  { method: 'GET', pattern: /^\/approvals\/([^/]+)$/, routeKey: 'GET /approvals/{id}', iam: false },
  { method: 'HEAD', pattern: /^\/approvals\/([^/]+)$/, routeKey: 'HEAD /approvals/{id}', iam: false },
  { method: 'POST', pattern: /^\/approvals\/([^/]+)\/decision$/, routeKey: 'POST /approvals/{id}/decision', iam: false },
  { method: 'POST', pattern: /^\/approvals\/([^/]+)\/iam-decision$/, routeKey: 'POST /approvals/{id}/iam-decision', iam: true },
];

export interface ApiGatewayOptions {
  lambdas: LambdaRegistry;
  functionArn: string;
  clock: Clock;
  accountId: string;
  region: string;
  /** The simulated account's access keys (SigV4 verification of the IAM route). */
  accessKey: (accessKeyId: string) => AccessKeyRecord | undefined;
}

const json = (status: number, message: string) => new Response(JSON.stringify({ message }), { status, headers: { 'content-type': 'application/json' } });

/** The IAM caller of a SigV4-signed request, or undefined when the signature does not verify. */
async function verifySigV4(request: Request, body: string, options: ApiGatewayOptions): Promise<AccessKeyRecord | undefined> {
  const authorization = request.headers.get('authorization') ?? '';
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/execute-api\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!match) return undefined;
  const [, accessKeyId, , region, signedHeaders, signature] = match;
  const record = options.accessKey(accessKeyId);
  const amzDate = request.headers.get('x-amz-date');
  if (!record || !amzDate || region !== options.region) return undefined;
  if (record.expiresAt !== undefined && record.expiresAt <= options.clock.now()) return undefined;
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) headers[name] = request.headers.get(name) ?? '';
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    sha256: NodeSha256,
    credentials: { accessKeyId, secretAccessKey: record.secretAccessKey, sessionToken: record.sessionToken },
  });
  const at = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!at) return undefined;
  const signingDate = new Date(Date.UTC(+at[1], +at[2] - 1, +at[3], +at[4], +at[5], +at[6]));
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
  const signed = await signer.sign(
    { method: request.method, protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query, headers, body },
    { signingDate, signableHeaders: new Set(signedHeaders.split(';')) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? signed.headers.Authorization))?.[1];
  return expected === signature ? record : undefined;
}

/** Handle one request as API Gateway in front of the approval function would. */
export async function apiGatewayRequest(request: Request, sourceIp: string, options: ApiGatewayOptions): Promise<Response> {
  const url = new URL(request.url);
  const route = APPROVAL_ROUTES.find((r) => r.method === request.method && r.pattern.test(url.pathname));
  if (!route) return json(404, 'Not Found');
  // API Gateway's payload limit is 10 MB; the app itself refuses anything over 8 KiB.
  const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
  let authorizer: Record<string, unknown> | undefined;
  if (route.iam) {
    const caller = await verifySigV4(request, body, options);
    if (!caller) return json(403, 'Forbidden');
    authorizer = {
      iam: { accessKey: caller.accessKeyId, accountId: caller.accountId, callerId: caller.userId, cognitoIdentity: null, principalOrgId: null, userArn: caller.arn, userId: caller.userId },
    };
  }
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => (headers[name.toLowerCase()] = value));
  const cookies = headers.cookie ? headers.cookie.split(/;\s*/) : undefined;
  delete headers.cookie;
  const now = options.clock.now();
  const requestId = randomUUID();
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = query[k] !== undefined ? `${query[k]},${v}` : v));
  const event = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    pathParameters: { id: decodeURIComponent(route.pattern.exec(url.pathname)![1]) },
    requestContext: {
      accountId: options.accountId,
      apiId: 'local',
      domainName: url.host,
      domainPrefix: url.hostname.split('.')[0],
      http: { method: request.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
      ...(authorizer ? { authorizer } : {}),
    },
    ...(body ? { body, isBase64Encoded: false } : { isBase64Encoded: false }),
  };
  let result: Record<string, unknown>;
  try {
    // The registry holds the clock while the handler runs (and charges a scaled clock its modeled time).
    result = (await options.lambdas.invoke(options.functionArn, event as unknown as Json, { clock: options.clock, requestId })) as Record<string, unknown>;
  } catch {
    return json(500, 'Internal Server Error');
  }
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries((result.headers as Record<string, string>) ?? {})) responseHeaders.set(name, String(value));
  for (const [name, values] of Object.entries((result.multiValueHeaders as Record<string, string[]>) ?? {})) for (const v of values) responseHeaders.append(name, v);
  for (const cookie of (result.cookies as string[]) ?? []) responseHeaders.append('set-cookie', cookie);
  const raw = typeof result.body === 'string' ? result.body : '';
  const payload = result.isBase64Encoded ? Buffer.from(raw, 'base64') : raw;
  const status = typeof result.statusCode === 'number' ? result.statusCode : 200;
  return new Response(request.method === 'HEAD' || status === 204 || status === 304 ? null : payload, { status, headers: responseHeaders });
}
