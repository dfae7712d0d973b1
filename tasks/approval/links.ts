/**
 * Per-approver signed links and the page-bound CSRF token, both HMAC-SHA256 under one signing key (Secrets
 * Manager on AWS, generated locally) with a distinct purpose label each, so neither can stand in for the other:
 *
 *   link  {base}/approvals/{id}?a={approver}&exp={epoch seconds}&sig={base64url HMAC("gami-approval-link/v1", id, a, exp)}
 *   csrf  base64url HMAC("gami-approval-csrf/v1", id, a, exp) — only in the rendered page's form, never in a link
 *
 * Signatures are compared in constant time (crypto.timingSafeEqual on the decoded 32-byte MACs).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const LINK_PURPOSE = 'gami-approval-link/v1';
const CSRF_PURPOSE = 'gami-approval-csrf/v1';
const MAC_BYTES = 32;
/** A signing key shorter than this is refused: it would be guessable. */
export const MIN_SIGNING_KEY_BYTES = 32;

export interface LinkClaims {
  approvalId: string;
  approver: string;
  /** Expiry, epoch seconds. */
  exp: number;
}

function assertKey(key: Buffer): void {
  if (key.length < MIN_SIGNING_KEY_BYTES) throw new Error(`the approval signing key must be at least ${MIN_SIGNING_KEY_BYTES} bytes`);
}

function mac(key: Buffer, purpose: string, claims: LinkClaims): Buffer {
  assertKey(key);
  // Length-prefixed fields: no two different claim sets produce the same MAC input.
  const fields = [purpose, claims.approvalId, claims.approver, String(claims.exp)];
  const hmac = createHmac('sha256', key);
  for (const field of fields) hmac.update(`${Buffer.byteLength(field)}:${field};`);
  return hmac.digest();
}

/** Constant-time check of a base64url MAC from a request against the expected one. */
function macMatches(expected: Buffer, given: string | undefined): boolean {
  if (typeof given !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(given)) return false;
  const decoded = Buffer.from(given, 'base64url');
  return decoded.length === MAC_BYTES && timingSafeEqual(decoded, expected);
}

export function signLink(key: Buffer, claims: LinkClaims): string {
  return mac(key, LINK_PURPOSE, claims).toString('base64url');
}

/** The approver's personal link. `base` is the API's public URL (no trailing slash needed). */
export function approvalLink(base: string, key: Buffer, claims: LinkClaims): string {
  const url = new URL(`approvals/${encodeURIComponent(claims.approvalId)}`, base.endsWith('/') ? base : `${base}/`);
  url.searchParams.set('a', claims.approver);
  url.searchParams.set('exp', String(claims.exp));
  url.searchParams.set('sig', signLink(key, claims));
  return url.toString();
}

/** The link's parameters as they arrive (query string or form fields); anything may be missing or junk. */
export interface LinkParams {
  approvalId: string;
  a?: string;
  exp?: string;
  sig?: string;
}

export type LinkCheck =
  | { ok: true; claims: LinkClaims }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

/**
 * Verify a link: well-formed, signature valid for exactly these claims, not expired at `now`. The signature
 * is checked before the expiry, so an unsigned link never learns whether its time is valid.
 */
export function verifyLink(key: Buffer, params: LinkParams, now: Date): LinkCheck {
  const { approvalId, a, exp, sig } = params;
  if (!a || !exp || !sig || !/^\d{1,12}$/.test(exp) || a.length > 320 || approvalId.length > 100) return { ok: false, reason: 'malformed' };
  const claims: LinkClaims = { approvalId, approver: a, exp: Number(exp) };
  if (!macMatches(mac(key, LINK_PURPOSE, claims), sig)) return { ok: false, reason: 'bad-signature' };
  if (now.getTime() >= claims.exp * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

/** The CSRF token the evidence page embeds in its form: bound to this approval, approver and expiry. */
export function csrfToken(key: Buffer, claims: LinkClaims): string {
  return mac(key, CSRF_PURPOSE, claims).toString('base64url');
}

export function verifyCsrfToken(key: Buffer, claims: LinkClaims, token: string | undefined): boolean {
  return macMatches(mac(key, CSRF_PURPOSE, claims), token);
}
