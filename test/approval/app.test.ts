/**
 * The web app as a browser and an auditor see it: the evidence page's sections, escaping, the security
 * headers on every response, the same app behind API Gateway (HTTP API v2 events through hono/aws-lambda)
 * and behind Node's HTTP server (@hono/node-server), and the task token absent from every response, header,
 * log line and task output.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { APIGatewayProxyStructuredResultV2, Context as LambdaContext } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { logger } from '../../tasks/common/powertools';
import { approvalLambdaHandler, createApprovalApp } from '../../tasks/approval/app';
import { approvalLink } from '../../tasks/approval/links';
import { getApproval } from '../../tasks/approval/store';
import {
  ALICE,
  BASE,
  BOB,
  claimsOf,
  decide,
  evidence,
  formDefaults,
  linkFor,
  openPage,
  pendingApproval,
  postForm,
  startApprovalFixture,
  TOKEN,
  type ApprovalFixture,
} from './fixture';

let fx: ApprovalFixture;
beforeEach(async () => {
  fx = await startApprovalFixture();
});
afterEach(async () => {
  await fx.stop();
});

function expectSecurityHeaders(headers: Headers | Record<string, string | number | boolean>) {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : String(headers[name] ?? ''));
  const csp = get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).toContain("base-uri 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('script-src');
  expect(get('cache-control')).toBe('no-store');
  expect(get('referrer-policy')).toBe('no-referrer');
  expect(get('x-frame-options')).toBe('DENY');
  expect(get('x-content-type-options')).toBe('nosniff');
}

describe('evidence page', () => {
  it('shows every section of the issue, escapes what it shows, and carries no script', async () => {
    const record = await pendingApproval(fx);
    const response = await fx.app.request(linkFor(fx, record, ALICE));
    expect(response.status).toBe(200);
    const page = await response.text();
    for (const text of [
      '<h1>Approve web-base v7?</h1>',
      'You are <strong>alice@example.com</strong>',
      'ami-0123456789abcdef0 — web-base-v7-20261122',
      'al2023-ami-2023.6.20261101-kernel-6.1-x86_64',
      '<tr><th>base image lineage</th><td>ami-0fedcba9876543210</td></tr>',
      '<ol><li>hardening</li><li>nginx</li></ol>',
      '<td>nginx</td><td>test</td><td>serves</td><td class="pass">Success</td>',
      '<tr><td>MEDIUM</td><td>1</td><td>5</td></tr>',
      '<tr><td>LOW</td><td>2</td><td>unlimited</td></tr>',
      '<td>CVE-2026-1111</td><td>not reachable: no listener uses it</td><td>sec@example.com</td><td>2026-12-31</td>',
      '<td>3.0.8-1 → 3.0.8-2</td><td>MEDIUM</td><td>5.3</td><td>no</td>',
      'Not available: no previous approved image of this pipeline.',
      '<td>alice@example.com</td><td class="muted">not yet</td>',
      'Time left: <strong>3 days 0 h</strong>',
      'I have reviewed the evidence for web-base v7',
      record.evidenceSha256,
    ]) {
      expect(page).toContain(text);
    }
    expect(page).toContain('CVE-2026-2222 - &lt;script&gt;alert(1)&lt;/script&gt;'.split(' - ')[0]);
    expect(page).toContain('openssl&lt;b&gt;');
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/\son[a-z]+=/i);
    // The form is the only way to decide, and its checkbox is unticked.
    expect(page).toMatch(/<input type="checkbox" name="reviewed" value="web-base v7">/);
    expect(page).not.toMatch(/checked/);
    // The style element carries the CSP's nonce.
    const nonce = /<style nonce="([^"]+)">/.exec(page)?.[1];
    expect(response.headers.get('content-security-policy')).toContain(`style-src 'nonce-${nonce}'`);
  });

  it('shows the difference to the previous approved image when both package lists and finding lists exist', async () => {
    const record = await pendingApproval(fx, {
      evidence: {
        ...evidence,
        packages: [
          { name: 'nginx', version: '1.26.2-1' },
          { name: 'openssl', version: '3.0.8-2' },
          { name: 'jq', version: '1.7.1-1' },
        ],
        vulnerabilityIds: ['CVE-2026-2222', 'CVE-2026-3333'],
        previous: {
          version: 6,
          imageId: 'ami-0aaaaaaaaaaaaaaaa',
          packages: [
            { name: 'nginx', version: '1.24.0-1' },
            { name: 'openssl', version: '3.0.8-2' },
            { name: 'telnet', version: '0.17-1' },
          ],
          vulnerabilityIds: ['CVE-2026-2222', 'CVE-2025-0001'],
        },
      },
    });
    const page = await (await fx.app.request(linkFor(fx, record, ALICE))).text();
    expect(page).toContain('Difference to the previous approved image (v6, ami-0aaaaaaaaaaaaaaaa)');
    expect(page).toMatch(/Added:<\/p><ul><li>jq 1.7.1-1<\/li><\/ul>/);
    expect(page).toMatch(/Removed:<\/p><ul><li>telnet 0.17-1<\/li><\/ul>/);
    expect(page).toMatch(/Upgraded or changed:<\/p><ul><li>nginx 1.24.0-1 → 1.26.2-1<\/li><\/ul>/);
    expect(page).toMatch(/Fixed:<\/p><ul><li>CVE-2025-0001<\/li><\/ul><p>New:<\/p><ul><li>CVE-2026-3333<\/li><\/ul><p>Still open:<\/p><ul><li>CVE-2026-2222<\/li><\/ul>/);
  });

  it('HEAD answers like GET without a body and changes nothing', async () => {
    const record = await pendingApproval(fx);
    const writes = fx.writes();
    const head = await fx.app.request(linkFor(fx, record, ALICE), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expectSecurityHeaders(head.headers);
    expect(fx.writes()).toBe(writes);
  });

  it('every kind of response carries the security headers', async () => {
    const record = await pendingApproval(fx);
    const link = linkFor(fx, record, ALICE);
    const responses = [
      await fx.app.request(link),
      await fx.app.request(link.replace('sig=', 'sig=x')),
      await fx.app.request(`${BASE}/nowhere`),
      await fx.app.request(link, { method: 'DELETE' }),
      await postForm(fx, record, {}, { Origin: 'https://evil.example.net' }),
      await postForm(fx, record, { comment: 'x'.repeat(10_000) }),
      await decide(fx, record, ALICE, 'approve'),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 403, 404, 405, 403, 413, 200]);
    for (const response of responses) expectSecurityHeaders(response.headers);
  });
});

describe('one app, two servers', () => {
  const lambdaContext = {} as LambdaContext;
  /** An API Gateway HTTP API (payload format 2.0) event, as the Lambda receives it. */
  function v2Event(method: string, url: string, headers: Record<string, string>, body?: string): LambdaEvent {
    const u = new URL(url);
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath: u.pathname,
      rawQueryString: u.search.slice(1),
      headers: { host: u.host, ...headers },
      requestContext: {
        accountId: '111111111111',
        authentication: null,
        authorizer: {},
        apiId: 'abc123',
        domainName: u.host,
        domainPrefix: 'approvals',
        http: { method, path: u.pathname, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: headers['user-agent'] ?? '' },
        requestId: 'r-1',
        routeKey: '$default',
        stage: '$default',
        time: '22/Nov/2026:10:00:00 +0000',
        timeEpoch: 0,
      },
      body: body ?? null,
      isBase64Encoded: false,
    };
  }

  it('behind API Gateway (HTTP API v2 events): GET the page, POST the form, the source IP comes from the request context', async () => {
    const record = await pendingApproval(fx, { minApprovals: 1 });
    const app = createApprovalApp({ store: fx.store, signingKey: fx.key, publicOrigin: BASE, now: () => fx.clock.now });
    const handler = approvalLambdaHandler(app);
    const got = (await handler(v2Event('GET', linkFor(fx, record, ALICE), { 'user-agent': 'Firefox/140' }), lambdaContext)) as APIGatewayProxyStructuredResultV2;
    expect(got.statusCode).toBe(200);
    expectSecurityHeaders(got.headers ?? {});
    const form = formDefaults(got.body ?? '');
    const action = new URL(form.action, linkFor(fx, record, ALICE)).toString();
    const body = new URLSearchParams({ ...form.fields, reviewed: 'web-base v7', decision: 'approve', comment: 'via API Gateway' }).toString();
    const posted = (await handler(
      v2Event('POST', action, { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, 'sec-fetch-site': 'same-origin', 'user-agent': 'Firefox/140' }, body),
      lambdaContext,
    )) as APIGatewayProxyStructuredResultV2;
    expect(posted.statusCode).toBe(200);
    expect((await getApproval(fx.store, record.approvalId))?.decisions[ALICE]).toMatchObject({ sourceIp: '203.0.113.9', userAgent: 'Firefox/140', comment: 'via API Gateway' });
    expect(fx.sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it("behind Node's HTTP server: a real HTTP GET and form POST on a loopback port", async () => {
    const record = await pendingApproval(fx, { minApprovals: 1 });
    let app: ReturnType<typeof createApprovalApp> | undefined;
    const server: ServerType = serve({ fetch: (request, env) => (app ? app.fetch(request, env) : new Response('starting', { status: 503 })), port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      app = createApprovalApp({ store: fx.store, signingKey: fx.key, publicOrigin: origin, now: () => fx.clock.now, clientAddress: (c) => getConnInfo(c).remote.address });
      const link = approvalLink(origin, fx.key, claimsOf(record, ALICE));
      const got = await fetch(link);
      expect(got.status).toBe(200);
      expectSecurityHeaders(got.headers);
      const form = formDefaults(await got.text());
      const posted = await fetch(new URL(form.action, link), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
        body: new URLSearchParams({ ...form.fields, reviewed: 'web-base v7', decision: 'approve' }),
      });
      expect(posted.status).toBe(200);
      expect((await getApproval(fx.store, record.approvalId))?.decisions[ALICE]?.sourceIp).toBe('127.0.0.1');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('the task token', () => {
  it('never appears in a link, response body, header, log line or task output', async () => {
    const lines: string[] = [];
    const capture = (stream: NodeJS.WriteStream) =>
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
        return true;
      });
    const spies = [capture(process.stdout), capture(process.stderr)];
    logger.setLogLevel('DEBUG');
    const seen: string[] = [];
    const keep = async (response: Response | Promise<Response>) => {
      const r = await response;
      seen.push(await r.clone().text(), JSON.stringify([...r.headers]));
      return r;
    };
    try {
      const record = await pendingApproval(fx);
      const links = [linkFor(fx, record, ALICE), linkFor(fx, record, BOB)];
      seen.push(...links);
      for (const link of links) await keep(fx.app.request(link));
      const { form } = await openPage(fx, record, ALICE);
      await keep(postForm(fx, record, { ...form.fields, decision: 'approve' }));
      await keep(postForm(fx, record, { ...form.fields, reviewed: 'web-base v7', decision: 'approve' }));
      await keep(postForm(fx, record, { ...form.fields, reviewed: 'web-base v7', decision: 'approve' }));
      fx.sfnMock.on(SendTaskSuccessCommand).rejectsOnce(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
      await keep(decide(fx, record, BOB, 'approve'));
      fx.clock.now = new Date(Date.parse(record.expiresAt) + 1);
      await keep(fx.app.request(links[0]));
      const output = fx.sfnMock.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output ?? '';
      seen.push(output);
      const stored = await getApproval(fx.store, record.approvalId);
      expect(stored?.delivery).toBe('failed');
    } finally {
      for (const spy of spies) spy.mockRestore();
      logger.setLogLevel('SILENT');
    }
    expect(lines.join('')).toContain('approval decision');
    for (const text of [...seen, ...lines]) expect(text).not.toContain(TOKEN);
  });
});
