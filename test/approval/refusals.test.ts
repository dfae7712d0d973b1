/**
 * One test per class of bad request from the issue: each asserts the status code, a clear page (an HTML
 * page whose heading says what was wrong), and no state change (no successful DynamoDB write, the table
 * byte-for-byte the same, no Step Functions call).
 */
import { randomBytes } from 'node:crypto';
import { approvalLink, csrfToken } from '../../tasks/approval/links';
import { newApprovalId, type ApprovalRecord } from '../../tasks/approval/record';
import { ALICE, BASE, BOB, claimsOf, decide, linkFor, MALLORY, openPage, pendingApproval, postForm, startApprovalFixture, tableSnapshot, type ApprovalFixture } from './fixture';

let fx: ApprovalFixture;
let record: ApprovalRecord;
let before: { writes: number; table: string };

beforeEach(async () => {
  fx = await startApprovalFixture();
  record = await pendingApproval(fx);
  before = { writes: fx.writes(), table: await tableSnapshot(fx) };
});
afterEach(async () => {
  await fx.stop();
});

async function expectRefused(response: Response | Promise<Response>, status: number, heading: string | RegExp): Promise<string> {
  const res = await response;
  const body = await res.text();
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(body).toMatch(/^<!doctype html>/);
  expect(body).toMatch(typeof heading === 'string' ? `<h1>${heading}</h1>` : heading);
  expect(fx.writes()).toBe(before.writes);
  expect(await tableSnapshot(fx)).toBe(before.table);
  expect(fx.sfnMock.calls()).toHaveLength(0);
  return body;
}

const withParam = (link: string, name: string, value: string | undefined) => {
  const url = new URL(link);
  if (value === undefined) url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  return url.toString();
};

/** Alice's page's form, filled in completely: each test spoils one thing. */
async function aliceForm(): Promise<Record<string, string>> {
  const { form } = await openPage(fx, record, ALICE);
  return { ...form.fields, reviewed: 'web-base v7', decision: 'approve', comment: '' };
}

describe('refused requests change nothing', () => {
  it('bad signature: 403 on GET, HEAD and POST', async () => {
    const link = linkFor(fx, record, ALICE);
    const forged = withParam(link, 'sig', randomBytes(32).toString('base64url'));
    await expectRefused(fx.app.request(forged), 403, 'Invalid link');
    const head = await fx.app.request(forged, { method: 'HEAD' });
    expect(head.status).toBe(403);
    await expectRefused(postForm(fx, record, { ...(await aliceForm()), sig: randomBytes(32).toString('base64url') }), 403, 'Invalid link');
  });

  it('missing or truncated signature: 400', async () => {
    const link = linkFor(fx, record, ALICE);
    await expectRefused(fx.app.request(withParam(link, 'sig', undefined)), 400, 'Incomplete link');
    await expectRefused(fx.app.request(withParam(link, 'sig', new URL(link).searchParams.get('sig')?.slice(0, 20))), 403, 'Invalid link');
    await expectRefused(fx.app.request(withParam(link, 'exp', 'tomorrow')), 400, 'Incomplete link');
    await expectRefused(fx.app.request(`${BASE}/approvals/${record.approvalId}`), 400, 'Incomplete link');
  });

  it('expired link: 410, and a link whose expiry was pushed out is a bad signature', async () => {
    const form = await aliceForm();
    fx.clock.now = new Date(Date.parse(record.expiresAt) + 1000);
    await expectRefused(fx.app.request(linkFor(fx, record, ALICE)), 410, 'Link expired');
    await expectRefused(postForm(fx, record, form), 410, 'Link expired');
    fx.clock.now = new Date(Date.parse(record.expiresAt) - 1000);
    await expectRefused(fx.app.request(withParam(linkFor(fx, record, ALICE), 'exp', String(claimsOf(record, ALICE).exp + 86_400))), 403, 'Invalid link');
  });

  it('approver not in the list (even with a correctly signed link): 403', async () => {
    await expectRefused(fx.app.request(linkFor(fx, record, MALLORY)), 403, 'Not an approver');
    const claims = claimsOf(record, MALLORY);
    const sig = new URL(linkFor(fx, record, MALLORY)).searchParams.get('sig') ?? '';
    const fields = { a: MALLORY, exp: String(claims.exp), sig, csrf: csrfToken(fx.key, claims), reviewed: 'web-base v7', decision: 'approve' };
    await expectRefused(postForm(fx, record, fields), 403, 'Not an approver');
  });

  it("approver A's link used as approver B: 403 (signature), and A's page token with B's link: 403 (CSRF)", async () => {
    await expectRefused(fx.app.request(withParam(linkFor(fx, record, ALICE), 'a', BOB)), 403, 'Invalid link');
    const alice = await aliceForm();
    await expectRefused(postForm(fx, record, { ...alice, a: BOB }), 403, 'Invalid link');
    const bob = (await openPage(fx, record, BOB)).form.fields;
    await expectRefused(postForm(fx, record, { ...alice, a: bob.a, sig: bob.sig }), 403, 'Form expired or not from the approval page');
  });

  it('unknown approval id: 404 (signed for an id that does not exist), 403 (unsigned)', async () => {
    const ghost = newApprovalId();
    const claims = { ...claimsOf(record, ALICE), approvalId: ghost };
    await expectRefused(fx.app.request(approvalLink(BASE, fx.key, claims)), 404, 'Unknown approval');
    await expectRefused(fx.app.request(withParam(linkFor(fx, record, ALICE), 'a', ALICE).replace(record.approvalId, ghost)), 403, 'Invalid link');
    await expectRefused(fx.app.request(`${BASE}/approvals/nope/elsewhere`), 404, 'Not found');
  });

  it('POST without a CSRF token, or with a wrong one: 403', async () => {
    const form = await aliceForm();
    const { csrf: _omitted, ...withoutToken } = form;
    await expectRefused(postForm(fx, record, withoutToken), 403, 'Form expired or not from the approval page');
    await expectRefused(postForm(fx, record, { ...form, csrf: randomBytes(32).toString('base64url') }), 403, 'Form expired or not from the approval page');
    // The link's signature is not a CSRF token.
    await expectRefused(postForm(fx, record, { ...form, csrf: form.sig }), 403, 'Form expired or not from the approval page');
  });

  it('cross-origin POST: 403 for another Origin, a cross-site Sec-Fetch-Site, or neither header', async () => {
    const form = await aliceForm();
    await expectRefused(postForm(fx, record, form, { Origin: 'https://evil.example.net' }), 403, 'Cross-site request refused');
    await expectRefused(postForm(fx, record, form, { 'Sec-Fetch-Site': 'cross-site' }), 403, 'Cross-site request refused');
    await expectRefused(postForm(fx, record, form, { Origin: 'https://evil.example.net', 'Sec-Fetch-Site': 'same-site' }), 403, 'Cross-site request refused');
    await expectRefused(postForm(fx, record, form, {}), 403, 'Cross-site request refused');
    await expectRefused(postForm(fx, record, form, { Origin: 'null' }), 403, 'Cross-site request refused');
  });

  it('replayed POST: the first decides, the replay is 409 and changes nothing', async () => {
    const form = await aliceForm();
    expect((await postForm(fx, record, form)).status).toBe(200);
    before = { writes: fx.writes(), table: await tableSnapshot(fx) };
    await expectRefused(postForm(fx, record, form), 409, /<h1>Approve web-base v7\?<\/h1>[\s\S]*You already decided; your first decision stands/);
  });

  it('decision after the run ended (Step Functions timed it out, the record is expired): 409 with the outcome', async () => {
    const form = await aliceForm();
    await decide(fx, record, BOB, 'approve'); // one of two: still pending
    const { expireApproval } = await import('../../tasks/approval/store');
    await expireApproval(fx.store, record.approvalId, fx.clock.now);
    before = { writes: fx.writes(), table: await tableSnapshot(fx) };
    fx.sfnMock.resetHistory();
    const page = await expectRefused(postForm(fx, record, form), 409, /expired at 2026-11-25T10:00:00.000Z before enough people decided; the run failed with ApprovalExpired/);
    expect(page).not.toContain('name="decision"');
  });

  it('oversize body: 413', async () => {
    const form = await aliceForm();
    await expectRefused(postForm(fx, record, { ...form, comment: 'x'.repeat(9000) }), 413, 'Request too large');
  });

  it('comment too long, no decision, unticked or wrong review box, rejection without reason: 422 / 400', async () => {
    const form = await aliceForm();
    await expectRefused(postForm(fx, record, { ...form, comment: 'y'.repeat(1001) }), 422, 'Comment too long');
    await expectRefused(postForm(fx, record, { ...form, decision: '' }), 400, 'No decision');
    await expectRefused(postForm(fx, record, { ...form, decision: 'APPROVE' }), 400, 'No decision');
    const { reviewed: _unticked, ...unticked } = form;
    await expectRefused(postForm(fx, record, unticked), 422, 'Please confirm you reviewed the evidence');
    await expectRefused(postForm(fx, record, { ...form, reviewed: 'web-base v6' }), 422, 'Please confirm you reviewed the evidence');
    await expectRefused(postForm(fx, record, { ...form, decision: 'reject', comment: '   ' }), 422, 'Say why you reject');
  });

  it('malformed bodies: repeated fields 400, not a form 415, junk encodings refused', async () => {
    const form = await aliceForm();
    const url = `${BASE}/approvals/${record.approvalId}/decision`;
    const send = (body: string, contentType = 'application/x-www-form-urlencoded') =>
      fx.app.request(url, { method: 'POST', headers: { 'Content-Type': contentType, Origin: BASE }, body });
    await expectRefused(send(`${new URLSearchParams(form).toString()}&decision=reject`), 400, 'Malformed form');
    await expectRefused(send(JSON.stringify(form), 'application/json'), 415, 'Unsupported form');
    await expectRefused(send(new URLSearchParams(form).toString(), 'text/plain'), 415, 'Unsupported form');
    await expectRefused(send('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n', 'multipart/form-data; boundary=x'), 415, 'Unsupported form');
    await expectRefused(send('%%%&&&==a=%E0%A4%A'), 400, 'Incomplete link');
    await expectRefused(send(''), 400, 'Incomplete link');
  });

  it('wrong methods: 405 with Allow', async () => {
    const page = `${BASE}/approvals/${record.approvalId}`;
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const body = await expectRefused(fx.app.request(page, { method }), 405, 'Method not allowed');
      expect(body).toContain('GET');
      await expectRefused(fx.app.request(`${page}/decision`, { method }), 405, 'Method not allowed');
    }
    const post = fx.app.request(page, { method: 'POST', headers: { Origin: BASE, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
    expect((await post).headers.get('allow')).toBe('GET, HEAD');
    await expectRefused(fx.app.request(`${page}/decision`), 405, 'Method not allowed');
  });
});
