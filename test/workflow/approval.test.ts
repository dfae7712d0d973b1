/**
 * The Approval stage on the local engine, end to end: the real synthesized lifecycle, the real handlers, the
 * approval API's deployed Lambda handler behind the local server's API Gateway adapter, decisions made through
 * the real HTTP endpoint (GET the page, POST its form) — on a virtual clock.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { iamDecision, localApproverCredentials, type PendingApproval } from '../../bin/approvals';
import { main } from '../../bin/cli';
import { followExecution } from '../../bin/follow';
import { createClient } from '../../tasks/clients';
import type { ApprovalRecord } from '../../tasks/approval/record';
import { TAG } from '../../pipeline/tags';
import { exampleVariant, type PipelineVariant } from '../fixtures/pipeline-variant';
import { startRuntime } from './runtime-fixture';

type Env = Awaited<ReturnType<typeof startRuntime>>;
const TOOLING = '111111111111';
const REGION = 'eu-west-1';

const imageOf = (env: Env, executionArn: string) =>
  Object.values(env.runtime.cloud.world.region(TOOLING, REGION).images).find((i) => i.tags[TAG.execution] === executionArn)!;

/** Every task token the engine issued for the run (from its history: the Request Approval task's arguments). */
async function tokensOf(env: Env, executionArn: string): Promise<string[]> {
  const { events = [] } = await env.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return events.flatMap((e) => {
    const parameters = e.taskScheduledEventDetails?.parameters;
    const token = parameters ? (JSON.parse(parameters) as { Payload?: { taskToken?: string } }).Payload?.taskToken : undefined;
    return token ? [token] : [];
  });
}

/** The newest approval record in the registry. */
async function latestApproval(): Promise<ApprovalRecord> {
  const db = DynamoDBDocumentClient.from(createClient(DynamoDBClient, { region: REGION }));
  const { Items = [] } = await db.send(new ScanCommand({ TableName: 'gami-registry-web-base', FilterExpression: 'sk = :sk', ExpressionAttributeValues: { ':sk': 'APPROVAL' } }));
  db.destroy();
  return (Items as ApprovalRecord[]).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.version - b.version).at(-1)!;
}

const seenBefore = new Set<string>();

/** `gami <args>`; what it printed (exit 0 expected). */
async function gami(args: string[]): Promise<string[]> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  if (code !== 0) throw new Error(`gami ${args.join(' ')}: exit ${code}: ${err.join('\n')}`);
  return out;
}

describe('approval stage (example pipeline: 2 of 2 approvers)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startRuntime();
  });
  afterEach(() => {
    for (const m of env.runtime.cloud.mailbox()) seenBefore.add(m.messageId);
  });
  afterAll(() => env.stop());

  it('continues after both approvals through the page; the image is approved once distributed; no token anywhere', async () => {
    const result = await env.run({});

    expect(result.description.status).toBe('SUCCEEDED');
    expect(env.decisions.filter((d) => d.status === 200).map((d) => d.approver).sort()).toEqual(['alice.platform@example.com', 'bob.security@example.com']);
    expect(result.output.approval).toMatchObject({
      decision: 'approved',
      evidenceSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      approvers: [expect.objectContaining({ approver: expect.any(String), comment: 'evidence reviewed' }), expect.objectContaining({ comment: 'evidence reviewed' })],
    });
    // distributing from the decision on; approved by the last distribution step (Mark Approved).
    expect(imageOf(env, result.executionArn).tags[TAG.status]).toBe('approved');
    // Each approver's email went to that approver alone; the notification list got none of them.
    const requests = env.runtime.cloud.mailbox().filter((m) => m.messageAttributes.approver);
    expect(requests.map((m) => m.deliveredTo)).toEqual([['alice.platform@example.com'], ['bob.security@example.com']]);

    // The token: issued, and in no email, link, page, log-visible output or execution output.
    const tokens = await tokensOf(env, result.executionArn);
    expect(tokens.length).toBeGreaterThan(0);
    const page = await (await fetch(requests[0].message.match(/https?:\/\/\S+/)![0])).text();
    const visible = [JSON.stringify(result.output), JSON.stringify(result.description), ...env.runtime.cloud.mailbox().map((m) => m.message + (m.subject ?? '')), page];
    for (const token of tokens) for (const text of visible) expect(text).not.toContain(token);
    const exited = result.events.find((e) => e.stateExitedEventDetails?.name === 'Request Approval');
    for (const token of tokens) expect(exited?.stateExitedEventDetails?.output ?? '').not.toContain(token);
  });

  it('fails with ApprovalRejected when one approver rejects: who and why in the cause, image rejected and deprecated', async () => {
    env.setApproval('reject');
    const result = await env.run({});
    env.setApproval('approve');

    expect(result.description.status).toBe('FAILED');
    expect(result.description.error).toBe('ApprovalRejected');
    expect(result.description.cause).toMatch(/rejected by alice\.platform@example\.com at .*: CVE backlog not acceptable for prod/);
    const image = imageOf(env, result.executionArn);
    expect(image.tags[TAG.status]).toBe('rejected');
    expect(image.deprecationTime).toBeDefined();
    // This run's evidence had the previous approved image (v5, approved by the first test) and its difference.
    const approval = await latestApproval();
    expect(approval.evidence.previous).toMatchObject({ version: 5, imageId: expect.stringMatching(/^ami-/) });
    expect(approval.evidence.packages?.length).toBeGreaterThan(0);
    expect(approval.evidence.previous?.packages?.length).toBeGreaterThan(0);
    expect(approval.status).toBe('rejected');
  });

  it('decides as an IAM principal through the SigV4-signed iam-decision route (gami approve), and refuses an unsigned or unlisted caller', async () => {
    env.setApproval('none');
    const { executionArn } = await env.sfn.send(new StartExecutionCommand({ stateMachineArn: env.stateMachineArn, input: '{}' }));
    let answers: { status: number; body: Record<string, unknown> }[] = [];
    const listed: { before?: PendingApproval[]; registry?: PendingApproval[]; between?: string[]; after?: string[] } = {};
    const description = await followExecution(env.sfn, executionArn!, {
      wait: async () => {
        const requests = env.runtime.cloud.mailbox().filter((m) => m.messageAttributes.approver && !seenBefore.has(m.messageId));
        if (requests.length === 2 && answers.length === 0) {
          const approvalId = /\/approvals\/([A-Za-z0-9_-]{43})/.exec(requests[0].message)![1];
          const at = new Date(env.clock.now());
          answers = await env.clock.hold(
            (async () => [
              await fetch(`${env.server.origin}/approvals/${approvalId}/iam-decision`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":"approve"}' }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> })),
              await iamDecision({ base: env.server.origin, approvalId, decision: 'approve', credentials: { accessKeyId: 'AKIAGAMITOOLING11111', secretAccessKey: 'local-secret-AKIAGAMITOOLING11111' }, region: REGION, now: at }),
              // gami approvals: from the running server (with the links), and from the registry tables (as on AWS).
              ...(await gami(['approvals', '--url', env.server.origin, '--format', 'json']).then((out) => {
                listed.before = JSON.parse(out.join('\n')) as PendingApproval[];
                return [];
              })),
              ...(await gami(['approvals', '--format', 'json']).then((out) => {
                listed.registry = JSON.parse(out.join('\n')) as PendingApproval[];
                return [];
              })),
              await iamDecision({ base: env.server.origin, approvalId, decision: 'approve', comment: 'via IAM', credentials: localApproverCredentials('alice.platform@example.com')!, region: REGION, now: at }),
              ...(await gami(['approvals', '--url', env.server.origin, '--pipeline', 'web-base']).then((out) => {
                listed.between = out;
                return [];
              })),
              await iamDecision({ base: env.server.origin, approvalId, decision: 'approve', comment: 'via IAM', credentials: localApproverCredentials('bob.security@example.com')!, region: REGION, now: at }),
              ...(await gami(['approvals', '--url', env.server.origin]).then((out) => {
                listed.after = out;
                return [];
              })),
            ])(),
          );
        }
        await env.clock.sleep(60_000);
      },
    });
    env.setApproval('approve');

    expect(answers.map((a) => a.status)).toEqual([403, 403, 200, 200]);
    // Before any decision: one request, both approvers pending, each with their personal link.
    expect(listed.before).toEqual([
      expect.objectContaining({
        approvalId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        pipeline: 'web-base',
        imageId: expect.stringMatching(/^ami-/),
        minApprovals: 2,
        evidenceSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        approvers: [
          { approver: 'alice.platform@example.com', decision: null, link: expect.stringMatching(new RegExp(`^${env.server.origin}/approvals/[A-Za-z0-9_-]{43}\\?a=`)) },
          { approver: 'bob.security@example.com', decision: null, link: expect.stringMatching(/\/approvals\//) },
        ],
      }),
    ]);
    // The registry (AWS's path: every gami-registry-* table): the same request, no links, the API URL to decide at.
    expect(listed.registry).toEqual([
      expect.objectContaining({ approvalId: listed.before![0].approvalId, version: listed.before![0].version, apiUrl: env.server.origin, approvers: [
        { approver: 'alice.platform@example.com', decision: null },
        { approver: 'bob.security@example.com', decision: null },
      ] }),
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/taskToken/);
    // After Alice's decision, text: Alice approved, Bob's link still there, and the command to decide with.
    const id = listed.before![0].approvalId;
    expect(listed.between).toEqual([
      expect.stringMatching(new RegExp(`^${id} {2}web-base v\\d+ ami-[0-9a-f]+ {2}requested .*, expires .*; 1 of 2 approvals; evidence sha256 [0-9a-f]{12}…$`)),
      expect.stringMatching(/^ {2}alice\.platform@example\.com +approved$/),
      expect.stringMatching(/^ {2}bob\.security@example\.com +pending +http:\/\/127\.0\.0\.1:\d+\/approvals\//),
      expect.stringMatching(new RegExp(`^ {2}or: gami approve ${id} --as <approver>`)),
    ]);
    expect(listed.after).toEqual(['no pending approvals']);
    expect(answers[1].body.error).toMatch(/gami-pipeline is not an approver/);
    expect(answers[3].body).toMatchObject({ approver: 'bob.security@example.com', outcome: 'closed', status: 'approved' });
    expect(description.status).toBe('SUCCEEDED');
    const output = JSON.parse(description.output!) as { approval: { approvers: { approver: string; userAgent: string }[] } };
    expect(output.approval.approvers.map((a) => a.userAgent)).toEqual([
      'iam:arn:aws:iam::111111111111:user/alice.platform@example.com',
      'iam:arn:aws:iam::111111111111:user/bob.security@example.com',
    ]);
  });

  it('fails with ApprovalExpired when nobody decides within timeoutHours (virtual clock): image expired and deprecated, links closed', async () => {
    env.setApproval('none');
    const started = env.clock.now();
    const result = await env.run({});
    env.setApproval('approve');

    expect(result.description.status).toBe('FAILED');
    expect(result.description.error).toBe('ApprovalExpired');
    expect(result.description.cause).toContain('no decision within 72 hours');
    expect(env.clock.now() - started).toBeGreaterThanOrEqual(72 * 3_600_000);
    const image = imageOf(env, result.executionArn);
    expect(image.tags[TAG.status]).toBe('expired');
    expect(image.deprecationTime).toBeDefined();
    // The link now shows that it expired: no form, nothing to decide.
    const mail = env.runtime.cloud.mailbox().filter((m) => m.messageAttributes.approver).at(-1)!;
    const page = await fetch(mail.message.match(/https?:\/\/\S+/)![0]);
    expect(page.status).toBe(410);
    expect(await page.text()).not.toContain('name="reviewed"');
  });
});

describe('approval not required', () => {
  let variant: PipelineVariant;
  let env: Env;
  beforeAll(async () => {
    variant = exampleVariant((yaml) => yaml.replace('  required: true', '  required: false'), 'web-base.yaml');
    env = await startRuntime({ pipelineFile: variant.file, approval: 'none' });
  });
  afterAll(async () => {
    await env.stop();
    variant.remove();
  });

  it('records "not required" and passes: no email, the image distributed and approved', async () => {
    const result = await env.run({});

    expect(result.description.status).toBe('SUCCEEDED');
    expect(result.output.approval).toEqual({ required: false });
    expect(env.runtime.cloud.mailbox().filter((m) => m.messageAttributes.approver)).toEqual([]);
    expect(imageOf(env, result.executionArn).tags[TAG.status]).toBe('approved');
  });
});
