/**
 * The approval web app: one Hono app, served by Lambda behind API Gateway (`approvalLambdaHandler`, HTTP API
 * v2 events) and by Node's HTTP server (`@hono/node-server`'s `serve({ fetch: app.fetch })`) locally — the page
 * tested locally is the deployed one.
 *
 *   GET/HEAD /approvals/{id}?a&exp&sig   verify the link, render the evidence page (+ the form while the approver
 *                                        may decide). Never changes state.
 *   POST /approvals/{id}/decision        form fields a, exp, sig, csrf, reviewed, decision, comment. Checks, in
 *                                        order: form content type (415), same origin via Origin / Sec-Fetch-Site
 *                                        (hono/csrf, 403), body size (hono/body-limit, 413), well-formed form
 *                                        (400), link signature (403) and expiry (410), known approval (404),
 *                                        approver listed (403), page-bound CSRF token (403), still pending and not
 *                                        yet decided by this approver (409, showing what was recorded), a valid
 *                                        decision (400), the ticked "I have reviewed the evidence for <pipeline>
 *                                        v<version>" box and a comment to reject (422). Then the store records it.
 *   POST /approvals/{id}/iam-decision    JSON {decision, comment}; API Gateway authorizes the route with AWS_IAM
 *                                        (SigV4) and passes the caller in requestContext.authorizer.iam: the
 *                                        principal's name (IAM user name, or an assumed role's session name)
 *                                        must be a listed approver (case-insensitive). No link, no CSRF token: a
 *                                        signed request cannot come from a link scanner or another site. JSON
 *                                        answers with the same status codes as the form. `gami approve|reject`.
 *   anything else                        404, or 405 with Allow.
 * Every response: strict CSP (no script; the one style element by nonce), frame-ancestors 'none',
 * Referrer-Policy no-referrer, Cache-Control no-store. Every refusal is a page saying what was wrong.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { getConnInfo, handle } from 'hono/aws-lambda';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { NONCE, secureHeaders, type SecureHeadersVariables } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import * as z from 'zod';
import { logger } from '../common/powertools';
import { csrfToken, verifyCsrfToken, verifyLink, type LinkClaims, type LinkParams } from './links';
import { evidencePage, messagePage, outcomeSentence, reviewedPhrase } from './pages';
import { DECISIONS, MAX_COMMENT_LENGTH, withoutToken, type ApprovalRecord } from './record';
import { getApproval, healApproval, needsHealing, recordDecision, type ApprovalStore, type DecisionOutcome } from './store';

/** Form bodies above this are refused (the real form is well under 2 KB). */
export const MAX_BODY_BYTES = 8 * 1024;

export interface ApprovalAppOptions {
  store: ApprovalStore;
  /** The HMAC key of links and CSRF tokens (Secrets Manager on AWS; generated locally). */
  signingKey: Buffer;
  /** The origin the pages are served from, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`: POSTs must come from it. */
  publicOrigin: string;
  /** The clock; the local runtime passes its own. Default: wall clock. */
  now?: () => Date;
  /** The client's address. Default: API Gateway's `requestContext` (hono/aws-lambda); Node callers pass @hono/node-server's. */
  clientAddress?: (c: Context) => string | undefined;
  /** The IAM caller of the iam-decision route. Default: API Gateway's `requestContext.authorizer.iam.userArn`. */
  iamPrincipal?: (c: Context) => string | undefined;
}

/** `arn:aws:iam::1:user/path/alice@x` → alice@x; `arn:aws:sts::1:assumed-role/Role/alice@x` → alice@x (the session name). */
export function principalName(arn: string): string | undefined {
  const match = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:(user|assumed-role)\/(.+)$/.exec(arn);
  if (!match) return undefined;
  const parts = match[3].split('/');
  return parts[parts.length - 1] || undefined;
}

function lambdaIamPrincipal(c: Context): string | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('requestContext' in env)) return undefined;
  const context = (env as { requestContext?: { authorizer?: { iam?: { userArn?: unknown } } } }).requestContext;
  const arn = context?.authorizer?.iam?.userArn;
  return typeof arn === 'string' ? arn : undefined;
}

const iamDecisionSchema = z.strictObject({ decision: z.enum(DECISIONS), comment: z.string().max(MAX_COMMENT_LENGTH).optional() });

type AppEnv = { Variables: SecureHeadersVariables };

const formSchema = z.object({
  a: z.string().optional(),
  exp: z.string().optional(),
  sig: z.string().optional(),
  csrf: z.string().optional(),
  reviewed: z.string().optional(),
  decision: z.string().optional(),
  comment: z.string().optional(),
});

const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

function lambdaAddress(c: Context): string | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('requestContext' in env)) return undefined;
  return getConnInfo(c).remote.address;
}

export function createApprovalApp(options: ApprovalAppOptions): Hono<AppEnv> {
  const now = options.now ?? (() => new Date());
  const clientAddress = options.clientAddress ?? lambdaAddress;
  const origin = new URL(options.publicOrigin).origin;
  const app = new Hono<AppEnv>();

  const page = (c: Context<AppEnv>, status: ContentfulStatusCode, kind: 'refused' | 'ok' | 'info', title: string, message: string) =>
    c.html(messagePage(c.get('secureHeadersNonce'), kind, title, message), status);

  app.use(async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
    c.header('X-Robots-Tag', 'noindex, nofollow');
  });
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: [NONCE],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
      crossOriginResourcePolicy: 'same-origin',
      crossOriginOpenerPolicy: 'same-origin',
    }),
  );
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) => {
        c.header('Allow', methods.join(', '));
        return page(c, 405, 'refused', 'Method not allowed', `This address only accepts ${methods.join(', ')}.`);
      },
    }),
  );
  app.notFound((c) => page(c, 404, 'refused', 'Not found', 'There is nothing at this address. Use the link from your approval email.'));
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 403) {
      return page(c, 403, 'refused', 'Cross-site request refused', 'A decision can only be submitted from the approval page itself (same origin).');
    }
    logger.error('approval app error', { path: c.req.path, error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown' });
    return page(c, 500, 'refused', 'Something went wrong', 'The request could not be processed. Nothing was decided; try the link again later.');
  });

  /** Link → claims, or the refusal page. */
  function checkLink(c: Context<AppEnv>, params: LinkParams): { claims: LinkClaims } | { refusal: Response | Promise<Response> } {
    const check = verifyLink(options.signingKey, params, now());
    if (check.ok) return { claims: check.claims };
    switch (check.reason) {
      case 'malformed':
        return { refusal: page(c, 400, 'refused', 'Incomplete link', 'This link is missing parts or was altered. Open the full link from your approval email.') };
      case 'bad-signature':
        return { refusal: page(c, 403, 'refused', 'Invalid link', 'This link’s signature does not match: it was altered or is not yours. Use the link from your own approval email.') };
      case 'expired':
        return { refusal: page(c, 410, 'refused', 'Link expired', 'This approval link has expired. Decisions can no longer be made with it.') };
    }
  }

  async function loadFor(c: Context<AppEnv>, claims: LinkClaims): Promise<{ record: ApprovalRecord } | { refusal: Response | Promise<Response> }> {
    const record = await getApproval(options.store, claims.approvalId);
    if (!record) return { refusal: page(c, 404, 'refused', 'Unknown approval', 'There is no approval request with this id (it may have been removed after it ended).') };
    if (!record.approvers.includes(claims.approver)) {
      return { refusal: page(c, 403, 'refused', 'Not an approver', `${claims.approver} is not an approver of this request.`) };
    }
    return { record };
  }

  app.get('/approvals/:id', async (c) => {
    const link = checkLink(c, { approvalId: c.req.param('id'), a: c.req.query('a'), exp: c.req.query('exp'), sig: c.req.query('sig') });
    if ('refusal' in link) return link.refusal;
    const loaded = await loadFor(c, link.claims);
    if ('refusal' in loaded) return loaded.refusal;
    const { record } = loaded;
    const { approver } = link.claims;
    const mine = record.decisions[approver];
    const open = record.status === 'pending' && !mine && Date.parse(record.expiresAt) > now().getTime();
    const fields = {
      action: `${encodeURIComponent(record.approvalId)}/decision`,
      approver,
      exp: link.claims.exp,
      sig: c.req.query('sig') ?? '',
      csrf: csrfToken(options.signingKey, link.claims),
    };
    return c.html(
      evidencePage({
        approval: withoutToken(record),
        approver,
        now: now(),
        mine,
        nonce: c.get('secureHeadersNonce'),
        form: open ? fields : undefined,
        // Offered when an earlier request was interrupted; posting it decides nothing, it only finishes that.
        retryForm: !open && needsHealing(record) ? fields : undefined,
      }),
      200,
    );
  });

  app.post(
    '/approvals/:id/decision',
    async (c, next) => {
      if (!FORM_CONTENT_TYPE.test(c.req.header('content-type') ?? '')) {
        return page(c, 415, 'refused', 'Unsupported form', 'Decisions are submitted with the form on the approval page.');
      }
      return next();
    },
    csrf({ origin, secFetchSite: 'same-origin' }),
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => page(c as Context<AppEnv>, 413, 'refused', 'Request too large', `A decision is at most ${MAX_BODY_BYTES} bytes; comments at most ${MAX_COMMENT_LENGTH} characters.`),
    }),
    async (c) => {
      let body: Record<string, unknown>;
      try {
        body = await c.req.parseBody({ all: true });
      } catch {
        return page(c, 400, 'refused', 'Malformed form', 'The submitted form could not be read.');
      }
      const parsed = formSchema.safeParse(body);
      if (!parsed.success) return page(c, 400, 'refused', 'Malformed form', 'The submitted form has repeated or unexpected fields.');
      const form = parsed.data;

      const link = checkLink(c, { approvalId: c.req.param('id'), a: form.a, exp: form.exp, sig: form.sig });
      if ('refusal' in link) return link.refusal;
      const loaded = await loadFor(c, link.claims);
      if ('refusal' in loaded) return loaded.refusal;
      const { record } = loaded;
      const { approver } = link.claims;
      const nonce = c.get('secureHeadersNonce');

      if (!verifyCsrfToken(options.signingKey, link.claims, form.csrf)) {
        return page(c, 403, 'refused', 'Form expired or not from the approval page', 'Open your approval link again and decide on the page it shows.');
      }
      const recorded = record.decisions[approver];
      if (record.status !== 'pending' || recorded) {
        // Nothing to decide; but a close or delivery an earlier request could not finish is finished here.
        const current = withoutToken(needsHealing(record) ? await healApproval(options.store, record, approver, now()) : record);
        const text = recorded ? `You already decided; your first decision stands. ${outcomeSentence(current)}` : outcomeSentence(current);
        return c.html(evidencePage({ approval: current, approver, now: now(), mine: recorded, nonce, notice: { kind: 'info', text } }), 409);
      }
      if (Date.parse(record.expiresAt) <= now().getTime()) {
        return page(c, 410, 'refused', 'Approval expired', `The approval of ${reviewedPhrase(record)} expired at ${record.expiresAt}.`);
      }
      const decision = DECISIONS.find((d) => d === form.decision);
      if (!decision) return page(c, 400, 'refused', 'No decision', 'Choose Approve or Reject.');
      if (form.reviewed !== reviewedPhrase(record)) {
        return page(c, 422, 'refused', 'Please confirm you reviewed the evidence', `Tick “I have reviewed the evidence for ${reviewedPhrase(record)}” to decide. Nothing was recorded.`);
      }
      const comment = (form.comment ?? '').trim();
      if (comment.length > MAX_COMMENT_LENGTH) return page(c, 422, 'refused', 'Comment too long', `A comment is at most ${MAX_COMMENT_LENGTH} characters.`);
      if (decision === 'reject' && !comment) return page(c, 422, 'refused', 'Say why you reject', 'A rejection needs a comment: it is the reason the run fails with.');

      const at = now();
      const outcome = await recordDecision(
        options.store,
        record.approvalId,
        { approver, decision, at: at.toISOString(), comment, sourceIp: clientAddress(c) ?? 'unknown', userAgent: (c.req.header('user-agent') ?? '').slice(0, 500) },
        at,
      );
      logger.info('approval decision', { approvalId: record.approvalId, approver, decision, outcome: outcome.kind });
      return outcomePage(c, outcome, approver, at);
    },
  );

  app.post(
    '/approvals/:id/iam-decision',
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: 'request too large' }, 413) }),
    async (c) => {
      const principal = (options.iamPrincipal ?? lambdaIamPrincipal)(c);
      const name = principal ? principalName(principal) : undefined;
      if (!principal || !name) return c.json({ error: 'this route needs an IAM-signed request (AWS_IAM authorization)' }, 403);
      if (!/^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? '')) return c.json({ error: 'send JSON: {"decision": "approve"|"reject", "comment": "…"}' }, 415);
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return c.json({ error: 'malformed JSON' }, 400);
      }
      const parsed = iamDecisionSchema.safeParse(body);
      if (!parsed.success) return c.json({ error: 'expected {"decision": "approve"|"reject", "comment": "…"}' }, 400);
      const approvalId = c.req.param('id');
      if (!/^[A-Za-z0-9_-]{43}$/.test(approvalId)) return c.json({ error: 'unknown approval' }, 404);
      const record = await getApproval(options.store, approvalId);
      if (!record) return c.json({ error: 'unknown approval' }, 404);
      const approver = record.approvers.find((a) => a.toLowerCase() === name.toLowerCase());
      if (!approver) return c.json({ error: `${principal} is not an approver of this request` }, 403);
      const comment = (parsed.data.comment ?? '').trim();
      if (parsed.data.decision === 'reject' && !comment) return c.json({ error: 'a rejection needs a comment' }, 422);
      const at = now();
      if (record.status === 'pending' && !record.decisions[approver] && Date.parse(record.expiresAt) <= at.getTime()) {
        return c.json({ error: `the approval expired at ${record.expiresAt}` }, 410);
      }
      const outcome = await recordDecision(
        options.store,
        approvalId,
        { approver, decision: parsed.data.decision, at: at.toISOString(), comment, sourceIp: clientAddress(c) ?? 'unknown', userAgent: `iam:${principal}`.slice(0, 500) },
        at,
      );
      logger.info('approval decision', { approvalId, approver, decision: parsed.data.decision, outcome: outcome.kind, via: 'iam' });
      if (outcome.kind === 'not-found') return c.json({ error: 'unknown approval' }, 404);
      if (outcome.kind === 'not-approver') return c.json({ error: `${principal} is not an approver of this request` }, 403);
      const { approval } = outcome;
      const answer = {
        approvalId,
        approver,
        outcome: outcome.kind,
        status: approval.status,
        recorded: approval.decisions[approver] ?? null,
        summary: outcomeSentence(approval),
      };
      return c.json(answer, outcome.kind === 'recorded' || outcome.kind === 'closed' ? 200 : 409);
    },
  );

  function outcomePage(c: Context<AppEnv>, outcome: DecisionOutcome, approver: string, at: Date) {
    const nonce = c.get('secureHeadersNonce');
    switch (outcome.kind) {
      case 'not-found':
        return page(c, 404, 'refused', 'Unknown approval', 'There is no approval request with this id.');
      case 'not-approver':
        return page(c, 403, 'refused', 'Not an approver', `${approver} is not an approver of this request.`);
      case 'already-decided':
      case 'not-pending': {
        const mine = outcome.approval.decisions[approver];
        return c.html(evidencePage({ approval: outcome.approval, approver, now: at, mine, nonce, notice: { kind: 'info', text: outcomeSentence(outcome.approval) } }), 409);
      }
      case 'recorded':
      case 'closed': {
        const mine = outcome.approval.decisions[approver];
        const text = `Your decision was recorded: ${mine?.decision === 'approve' ? 'approved' : 'rejected'}. ${outcomeSentence(outcome.approval)}`;
        return c.html(evidencePage({ approval: outcome.approval, approver, now: at, mine, nonce, notice: { kind: 'ok', text } }), 200);
      }
    }
  }

  return app;
}

/** The Lambda handler for API Gateway HTTP API (payload v2) events. */
export function approvalLambdaHandler(app: Hono<AppEnv>) {
  return handle(app);
}
