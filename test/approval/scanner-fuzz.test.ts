/**
 * What arrives without a person behind it: a link scanner fetching every approver's link (GET and HEAD, as
 * Safe Links / Mimecast / Proofpoint do) and submitting the page's form with its defaults; and 1,000 seeded,
 * generated malformed requests. Neither may decide, change the table, call Step Functions, or get a 5xx.
 */
import { csrfToken } from '../../tasks/approval/links';
import type { ApprovalRecord } from '../../tasks/approval/record';
import { ALICE, BASE, BOB, claimsOf, decide, linkFor, MALLORY, openPage, pendingApproval, startApprovalFixture, tableSnapshot, TOKEN, type ApprovalFixture } from './fixture';
import { seededRandom } from '../../local/engine/random';

let fx: ApprovalFixture;
let record: ApprovalRecord;
beforeEach(async () => {
  fx = await startApprovalFixture();
  record = await pendingApproval(fx);
});
afterEach(async () => {
  await fx.stop();
});

const SCANNER_HEADERS = { 'User-Agent': 'Mozilla/5.0 (compatible; SafeLinks-Scanner)', Accept: '*/*' };

describe('link scanner', () => {
  it('GET and HEAD of every link, then submitting every form with its defaults (same origin, as a headless browser would): no decision', async () => {
    const before = { writes: fx.writes(), table: await tableSnapshot(fx) };
    const statuses: number[] = [];
    for (const approver of record.approvers) {
      const link = linkFor(fx, record, approver);
      for (let visit = 0; visit < 3; visit++) {
        const head = await fx.app.request(link, { method: 'HEAD', headers: SCANNER_HEADERS });
        const get = await fx.app.request(link, { headers: SCANNER_HEADERS });
        statuses.push(head.status, get.status);
        const page = await get.text();
        expect(page).toContain('name="decision"');
        expect(page).not.toContain(TOKEN);
        // Every link on the page (there should be none that act) is followed too.
        for (const href of page.matchAll(/href="([^"]+)"/g)) statuses.push((await fx.app.request(new URL(href[1], link).toString(), { headers: SCANNER_HEADERS })).status);
      }
      const { form } = await openPage(fx, record, approver);
      const formUrl = new URL(form.action, linkFor(fx, record, approver)).toString();
      // Defaults: hidden fields and the untouched textarea; with no button, the first button, or the second.
      for (const button of [{}, { decision: 'approve' }, { decision: 'reject' }] as Record<string, string>[]) {
        const response = await fx.app.request(formUrl, {
          method: 'POST',
          headers: { ...SCANNER_HEADERS, 'Content-Type': 'application/x-www-form-urlencoded', Origin: BASE, 'Sec-Fetch-Site': 'same-origin' },
          body: new URLSearchParams({ ...form.fields, comment: '', ...button }).toString(),
        });
        statuses.push(response.status);
        expect([400, 422]).toContain(response.status);
      }
    }
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(fx.writes()).toBe(before.writes);
    expect(await tableSnapshot(fx)).toBe(before.table);
    expect(fx.sfnMock.calls()).toHaveLength(0);
    // A person still can: the scanner consumed nothing.
    expect((await decide(fx, record, ALICE, 'approve')).status).toBe(200);
  });
});

interface FuzzRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  fields: Record<string, string>;
  extraBody: string;
  rawBody?: string;
}

const JUNK = ['', ' ', '%', '%00', '\u0000', '../', '<script>', '"\'><', '𝕏', 'é', '%E0%A4%A', 'a'.repeat(5000), '-1', '1e309', 'NaN', 'null', '[]', '{}', '\r\nX-Injected: 1'];

describe('fuzz', () => {
  it('1,000 seeded malformed requests → 0 responses ≥ 500, 0 state changes, 0 Step Functions calls', async () => {
    // The engine's seeded source, so a failing case can be replayed from its index.
    const random = seededRandom(20261122);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    // Seeded too, so the same 1,000 requests run every time.
    const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const { form } = await openPage(fx, record, ALICE);
    // Bob has approved (1 of 2 needed): replaying his decision is one more malformed request.
    const bob = (await openPage(fx, record, BOB)).form.fields;
    expect((await decide(fx, record, BOB, 'approve')).status).toBe(200);
    const valid: FuzzRequest = {
      method: 'POST',
      path: `/approvals/${record.approvalId}/decision`,
      query: {},
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: BASE, 'Sec-Fetch-Site': 'same-origin' },
      fields: { ...form.fields, reviewed: 'web-base v7', decision: 'approve', comment: '' },
      extraBody: '',
    };
    const bobClaims = claimsOf(record, BOB);
    // Each mutation alone makes the request one that must not decide; none repairs another.
    const mutations: ((r: FuzzRequest) => void)[] = [
      (r) => (r.fields.sig = pick([randomBytes(32).toString('base64url'), '', pick(JUNK), r.fields.sig.slice(1)])),
      (r) => (r.fields.a = pick([BOB, MALLORY, '', pick(JUNK), ALICE.toUpperCase()])),
      (r) => (r.fields.exp = pick([String(Number(r.fields.exp) + 1), '0', '', pick(JUNK), '99999999999999'])),
      (r) => delete r.fields.csrf,
      (r) => (r.fields.csrf = pick([randomBytes(32).toString('base64url'), r.fields.sig, csrfToken(fx.key, bobClaims), pick(JUNK)])),
      (r) => {
        r.headers.Origin = pick(['https://evil.example.net', 'null', 'http://approvals.example.com', '', pick(JUNK).slice(0, 50)]);
        delete r.headers['Sec-Fetch-Site'];
      },
      (r) => {
        r.headers['Sec-Fetch-Site'] = pick(['cross-site', 'same-site', 'none', 'junk', '']);
        delete r.headers.Origin;
      },
      (r) => delete r.fields.reviewed,
      (r) => (r.fields.reviewed = pick(['on', 'web-base v6', 'web-base v7 ', 'WEB-BASE V7', pick(JUNK)])),
      (r) => (r.fields.decision = pick(['', 'approve ', 'Approve', 'yes', 'retry', pick(JUNK)])),
      (r) => (r.method = pick(['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])),
      (r) => (r.path = pick([`/approvals/${record.approvalId}`, `/approvals/${record.approvalId}/decision/x`, '/approvals//decision', `/approvals/${encodeURIComponent(pick(JUNK))}/decision`, '/', '/approvals', `/APPROVALS/${record.approvalId}/decision`])),
      (r) => (r.headers['Content-Type'] = pick(['application/json', 'text/plain', 'multipart/form-data; boundary=x', '', 'application/x-www-form-urlencodedx', pick(JUNK).slice(0, 40)])),
      (r) => (r.extraBody = `&comment=${'z'.repeat(9000 + Math.floor(random() * 5000))}`),
      (r) => (r.extraBody = `&${pick(['a', 'sig', 'csrf', 'decision', 'reviewed', 'exp'])}=${encodeURIComponent(pick(JUNK))}`),
      (r) => (r.rawBody = pick([randomBytes(Math.floor(random() * 2000)).toString('latin1'), '%%%', '&&&', '=', JSON.stringify(r.fields), pick(JUNK)])),
      (r) => ((r.fields.decision = 'reject'), (r.fields.comment = pick(['', ' ', '\n\t']))),
      (r) => (r.fields.comment = 'c'.repeat(1001 + Math.floor(random() * 3000))),
      (r) => Object.assign(r.fields, bob),
    ];

    const before = { writes: fx.writes(), table: await tableSnapshot(fx) };
    const histogram: Record<number, number> = {};
    let count = 0;
    let serverErrors = 0;
    for (let i = 0; i < 1000; i++) {
      const request: FuzzRequest = structuredClone(valid);
      const applied = 1 + Math.floor(random() * 3);
      for (let m = 0; m < applied; m++) pick(mutations)(request);
      const url = new URL(request.path, BASE);
      for (const [k, v] of Object.entries(request.query)) url.searchParams.set(k, v);
      let response: Response;
      try {
        const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : (request.rawBody ?? new URLSearchParams(request.fields).toString() + request.extraBody);
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v)));
        response = await fx.app.request(url.toString(), { method: request.method, headers, body });
      } catch (error) {
        throw new Error(`fuzz case ${i} threw: ${String(error)}`);
      }
      count++;
      histogram[response.status] = (histogram[response.status] ?? 0) + 1;
      if (response.status >= 500) serverErrors++;
      const text = await response.text();
      if (response.status < 300) throw new Error(`fuzz case ${i} was accepted: ${JSON.stringify({ ...request, fields: { ...request.fields, sig: '…', csrf: '…' } })}`);
      if (text.includes(TOKEN)) throw new Error(`fuzz case ${i} leaked the task token`);
    }
    const stateChanges = fx.writes() - before.writes + (((await tableSnapshot(fx)) === before.table) ? 0 : 1) + fx.sfnMock.calls().length;
    if (process.env.GAMI_FUZZ_REPORT) console.log(`fuzz: ${count} requests, ${serverErrors} ≥ 500, ${stateChanges} state changes; by status ${JSON.stringify(histogram)}`);
    expect({ count, serverErrors, stateChanges }).toEqual({ count: 1000, serverErrors: 0, stateChanges: 0 });
    // Every refusal class shows up, not only one early check.
    expect(Object.keys(histogram).map(Number).sort()).toEqual(expect.arrayContaining([400, 403, 405, 409, 413, 415, 422]));
    // The fixture is not broken: the genuine request still decides.
    const genuine = await fx.app.request(new URL(valid.path, BASE).toString(), { method: 'POST', headers: valid.headers, body: new URLSearchParams(valid.fields).toString() });
    expect(genuine.status).toBe(200);
  });
});
