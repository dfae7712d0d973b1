/**
 * Decision flows through the web app into the real (dynalite) table and a mocked Step Functions: exactly one
 * SendTaskSuccess / SendTaskFailure per approval, sent by the decision that closed it.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNServiceException } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { approvalKey } from '../../tasks/approval/record';
import { getApproval, expireApproval, recordDecision } from '../../tasks/approval/store';
import { ALICE, BOB, decide, linkFor, openPage, pendingApproval, postForm, startApprovalFixture, TOKEN, type ApprovalFixture } from './fixture';

let fx: ApprovalFixture;
beforeEach(async () => {
  fx = await startApprovalFixture();
});
afterEach(async () => {
  await fx.stop();
});

const sfnError = (name: string) => new SFNServiceException({ name, message: `${name} (simulated)`, $fault: 'client', $metadata: { httpStatusCode: 400 } });

describe('approval decisions', () => {
  it('2 of 2 approvals: the second closes it and sends exactly one SendTaskSuccess with who, when, from where', async () => {
    const record = await pendingApproval(fx);

    const first = await decide(fx, record, ALICE, 'approve', 'looks good');
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('Your decision was recorded: approved');
    expect(fx.sfnMock.calls()).toHaveLength(0);
    expect((await getApproval(fx.store, record.approvalId))?.status).toBe('pending');

    fx.clock.now = new Date(fx.clock.now.getTime() + 60_000);
    const second = await decide(fx, record, BOB, 'approve');
    expect(second.status).toBe(200);
    expect(await second.text()).toContain('was approved');

    expect(fx.sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    expect(fx.sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    const sent = fx.sfnMock.commandCalls(SendTaskSuccessCommand)[0].args[0].input;
    expect(sent.taskToken).toBe(TOKEN);
    expect(JSON.parse(sent.output ?? '')).toEqual({
      decision: 'approved',
      evidenceSha256: record.evidenceSha256,
      approvers: [
        { approver: ALICE, at: '2026-11-22T10:00:00.000Z', comment: 'looks good', sourceIp: '198.51.100.7', userAgent: 'jest-browser/1.0' },
        { approver: BOB, at: '2026-11-22T10:01:00.000Z', comment: '', sourceIp: '198.51.100.7', userAgent: 'jest-browser/1.0' },
      ],
    });
    const stored = await getApproval(fx.store, record.approvalId);
    expect(stored).toMatchObject({ status: 'approved', closedBy: BOB, delivery: 'sent', closedAt: '2026-11-22T10:01:00.000Z' });
  });

  it('one rejection: SendTaskFailure(ApprovalRejected) naming who and why; later approvals change nothing', async () => {
    const record = await pendingApproval(fx);
    const bobsEarlierPage = await openPage(fx, record, BOB);
    const rejected = await decide(fx, record, ALICE, 'reject', 'nginx config drift: CVE-2026-2222 is reachable');
    expect(rejected.status).toBe(200);
    expect(await rejected.text()).toContain('was rejected by alice@example.com');

    expect(fx.sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    const failures = fx.sfnMock.commandCalls(SendTaskFailureCommand);
    expect(failures).toHaveLength(1);
    expect(failures[0].args[0].input).toEqual({
      taskToken: TOKEN,
      error: 'ApprovalRejected',
      cause: expect.stringMatching(/^web-base v7 \(ami-0123456789abcdef0\) rejected by alice@example\.com at 2026-11-22T10:00:00\.000Z: nginx config drift: CVE-2026-2222 is reachable/),
    });

    // Bob's page no longer offers the form; a POST from the page he opened before is refused with the outcome.
    const bobsPage = await (await fx.app.request(linkFor(fx, record, BOB))).text();
    expect(bobsPage).not.toContain('name="decision"');
    expect(bobsPage).toContain('was rejected by alice@example.com');
    const writes = fx.writes();
    const late = await postForm(fx, record, { ...bobsEarlierPage.form.fields, reviewed: 'web-base v7', decision: 'approve' });
    expect(late.status).toBe(409);
    expect(fx.writes()).toBe(writes);
    expect(fx.sfnMock.calls()).toHaveLength(1);
  });

  it('a second click shows what was recorded and changes nothing', async () => {
    const record = await pendingApproval(fx);
    const { form } = await openPage(fx, record, ALICE);
    const fields = { ...form.fields, reviewed: 'web-base v7', decision: 'approve', comment: 'first' };
    expect((await postForm(fx, record, fields)).status).toBe(200);
    const writes = fx.writes();

    const again = await postForm(fx, record, { ...fields, decision: 'reject', comment: 'changed my mind' });
    expect(again.status).toBe(409);
    const page = await again.text();
    expect(page).toContain('You already decided; your first decision stands.');
    expect(page).toMatch(/Your decision, recorded at 2026-11-22T10:00:00.000Z: <strong>approved<\/strong> — “first”/);
    expect(fx.writes()).toBe(writes);
    expect((await getApproval(fx.store, record.approvalId))?.decisions[ALICE]?.decision).toBe('approve');
  });

  it('concurrent approvals (3 approvers, 2 needed, all at once) close it exactly once', async () => {
    const carol = 'carol@example.com';
    const record = await pendingApproval(fx, { approvers: [ALICE, BOB, carol], minApprovals: 2 });
    const pages = await Promise.all([ALICE, BOB, carol].map((a) => openPage(fx, record, a)));
    const responses = await Promise.all(
      pages.map(({ form }) => postForm(fx, record, { ...form.fields, reviewed: 'web-base v7', decision: 'approve' })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual(expect.arrayContaining([200]));
    expect(fx.sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    const stored = await getApproval(fx.store, record.approvalId);
    expect(stored?.status).toBe('approved');
    expect(stored?.delivery).toBe('sent');
  });

  it('concurrent calls of the store itself: 20 rounds, never two closes', async () => {
    for (let round = 0; round < 20; round++) {
      fx.sfnMock.resetHistory();
      const record = await pendingApproval(fx, { approvers: [ALICE, BOB], minApprovals: 1 });
      const at = fx.clock.now.toISOString();
      const outcomes = await Promise.all(
        [ALICE, BOB].map((approver) =>
          recordDecision(fx.store, record.approvalId, { approver, decision: 'approve', at, comment: '', sourceIp: '::1', userAgent: 't' }, fx.clock.now),
        ),
      );
      expect(outcomes.filter((o) => o.kind === 'closed')).toHaveLength(1);
      expect(fx.sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    }
  });

  it('approvals racing a rejection: 20 rounds, exactly one Step Functions call each, matching the recorded status', async () => {
    const carol = 'carol@example.com';
    for (let round = 0; round < 20; round++) {
      fx.sfnMock.resetHistory();
      const record = await pendingApproval(fx, { approvers: [ALICE, BOB, carol], minApprovals: 2 });
      const at = fx.clock.now.toISOString();
      const vote = (approver: string, decision: 'approve' | 'reject') =>
        recordDecision(fx.store, record.approvalId, { approver, decision, at, comment: decision === 'reject' ? 'no' : '', sourceIp: '::1', userAgent: 't' }, fx.clock.now);
      const outcomes = await Promise.all([vote(ALICE, 'approve'), vote(carol, 'reject'), vote(BOB, 'approve')]);
      expect(outcomes.filter((o) => o.kind === 'closed')).toHaveLength(1);
      expect(fx.sfnMock.calls()).toHaveLength(1);
      const status = (await getApproval(fx.store, record.approvalId))?.status;
      const sent = { approved: fx.sfnMock.commandCalls(SendTaskSuccessCommand).length, rejected: fx.sfnMock.commandCalls(SendTaskFailureCommand).length };
      expect(sent).toEqual(status === 'approved' ? { approved: 1, rejected: 0 } : { approved: 0, rejected: 1 });
    }
  });

  it('TaskTimedOut from Step Functions is the recorded outcome, not an error', async () => {
    const record = await pendingApproval(fx, { minApprovals: 1 });
    fx.sfnMock.on(SendTaskSuccessCommand).rejects(sfnError('TaskTimedOut'));
    const response = await decide(fx, record, ALICE, 'approve');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('The run had already timed out waiting (ApprovalExpired)');
    expect(await getApproval(fx.store, record.approvalId)).toMatchObject({ status: 'approved', delivery: 'task-timed-out' });
  });

  it('a failed delivery is retried once by the next POST, and only then', async () => {
    const record = await pendingApproval(fx, { minApprovals: 1 });
    fx.sfnMock.on(SendTaskSuccessCommand).rejectsOnce(sfnError('ServiceUnavailable')).resolves({});
    const first = await decide(fx, record, ALICE, 'approve');
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('The pipeline has not been told yet');
    expect(await getApproval(fx.store, record.approvalId)).toMatchObject({ delivery: 'failed', deliveryError: expect.stringContaining('ServiceUnavailable') });

    // The page now offers only "notify the pipeline again"; posting it decides nothing new.
    const { form } = await openPage(fx, record, ALICE);
    expect(form.fields).not.toHaveProperty('decision');
    const retry = await postForm(fx, record, form.fields);
    expect(retry.status).toBe(409);
    expect(fx.sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(2);
    expect(await getApproval(fx.store, record.approvalId)).toMatchObject({ delivery: 'sent' });
    expect((await postForm(fx, record, form.fields)).status).toBe(409);
    expect(fx.sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(2);
  });

  it('a crash between recording the deciding vote and closing is finished by the next POST, once', async () => {
    const record = await pendingApproval(fx);
    await decide(fx, record, ALICE, 'approve');
    // Bob's vote written as the store writes it, then the process "died" before the close.
    await fx.db.send(
      new UpdateCommand({
        TableName: fx.store.tableName,
        Key: approvalKey(record.approvalId),
        UpdateExpression: 'SET #d.#b = :v',
        ExpressionAttributeNames: { '#d': 'decisions', '#b': BOB },
        ExpressionAttributeValues: { ':v': { approver: BOB, decision: 'approve', at: fx.clock.now.toISOString(), comment: '', sourceIp: '::1', userAgent: 't' } },
      }),
    );
    expect(fx.sfnMock.calls()).toHaveLength(0);
    // Alice (who had voted before) comes back: her page offers to finish it.
    const { form, text } = await openPage(fx, record, ALICE);
    expect(text).toContain('Notify the pipeline again');
    expect(fx.sfnMock.calls()).toHaveLength(0); // the GET itself did nothing
    expect((await postForm(fx, record, form.fields)).status).toBe(409);
    expect((await postForm(fx, record, form.fields)).status).toBe(409);
    expect(fx.sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    expect(await getApproval(fx.store, record.approvalId)).toMatchObject({ status: 'approved', closedBy: BOB, delivery: 'sent' });
  });

  it('a decision after the run ended (approval expired) is refused with the outcome, nothing changes', async () => {
    const record = await pendingApproval(fx);
    const { form } = await openPage(fx, record, ALICE);
    expect(await expireApproval(fx.store, record.approvalId, fx.clock.now)).toBe(true);
    expect(await expireApproval(fx.store, record.approvalId, fx.clock.now)).toBe(false);
    const writes = fx.writes();
    const response = await postForm(fx, record, { ...form.fields, reviewed: 'web-base v7', decision: 'approve' });
    expect(response.status).toBe(409);
    expect(await response.text()).toContain('expired at');
    expect(fx.writes()).toBe(writes);
    expect(fx.sfnMock.calls()).toHaveLength(0);
  });
});
