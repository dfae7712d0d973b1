/** Pure parts: signed links and CSRF tokens, the record and its evidence hash, the image difference. */
import { randomBytes } from 'node:crypto';
import { diffCves, diffPackages, diffToPrevious } from '../../tasks/approval/diff';
import { approvalLink, csrfToken, signLink, verifyCsrfToken, verifyLink, type LinkClaims } from '../../tasks/approval/links';
import { approvalIdSchema, approvalRecordSchema, evidenceSha256, newApprovalId, newApprovalRecord, withoutToken } from '../../tasks/approval/record';
import { evidence, NOW, TOKEN } from './fixture';

const key = randomBytes(32);
const claims: LinkClaims = { approvalId: newApprovalId(), approver: 'a+b@example.com', exp: Math.floor(NOW.getTime() / 1000) + 3600 };

function paramsOf(link: string) {
  const url = new URL(link);
  return {
    approvalId: decodeURIComponent(url.pathname.split('/').pop() ?? ''),
    a: url.searchParams.get('a') ?? undefined,
    exp: url.searchParams.get('exp') ?? undefined,
    sig: url.searchParams.get('sig') ?? undefined,
  };
}

describe('signed links', () => {
  it('round-trips through a URL (approver with + and @), under a base path too', () => {
    const link = approvalLink('https://api.example.com/prod', key, claims);
    expect(link).toMatch(new RegExp(`^https://api\\.example\\.com/prod/approvals/${claims.approvalId}\\?a=a%2Bb%40example\\.com&exp=\\d+&sig=[\\w-]{43}$`));
    expect(verifyLink(key, paramsOf(link), NOW)).toEqual({ ok: true, claims });
  });

  it('any changed claim, another key, or a mangled signature is a bad signature', () => {
    const params = paramsOf(approvalLink('https://api.example.com', key, claims));
    const bad = (p: Partial<typeof params>, k = key) => verifyLink(k, { ...params, ...p }, NOW);
    expect(bad({ a: 'b@example.com' })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(bad({ exp: String(claims.exp + 1) })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(bad({ approvalId: newApprovalId() })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(bad({}, randomBytes(32))).toEqual({ ok: false, reason: 'bad-signature' });
    const sig = params.sig ?? '';
    expect(bad({ sig: `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}` })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(bad({ sig: params.sig?.slice(1) })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(bad({ sig: `${params.sig}=` })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('missing parts are malformed; the expiry is checked after the signature and is exclusive', () => {
    const params = paramsOf(approvalLink('https://api.example.com', key, claims));
    expect(verifyLink(key, { ...params, sig: undefined }, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyLink(key, { ...params, exp: '1.5' }, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyLink(key, { ...params, a: '' }, NOW)).toEqual({ ok: false, reason: 'malformed' });
    const atExpiry = new Date(claims.exp * 1000);
    expect(verifyLink(key, params, new Date(atExpiry.getTime() - 1))).toMatchObject({ ok: true });
    expect(verifyLink(key, params, atExpiry)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyLink(key, { ...params, sig: signLink(randomBytes(32), claims) }, atExpiry)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('the CSRF token is bound to approval and approver, and is not the link signature', () => {
    const token = csrfToken(key, claims);
    expect(token).not.toBe(signLink(key, claims));
    expect(verifyCsrfToken(key, claims, token)).toBe(true);
    expect(verifyCsrfToken(key, { ...claims, approver: 'other@example.com' }, token)).toBe(false);
    expect(verifyCsrfToken(key, { ...claims, approvalId: newApprovalId() }, token)).toBe(false);
    expect(verifyCsrfToken(key, claims, signLink(key, claims))).toBe(false);
    expect(verifyCsrfToken(key, claims, undefined)).toBe(false);
  });

  it('refuses a signing key shorter than 32 bytes', () => {
    expect(() => signLink(randomBytes(16), claims)).toThrow('at least 32 bytes');
  });
});

describe('approval record', () => {
  it('ids are 256 random bits, URL-safe, never repeated', () => {
    const ids = new Set(Array.from({ length: 1000 }, newApprovalId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(approvalIdSchema.safeParse(id).success).toBe(true);
    expect(Buffer.from([...ids][0], 'base64url')).toHaveLength(32);
  });

  it('a new record: pending, expiry from the timeout, TTL after it, distinct approvers, evidence hashed', () => {
    const record = newApprovalRecord({ taskToken: TOKEN, executionArn: 'arn:x', evidence, approvers: ['a@x.io', 'b@x.io', 'a@x.io'], minApprovals: 2, now: NOW, timeoutHours: 24 });
    expect(record).toMatchObject({
      pk: `APPROVAL#${record.approvalId}`,
      sk: 'APPROVAL',
      status: 'pending',
      approvers: ['a@x.io', 'b@x.io'],
      pipeline: 'web-base',
      version: 7,
      imageId: 'ami-0123456789abcdef0',
      createdAt: '2026-11-22T10:00:00.000Z',
      expiresAt: '2026-11-23T10:00:00.000Z',
      decisions: {},
    });
    expect(record.ttl).toBe(Date.parse('2026-11-23T10:00:00.000Z') / 1000 + 400 * 86_400);
    expect(record.evidenceSha256).toBe(evidenceSha256(evidence));
    expect(withoutToken(record)).not.toHaveProperty('taskToken');
    expect(JSON.stringify(withoutToken(record))).not.toContain(TOKEN);
  });

  it('the evidence hash does not depend on key order, and changes with any value', () => {
    const reordered = Object.fromEntries(Object.entries(evidence).reverse()) as typeof evidence;
    expect(evidenceSha256(reordered)).toBe(evidenceSha256(evidence));
    expect(evidenceSha256({ ...evidence, version: 8 })).not.toBe(evidenceSha256(evidence));
  });

  it('refuses more approvals than distinct approvers, and unknown fields on the record', () => {
    expect(() => newApprovalRecord({ taskToken: TOKEN, executionArn: 'arn:x', evidence, approvers: ['a@x.io', 'a@x.io'], minApprovals: 2, now: NOW, timeoutHours: 1 })).toThrow(
      '2 approvals needed but only 1 distinct approvers listed',
    );
    const record = newApprovalRecord({ taskToken: TOKEN, executionArn: 'arn:x', evidence, approvers: ['a@x.io'], minApprovals: 1, now: NOW, timeoutHours: 1 });
    expect(approvalRecordSchema.safeParse({ ...record, extra: 1 }).success).toBe(false);
  });
});

describe('difference to the previous image', () => {
  it('packages added, removed, changed; CVEs fixed, new, still open', () => {
    expect(diffPackages([{ name: 'a', version: '1' }, { name: 'b', version: '1' }], [{ name: 'b', version: '2' }, { name: 'c', version: '1' }])).toEqual({
      added: [{ name: 'c', version: '1' }],
      removed: [{ name: 'a', version: '1' }],
      changed: [{ name: 'b', from: '1', to: '2' }],
    });
    expect(diffCves(['CVE-1', 'CVE-2'], ['CVE-2', 'CVE-3'])).toEqual({ fixed: ['CVE-1'], introduced: ['CVE-3'], stillOpen: ['CVE-2'] });
  });

  it('says which side lacks the data instead of guessing', () => {
    const previous = { version: 6, imageId: 'ami-0aaaaaaaaaaaaaaaa' };
    expect(diffToPrevious({ ...evidence, previous }).packages).toEqual({ available: false, reason: 'no package inventory recorded for either image' });
    expect(diffToPrevious({ ...evidence, packages: [], previous }).packages).toEqual({ available: false, reason: 'no package inventory recorded for v6' });
    expect(diffToPrevious({ ...evidence, previous: { ...previous, packages: [] } }).packages).toEqual({ available: false, reason: 'no package inventory recorded for this image' });
    expect(diffToPrevious(evidence).cves).toEqual({ available: false, reason: 'no previous approved image of this pipeline' });
  });
});
