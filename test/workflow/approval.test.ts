/**
 * The Approval stage on the local engine, end to end: the real synthesized lifecycle, the real handlers, the
 * approval API's deployed Lambda handler behind the local server's API Gateway adapter, decisions made through
 * the real HTTP endpoint (GET the page, POST its form) — on a virtual clock.
 */
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TAG } from '../../pipeline/tags';
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

describe('approval stage (example pipeline: 2 of 2 approvers)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startRuntime();
  });
  afterAll(() => env.stop());

  it('continues after both approvals through the page; the image moves to distributing; no token anywhere', async () => {
    const result = await env.run({});

    expect(result.description.status).toBe('SUCCEEDED');
    expect(env.decisions.filter((d) => d.status === 200).map((d) => d.approver).sort()).toEqual(['alice.platform@example.com', 'bob.security@example.com']);
    expect(result.output.approval).toMatchObject({
      decision: 'approved',
      evidenceSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      approvers: [expect.objectContaining({ approver: expect.any(String), comment: 'evidence reviewed' }), expect.objectContaining({ comment: 'evidence reviewed' })],
    });
    expect(imageOf(env, result.executionArn).tags[TAG.status]).toBe('distributing');
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
  let dir: string;
  let env: Env;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gami-approval-'));
    symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
    const file = join(dir, 'web-base.yaml');
    writeFileSync(file, readFileSync('pipelines/example.yaml', 'utf8').replace('  required: true', '  required: false'));
    env = await startRuntime({ pipelineFile: file, approval: 'none' });
  });
  afterAll(async () => {
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records "not required" and passes: no email, image distributing', async () => {
    const result = await env.run({});

    expect(result.description.status).toBe('SUCCEEDED');
    expect(result.output.approval).toEqual({ required: false });
    expect(env.runtime.cloud.mailbox().filter((m) => m.messageAttributes.approver)).toEqual([]);
    expect(imageOf(env, result.executionArn).tags[TAG.status]).toBe('distributing');
  });
});
