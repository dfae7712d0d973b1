/**
 * POST /approvals/{id}/iam-decision: decisions by IAM principals (API Gateway's AWS_IAM authorizer puts the caller
 * in requestContext.authorizer.iam), through the Lambda handler as API Gateway invokes it. The signature itself
 * is API Gateway's job (locally: local/server/api-gateway.ts, tested in test/workflow/approval.test.ts).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { approvalLambdaHandler, principalName } from '../../tasks/approval/app';
import { getApproval } from '../../tasks/approval/store';
import { ALICE, BOB, pendingApproval, startApprovalFixture, tableSnapshot, TOKEN, type ApprovalFixture } from './fixture';

let fx: ApprovalFixture;
beforeEach(async () => {
  fx = await startApprovalFixture();
});
afterEach(async () => {
  await fx.stop();
});

function event(approvalId: string, body: string, userArn?: string, contentType = 'application/json'): LambdaEvent {
  return {
    version: '2.0',
    routeKey: 'POST /approvals/{id}/iam-decision',
    rawPath: `/approvals/${approvalId}/iam-decision`,
    rawQueryString: '',
    headers: { 'content-type': contentType, host: 'approvals.example.com' },
    requestContext: {
      accountId: '111111111111',
      apiId: 'api',
      domainName: 'approvals.example.com',
      domainPrefix: 'approvals',
      http: { method: 'POST', path: `/approvals/${approvalId}/iam-decision`, protocol: 'HTTP/1.1', sourceIp: '198.51.100.9', userAgent: 'gami' },
      requestId: 'r',
      routeKey: 'POST /approvals/{id}/iam-decision',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      ...(userArn ? { authorizer: { iam: { accessKey: 'AKIA', accountId: '111111111111', callerId: 'AIDA', cognitoIdentity: null, principalOrgId: null, userArn, userId: 'AIDA' } } } : {}),
    },
    body,
    isBase64Encoded: false,
  } as unknown as LambdaEvent;
}

async function call(e: LambdaEvent) {
  const result = (await approvalLambdaHandler(fx.app)(e)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') as Record<string, unknown>, raw: result.body ?? '' };
}

describe('principal names', () => {
  it.each([
    ['arn:aws:iam::111111111111:user/alice@example.com', 'alice@example.com'],
    ['arn:aws:iam::111111111111:user/team/alice@example.com', 'alice@example.com'],
    ['arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Approver_abc/alice@example.com', 'alice@example.com'],
    ['arn:aws:iam::111111111111:role/Approver', undefined],
    ['not an arn', undefined],
  ])('%s → %s', (arn, name) => expect(principalName(arn)).toBe(name));
});

describe('iam-decision', () => {
  it('decides as the calling principal; two distinct IAM approvers close it and tell Step Functions', async () => {
    const record = await pendingApproval(fx);
    const first = await call(event(record.approvalId, '{"decision":"approve","comment":"ok"}', `arn:aws:iam::111111111111:user/${ALICE}`));
    const second = await call(event(record.approvalId, '{"decision":"approve"}', `arn:aws:sts::111111111111:assumed-role/Approver/${BOB.toUpperCase()}`));

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body).toMatchObject({ approver: ALICE, outcome: 'recorded', status: 'pending' });
    expect(second.body).toMatchObject({ approver: BOB, outcome: 'closed', status: 'approved' });
    expect(fx.sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    expect((await getApproval(fx.store, record.approvalId))?.decisions[ALICE]).toMatchObject({ comment: 'ok', userAgent: `iam:arn:aws:iam::111111111111:user/${ALICE}` });
    for (const answer of [first, second]) expect(answer.raw).not.toContain(TOKEN);
  });

  it.each([
    ['no IAM caller (route not authorized)', undefined, '{"decision":"approve"}', 'application/json', 403],
    ['a principal not in the list', 'arn:aws:iam::111111111111:user/mallory@example.com', '{"decision":"approve"}', 'application/json', 403],
    ['a role without a session name', 'arn:aws:iam::111111111111:role/Approver', '{"decision":"approve"}', 'application/json', 403],
    ['a form body', `arn:aws:iam::111111111111:user/${ALICE}`, 'decision=approve', 'application/x-www-form-urlencoded', 415],
    ['malformed JSON', `arn:aws:iam::111111111111:user/${ALICE}`, '{"decision":', 'application/json', 400],
    ['an unknown decision', `arn:aws:iam::111111111111:user/${ALICE}`, '{"decision":"maybe"}', 'application/json', 400],
    ['a rejection without a comment', `arn:aws:iam::111111111111:user/${ALICE}`, '{"decision":"reject"}', 'application/json', 422],
  ])('refuses %s, and changes nothing', async (_name, userArn, body, contentType, status) => {
    const record = await pendingApproval(fx);
    const before = await tableSnapshot(fx);
    const writes = fx.writes();

    const answer = await call(event(record.approvalId, body, userArn, contentType));

    expect(answer.status).toBe(status);
    expect(typeof answer.body.error).toBe('string');
    expect(fx.writes()).toBe(writes);
    expect(await tableSnapshot(fx)).toBe(before);
    expect(fx.sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('answers 404 for an unknown approval and 409 for a second decision of the same principal', async () => {
    const record = await pendingApproval(fx);
    const unknown = await call(event('A'.repeat(43), '{"decision":"approve"}', `arn:aws:iam::111111111111:user/${ALICE}`));
    await call(event(record.approvalId, '{"decision":"approve"}', `arn:aws:iam::111111111111:user/${ALICE}`));
    const again = await call(event(record.approvalId, '{"decision":"reject","comment":"changed my mind"}', `arn:aws:iam::111111111111:user/${ALICE}`));

    expect(unknown.status).toBe(404);
    expect(again.status).toBe(409);
    expect(again.body.recorded).toMatchObject({ decision: 'approve' });
  });
});
